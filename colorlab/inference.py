"""Running a colorization network for prediction: an exact and a fast mode, switches around the plain module.

Every network of the kit is a plain ``torch.nn`` module. :func:`predict` runs it for inference
with a few switches that change how fast it runs, never what it computes:

* ``mode="exact"``: the module in eval mode, under :func:`torch.inference_mode` (no autograd
  bookkeeping at all), with its 4-D weights and the input in the ``channels_last`` memory format
  on CPU and CUDA (oneDNN's and cuDNN's convolutions prefer NHWC). Same float32 arithmetic as the
  plain ``model.eval()`` under ``torch.no_grad()``: the results agree to float rounding (the
  tests check 1e-4 in ``ab / 110`` units).
* ``mode="fast"``: the same, plus :func:`torch.autocast` to the reduced precision the device
  computes natively (:func:`fast_dtype`: bfloat16 on CPUs with bf16 instructions, e.g.
  AVX512-BF16 or AMX; float16 on CUDA). About twice as fast where the hardware has it; the
  colours change by a fraction of a Lab unit on average (benchmarks/README.md has the measured
  differences). On a device without native reduced precision it is the exact mode: emulated
  bf16 is *slower* than float32.
* ``mode="auto"``: ``"fast"`` only where it was *measured* faster on this machine: the first
  call for a given architecture, input shape and device times both modes (a warm-up and three
  runs each) and remembers the choice for the rest of the process (:func:`auto_choices`).

What was tried and left out (numbers in benchmarks/README.md): ``torch.jit.freeze`` /
``optimize_for_inference`` and ``torch.compile`` gain about as much as channels_last in float32
but cost seconds to a minute of compilation per process and shape; ONNX Runtime and OpenCV's DNN
module are measured by ``benchmarks/bench_models.py`` as outside references.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Literal

import torch
from torch import nn

from colorlab.io import ColorlabError

__all__ = ["Mode", "MODES", "fast_dtype", "prepare", "predict", "resolve_mode", "auto_choices"]

#: ``"exact"``, ``"fast"`` or ``"auto"`` (see the module docstring).
Mode = Literal["exact", "fast", "auto"]
MODES: tuple[str, ...] = ("exact", "fast", "auto")

#: Timed calls per mode when ``"auto"`` measures (after one warm-up call each).
_AUTO_REPEATS = 3
#: ``"auto"`` picks the fast mode only if it took at most this fraction of the exact mode's time.
_AUTO_MARGIN = 0.9

# (architecture, parameter count, input shape, device) -> "exact" | "fast"
_AUTO_CHOICES: dict[tuple, str] = {}


def fast_dtype(device: torch.device | str) -> torch.dtype | None:
    """The reduced-precision dtype ``device`` computes natively, or None where it has none.

    Args:
        device: a torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` ...).

    Returns:
        ``torch.bfloat16`` on a CPU with bf16 instructions (as oneDNN reports them),
        ``torch.float16`` on CUDA, None otherwise (then ``"fast"`` is ``"exact"``).
    """
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.float16
    if kind == "cpu":
        try:
            return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else None
        except (AttributeError, RuntimeError):  # a torch build without oneDNN
            return None
    return None


def _uses_channels_last(device: torch.device) -> bool:
    return device.type in ("cpu", "cuda")


def prepare(net: nn.Module, device: torch.device | str | None = None) -> nn.Module:
    """Put ``net`` in eval mode and, on CPU or CUDA, its 4-D weights in ``channels_last``; in place.

    The values do not change, only their layout in memory; the module can still be trained or
    saved afterwards. Runs outside inference mode (unless the weights already are inference
    tensors), so that normal weights stay normal tensors.

    Args:
        net: any module.
        device: where it runs; default the device of its first parameter (CPU without parameters).

    Returns:
        ``net`` itself.
    """
    net.eval()
    device = torch.device(device) if device is not None else _device_of(net, torch.device("cpu"))
    four_d = [tensor for tensor in net.parameters() if tensor.dim() == 4]
    if _uses_channels_last(device) and not all(t.is_contiguous(memory_format=torch.channels_last) for t in four_d):
        # weights made in inference mode (a module built inside it) can only be changed there
        made_in_inference_mode = any(parameter.is_inference() for parameter in net.parameters())
        with torch.inference_mode(made_in_inference_mode), torch.no_grad():
            net.to(memory_format=torch.channels_last)
    return net


def _device_of(net: nn.Module, default: torch.device) -> torch.device:
    parameter = next(net.parameters(), None)
    return parameter.device if parameter is not None else default


@contextmanager
def _precision(device: torch.device, mode: str) -> Iterator[None]:
    dtype = fast_dtype(device) if mode == "fast" else None
    with torch.autocast(device_type=device.type, dtype=dtype) if dtype is not None else nullcontext():
        yield


def _forward(net: nn.Module, l_norm: torch.Tensor, mode: str, inputs: dict) -> torch.Tensor:
    """One pass in an already resolved mode (``"exact"`` or ``"fast"``); ``l_norm`` on the net's device."""
    if _uses_channels_last(l_norm.device):
        l_norm = l_norm.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), _precision(l_norm.device, mode):
        ab_norm = net.predict_ab(l_norm, **inputs) if hasattr(net, "predict_ab") else net(l_norm, **inputs)
    return ab_norm.float().clone(memory_format=torch.contiguous_format)  # outside inference mode


def predict(net: nn.Module, l_norm: torch.Tensor, mode: Mode = "exact", **inputs) -> torch.Tensor:
    """Predict ``ab_norm`` with ``net`` for inference, in the given ``mode``.

    Calls ``net.predict_ab(l_norm, **inputs)`` when the network has it (the decoding of the
    classification models), else ``net(l_norm, **inputs)``, after :func:`prepare`.

    Args:
        net: a colorization network; on the device it should run on.
        l_norm: ``(N, 1, h, w)`` float32 normalized lightness, on the network's device.
        mode: ``"exact"``, ``"fast"`` or ``"auto"`` (see the module docstring).
        inputs: further arguments of the network (e.g. SIGGRAPH17's ``ab_hint_norm`` and ``mask``,
            or ``temperature`` for ECCV16), on the same device.

    Returns:
        ``ab_norm (N, 2, h, w)`` float32, contiguous (a fresh tensor, usable with autograd
        afterwards unless the caller itself runs in inference mode).

    Raises:
        ColorlabError: an unknown mode.
    """
    prepare(net, l_norm.device)
    resolved = resolve_mode(net, l_norm, mode, **inputs)
    return _forward(net, l_norm, resolved, inputs)


def resolve_mode(net: nn.Module, l_norm: torch.Tensor, mode: Mode = "auto", **inputs) -> str:
    """``"exact"`` or ``"fast"``: what ``mode`` means for this network, input shape and device.

    ``"exact"`` stays exact; ``"fast"`` is ``"exact"`` where :func:`fast_dtype` is None;
    ``"auto"`` times both modes on ``l_norm`` the first time a combination of architecture,
    parameter count, input shape and device is seen, and picks ``"fast"`` only if it took at
    most 90% of the exact time (cached for the process: :func:`auto_choices`).
    """
    if mode not in MODES:
        raise ColorlabError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "exact" or fast_dtype(l_norm.device) is None:
        return "exact"
    if mode == "fast":
        return "fast"
    key = (type(net).__qualname__, sum(p.numel() for p in net.parameters()), tuple(l_norm.shape), str(l_norm.device))
    if key not in _AUTO_CHOICES:
        prepare(net, l_norm.device)
        seconds = {candidate: _time_mode(net, l_norm, candidate, inputs) for candidate in ("exact", "fast")}
        _AUTO_CHOICES[key] = "fast" if seconds["fast"] <= _AUTO_MARGIN * seconds["exact"] else "exact"
    return _AUTO_CHOICES[key]


def _time_mode(net: nn.Module, l_norm: torch.Tensor, mode: str, inputs: dict) -> float:
    """The fastest of :data:`_AUTO_REPEATS` passes, in seconds, after one warm-up pass."""
    synchronize = torch.cuda.synchronize if l_norm.device.type == "cuda" else (lambda: None)
    _forward(net, l_norm, mode, inputs)
    best = float("inf")
    for _ in range(_AUTO_REPEATS):
        synchronize()
        start = time.perf_counter()
        _forward(net, l_norm, mode, inputs)
        synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def auto_choices() -> dict[tuple, str]:
    """The choices ``"auto"`` has made in this process: ``(architecture, parameter count, input
    shape, device) -> "exact" | "fast"`` (a copy)."""
    return dict(_AUTO_CHOICES)

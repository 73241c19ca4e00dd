"""Which torch device to compute on: CUDA, then Apple MPS, then CPU, or what the user names.

The choice, first match wins:

1. ``prefer``, the argument (e.g. from a ``--device`` command-line option), unless None or "auto";
2. the environment variable ``COLORLAB_DEVICE`` (e.g. ``cpu``, ``cuda``, ``cuda:1``, ``mps``),
   unless unset, empty or "auto";
3. the first available of CUDA, MPS and CPU.

A named device that this machine does not have is a :class:`~colorlab.io.ColorlabError` with a
one-line message, never a silent fall-back to another device.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from colorlab.io import ColorlabError

__all__ = ["DEVICE_ENV_VAR", "get_device", "single_thread"]

#: Environment variable that overrides the automatic choice, e.g. ``COLORLAB_DEVICE=cpu``.
DEVICE_ENV_VAR = "COLORLAB_DEVICE"

_NAMES = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the :class:`torch.device` colorlab computes on.

    Args:
        prefer: a device such as ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a
            :class:`torch.device`; ``None`` or ``"auto"`` defers to ``$COLORLAB_DEVICE`` and then
            to the automatic choice (CUDA, then MPS, then CPU).

    Returns:
        The device, checked to exist on this machine.

    Raises:
        ColorlabError: the name is not a device, or names one this machine does not have
            (one line saying where the name came from).
    """
    if isinstance(prefer, torch.device):
        return _checked(prefer, f"device {str(prefer)!r}")
    if prefer is not None and prefer.strip().lower() not in ("", "auto"):
        return _checked(_parse(prefer, f"device {prefer!r}"), f"device {prefer!r}")
    from_env = os.environ.get(DEVICE_ENV_VAR, "")
    if from_env.strip().lower() not in ("", "auto"):
        origin = f"{DEVICE_ENV_VAR}={from_env!r}"
        return _checked(_parse(from_env, origin), origin)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _parse(name: str, origin: str) -> torch.device:
    try:
        return torch.device(name.strip().lower())
    except (RuntimeError, ValueError):
        raise ColorlabError(f"{origin}: not a device name; use {_NAMES}") from None


def _checked(device: torch.device, origin: str) -> torch.device:
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ColorlabError(f"{origin}: CUDA is not available on this machine; use 'cpu' or 'auto'")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ColorlabError(
                f"{origin}: there is no CUDA device {device.index} (this machine has {count}: 0..{count - 1})"
            )
        return device
    if device.type == "mps":
        if not _mps_available():
            raise ColorlabError(f"{origin}: MPS (Apple GPU) is not available on this machine; use 'cpu' or 'auto'")
        return device
    raise ColorlabError(f"{origin}: colorlab runs on {_NAMES}, not {device.type!r}")


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch ops on one CPU thread inside the block (restored afterwards).

    Per-sample work in a Dataset (resizing and converting one small image) is far too small to
    split across threads: with torch's default intra-op threads it ran 10-30x slower here when the
    cores were busy. DataLoader worker processes already use one thread; this gives the same to
    ``num_workers=0``.
    """
    previous = torch.get_num_threads()
    if previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

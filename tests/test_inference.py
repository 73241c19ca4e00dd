"""colorlab.inference: the exact mode equals the plain eager module, the fast mode stays within its bound.

Correctness only: how fast the modes are is measured by benchmarks/bench_models.py, never here.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F

from colorlab import color, inference, models
from colorlab.io import ColorlabError

#: exact mode vs the eager module, in ab / 110 units (the issue's bound)
EXACT_TOLERANCE = 1e-4


def _eager(net: torch.nn.Module, l_norm: torch.Tensor) -> torch.Tensor:
    """The reference: the plain module, eval mode, ``torch.no_grad()``, NCHW float32."""
    with torch.no_grad():
        return net.predict_ab(l_norm) if hasattr(net, "predict_ab") else net(l_norm)


@pytest.mark.parametrize("name", models.available())
def test_exact_mode_equals_the_eager_module(name):
    torch.manual_seed(0)
    net = models.load(name).eval()
    size = 256 if name.startswith("pix2pix_unet") and "small" not in name else 64
    l_norm = torch.rand(2, 1, size, size) - 0.5
    expected = _eager(copy.deepcopy(net), l_norm)
    got = inference.predict(net, l_norm, "exact")
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert (got - expected).abs().max().item() <= EXACT_TOLERANCE
    # the module is left usable for training: normal (not inference) weights, same values
    assert not any(p.is_inference() for p in net.parameters())
    assert not net.training


def test_prepare_keeps_weight_values_and_training_works():
    torch.manual_seed(0)
    net = models.load("eccv16_small")
    before = {key: value.clone() for key, value in net.state_dict().items()}
    inference.prepare(net, "cpu")
    assert net.model1[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert all(torch.equal(before[key], value) for key, value in net.state_dict().items())
    net.train()
    net(torch.rand(1, 1, 32, 32), output="logits").sum().backward()
    assert net.model1[0].weight.grad is not None


def test_module_built_in_inference_mode_also_works():
    with torch.inference_mode():
        net = models.load("eccv16_small")
        out = inference.predict(net, torch.zeros(1, 1, 32, 32))
    assert out.shape == (1, 2, 32, 32)


def test_extra_inputs_are_passed_siggraph_hints():
    torch.manual_seed(0)
    net = models.load("siggraph17_small").eval()
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    hints, mask = torch.zeros(1, 2, 32, 32), torch.zeros(1, 1, 32, 32)
    hints[..., 10:14, 10:14], mask[..., 10:14, 10:14] = 0.4, 1.0
    with torch.no_grad():
        expected = copy.deepcopy(net)(l_norm, hints, mask)
    got = inference.predict(net, l_norm, "exact", ab_hint_norm=hints, mask=mask)
    assert (got - expected).abs().max().item() <= EXACT_TOLERANCE


def test_unknown_mode():
    with pytest.raises(ColorlabError, match="mode"):
        inference.predict(models.load("eccv16_small"), torch.zeros(1, 1, 32, 32), "fastest")


def test_fast_dtype_and_auto_choice_is_cached(monkeypatch):
    assert inference.fast_dtype("cuda") == torch.float16
    assert inference.fast_dtype("cpu") in (torch.bfloat16, None)
    net = models.load("eccv16_small")
    l_norm = torch.zeros(1, 1, 24, 24)
    choice = inference.resolve_mode(net, l_norm, "auto")
    assert choice in ("exact", "fast")
    if inference.fast_dtype("cpu") is None:
        assert choice == "exact" and inference.resolve_mode(net, l_norm, "fast") == "exact"
    else:
        assert list(inference.auto_choices().values()).count(choice) >= 1
        calls = []
        monkeypatch.setattr(inference, "_time_mode", lambda *args: calls.append(args) or 1.0)
        assert inference.resolve_mode(net, l_norm, "auto") == choice  # cached: not timed again
        assert not calls
    assert inference.resolve_mode(net, l_norm, "exact") == "exact"


def test_fast_mode_stays_close_to_exact_on_a_real_photo():
    """The fast mode's error bound, with the bundled ECCV16 weights on a real photo (Lab units)."""
    if "eccv16_small" not in models.bundled():
        pytest.skip("no bundled eccv16_small weights")
    net = models.load("eccv16_small", weights="bundled")
    rgb = torch.from_numpy(np.ascontiguousarray(skimage.data.astronaut())).permute(2, 0, 1).float() / 255.0
    l_small = F.interpolate(color.rgb_to_l(rgb)[None], size=(256, 256), mode="bilinear", antialias=True)
    l_norm = color.normalize_l(l_small)
    exact = color.denormalize_ab(inference.predict(net, l_norm, "exact"))
    fast = color.denormalize_ab(inference.predict(net, l_norm, "fast"))
    difference = (fast - exact).abs()
    if inference.fast_dtype("cpu") is None:
        assert difference.max().item() == 0.0
    else:
        # measured: max 0.3, mean 0.03 Lab units (bfloat16 on an AVX512-BF16 CPU)
        assert difference.max().item() <= 2.0
        assert difference.mean().item() <= 0.25

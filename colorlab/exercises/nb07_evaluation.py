"""Exercise checks for notebook 07: evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from colorlab.exercises._core import (
    NotYet,
    _as_result,
    _call_student,
    _require_function,
    register,
)


_PSNR_HINT = (
    "PSNR = 10 * log10(MAX^2 / MSE) decibels, with MAX the largest possible pixel value (1 for images "
    "in [0, 1], 255 for 8-bit images). Use the base-10 logarithm (math.log10 or torch.log10)."
)
#: The (mse, max_value) pairs the PSNR check tries.
PSNR_CASES = ((0.01, 1.0), (1e-4, 1.0), (0.25, 1.0), (65.0, 255.0), (1.0, 1.0))


@register("psnr_from_mse")
def check_psnr_from_mse(fn: Callable[[float, float], Any]) -> str:
    """Check ``psnr_from_mse(mse, max_value) -> float``: ``10 log10(max_value² / mse)`` dB, within 1e-6."""
    import math

    name = "psnr_from_mse"
    _require_function(fn, name)
    for mse, max_value in PSNR_CASES:
        value = _as_result(_call_student(fn, name, mse, max_value, hint=_PSNR_HINT), name, (), "a single number", _PSNR_HINT)
        expected = 10 * math.log10(max_value**2 / mse)
        if abs(value.item() - expected) <= 1e-6 * max(abs(expected), 1.0):
            continue
        variants = {
            "natural log": 10 * math.log(max_value**2 / mse),
            "no square": 10 * math.log10(max_value / mse),
            "20 log of mse": 20 * math.log10(max_value / mse),
            "no 10": math.log10(max_value**2 / mse),
        }
        hints = {
            "natural log": "Use the base-10 logarithm: decibels are 10 * log10(ratio).",
            "no square": "The ratio is between *powers*: square the maximum value, MAX² / MSE.",
            "20 log of mse": "20 * log10(MAX / RMSE) is right, but with the root of the MSE: RMSE = sqrt(MSE).",
            "no 10": "Decibels are ten times the base-10 logarithm of the ratio.",
        }
        problem = f"psnr_from_mse({mse}, {max_value}) returned {value.item():.6g}, expected {expected:.6g}."
        for mistake, variant in variants.items():
            if abs(value.item() - variant) <= 1e-6 * max(abs(variant), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _PSNR_HINT)
    return (
        "halving the MSE always adds 3.01 dB, whatever the image: PSNR is only the MSE on a log scale, "
        f"so grey's small error (its L is perfect) reads as a high PSNR, e.g. MSE 0.01 -> {10 * math.log10(100):.0f} dB."
    )


_SCALE_HINT = (
    "The squared error sum((s * pred - true)^2) is a parabola in s. Set its derivative to zero: "
    "s* = sum(pred * true) / sum(pred * pred), summed over every pixel, channel and image."
)


def _scale_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(7)
    cases = []
    for factor, noise in ((0.6, 5.0), (1.0, 0.0), (0.3, 20.0), (1.4, 2.0)):
        ab_true = torch.randn(2, 2, 6, 5, generator=generator, dtype=torch.float64) * 30
        ab_pred = ab_true * factor + torch.randn(ab_true.shape, generator=generator, dtype=torch.float64) * noise
        cases.append((ab_pred, ab_true))
    return cases


@register("best_ab_scale")
def check_best_ab_scale(fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``best_ab_scale(ab_pred, ab_true) -> float``: the ``s`` minimising ``||s·ab_pred − ab_true||²``.

    ``fn`` receives two ``(N, 2, H, W)`` float64 tensors (ab in Lab units) and must return
    ``sum(ab_pred * ab_true) / sum(ab_pred ** 2)`` (a number or 0-d tensor, within a relative 1e-6),
    without modifying its inputs.
    """
    name = "best_ab_scale"
    _require_function(fn, name)
    for index, (ab_pred, ab_true) in enumerate(_scale_cases()):
        given = (ab_pred.clone(), ab_true.clone())
        raw = _call_student(fn, name, *given, hint=_SCALE_HINT)
        if not (torch.equal(given[0], ab_pred) and torch.equal(given[1], ab_true)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        value = _as_result(raw, name, (), "a single number", "Sum over all elements to get one number.")
        expected = ((ab_pred * ab_true).sum() / (ab_pred * ab_pred).sum()).item()
        if abs(value.item() - expected) <= 1e-6 * max(abs(expected), 1.0):
            continue
        variants = {
            "inverted": ((ab_pred * ab_pred).sum() / (ab_pred * ab_true).sum()).item(),
            "ratio of norms": (ab_true.norm() / ab_pred.norm()).item(),
            "mean ratio": (ab_true / ab_pred).mean().item(),
        }
        hints = {
            "inverted": "Upside down: it is sum(pred * true) / sum(pred * pred).",
            "ratio of norms": "The ratio of the lengths ignores *where* the colours differ: use the dot "
            "product sum(pred * true) in the numerator.",
            "mean ratio": "Dividing pixel by pixel blows up where pred is near 0: minimise the total squared error instead.",
        }
        problem = f"on test case {index + 1} you returned {value.item():.6g}, expected {expected:.6g}."
        for mistake, variant in variants.items():
            if abs(value.item() - variant) <= 1e-6 * max(abs(variant), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _SCALE_HINT)
    return (
        "a least-squares fit of one number. A well-trained MSE model already sits near s* = 1 on average; "
        "the bundled model's `ab_scale` goes a little above it, trading a little PSNR for colour."
    )

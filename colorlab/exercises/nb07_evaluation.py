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


_PSNR_STEPS = (
    "PSNR compares the largest possible signal with the error, as a ratio of powers, on the decibel scale.",
    "The power of the largest signal is the square of the largest pixel value; the power of the error is the "
    "MSE; decibels are ten times the base-10 logarithm of a power ratio.",
)
_PSNR_KEY = ("10 * np.log10(max_value**2 / mse)", "log10(max_value**2 / mse)")
#: The (mse, max_value) pairs the PSNR check tries.
PSNR_CASES = ((0.01, 1.0), (1e-4, 1.0), (0.25, 1.0), (65.0, 255.0), (1.0, 1.0))


def reference_psnr_from_mse(mse: float, max_value: float = 1.0) -> float:
    """colorlab's answer to ``psnr_from_mse``: PSNR in dB of a mean squared error ``mse > 0`` for pixel values in ``[0, max_value]``."""
    import math

    return 10.0 * math.log10(max_value * max_value / mse)


@register("psnr_from_mse", steps=_PSNR_STEPS, key=_PSNR_KEY, reference=reference_psnr_from_mse)
def check_psnr_from_mse(fn: Callable[[float, float], Any]) -> str:
    """Check ``psnr_from_mse(mse, max_value) -> float``: ``10 log10(max_value² / mse)`` dB, within 1e-6."""
    import math

    name = "psnr_from_mse"
    _require_function(fn, name)
    for mse, max_value in PSNR_CASES:
        value = _as_result(_call_student(fn, name, mse, max_value), name, (), "a single number", "Return one number, in dB.")
        expected = reference_psnr_from_mse(mse, max_value)
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
        raise NotYet(problem)
    return (
        "halving the MSE always adds 3.01 dB, whatever the image: PSNR is only the MSE on a log scale, "
        f"so grey's small error (its L is perfect) reads as a high PSNR, e.g. MSE 0.01 -> {10 * math.log10(100):.0f} dB."
    )


_SCALE_STEPS = (
    "The total squared error, as a function of the single number s, is a parabola: where is a parabola lowest?",
    "Expand sum((s * pred - true)^2) as A s^2 - 2 B s + C, with A, B and C sums over every pixel, channel and "
    "image; set the derivative with respect to s to zero and solve for s.",
)
_SCALE_KEY = ("(ab_pred * ab_true).sum() / (ab_pred * ab_pred).sum()",)


def _scale_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(7)
    cases = []
    for factor, noise in ((0.6, 5.0), (1.0, 0.0), (0.3, 20.0), (1.4, 2.0)):
        ab_true = torch.randn(2, 2, 6, 5, generator=generator, dtype=torch.float64) * 30
        ab_pred = ab_true * factor + torch.randn(ab_true.shape, generator=generator, dtype=torch.float64) * noise
        cases.append((ab_pred, ab_true))
    return cases


def reference_best_ab_scale(ab_pred: torch.Tensor, ab_true: torch.Tensor) -> float:
    """colorlab's answer to ``best_ab_scale``: the least-squares factor ``s`` for ``ab_pred, ab_true (N, 2, H, W)`` (Lab units)."""
    return ((ab_pred * ab_true).sum() / ab_pred.square().sum()).item()


@register("best_ab_scale", steps=_SCALE_STEPS, key=_SCALE_KEY, reference=reference_best_ab_scale)
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
        raw = _call_student(fn, name, *given)
        if not (torch.equal(given[0], ab_pred) and torch.equal(given[1], ab_true)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        value = _as_result(raw, name, (), "a single number", "Sum over all elements to get one number.")
        expected = reference_best_ab_scale(ab_pred, ab_true)
        if abs(value.item() - expected) <= 1e-6 * max(abs(expected), 1.0):
            continue
        variants = {
            "inverted": ((ab_pred * ab_pred).sum() / (ab_pred * ab_true).sum()).item(),
            "ratio of norms": (ab_true.norm() / ab_pred.norm()).item(),
            "mean ratio": (ab_true / ab_pred).mean().item(),
        }
        hints = {
            "inverted": "Upside down: solve the derivative's equation for s again.",
            "ratio of norms": "The ratio of the lengths ignores *where* the colours differ: the numerator must "
            "pair each predicted value with its true value.",
            "mean ratio": "Dividing pixel by pixel blows up where pred is near 0: minimise the total squared error instead.",
        }
        problem = f"on test case {index + 1} you returned {value.item():.6g}, expected {expected:.6g}."
        for mistake, variant in variants.items():
            if abs(value.item() - variant) <= 1e-6 * max(abs(variant), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    return (
        "a least-squares fit of one number. On the photos it was trained on, an MSE model already sits near "
        "s* = 1 (that is what minimising the squared error means); on new photos a cautious model asks for more "
        "colour, as the next cell shows."
    )

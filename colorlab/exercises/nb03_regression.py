"""Exercise checks for notebook 03: regression and the averaging problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from colorlab.exercises._core import (
    NotYet,
    _as_result,
    _call_student,
    _require_function,
    _square_colours,
    register,
)


_BEST_CONSTANT_HINT = (
    "Select the ab values of the pixels where mask is True (boolean indexing with mask works once a and b "
    "are moved out of the way, e.g. to the front) and average them over all those pixels: under the squared "
    "error the best constant is the mean."
)


def _best_constant_test_case() -> tuple[torch.Tensor, torch.Tensor]:
    """``ab (4, 2, 5, 6)`` float64 and ``mask (4, 5, 6)`` bool with very different counts per image."""
    generator = torch.Generator().manual_seed(3)
    ab = torch.randn((4, 2, 5, 6), generator=generator, dtype=torch.float64) * 30
    ab[:, 0] += torch.tensor([40.0, -20.0, 5.0, 60.0], dtype=torch.float64).view(4, 1, 1)  # per-image shifts
    mask = torch.zeros((4, 5, 6), dtype=torch.bool)
    mask[0, :1, :2] = True  # 2 pixels
    mask[1, 1:4, 1:5] = True  # 12 pixels
    mask[3, 2:, :] = True  # 18 pixels; image 2 has none
    ab[3, 1, 4, 5] = 400.0  # one outlier: the mean and the median differ a lot
    return ab, mask


@register("best_constant_ab")
def check_best_constant_ab(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Check ``best_constant_ab(ab, mask) -> (2,)``: the one ab with the smallest squared error over the masked pixels.

    ``fn`` receives ``ab (N, 2, H, W)`` float64 in Lab units and ``mask (N, H, W)`` bool, and must
    return the mean ab of the pixels where ``mask`` is True (within ``1e-6``), as a ``(2,)`` tensor or
    array, without modifying its inputs.
    """
    name = "best_constant_ab"
    _require_function(fn, name)
    ab, mask = _best_constant_test_case()
    given_ab, given_mask = ab.clone(), mask.clone()
    raw = _call_student(fn, name, given_ab, given_mask, hint=_BEST_CONSTANT_HINT)
    if not (torch.equal(given_ab, ab) and torch.equal(given_mask, mask)):
        raise NotYet(f"`{name}` modified its input in place.", "Compute a new tensor; leave `ab` and `mask` as they are.")
    result = _as_result(raw, name, (2,), "one (a, b) pair: shape (2,)", _BEST_CONSTANT_HINT)
    pixels = ab.permute(1, 0, 2, 3)[:, mask]  # (2, P)
    expected = pixels.mean(dim=1)
    if (result - expected).abs().max().item() > 1e-6:
        problem = f"got ({result[0].item():.3f}, {result[1].item():.3f}), expected ({expected[0].item():.3f}, {expected[1].item():.3f})."
        per_image = torch.stack([ab[i][:, mask[i]].mean(dim=1) for i in range(len(ab)) if mask[i].any()]).mean(dim=0)
        variants = {
            "all pixels": ab.mean(dim=(0, 2, 3)),
            "per image": per_image,
            "median": pixels.median(dim=1).values,
            "quantile": pixels.quantile(0.5, dim=1),
        }
        hints = {
            "all pixels": "You averaged every pixel; only the pixels where `mask` is True belong to the object.",
            "per image": "You averaged per image, then over images: an image with more object pixels must count "
            "more. Average over all selected pixels at once.",
            "median": "That is the median, the best constant under the absolute (L1) error; squared error wants the mean.",
            "quantile": "That is the median, the best constant under the absolute (L1) error; squared error wants the mean.",
        }
        for mistake, variant in variants.items():
            if torch.isfinite(result).all() and (result - variant).abs().max().item() <= 1e-6:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _BEST_CONSTANT_HINT)
    yellow, blue = _square_colours()
    middle = (yellow + blue) / 2
    return (
        f"the mean of the selected pixels. For an object that is yellow {tuple(yellow.tolist())} or blue "
        f"{tuple(blue.tolist())} half of the time this is ({middle[0].item():g}, {middle[1].item():g}): grey."
    )


_EXPECTED_ERROR_HINT = (
    "For each possible colour c_k, take the squared distance (a - a_k)^2 + (b - b_k)^2 between the guess "
    "and c_k, multiply it by the probability p_k, and add everything up."
)


def _expected_error_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``(guess (2,), colours (K, 2), probabilities (K,))`` float64 cases, probabilities summing to 1."""
    generator = torch.Generator().manual_seed(4)
    yellow, blue = _square_colours()
    cases = []
    for k in (2, 3, 5):
        colours = torch.randn((k, 2), generator=generator, dtype=torch.float64) * 40
        weights = torch.rand(k, generator=generator, dtype=torch.float64) + 0.1
        guess = torch.randn(2, generator=generator, dtype=torch.float64) * 20
        cases.append((guess, colours, weights / weights.sum()))
    # last: the notebook's square (several usual mistakes give the same number here, so not first)
    cases.append((torch.zeros(2, dtype=torch.float64), torch.stack((yellow, blue)), torch.tensor([0.5, 0.5], dtype=torch.float64)))
    return cases


def _expected_error(guess: torch.Tensor, colours: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
    return (probabilities * ((colours - guess) ** 2).sum(dim=-1)).sum()


@register("expected_squared_error")
def check_expected_squared_error(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``expected_squared_error(guess, colours, probabilities) -> float``.

    ``fn`` receives ``guess (2,)``, ``colours (K, 2)`` (ab in Lab units) and ``probabilities (K,)``
    (summing to 1), all float64, and must return ``sum_k p_k * ||guess - colours_k||^2`` (a number or
    a 0-d tensor, within a relative ``1e-6``), without modifying its inputs.
    """
    name = "expected_squared_error"
    _require_function(fn, name)
    for index, (guess, colours, probabilities) in enumerate(_expected_error_cases()):
        given = (guess.clone(), colours.clone(), probabilities.clone())
        raw = _call_student(fn, name, *given, hint=_EXPECTED_ERROR_HINT)
        if not all(torch.equal(a, b) for a, b in zip(given, (guess, colours, probabilities))):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        value = _as_result(raw, name, (), "a single number", "Sum over the colours to get one number: use .sum().")
        expected = _expected_error(guess, colours, probabilities)
        if abs(value.item() - expected.item()) <= 1e-6 * max(abs(expected.item()), 1.0):
            continue
        distances = ((colours - guess) ** 2).sum(dim=-1)
        variants = {
            "not squared": (probabilities * distances.sqrt()).sum(),
            "unweighted": distances.mean(),
            "channel mean": (probabilities * ((colours - guess) ** 2).mean(dim=-1)).sum(),
            "root": expected.sqrt(),
        }
        hints = {
            "not squared": "Square the distances: the loss is the *squared* error, (a - a_k)^2 + (b - b_k)^2, no square root.",
            "unweighted": "Weight each colour by its probability p_k instead of averaging the colours equally.",
            "channel mean": "Add the squared differences of a and b (the squared Euclidean distance) instead of averaging them.",
            "root": "Leave out the final square root: we want the expected *squared* error.",
        }
        problem = f"on test case {index + 1} you returned {value.item():.6g}, expected {expected.item():.6g}."
        for mistake, variant in variants.items():
            if abs(value.item() - variant.item()) <= 1e-6 * max(abs(variant.item()), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _EXPECTED_ERROR_HINT)
    yellow, blue = _square_colours()
    colours, halves = torch.stack((yellow, blue)), torch.tensor([0.5, 0.5], dtype=torch.float64)
    grey = _expected_error((yellow + blue) / 2, colours, halves).item()
    vivid = _expected_error(yellow, colours, halves).item()
    return (
        f"for a 50/50 yellow-or-blue square, guessing grey costs {grey:.0f} on average, guessing yellow "
        f"{vivid:.0f} ({vivid / grey:.1f}x as much): squared error punishes a confident wrong colour hard."
    )

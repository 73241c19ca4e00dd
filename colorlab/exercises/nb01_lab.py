"""Exercise checks for notebook 01: the Lab colour space."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from colorlab import color
from colorlab.exercises._core import (
    NotYet,
    _as_float64_tensor,
    _call_student,
    _require_function,
    register,
)


_SRGB_STEPS = (
    "The curve has two pieces, a straight line for the darkest values and a power law for the rest: "
    "decide for every value which piece applies.",
    "Compute both pieces for the whole tensor, then let torch.where(condition, if_true, if_false) keep one "
    "of them element by element; the condition compares each value with the branch point.",
    "The condition is `value <= 0.04045`; the two pieces are written in the formula above the exercise, "
    "one as a division, the other as shift, divide, then power 2.4.",
)
_SRGB_KEY = ("rgb <= 0.04045, rgb / 12.92", "((rgb + 0.055) / 1.055) ** 2.4")


def _srgb_test_values() -> torch.Tensor:
    """1-D float64: a fine sweep of [0, 1] plus values on both sides of the 0.04045 branch point."""
    sweep = torch.linspace(0.0, 1.0, 1001, dtype=torch.float64)
    edges = torch.tensor([0.04, 0.04045, 0.0405, 0.041, 1e-6, 0.999999], dtype=torch.float64)
    return torch.cat((sweep, edges))


@register("srgb_to_linear", steps=_SRGB_STEPS, key=_SRGB_KEY)
def check_srgb_to_linear(fn: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``srgb_to_linear(rgb) -> linear`` against :func:`colorlab.color.srgb_to_linear`.

    ``fn`` receives float64 tensors of any shape with values in ``[0, 1]`` and must return linear
    light values of the same shape, within ``1e-6``, without modifying its input.
    """
    name = "srgb_to_linear"
    _require_function(fn, name)
    values = _srgb_test_values()
    given = values.clone()
    result = _as_float64_tensor(_call_student(fn, name, given), name, values.shape)
    if not torch.equal(given, values):
        raise NotYet(
            f"`{name}` modified its input tensor in place.", "Compute a new tensor instead of assigning into `rgb`."
        )
    expected = color.srgb_to_linear(values)
    wrong = (result - expected).abs() > 1e-6
    if wrong.any():
        low = values <= 0.04045
        first = int(wrong.nonzero()[0])
        problem = (
            f"{int(wrong.sum())} of {len(values)} values are off, e.g. srgb_to_linear({values[first].item():.5g}) "
            f"gave {result[first].item():.6g}, expected {expected[first].item():.6g}."
        )
        if torch.allclose(result, values):
            hint = "You returned the input unchanged: the values must go through the curve."
        elif torch.allclose(result, values**2.2, atol=1e-6):
            hint = "x ** 2.2 is the popular approximation, but sRGB has two pieces: look at the formula again."
        elif not wrong[low].any():
            hint = "The small values are right; check the power piece (shift, divide, then the power)."
        elif not wrong[~low].any():
            hint = "The large values are right; check the straight piece used up to the branch point."
        else:
            hint = None
        raise NotYet(problem, hint)
    # the same function must work on an image-shaped tensor
    image = values[:48].reshape(3, 4, 4)
    image_result = _as_float64_tensor(_call_student(fn, name, image.clone()), name, image.shape)
    if not torch.allclose(image_result, color.srgb_to_linear(image), atol=1e-6, rtol=0.0):
        raise NotYet(
            f"`{name}` is right on a 1-D tensor but not on a (3, H, W) image.",
            "Avoid loops and indexing that assume one dimension: work element by element on the whole tensor.",
        )
    half = color.srgb_to_linear(torch.tensor(0.5, dtype=torch.float64)).item()
    return (
        f"`{name}` matches colorlab.color.srgb_to_linear on {len(values)} values, branch point included. "
        f"Note that sRGB 0.5 is only {half:.1%} of the light of white."
    )


#: question -> (sRGB colour, what to predict: "L", "sign of a" or "sign of b", hint).
LAB_QUESTIONS: dict[str, tuple[tuple[float, float, float], str, str]] = {
    "L of white": ((1.0, 1.0, 1.0), "L", "L is lightness on a 0 to 100 scale: where is the brightest white?"),
    "L of black": ((0.0, 0.0, 0.0), "L", "L is lightness on a 0 to 100 scale: where is no light at all?"),
    "sign of a for red": ((1.0, 0.0, 0.0), "sign of a", "a runs from green to red: which end is red?"),
    "sign of a for green": ((0.0, 1.0, 0.0), "sign of a", "a runs from green to red: which end is green?"),
    "sign of b for blue": ((0.0, 0.0, 1.0), "sign of b", "b runs from blue to yellow: which end is blue?"),
    "sign of b for yellow": ((1.0, 1.0, 0.0), "sign of b", "b runs from blue to yellow: which end is yellow?"),
}
_L_TOLERANCE = 1.0
_SIGN_WORDS = {"+": 1, "positive": 1, "pos": 1, "-": -1, "negative": -1, "neg": -1}


def _reference_lab(rgb: tuple[float, float, float]) -> torch.Tensor:
    return color.rgb_to_lab(torch.tensor(rgb, dtype=torch.float64).view(3, 1, 1)).flatten()


def _read_sign(answer: Any) -> int | None:
    """+1 / -1 from "+", "-", "positive", "negative" or a nonzero number; None when unreadable."""
    if isinstance(answer, str):
        return _SIGN_WORDS.get(answer.strip().lower())
    if isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool) and answer != 0:
        return 1 if answer > 0 else -1
    return None


_LAB_STEPS = (
    "Think of what each number measures: L is a lightness, a and b are two opponent colour axes.",
    "L runs from no light at all to the reference white; a runs from green to red, b from blue to yellow.",
)
_LAB_KEY = ('"L of white": 100', '"L of black": 0')


@register("lab_of_colours", steps=_LAB_STEPS, key=_LAB_KEY)
def check_lab_of_colours(answers: Mapping[str, Any]) -> str:
    """Check predictions about the Lab values of a few colours (keys of :data:`LAB_QUESTIONS`).

    ``answers`` maps each question to a number (for ``"L of ..."``, within ``±1`` of the truth) or
    a sign (for ``"sign of ..."``: ``"+"``, ``"-"``, ``"positive"``, ``"negative"``, or a
    nonzero number). Values still ``None`` count as not answered yet.
    """
    if answers is None:
        raise NotYet("`lab_answers` is still None.", "Make it a dict with one entry per question.")
    if not isinstance(answers, Mapping):
        raise NotYet(
            f"`lab_answers` should be a dict, got a {type(answers).__name__}.", 'Use {"L of white": ..., ...}.'
        )
    missing = [question for question in LAB_QUESTIONS if answers.get(question) is None]
    if missing:
        raise NotYet(f"no answer yet for: {', '.join(missing)}: replace every None with your prediction.", None)
    problems, hints = [], []
    for question, (rgb, quantity, hint) in LAB_QUESTIONS.items():
        lab = _reference_lab(rgb)
        answer = answers[question]
        if quantity == "L":
            if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
                problems.append(f"{question}: expected a number, got {answer!r}")
                hints.append(hint)
            elif abs(float(answer) - lab[0].item()) > _L_TOLERANCE:
                problems.append(f"{question}: {answer} is not right")
                hints.append(hint)
        else:
            sign = _read_sign(answer)
            truth = 1 if lab[1 if quantity == "sign of a" else 2].item() > 0 else -1
            if sign is None:
                problems.append(f"{question}: write \"+\" or \"-\", got {answer!r}")
                hints.append(hint)
            elif sign != truth:
                problems.append(f"{question}: {answer!r} is the wrong sign")
                hints.append(hint)
    if problems:
        raise NotYet(f"{len(problems)} of {len(LAB_QUESTIONS)} wrong: " + "; ".join(problems) + ".", " ".join(hints))
    grey = _reference_lab((0.5, 0.5, 0.5))
    return (
        f"all {len(LAB_QUESTIONS)} predictions are right. Bonus: sRGB mid-grey (0.5, 0.5, 0.5) has "
        f"L = {grey[0].item():.1f}, not 50: L follows perceived lightness, not the stored number."
    )


_REMOVE_COLOUR_STEPS = (
    "A grey photo keeps the lightness of every pixel and drops its colour: go to Lab, change only the "
    "colour part, come back to RGB.",
    "color.rgb_to_l_ab splits the image into l (1, H, W) and ab (2, H, W). Which a and b mean 'no colour' "
    "(see section 6)?",
    "Build an ab tensor of that value with the shape of ab, and merge it with l using color.l_ab_to_rgb.",
)
_REMOVE_COLOUR_KEY = ("torch.zeros_like(ab)",)
_REMOVE_COLOUR_SHAPE_HINT = (
    "Return an RGB image of the input's shape (3, H, W): color.l_ab_to_rgb(l, ab) builds one from "
    "l (1, H, W) and ab (2, H, W)."
)


def _remove_colour_test_image() -> torch.Tensor:
    """(3, 4, 8) float64: the 8 corners of the RGB cube, mid-grey and random colours."""
    corners = torch.tensor(
        [[r, g, b] for r in (0.0, 1.0) for g in (0.0, 1.0) for b in (0.0, 1.0)], dtype=torch.float64
    )
    generator = torch.Generator().manual_seed(0)
    random = torch.rand((23, 3), generator=generator, dtype=torch.float64)
    pixels = torch.cat((corners, torch.full((1, 3), 0.5, dtype=torch.float64), random))  # 32 pixels
    return pixels.T.reshape(3, 4, 8).contiguous()


@register("remove_colour", steps=_REMOVE_COLOUR_STEPS, key=_REMOVE_COLOUR_KEY)
def check_remove_colour(fn: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``remove_colour(rgb) -> grey rgb``: keep L, set ``a = b = 0``.

    ``fn`` receives a ``(3, H, W)`` float64 image in ``[0, 1]`` and must return ``(3, H, W)``
    equal to ``l_ab_to_rgb(l, 0)`` within ``1e-3``, without modifying its input.
    """
    name = "remove_colour"
    _require_function(fn, name)
    rgb = _remove_colour_test_image()
    given = rgb.clone()
    result = _as_float64_tensor(_call_student(fn, name, given), name, rgb.shape, shape_hint=_REMOVE_COLOUR_SHAPE_HINT)
    if not torch.equal(given, rgb):
        raise NotYet(
            f"`{name}` modified its input image in place.", "Build a new tensor instead of assigning into `rgb`."
        )
    l, ab = color.rgb_to_l_ab(rgb)  # noqa: E741
    expected = color.l_ab_to_rgb(l, torch.zeros_like(ab))
    error = (result - expected).abs().max().item()
    if error > 1e-3:
        problem = f"the result differs from the reference by up to {error:.3g}."
        spread = (result.amax(dim=0) - result.amin(dim=0)).max().item()
        if spread > 1e-3:
            hint = f"A grey pixel has R = G = B, but yours differ by up to {spread:.3g}: some colour is left."
        elif torch.allclose(result, rgb.mean(dim=0, keepdim=True).expand_as(rgb), atol=1e-3):
            hint = "The plain mean of R, G, B is not the perceived lightness (green looks much brighter than blue): "
            hint += "keep Lab's L instead."
        else:
            hint = "Keep the lightness L of every pixel exactly; change only a and b."
        raise NotYet(problem, hint)
    return (
        f"`{name}` keeps L and sets a = b = 0 (max difference {error:.1e}): "
        "this is the input a colorization model sees."
    )

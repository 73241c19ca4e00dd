"""Exercise checks for notebook 02: normalization and data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from colorlab import color
from colorlab.exercises._core import (
    NotYet,
    _as_tensor_pair,
    _call_student,
    _close,
    _require_function,
    _square_colours,
    register,
)


_PIX2PIX_STEPS = (
    "Normalizing is a straight-line map from one range to another; the inverse undoes the same steps in "
    "reverse order.",
    "For L: which number must go to -1, which to 0 and which to 1? Write the map as a scale and a shift. "
    "ab only needs a scale, the same in both schemes.",
    "The pix2pix row of the table in section 1 gives both maps; for the inverse, undo the shift first, "
    "then the scale.",
)
_PIX2PIX_KEY = ("l / 50 - 1", "(l_norm + 1) * 50")


def _lab_test_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """``l (2, 1, 4, 5)`` float64 in ``[0, 100]`` with 0, 50 and 100; ``ab (2, 2, 4, 5)`` in ``[-110, 110]`` with 0 and ±110."""
    generator = torch.Generator().manual_seed(2)
    l = torch.rand((2, 1, 4, 5), generator=generator, dtype=torch.float64) * 100.0  # noqa: E741
    l.view(-1)[:3] = torch.tensor([0.0, 50.0, 100.0], dtype=torch.float64)
    ab = (torch.rand((2, 2, 4, 5), generator=generator, dtype=torch.float64) * 2.0 - 1.0) * 110.0
    ab.view(-1)[:3] = torch.tensor([0.0, 110.0, -110.0], dtype=torch.float64)
    return l, ab


@register("pix2pix_scheme", steps=_PIX2PIX_STEPS, key=_PIX2PIX_KEY)
def check_pix2pix_scheme(functions: Any) -> str:
    """Check a student pair ``(normalize_pix2pix, denormalize_pix2pix)`` against :mod:`colorlab.color`.

    ``normalize_pix2pix(l, ab) -> (l_norm, ab_norm)`` receives ``l (N, 1, H, W)`` in ``[0, 100]`` and
    ``ab (N, 2, H, W)`` in Lab units (float64) and must match
    ``color.normalize_lab(l, ab, "pix2pix")`` within ``1e-6``; ``denormalize_pix2pix(l_norm, ab_norm)
    -> (l, ab)`` must invert it (round trip within ``1e-6``). Neither may modify its inputs.
    """
    if functions is None or not isinstance(functions, (tuple, list)) or len(functions) != 2:
        raise NotYet(
            "the answer should be the pair (normalize_pix2pix, denormalize_pix2pix).",
            "Call the check with both functions: check_pix2pix_scheme((normalize_pix2pix, denormalize_pix2pix)).",
        )
    normalize, denormalize = functions
    _require_function(normalize, "normalize_pix2pix")
    _require_function(denormalize, "denormalize_pix2pix")
    l, ab = _lab_test_batch()  # noqa: E741
    l_given, ab_given = l.clone(), ab.clone()
    result = _call_student(normalize, "normalize_pix2pix", l_given, ab_given, hint=None)
    l_norm, ab_norm = _as_tensor_pair(result, "normalize_pix2pix", (l.shape, ab.shape), "(l_norm, ab_norm)")
    if not (torch.equal(l_given, l) and torch.equal(ab_given, ab)):
        raise NotYet("`normalize_pix2pix` modified its input tensors in place.", "Compute new tensors instead.")
    l_expected, ab_expected = color.normalize_lab(l, ab, "pix2pix")
    if not _close(l_norm, l_expected):
        if _close(l_norm, color.normalize_l_zhang(l)):
            hint = "That is the zhang scheme, in [-0.5, 0.5]. pix2pix uses all of [-1, 1]: L = 0 -> -1, 100 -> 1."
        elif _close(l_norm, l / 100.0):
            hint = "That lies in [0, 1]; pix2pix also centres it on 0 and stretches it to [-1, 1]."
        elif _close(l_norm, l):
            hint = "L came back unchanged: it must be scaled and shifted too."
        else:
            hint = None
        raise NotYet(
            f"l_norm is off: L = 0, 50, 100 gave {[round(v, 4) for v in l_norm.flatten()[:3].tolist()]}, "
            f"expected {[round(v, 4) for v in l_expected.flatten()[:3].tolist()]}.",
            hint,
        )
    if not _close(ab_norm, ab_expected):
        if _close(ab_norm, ab / 128.0):
            hint = "colorlab divides ab by 110 in both schemes (the sRGB gamut fits in ±110), not 128: color.normalize_ab."
        elif _close(ab_norm, ab):
            hint = "ab came back unchanged: it must be scaled to about [-1, 1] too."
        else:
            hint = None
        raise NotYet(
            f"ab_norm is off: ab = 0, 110, -110 gave {[round(v, 4) for v in ab_norm.flatten()[:3].tolist()]}, "
            f"expected {[round(v, 4) for v in ab_expected.flatten()[:3].tolist()]}.",
            hint,
        )
    # the inverse, fed the reference normalized values
    l_norm_given, ab_norm_given = l_expected.clone(), ab_expected.clone()
    result = _call_student(denormalize, "denormalize_pix2pix", l_norm_given, ab_norm_given, hint=None)
    l_back, ab_back = _as_tensor_pair(result, "denormalize_pix2pix", (l.shape, ab.shape), "(l, ab)")
    if not (torch.equal(l_norm_given, l_expected) and torch.equal(ab_norm_given, ab_expected)):
        raise NotYet("`denormalize_pix2pix` modified its input tensors in place.", "Compute new tensors instead.")
    if not _close(l_back, l, atol=1e-4):
        if _close(l_back, color.denormalize_l_zhang(l_expected), atol=1e-4):
            hint = "That is the zhang inverse; invert the pix2pix map instead (-1 -> 0, 1 -> 100)."
        else:
            hint = None
        raise NotYet(f"the round trip changes L by up to {(l_back - l).abs().max().item():.3g}.", hint)
    if not _close(ab_back, ab, atol=1e-4):
        if _close(ab_back, ab_expected):
            hint = "ab came back still normalized, in [-1, 1]: as Lab units that is an almost grey image. Multiply by 110."
        else:
            hint = "Undo the division of ab to get Lab units back."
        raise NotYet(f"the round trip changes ab by up to {(ab_back - ab).abs().max().item():.3g}.", hint)
    return "normalize_pix2pix matches colorlab (L 0, 50, 100 -> -1, 0, 1) and denormalize_pix2pix undoes it exactly."


def _encode_ab01(ab: torch.Tensor) -> torch.Tensor:
    """The [0, 1] encoding of notebook 02's tint bug: ``ab / 220 + 0.5`` (ab in ``[-110, 110]`` -> ``[0, 1]``)."""
    return color.normalize_ab(ab) / 2.0 + 0.5


#: question -> (the true (a, b) of the pixel, index of the decoded channel asked for: 0 for a, 1 for b).
TINT_QUESTIONS: dict[str, tuple[tuple[float, float], int]] = {
    "a of a grey pixel": ((0.0, 0.0), 0),
    "b of a grey pixel": ((0.0, 0.0), 1),
    "a of a pixel with a = 60, b = 0": ((60.0, 0.0), 0),
}
_TINT_TOLERANCE = 1.0
_TINT_HINT = "Go step by step: the stored value is a / 220 + 0.5, and the viewer multiplies it by 110."
_TINT_STEPS = (
    "Follow one number through the bug: what is stored for it, and what does the viewer make of what is stored?",
    _TINT_HINT,
)
_TINT_KEY = ('"a of a grey pixel": 55', "ab / 2 + 55")


def _decoded_wrongly(a: float, b: float) -> torch.Tensor:
    ab = torch.tensor([a, b], dtype=torch.float64).view(2, 1, 1)
    return color.denormalize_ab(_encode_ab01(ab)).flatten()


@register("tint_offset", steps=_TINT_STEPS, key=_TINT_KEY)
def check_tint_offset(answers: Mapping[str, Any]) -> str:
    """Check predictions of what the tint bug of notebook 02 does to a few pixels.

    The bug: ab is stored as ``ab / 220 + 0.5`` (in ``[0, 1]``, for a sigmoid output) and decoded
    with :func:`colorlab.color.denormalize_ab` (``x 110``), as if it were ``ab / 110``. ``answers``
    maps each question of :data:`TINT_QUESTIONS` to the decoded value (Lab units, within ``±1``).
    """
    if answers is None:
        raise NotYet("`tint_answers` is still None.", "Make it a dict with one number per question.")
    if not isinstance(answers, Mapping):
        raise NotYet(f"`tint_answers` should be a dict, got a {type(answers).__name__}.", 'Use {"a of a grey pixel": ..., ...}.')
    missing = [question for question in TINT_QUESTIONS if answers.get(question) is None]
    if missing:
        raise NotYet(f"no answer yet for: {', '.join(missing)}: replace every None with a number.")
    problems, hints = [], []
    for question, ((a, b), channel) in TINT_QUESTIONS.items():
        answer = answers[question]
        expected = _decoded_wrongly(a, b)[channel].item()
        true_value = (a, b)[channel]
        if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
            problems.append(f"{question}: expected a number, got {answer!r}")
        elif abs(float(answer) - expected) > _TINT_TOLERANCE:
            problems.append(f"{question}: {answer} is not right")
            if abs(float(answer) - true_value) <= _TINT_TOLERANCE:
                hints.append(f"{answer} is the true value; the bug changes it.")
            elif abs(float(answer) + expected) <= _TINT_TOLERANCE:
                hints.append("Right size, wrong sign: the stored value is never negative, so neither is what x 110 makes of it.")
            elif abs(float(answer) - (true_value + _decoded_wrongly(0.0, 0.0)[channel].item())) <= _TINT_TOLERANCE:
                hints.append("You added the offset to the true value, but the colour itself is scaled too: "
                             "/ 220 on the way in, x 110 on the way out.")
    if problems:
        unique_hints = list(dict.fromkeys(hints))
        raise NotYet(f"{len(problems)} of {len(TINT_QUESTIONS)} wrong: " + "; ".join(problems) + ".", " ".join(unique_hints) or None)
    offset = _decoded_wrongly(0.0, 0.0)
    scale = (_decoded_wrongly(60.0, 0.0)[0].item() - offset[0].item()) / 60.0
    return (
        f"the wrong decoder turns (a, b) into ({scale:g} a + {offset[0].item():g}, {scale:g} b + {offset[1].item():g}): "
        f"colours are halved and every pixel moves by +{offset[0].item():g} in a (red) and b (yellow), the orange tint."
    )


_SQUARE_STEPS = (
    "Which single guess makes the *average* squared error smallest when the truth is sometimes one colour, "
    "sometimes the other? Think of what squared error does to a far-off guess.",
    "Under squared error the best constant is the mean of the possible colours, each weighted by how often "
    "it occurs. How often is a square blue when ambiguity = 0.5?",
    "A square is blue with probability ambiguity / 2 and yellow otherwise: weight each colour's (a, b) by "
    "its probability and add.",
)
_SQUARE_KEY = ("(1 - p_blue) * yellow_lab[1] + p_blue * blue_lab[1]",)
#: The ambiguity the exercise asks about.
SQUARE_AMBIGUITY = 0.5


def _square_mean(ambiguity: float) -> torch.Tensor:
    """Mean ab of a square when it is blue with probability ``ambiguity / 2``."""
    yellow, blue = _square_colours()
    p_blue = ambiguity / 2.0
    return (1.0 - p_blue) * yellow + p_blue * blue


@register("ambiguous_square", steps=_SQUARE_STEPS, key=_SQUARE_KEY)
def check_ambiguous_square(answer: Mapping[str, Any]) -> str:
    """Check the best constant ab guess, under squared error, for the squares of ``SyntheticScenes(ambiguity=0.5)``.

    ``answer`` is ``{"a": number, "b": number}`` in Lab units; correct within ``±1`` of the
    probability-weighted mean of the two square colours (blue has probability ``ambiguity / 2``).
    """
    if answer is None:
        raise NotYet("`square_guess` is still None.", 'Make it a dict {"a": ..., "b": ...}.')
    if not isinstance(answer, Mapping):
        raise NotYet(f"`square_guess` should be a dict, got a {type(answer).__name__}.", 'Use {"a": ..., "b": ...}.')
    values = [answer.get(key) for key in ("a", "b")]
    if any(value is None for value in values):
        raise NotYet("`square_guess` needs a number for both \"a\" and \"b\": replace every None with a number.")
    if any(isinstance(value, bool) or not isinstance(value, (int, float, np.number)) for value in values):
        raise NotYet(f"`square_guess` should hold numbers, got {values!r}.", "Give a and b as numbers, in Lab units.")
    guess = torch.tensor([float(value) for value in values], dtype=torch.float64)
    expected = _square_mean(SQUARE_AMBIGUITY)
    if (guess - expected).abs().max().item() > 1.0:
        problem = f"(a, b) = ({values[0]}, {values[1]}) is not the best guess."
        yellow, _ = _square_colours()
        if (guess - _square_mean(1.0)).abs().max().item() <= 1.0:
            hint = "That is the answer for ambiguity = 1 (a 50/50 coin). At 0.5, blue has probability 0.5 / 2 = 0.25."
        elif (guess - yellow).abs().max().item() <= 1.0:
            hint = "That is the most likely colour, what a classifier's mode would pick; squared error prefers the mean."
        elif (guess - _square_mean(2.0 - SQUARE_AMBIGUITY)).abs().max().item() <= 1.0:
            hint = "You swapped the probabilities: yellow is the more likely colour (0.75)."
        else:
            hint = None
        raise NotYet(problem, hint)
    return (
        f"the best constant guess is ({expected[0].item():g}, {expected[1].item():g}): a dull mustard, "
        f"chroma {expected.norm().item():.1f} instead of the real {_square_mean(0.0).norm().item():.1f}. "
        "A regression model pays for ambiguity with washed-out colour."
    )

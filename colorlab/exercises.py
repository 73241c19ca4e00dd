"""Automatic checks for the notebook exercises.

One small mechanism for the whole kit. Each exercise has a check function, registered in
:data:`CHECKS` under a short name with :func:`register`. A check tests the student's function or
value against the colorlab / skimage reference, prints a friendly verdict and returns a bool, so a
notebook's check cell reads::

    assert exercises.check_srgb_to_linear(srgb_to_linear)

- pass: prints ``✅ Correct! ...`` and returns True;
- not yet: prints ``❌ Not yet: <what is wrong>`` and ``Hint: ...`` and returns False. This covers
  a value still ``None`` or a function still raising ``NotImplementedError`` (the stubs of the
  student copy), a function that raises anything else (reported with its message, never a
  traceback), and wrong results (with a hint specific to the usual mistakes where one is known).

Later notebooks add their own checks in this module with ``@register("name")``; :func:`check`
runs one by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from colorlab import color
from colorlab.io import ColorlabError

__all__ = [
    "CHECKS",
    "NotYet",
    "register",
    "check",
    "check_srgb_to_linear",
    "LAB_QUESTIONS",
    "check_lab_of_colours",
    "check_remove_colour",
    "check_pix2pix_scheme",
    "TINT_QUESTIONS",
    "check_tint_offset",
    "SQUARE_AMBIGUITY",
    "check_ambiguous_square",
    "RECEPTIVE_FIELD_STACKS",
    "check_receptive_field",
    "check_pix2pix_generator_loss",
    "check_best_constant_ab",
    "check_expected_squared_error",
]

#: exercise name -> check function (one argument: the student's function or answer; returns bool).
CHECKS: dict[str, Callable[[Any], bool]] = {}


class NotYet(Exception):
    """Raised inside a check to report a wrong or missing answer: ``NotYet(problem, hint)``."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


def _report_pass(message: str) -> bool:
    print(f"✅ Correct! {message}")
    return True


def _report_not_yet(problem: str, hint: str) -> bool:
    print(f"❌ Not yet: {problem}")
    if hint:
        print(f"   Hint: {hint}")
    return False


def register(name: str) -> Callable[[Callable[[Any], str]], Callable[[Any], bool]]:
    """Decorator: turn ``fn(answer) -> success message`` into a check and add it to :data:`CHECKS`.

    The decorated function raises :class:`NotYet` for a wrong or missing answer and returns the
    message to print on success. The resulting check prints the verdict and returns True/False.
    """

    def decorate(body: Callable[[Any], str]) -> Callable[[Any], bool]:
        if name in CHECKS:
            raise ValueError(f"an exercise check named {name!r} is already registered")

        @functools.wraps(body)
        def run_check(answer: Any) -> bool:
            try:
                message = body(answer)
            except NotYet as feedback:
                return _report_not_yet(feedback.problem, feedback.hint)
            return _report_pass(message)

        run_check.__annotations__ = {**body.__annotations__, "return": "bool"}
        CHECKS[name] = run_check
        return run_check

    return decorate


def check(name: str, answer: Any) -> bool:
    """Run the check registered as ``name`` on ``answer``; True when correct (see the module docstring)."""
    if name not in CHECKS:
        raise ColorlabError(f"no exercise check named {name!r}; known: {', '.join(sorted(CHECKS))}")
    return CHECKS[name](answer)


def _require_function(fn: Any, name: str) -> None:
    if fn is None:
        raise NotYet(
            f"`{name}` is still None.", f"Define `{name}` as a function in the exercise cell, then re-run it."
        )
    if not callable(fn):
        raise NotYet(f"`{name}` should be a function, got a {type(fn).__name__}.", f"Write `def {name}(...):`.")


def _call_student(fn: Callable[..., Any], name: str, *args: Any, hint: str) -> Any:
    """Call the student's ``fn``; turn any exception into :class:`NotYet` (no traceback in the notebook)."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotYet(
            f"`{name}` still raises NotImplementedError.", f"Replace the `raise` line with your code. {hint}"
        ) from None
    except Exception as error:  # noqa: BLE001 - any student error becomes a hint, never a traceback
        raise NotYet(f"`{name}` raised {type(error).__name__}: {error}", hint) from None


def _as_float64_tensor(result: Any, name: str, expected_shape: torch.Size) -> torch.Tensor:
    """The student's result as a float64 tensor of ``expected_shape``, else :class:`NotYet`."""
    try:
        if isinstance(result, torch.Tensor):
            tensor = result.detach().cpu()
        else:
            tensor = torch.as_tensor(np.asarray(result))
    except (TypeError, ValueError, RuntimeError):
        tensor = None
    if tensor is None or tensor.dtype == torch.bool or tensor.is_complex():
        raise NotYet(
            f"`{name}` returned a {type(result).__name__}, not an array of real numbers.",
            "Return a torch tensor (or numpy array) of floats with the same shape as the input.",
        )
    if tensor.shape != expected_shape:
        raise NotYet(
            f"`{name}` returned shape {tuple(tensor.shape)}, expected {tuple(expected_shape)}.",
            "Work element by element (torch.where, arithmetic) so the output has the input's shape.",
        )
    return tensor.to(torch.float64)


# --- notebook 01: the Lab colour space --------------------------------------------------------

_SRGB_HINT = (
    "Values up to 0.04045 are divided by 12.92; larger values c become ((c + 0.055) / 1.055) ** 2.4. "
    "torch.where(condition, if_true, if_false) picks between the two element by element."
)


def _srgb_test_values() -> torch.Tensor:
    """1-D float64: a fine sweep of [0, 1] plus values on both sides of the 0.04045 branch point."""
    sweep = torch.linspace(0.0, 1.0, 1001, dtype=torch.float64)
    edges = torch.tensor([0.04, 0.04045, 0.0405, 0.041, 1e-6, 0.999999], dtype=torch.float64)
    return torch.cat((sweep, edges))


@register("srgb_to_linear")
def check_srgb_to_linear(fn: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``srgb_to_linear(rgb) -> linear`` against :func:`colorlab.color.srgb_to_linear`.

    ``fn`` receives float64 tensors of any shape with values in ``[0, 1]`` and must return linear
    light values of the same shape, within ``1e-6``, without modifying its input.
    """
    name = "srgb_to_linear"
    _require_function(fn, name)
    values = _srgb_test_values()
    given = values.clone()
    result = _as_float64_tensor(_call_student(fn, name, given, hint=_SRGB_HINT), name, values.shape)
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
            hint = "You returned the input unchanged. " + _SRGB_HINT
        elif torch.allclose(result, values**2.2, atol=1e-6):
            hint = "x ** 2.2 is the popular approximation, but sRGB has two pieces. " + _SRGB_HINT
        elif not wrong[low].any():
            hint = "The small values are right; check the power piece: ((c + 0.055) / 1.055) ** 2.4."
        elif not wrong[~low].any():
            hint = "The large values are right; check the linear piece for c <= 0.04045: c / 12.92."
        else:
            hint = _SRGB_HINT
        raise NotYet(problem, hint)
    # the same function must work on an image-shaped tensor
    image = values[:48].reshape(3, 4, 4)
    image_result = _as_float64_tensor(_call_student(fn, name, image.clone(), hint=_SRGB_HINT), name, image.shape)
    if not torch.allclose(image_result, color.srgb_to_linear(image), atol=1e-6, rtol=0.0):
        raise NotYet(f"`{name}` is right on a 1-D tensor but not on a (3, H, W) image.", _SRGB_HINT)
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


@register("lab_of_colours")
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
        raise NotYet(f"no answer yet for: {', '.join(missing)}.", "Replace every None with your prediction.")
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


_REMOVE_COLOUR_HINT = (
    "Split the image with color.rgb_to_l_ab, replace ab by zeros (torch.zeros_like), "
    "and merge back with color.l_ab_to_rgb."
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


@register("remove_colour")
def check_remove_colour(fn: Callable[[torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``remove_colour(rgb) -> grey rgb``: keep L, set ``a = b = 0``.

    ``fn`` receives a ``(3, H, W)`` float64 image in ``[0, 1]`` and must return ``(3, H, W)``
    equal to ``l_ab_to_rgb(l, 0)`` within ``1e-3``, without modifying its input.
    """
    name = "remove_colour"
    _require_function(fn, name)
    rgb = _remove_colour_test_image()
    given = rgb.clone()
    result = _as_float64_tensor(_call_student(fn, name, given, hint=_REMOVE_COLOUR_HINT), name, rgb.shape)
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
            hint = f"A grey pixel has R = G = B, but yours differ by up to {spread:.3g}. " + _REMOVE_COLOUR_HINT
        elif torch.allclose(result, rgb.mean(dim=0, keepdim=True).expand_as(rgb), atol=1e-3):
            hint = "The plain mean of R, G, B is not the perceived lightness (green looks much brighter than blue). "
            hint += _REMOVE_COLOUR_HINT
        else:
            hint = "Keep the lightness L of every pixel exactly. " + _REMOVE_COLOUR_HINT
        raise NotYet(problem, hint)
    return (
        f"`{name}` keeps L and sets a = b = 0 (max difference {error:.1e}): "
        "this is the input a colorization model sees."
    )


# --- notebook 02: normalization and data ------------------------------------------------------

_PIX2PIX_HINT = (
    "See the table in section 1: pix2pix maps L in [0, 100] linearly onto [-1, 1] (0 -> -1, 100 -> 1) and "
    "divides ab by 110; the inverse undoes the same steps in reverse order."
)


def _lab_test_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """``l (2, 1, 4, 5)`` float64 in ``[0, 100]`` with 0, 50 and 100; ``ab (2, 2, 4, 5)`` in ``[-110, 110]`` with 0 and ±110."""
    generator = torch.Generator().manual_seed(2)
    l = torch.rand((2, 1, 4, 5), generator=generator, dtype=torch.float64) * 100.0  # noqa: E741
    l.view(-1)[:3] = torch.tensor([0.0, 50.0, 100.0], dtype=torch.float64)
    ab = (torch.rand((2, 2, 4, 5), generator=generator, dtype=torch.float64) * 2.0 - 1.0) * 110.0
    ab.view(-1)[:3] = torch.tensor([0.0, 110.0, -110.0], dtype=torch.float64)
    return l, ab


def _as_tensor_pair(result: Any, name: str, shapes: tuple[torch.Size, torch.Size], what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise NotYet(f"`{name}` should return a pair {what}, got a {type(result).__name__}.", f"End with `return {what[1:-1]}`.")
    return _as_float64_tensor(result[0], name, shapes[0]), _as_float64_tensor(result[1], name, shapes[1])


def _close(result: torch.Tensor, expected: torch.Tensor, atol: float = 1e-6) -> bool:
    return bool(torch.allclose(result, expected, atol=atol, rtol=0.0))


@register("pix2pix_scheme")
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
    result = _call_student(normalize, "normalize_pix2pix", l_given, ab_given, hint=_PIX2PIX_HINT)
    l_norm, ab_norm = _as_tensor_pair(result, "normalize_pix2pix", (l.shape, ab.shape), "(l_norm, ab_norm)")
    if not (torch.equal(l_given, l) and torch.equal(ab_given, ab)):
        raise NotYet("`normalize_pix2pix` modified its input tensors in place.", "Compute new tensors instead.")
    l_expected, ab_expected = color.normalize_lab(l, ab, "pix2pix")
    if not _close(l_norm, l_expected):
        if _close(l_norm, color.normalize_l_zhang(l)):
            hint = "That is the zhang scheme, (L - 50) / 100 in [-0.5, 0.5]. pix2pix uses all of [-1, 1]: L / 50 - 1."
        elif _close(l_norm, l / 100.0):
            hint = "L / 100 lies in [0, 1]; pix2pix centres it on 0 and stretches it to [-1, 1]: L / 50 - 1."
        elif _close(l_norm, l):
            hint = "L came back unchanged: it must be scaled too. " + _PIX2PIX_HINT
        else:
            hint = _PIX2PIX_HINT
        raise NotYet(
            f"l_norm is off: L = 0, 50, 100 gave {[round(v, 4) for v in l_norm.flatten()[:3].tolist()]}, "
            f"expected {[round(v, 4) for v in l_expected.flatten()[:3].tolist()]}.",
            hint,
        )
    if not _close(ab_norm, ab_expected):
        if _close(ab_norm, ab / 128.0):
            hint = "colorlab divides ab by 110 in both schemes (the sRGB gamut fits in ±110), not 128: color.normalize_ab."
        elif _close(ab_norm, ab):
            hint = "ab came back unchanged: it must be scaled to about [-1, 1] too. " + _PIX2PIX_HINT
        else:
            hint = _PIX2PIX_HINT
        raise NotYet(
            f"ab_norm is off: ab = 0, 110, -110 gave {[round(v, 4) for v in ab_norm.flatten()[:3].tolist()]}, "
            f"expected {[round(v, 4) for v in ab_expected.flatten()[:3].tolist()]}.",
            hint,
        )
    # the inverse, fed the reference normalized values
    l_norm_given, ab_norm_given = l_expected.clone(), ab_expected.clone()
    result = _call_student(denormalize, "denormalize_pix2pix", l_norm_given, ab_norm_given, hint=_PIX2PIX_HINT)
    l_back, ab_back = _as_tensor_pair(result, "denormalize_pix2pix", (l.shape, ab.shape), "(l, ab)")
    if not (torch.equal(l_norm_given, l_expected) and torch.equal(ab_norm_given, ab_expected)):
        raise NotYet("`denormalize_pix2pix` modified its input tensors in place.", "Compute new tensors instead.")
    if not _close(l_back, l, atol=1e-4):
        if _close(l_back, color.denormalize_l_zhang(l_expected), atol=1e-4):
            hint = "That is the zhang inverse (l_norm * 100 + 50); invert L / 50 - 1 instead: (l_norm + 1) * 50."
        else:
            hint = "Undo the steps in reverse order: add 1, then multiply by 50."
        raise NotYet(f"the round trip changes L by up to {(l_back - l).abs().max().item():.3g}.", hint)
    if not _close(ab_back, ab, atol=1e-4):
        if _close(ab_back, ab_expected):
            hint = "ab came back still normalized, in [-1, 1]: as Lab units that is an almost grey image. Multiply by 110."
        else:
            hint = "ab_norm * 110 (color.denormalize_ab) gives Lab units back."
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


def _decoded_wrongly(a: float, b: float) -> torch.Tensor:
    ab = torch.tensor([a, b], dtype=torch.float64).view(2, 1, 1)
    return color.denormalize_ab(_encode_ab01(ab)).flatten()


@register("tint_offset")
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
        raise NotYet(f"no answer yet for: {', '.join(missing)}.", "Replace every None with a number.")
    problems, hints = [], []
    for question, ((a, b), channel) in TINT_QUESTIONS.items():
        answer = answers[question]
        expected = _decoded_wrongly(a, b)[channel].item()
        true_value = (a, b)[channel]
        if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
            problems.append(f"{question}: expected a number, got {answer!r}")
            hints.append(_TINT_HINT)
        elif abs(float(answer) - expected) > _TINT_TOLERANCE:
            problems.append(f"{question}: {answer} is not right")
            if abs(float(answer) - true_value) <= _TINT_TOLERANCE:
                hints.append(f"{answer} is the true value; the bug changes it. {_TINT_HINT}")
            elif abs(float(answer) + expected) <= _TINT_TOLERANCE:
                hints.append("Right size, wrong sign: the stored value is never negative, so neither is what x 110 makes of it.")
            elif abs(float(answer) - (true_value + _decoded_wrongly(0.0, 0.0)[channel].item())) <= _TINT_TOLERANCE:
                hints.append("You added the offset to the true value, but the colour itself is scaled too: "
                             "/ 220 on the way in, x 110 on the way out.")
            else:
                hints.append(_TINT_HINT)
    if problems:
        unique_hints = list(dict.fromkeys(hints))
        raise NotYet(f"{len(problems)} of {len(TINT_QUESTIONS)} wrong: " + "; ".join(problems) + ".", " ".join(unique_hints))
    offset = _decoded_wrongly(0.0, 0.0)
    scale = (_decoded_wrongly(60.0, 0.0)[0].item() - offset[0].item()) / 60.0
    return (
        f"the wrong decoder turns (a, b) into ({scale:g} a + {offset[0].item():g}, {scale:g} b + {offset[1].item():g}): "
        f"colours are halved and every pixel moves by +{offset[0].item():g} in a (red) and b (yellow), the orange tint."
    )


_SQUARE_HINT = (
    "The squared error E[(guess - ab)^2] is smallest when the guess is the mean E[ab]: each colour's ab "
    "weighted by its probability. A square is blue with probability ambiguity / 2."
)
#: The ambiguity the exercise asks about.
SQUARE_AMBIGUITY = 0.5


def _square_colours() -> tuple[torch.Tensor, torch.Tensor]:
    """The ab of the yellow and of the blue square of :class:`colorlab.data.SyntheticScenes`, float64 ``(2,)``."""
    from colorlab.data.synthetic import SyntheticScenes  # imported here: colorlab.data pulls in torchvision

    return tuple(torch.tensor(SyntheticScenes.OBJECT_LAB[name][1:], dtype=torch.float64) for name in ("square_yellow", "square_blue"))


def _square_mean(ambiguity: float) -> torch.Tensor:
    """Mean ab of a square when it is blue with probability ``ambiguity / 2``."""
    yellow, blue = _square_colours()
    p_blue = ambiguity / 2.0
    return (1.0 - p_blue) * yellow + p_blue * blue


@register("ambiguous_square")
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
        raise NotYet("`square_guess` needs a number for both \"a\" and \"b\".", "Replace every None with a number.")
    if any(isinstance(value, bool) or not isinstance(value, (int, float, np.number)) for value in values):
        raise NotYet(f"`square_guess` should hold numbers, got {values!r}.", _SQUARE_HINT)
    guess = torch.tensor([float(value) for value in values], dtype=torch.float64)
    expected = _square_mean(SQUARE_AMBIGUITY)
    if (guess - expected).abs().max().item() > 1.0:
        problem = f"(a, b) = ({values[0]}, {values[1]}) is not the best guess."
        yellow, _ = _square_colours()
        if (guess - _square_mean(1.0)).abs().max().item() <= 1.0:
            hint = "That is the answer for ambiguity = 1 (a 50/50 coin). At 0.5, blue has probability 0.5 / 2 = 0.25."
        elif (guess - yellow).abs().max().item() <= 1.0:
            hint = "That is the most likely colour, what a colour *classifier* would pick; squared error prefers the mean. "
            hint += _SQUARE_HINT
        elif (guess - _square_mean(2.0 - SQUARE_AMBIGUITY)).abs().max().item() <= 1.0:
            hint = "You swapped the probabilities: yellow is the more likely colour (0.75)."
        else:
            hint = _SQUARE_HINT
        raise NotYet(problem, hint)
    return (
        f"the best constant guess is ({expected[0].item():g}, {expected[1].item():g}): a dull mustard, "
        f"chroma {expected.norm().item():.1f} instead of the real {_square_mean(0.0).norm().item():.1f}. "
        "A regression model pays for ambiguity with washed-out colour."
    )


# --- notebook 06: Pix2Pix -----------------------------------------------------------------------

_RECEPTIVE_FIELD_HINT = (
    "Start from one output unit (r = 1) and walk back to the input, last layer first: a layer with "
    "kernel k and stride s turns r of its outputs into (r - 1) * s + k of its inputs."
)

#: (kernel, stride) stacks the receptive-field check tries, with a name for the feedback.
RECEPTIVE_FIELD_STACKS: dict[str, list[tuple[int, int]]] = {
    "three 3x3 convolutions": [(3, 1), (3, 1), (3, 1)],
    "the 70x70 PatchGAN": [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)],
    "a VGG-like block": [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)],
    "the ResNet stem": [(7, 2), (3, 2)],
    "a single layer": [(5, 3)],
}


def _receptive_field_variants(layers: list[tuple[int, int]]) -> dict[str, int]:
    """The usual wrong answers for ``layers``: name -> value."""
    backward_in_forward_order, no_minus_one = 1, 1
    for kernel, stride in layers:
        backward_in_forward_order = (backward_in_forward_order - 1) * stride + kernel
    for kernel, stride in reversed(layers):
        no_minus_one = no_minus_one * stride + kernel
    return {
        "sum": sum(kernel for kernel, _ in layers),
        "forward order": backward_in_forward_order,
        "no minus one": no_minus_one,
    }


@register("receptive_field")
def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> str:
    """Check a student ``receptive_field(layers) -> int`` against :func:`colorlab.models.pix2pix.receptive_field`.

    ``fn`` receives a list of ``(kernel, stride)`` pairs in forward order (a fresh copy each time)
    and must return the side of the input patch one output unit sees, exactly.
    """
    from colorlab.models.pix2pix import receptive_field  # imported here: the models pull in torchvision

    name = "receptive_field"
    _require_function(fn, name)
    for description, layers in RECEPTIVE_FIELD_STACKS.items():
        result = _call_student(fn, name, list(layers), hint=_RECEPTIVE_FIELD_HINT)
        expected = receptive_field(layers)
        try:
            value = float(result)
        except (TypeError, ValueError):
            raise NotYet(f"`{name}` returned a {type(result).__name__}, not a number.", "Return an int.") from None
        if value != expected:
            problem = f"for {description} {layers} you returned {result}, expected {expected}."
            variants = _receptive_field_variants(layers)
            if value == variants["sum"]:
                hint = "Adding up the kernels ignores the strides: after a stride-2 layer, one step is 2 input pixels. "
            elif value == variants["forward order"]:
                hint = "Walk from the output back to the input: the last layer is applied first. "
            elif value == variants["no minus one"]:
                hint = "r units of a layer with stride s span (r - 1) * s + 1 pixels of its input, plus k - 1 for the kernel. "
            else:
                hint = ""
            raise NotYet(problem, hint + _RECEPTIVE_FIELD_HINT)
    return (
        f"`{name}` is right on {len(RECEPTIVE_FIELD_STACKS)} stacks: each PatchGAN verdict sees a "
        f"{receptive_field(RECEPTIVE_FIELD_STACKS['the 70x70 PatchGAN'])} x 70 patch of the image."
    )


_GENERATOR_LOSS_HINT = (
    "G wants D to answer 'real' (label 1) on its output: -log(sigmoid(d_fake)) averaged over D's grid, "
    "plus lambda = 100 times the mean absolute error |ab_fake - ab_real|."
)


def _generator_loss_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Two cases ``(d_fake (2, 1, 4, 4), ab_fake (2, 2, 8, 8), ab_real)``; logits in (0.05, 0.95) first, then any."""
    generator = torch.Generator().manual_seed(6)
    cases = []
    for logits in (0.05 + 0.9 * torch.rand(2, 1, 4, 4, generator=generator), 2.0 * torch.randn(2, 1, 4, 4, generator=generator)):
        ab_real = torch.rand(2, 2, 8, 8, generator=generator) * 2 - 1
        ab_fake = (ab_real + 0.2 * torch.randn(2, 2, 8, 8, generator=generator)).clamp(-1, 1)
        cases.append((logits, ab_fake, ab_real))
    return cases


@register("pix2pix_generator_loss")
def check_pix2pix_generator_loss(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``g_loss(d_fake, ab_fake, ab_real) -> scalar``: vanilla GAN + 100 * L1.

    ``d_fake`` holds D's logits ``(N, 1, h, w)`` on the generated pairs, ``ab_fake`` / ``ab_real``
    are ``(N, 2, H, W)`` in ``ab / 110``; the result (tensor or float) must match
    :func:`colorlab.models.pix2pix.generator_loss` (``mode="vanilla"``) within ``1e-4`` relative.
    """
    from colorlab.models.pix2pix import gan_loss, generator_loss

    name = "g_loss"
    _require_function(fn, name)
    for index, (d_fake, ab_fake, ab_real) in enumerate(_generator_loss_cases()):
        given = (d_fake.clone(), ab_fake.clone(), ab_real.clone())
        result = _call_student(fn, name, *given, hint=_GENERATOR_LOSS_HINT)
        try:
            value = float(result.detach()) if isinstance(result, torch.Tensor) else float(result)
        except (TypeError, ValueError, RuntimeError):
            raise NotYet(f"`{name}` returned {type(result).__name__}, not one number.", "Return a scalar: use .mean().") from None
        expected = generator_loss(d_fake, ab_fake, ab_real)
        if abs(value - expected["total"].item()) <= 1e-4 * abs(expected["total"].item()):
            continue
        gan, l1 = expected["gan"].item(), expected["l1"].item()
        variants = {
            "lambda": gan + l1,
            "real": gan_loss(d_fake, False).item() + 100 * l1,
            "absolute": gan + 100 * torch.mean((ab_fake - ab_real) ** 2).item(),
            "GAN term": 100 * l1,
            "halved": 0.5 * (gan + 100 * l1),
        }
        if index == 0:  # logits in (0, 1): the "logits are probabilities" mistake gives a finite value
            variants["logits"] = -torch.log(d_fake).mean().item() + 100 * l1
        hints = {
            "lambda": "The L1 term is weighted by lambda = 100 in pix2pix.",
            "real": "The generator is rewarded when D says *real*: use the label 1 (-log(sigmoid(x))), not 0.",
            "logits": "D outputs logits, not probabilities: apply torch.sigmoid first "
            "(or use F.binary_cross_entropy_with_logits).",
            "absolute": "pix2pix uses L1, the mean absolute error, not the squared error.",
            "GAN term": "You left out the GAN term: -log(sigmoid(d_fake)).mean().",
            "halved": "Only D's loss is halved in pix2pix; the generator's is GAN + 100 * L1.",
        }
        problem = f"on test case {index + 1} you returned {value:.5g}, expected {expected['total'].item():.5g}."
        for mistake, variant in variants.items():
            if abs(value - variant) <= 1e-4 * max(abs(variant), 1e-6):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _GENERATOR_LOSS_HINT)
    return (
        "`g_loss` = GAN + 100 * L1. With lambda = 100 the L1 term dominates in magnitude; the GAN term "
        "adds the push towards colours D finds realistic."
    )


# --- notebook 03: regression and the averaging problem ---------------------------------------------

_BEST_CONSTANT_HINT = (
    "Select the ab values of the pixels where mask is True (boolean indexing with mask works once a and b "
    "are moved out of the way, e.g. to the front) and average them over all those pixels: under the squared "
    "error the best constant is the mean."
)


def _as_result(result: Any, name: str, shape: tuple[int, ...], what: str, hint: str) -> torch.Tensor:
    """The student's result as a float64 tensor of ``shape``, else :class:`NotYet` with ``hint``."""
    try:
        tensor = result.detach().cpu() if isinstance(result, torch.Tensor) else torch.as_tensor(np.asarray(result))
    except (TypeError, ValueError, RuntimeError):
        tensor = None
    if tensor is None or tensor.dtype == torch.bool or tensor.is_complex():
        raise NotYet(f"`{name}` returned a {type(result).__name__}, expected {what}.", hint)
    if tuple(tensor.shape) != shape:
        raise NotYet(f"`{name}` returned shape {tuple(tensor.shape)}, expected {what}.", hint)
    return tensor.to(torch.float64)


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


# --- notebook 05: SIGGRAPH17 user hints ----------------------------------------------------------

_HINT_COUNT_HINT = (
    "The training code keeps adding hints while a coin with probability 1 - p comes up heads, so the number "
    "of hints K counts the heads before the first tails: P(K = k) = p (1 - p)^k for k = 0, 1, 2, ... "
    "Its mean, the sum over k of k p (1 - p)^k, is (1 - p) / p."
)
#: The values of ``p`` the expected-hint-count check tries, the paper's 1/8 first.
HINT_PROBABILITIES = (1.0 / 8.0, 0.3, 0.05, 0.9, 1.0)


@register("expected_hint_count")
def check_expected_hint_count(fn: Callable[[float], float]) -> str:
    """Check ``expected_hints(p) -> float``: the mean number of simulated hints per image.

    The number of hints is geometric from 0 with stopping probability ``p``
    (:func:`colorlab.hints.sample_hint_counts`); ``fn`` must return its mean ``(1 - p) / p``
    within a relative ``1e-6`` for each ``p`` of :data:`HINT_PROBABILITIES`.
    """
    from colorlab.hints import HINT_PROBABILITY, sample_hint_counts

    name = "expected_hints"
    _require_function(fn, name)
    for p in HINT_PROBABILITIES:
        raw = _call_student(fn, name, p, hint=_HINT_COUNT_HINT)
        value = _as_result(raw, name, (), "a single number", "Return one number, e.g. a float.").item()
        expected = (1.0 - p) / p
        if abs(value - expected) <= 1e-6 * max(abs(expected), 1.0):
            continue
        problem = f"expected_hints({p:g}) returned {value:.6g}, expected {expected:.6g}."
        variants = {
            "from one": 1.0 / p,
            "inverted": p / (1.0 - p) if p < 1.0 else None,
            "failure probability": 1.0 - p,
            "one over failure": 1.0 / (1.0 - p) if p < 1.0 else None,
        }
        hints = {
            "from one": "1 / p is the mean of a geometric law that counts the final tails too (starting at 1). "
            "Here an image may get 0 hints: subtract that last toss.",
            "inverted": "You divided the wrong way round: a small p (rarely stopping) must give many hints.",
            "failure probability": "1 - p is the chance of at least one hint, not the mean number of hints.",
            "one over failure": "1 / (1 - p) is close for large p only; sum k p (1 - p)^k over k instead.",
        }
        for mistake, variant in variants.items():
            if variant is not None and abs(value - variant) <= 1e-6 * max(abs(variant), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _HINT_COUNT_HINT)
    counts = sample_hint_counts(200_000, HINT_PROBABILITY, torch.Generator().manual_seed(5)).double()
    return (
        f"with the paper's p = 1/8 an image gets {(1 - HINT_PROBABILITY) / HINT_PROBABILITY:g} hints on average "
        f"(colorlab.hints.sample_hint_counts: {counts.mean().item():.2f} over 200,000 draws), and "
        f"{(counts == 0).double().mean().item():.1%} of the images get none: the network keeps practising "
        "automatic colorization."
    )


_CLICK_HINT = (
    "Start from zeros: ab_hint_norm = torch.zeros(1, 2, size, size), mask = torch.zeros(1, 1, size, size). "
    "The patch's top-left corner is (y - patch // 2, x - patch // 2), clamped to [0, size - patch]; "
    "fill rows top:top + patch and columns left:left + patch with a / 110 and b / 110 (channels 0 and 1) "
    "and with 1 in the mask."
)

#: ``(y, x, (a, b), size, patch)`` clicks the click-to-hint check tries: inside, at a border, one pixel.
CLICK_CASES = (
    (5, 9, (20.0, -40.0), 16, 3),
    (0, 14, (-35.0, 60.0), 16, 5),
    (11, 2, (55.0, 10.0), 12, 1),
    (7, 19, (-8.0, -50.0), 20, 3),
)


def _click_reference(y: int, x: int, ab: tuple[float, float], size: int, patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    from colorlab.hints import user_hints

    return user_hints([(y, x, ab)], size, patch=patch)


def _click_cut_off(y: int, x: int, ab: tuple[float, float], size: int, patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The usual mistake at a border: the patch is cut off instead of moved inside."""
    hint, mask = torch.zeros(1, 2, size, size), torch.zeros(1, 1, size, size)
    top, left = y - patch // 2, x - patch // 2
    rows, columns = slice(max(top, 0), top + patch), slice(max(left, 0), left + patch)
    hint[0, 0, rows, columns], hint[0, 1, rows, columns] = ab[0] / 110.0, ab[1] / 110.0
    mask[0, 0, rows, columns] = 1.0
    return hint, mask


@register("hint_for_click")
def check_hint_for_click(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> str:
    """Check ``hint_for_click(y, x, ab, size, patch) -> (ab_hint_norm, mask)`` against :func:`colorlab.hints.user_hints`.

    ``fn`` receives a click at row ``y``, column ``x`` of a ``size x size`` network input, a hint
    colour ``ab = (a, b)`` in Lab units and the patch side; it must return ``(1, 2, size, size)``
    and ``(1, 1, size, size)`` tensors equal (within ``1e-6``) to
    ``user_hints([(y, x, ab)], size, patch=patch)`` for every case of :data:`CLICK_CASES`.
    """
    name = "hint_for_click"
    _require_function(fn, name)
    for y, x, ab, size, patch in CLICK_CASES:
        raw = _call_student(fn, name, y, x, ab, size, patch, hint=_CLICK_HINT)
        shapes = (torch.Size((1, 2, size, size)), torch.Size((1, 1, size, size)))
        hint, mask = _as_tensor_pair(raw, name, shapes, "(ab_hint_norm, mask)")
        expected_hint, expected_mask = (tensor.double() for tensor in _click_reference(y, x, ab, size, patch))
        if _close(hint, expected_hint) and _close(mask, expected_mask):
            continue
        problem = f"for a click at (y={y}, x={x}) with ab = {ab}, size {size}, patch {patch} the tensors differ from the reference."
        swapped_hint, swapped_mask = (tensor.double() for tensor in _click_reference(x, y, ab, size, patch))
        cut_hint, cut_mask = (tensor.double() for tensor in _click_cut_off(y, x, ab, size, patch))
        corner_hint, corner_mask = (
            tensor.double() for tensor in _click_reference(min(y + patch // 2, size - 1), min(x + patch // 2, size - 1), ab, size, patch)
        )
        if not _close(mask, expected_mask):
            if _close(mask, swapped_mask) and not _close(swapped_mask, expected_mask):
                hint_text = "x and y are swapped: y is the row (the third index, dim 2), x the column (dim 3)."
            elif _close(mask, corner_mask) and not _close(corner_mask, expected_mask):
                hint_text = "The click should be the patch's centre, not its top-left corner: start at y - patch // 2."
            elif _close(mask, cut_mask) and not _close(cut_mask, expected_mask):
                hint_text = "At the border the patch is cut off; move it inside instead, so it keeps patch x patch pixels."
            elif mask.abs().sum() == 0:
                hint_text = "The mask is all zeros: it must be 1 where the hint is, or the network ignores the hint."
            else:
                hint_text = _CLICK_HINT
            raise NotYet(problem + " The mask is wrong.", hint_text)
        if _close(hint / 110.0, expected_hint):
            hint_text = "The hint channels hold normalized colours: divide a and b by 110 (color.normalize_ab)."
        elif _close(hint, expected_hint.flip(1)):
            hint_text = "a goes in channel 0 and b in channel 1."
        elif _close(hint, expected_hint * 0):
            hint_text = "The hint channels are all zeros: put a / 110 and b / 110 on the patch."
        elif (hint * (1 - mask)).abs().max() > 1e-6:
            hint_text = "The hint channels must be 0 outside the patch (where the mask is 0)."
        else:
            hint_text = _CLICK_HINT
        raise NotYet(problem + " The hint channels are wrong.", hint_text)
    return (
        f"`{name}` builds exactly what colorlab.hints.user_hints builds, also at the border. The network's input is "
        "then torch.cat((l_norm, ab_hint_norm, mask), dim=1): 4 channels, of which the mask tells a hint of grey "
        "(a = b = 0, mask 1) from no hint at all (mask 0)."
    )


__all__ += ["HINT_PROBABILITIES", "check_expected_hint_count", "CLICK_CASES", "check_hint_for_click"]


# --- notebook 04: Zhang et al. ECCV16, colour as classification -------------------------------------

_ANNEALED_MEAN_HINT = (
    "Sharpen the distribution with f_T(p) = p ** (1 / T), normalized to sum to 1 (the same as "
    "softmax(log(p) / T)), then take the expected colour: sum over q of f_T(p)_q * centres[q]."
)


def _annealed_mean_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    """``(probabilities (Q,), centres (Q, 2), T)`` float64 cases; probabilities positive, summing to 1."""
    generator = torch.Generator().manual_seed(40)
    cases = []
    for q, temperature in ((6, 0.38), (12, 1.0), (9, 0.1)):
        centres = torch.randint(-8, 9, (q, 2), generator=generator).to(torch.float64) * 10
        logits = 1.5 * torch.randn(q, generator=generator, dtype=torch.float64)
        cases.append((torch.softmax(logits, dim=0), centres, temperature))
    return cases


def _reference_annealed_mean(probabilities: torch.Tensor, centres: torch.Tensor, temperature: float) -> torch.Tensor:
    from colorlab import bins  # imported here: colorlab.bins pulls in colorlab.viz and matplotlib

    q = probabilities.shape[0]
    return bins.decode(torch.log(probabilities).view(1, q, 1, 1), centres, "annealed_mean", temperature).view(2)


@register("annealed_mean")
def check_annealed_mean(fn: Callable[[torch.Tensor, torch.Tensor, float], Any]) -> str:
    """Check ``annealed_mean(probabilities, centres, temperature) -> (2,)`` against :func:`colorlab.bins.decode`.

    ``fn`` receives ``probabilities (Q,)`` float64 (positive, summing to 1), ``centres (Q, 2)``
    float64 ab in Lab units and ``temperature`` (a float > 0), and must return the annealed mean
    ``(a, b)`` as a ``(2,)`` tensor or array, within ``1e-6``, without modifying its inputs.
    """
    name = "annealed_mean"
    _require_function(fn, name)
    for index, (probabilities, centres, temperature) in enumerate(_annealed_mean_cases()):
        given = (probabilities.clone(), centres.clone())
        raw = _call_student(fn, name, given[0], given[1], temperature, hint=_ANNEALED_MEAN_HINT)
        if not (torch.equal(given[0], probabilities) and torch.equal(given[1], centres)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        result = _as_result(raw, name, (2,), "one (a, b) pair: shape (2,)", _ANNEALED_MEAN_HINT)
        expected = _reference_annealed_mean(probabilities, centres, temperature)
        if torch.isfinite(result).all() and (result - expected).abs().max().item() <= 1e-6:
            continue
        powered = probabilities ** (1.0 / temperature)
        variants = {
            "power T": (probabilities**temperature / (probabilities**temperature).sum()) @ centres,
            "not normalized": powered @ centres,
            "mean": probabilities @ centres,
            "mode": centres[probabilities.argmax()],
        }
        hints = {
            "power T": "You raised p to the power T; the annealing divides the log-probabilities by T: p ** (1 / T).",
            "not normalized": "After p ** (1 / T) the numbers no longer sum to 1: divide by their sum before averaging.",
            "mean": "That is the plain mean (T = 1): the temperature must change the result.",
            "mode": "That is the mode (the limit T -> 0); the annealed mean is still an average, of the sharpened p.",
        }
        problem = (
            f"on test case {index + 1} (T = {temperature}) you returned ({result[0].item():.4g}, {result[1].item():.4g}), "
            f"expected ({expected[0].item():.4g}, {expected[1].item():.4g})."
        )
        for mistake, variant in variants.items():
            if (variant - expected).abs().max().item() > 1e-6 and (result - variant).abs().max().item() <= 1e-6:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _ANNEALED_MEAN_HINT)
    yellow, blue = _square_colours()
    p = torch.tensor([0.55, 0.45], dtype=torch.float64)
    colours = torch.stack((yellow, blue))
    chroma = {t: _reference_annealed_mean(p, colours, t).norm().item() for t in (1.0, 0.38)}
    return (
        f"`{name}` matches colorlab.bins.decode. For a square that is yellow with p = 0.55 and blue with 0.45, "
        f"the mean has chroma {chroma[1.0]:.1f}, the annealed mean at T = 0.38 {chroma[0.38]:.1f}: annealing "
        "pushes towards the likelier colour without jumping all the way."
    )


_REBALANCING_HINT = (
    "w_q = 1 / ((1 - lam) * p_q + lam / Q), then scale all weights by one number so that sum(p * w) = 1 "
    "(the expected weight of a pixel is 1)."
)


def _rebalancing_cases() -> list[tuple[torch.Tensor, float]]:
    """``(prior (Q,), lam)`` float64 cases; priors positive, summing to 1."""
    generator = torch.Generator().manual_seed(41)
    tiny = torch.tensor([0.7, 0.2, 0.09, 0.01], dtype=torch.float64)
    random = torch.rand(10, generator=generator, dtype=torch.float64) ** 3 + 1e-3
    return [(tiny, 0.5), (random / random.sum(), 0.3)]


def _reference_rebalancing(prior: torch.Tensor, lam: float) -> torch.Tensor:
    from colorlab import bins

    centres = torch.stack((torch.arange(len(prior), dtype=torch.float64) * 10, torch.zeros(len(prior), dtype=torch.float64)), dim=1)
    return bins.rebalancing_weights(prior, centres, lam=lam, sigma=0.0)


@register("rebalancing_weights")
def check_rebalancing_weights(fn: Callable[[torch.Tensor, float], Any]) -> str:
    """Check ``rebalancing_weights(prior, lam) -> (Q,)`` against :func:`colorlab.bins.rebalancing_weights` (no smoothing).

    ``fn`` receives ``prior (Q,)`` float64 (positive, summing to 1) and ``lam`` in ``[0, 1]`` and
    must return ``w ∝ 1 / ((1 - lam) p + lam / Q)`` scaled so that ``sum(p * w) = 1``, within a
    relative ``1e-6``, without modifying its input.
    """
    name = "rebalancing_weights"
    _require_function(fn, name)
    for index, (prior, lam) in enumerate(_rebalancing_cases()):
        given = prior.clone()
        raw = _call_student(fn, name, given, lam, hint=_REBALANCING_HINT)
        if not torch.equal(given, prior):
            raise NotYet(f"`{name}` modified its input in place.", "Compute a new tensor; leave `prior` as it is.")
        q = len(prior)
        result = _as_result(raw, name, (q,), f"one weight per bin: shape ({q},)", _REBALANCING_HINT)
        expected = _reference_rebalancing(prior, lam)
        if torch.isfinite(result).all() and ((result - expected).abs() / expected).max().item() <= 1e-6:
            continue
        inverse = 1.0 / ((1.0 - lam) * prior + lam / q)
        swapped = 1.0 / (lam * prior + (1.0 - lam) / q)
        mixed = (1.0 - lam) * prior + lam / q
        variants = {
            "unscaled": inverse,
            "mean one": inverse / inverse.mean(),
            "sum one": inverse / inverse.sum(),
            "swapped": swapped / (prior * swapped).sum(),
            "not inverted": mixed / (prior * mixed).sum(),
        }
        hints = {
            "unscaled": "The shape is right; now scale the weights so that sum(prior * w) = 1.",
            "mean one": "Scale with the prior, sum(prior * w) = 1, not with the plain mean of the weights: "
            "a pixel's expected weight is what must be 1.",
            "sum one": "The weights should not sum to 1; scale them so that sum(prior * w) = 1.",
            "swapped": "lam is the weight of the *uniform* distribution: (1 - lam) * p + lam / Q.",
            "not inverted": "Rare colours must weigh *more*: take the inverse, 1 / ((1 - lam) * p + lam / Q).",
        }
        problem = f"on test case {index + 1} (Q = {q}, lam = {lam}) your weights differ from the reference."
        for mistake, variant in variants.items():
            if torch.isfinite(result).all() and ((result - variant).abs() / variant.abs()).max().item() <= 1e-6:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem, _REBALANCING_HINT)
    prior, lam = _rebalancing_cases()[0]
    weights = _reference_rebalancing(prior, lam)
    return (
        f"`{name}` matches colorlab.bins.rebalancing_weights (without smoothing). For the prior "
        f"{tuple(prior.tolist())} the weights are {tuple(round(w, 2) for w in weights.tolist())}: the rarest bin "
        f"weighs {weights[-1].item() / weights[0].item():.1f}x the commonest; without the uniform part (lam = 0) "
        f"it would weigh {prior[0].item() / prior[-1].item():.0f}x."
    )


_BIN_INDEX_HINT = (
    "Compute the Euclidean distance from (a, b) to every centre, e.g. ((centres - ab) ** 2).sum(dim=1), "
    "and return the position of the smallest one as an int (argmin)."
)


def _bin_index_cases() -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """``(ab (2,), centres (Q, 2), what)`` float64 cases: gamut bins, a border colour, an irregular set."""
    from colorlab import bins

    centres = bins.gamut_bins().to(torch.float64)
    grid = {tuple(point) for point in centres.round().long().tolist()}
    # a colour whose rounded grid point is not a bin (out of gamut) but a neighbour is
    border = None
    for a, b in sorted(grid):
        for da, db in ((10, 0), (0, 10), (-10, 0), (0, -10)):
            if (a + da, b + db) not in grid:
                border = torch.tensor([a + 0.7 * da, b + 0.7 * db], dtype=torch.float64)
                break
        if border is not None:
            break
    irregular = torch.tensor([[9.0, 0.0], [6.0, 6.0], [-20.0, 30.0], [40.0, -40.0]], dtype=torch.float64)
    return [
        (torch.tensor([23.4, -37.2], dtype=torch.float64), centres, "a sky blue"),
        (torch.tensor([-3.7, 58.2], dtype=torch.float64), centres, "the yellow square"),
        (border, centres, "a colour at the edge of the gamut"),
        (torch.tensor([0.0, 0.0], dtype=torch.float64), irregular, "grey, with irregular centres"),
    ]


@register("bin_index")
def check_bin_index(fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``bin_index(ab, centres) -> int``: the index of the nearest centre, as :func:`colorlab.bins.nearest_bin`.

    ``fn`` receives ``ab (2,)`` float64 in Lab units and ``centres (Q, 2)`` float64, and must return
    the index (a Python int, or an integer 0-d tensor or numpy integer) of the centre closest in
    Euclidean distance, without modifying its inputs.
    """
    from colorlab import bins

    name = "bin_index"
    _require_function(fn, name)
    for ab, centres, what in _bin_index_cases():
        given = (ab.clone(), centres.clone())
        raw = _call_student(fn, name, given[0], given[1], hint=_BIN_INDEX_HINT)
        if not (torch.equal(given[0], ab) and torch.equal(given[1], centres)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        expected = int(bins.nearest_bin(ab.view(1, 2, 1, 1), centres).item())
        shape = tuple(getattr(raw, "shape", ()))
        if shape == (2,):
            raise NotYet(f"for {what} you returned a pair of numbers.", "Return the *index* of the nearest centre (an int), not the centre itself.")
        if isinstance(raw, bool) or raw is None or shape != () or not np.issubdtype(np.asarray(raw).dtype, np.integer):
            raise NotYet(f"for {what} you returned {raw!r}, not an integer index.", "Return an int, e.g. int(distances.argmin()).")
        index = int(np.asarray(raw))
        if index == expected:
            continue
        problem = f"for {what}, ab = ({ab[0].item():g}, {ab[1].item():g}), you returned {index}, expected {expected}."
        distances = (centres - ab).norm(dim=1)
        if index == int(distances.argmax()):
            hint = "That is the farthest centre: use argmin, not argmax."
        elif index == int((centres - ab).abs().sum(dim=1).argmin()):
            hint = "You used the L1 distance |da| + |db|; bins are assigned by the Euclidean distance sqrt(da^2 + db^2)."
        elif not 0 <= index < len(centres):
            hint = f"An index must be in [0, {len(centres)}): the position of a row of `centres`."
        else:
            hint = _BIN_INDEX_HINT
        raise NotYet(problem, hint)
    return (
        f"`{name}` matches colorlab.bins.nearest_bin, also at the gamut's edge where the nearest grid point is not a bin. "
        "This is the hard encoding; soft_encode spreads the pixel over its 5 nearest bins instead."
    )


__all__ += ["check_annealed_mean", "check_rebalancing_weights", "check_bin_index"]


# --- notebook 07: evaluation ---------------------------------------------------------------------

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


__all__ += ["PSNR_CASES", "check_psnr_from_mse", "check_best_ab_scale"]

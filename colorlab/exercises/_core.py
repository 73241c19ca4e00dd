"""Automatic checks for the notebook exercises: the mechanism, and the helpers the checks share.

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

**Hints in steps.** A check may declare graded hints, ``register(name, steps=(...), key=(...))``:
``steps[0]`` names the idea only, each later step is more specific, and none of them spells out
the solution; ``key`` lists the solution's key expressions (code fragments such as
``"(1 - p) / p"``), which no step may contain (``tests/test_exercises.py`` checks both). A
:class:`NotYet` raised without its own hint (a stub, an unreadable result, an unrecognised
mistake) shows the next step: the first "Not yet" of an exercise gives ``steps[0]``, the second
``steps[1]``, and so on; :func:`hint` asks for the next step without running the check. A
mistake the check recognises keeps its own specific hint. Checks that declare no steps behave as
before: the hint is the one given to :class:`NotYet`, if any.

Each notebook's checks live in their own module of :mod:`colorlab.exercises` (``nb01_lab``,
``nb02_normalization``, ...) and add themselves to :data:`CHECKS` with ``@register("name")``;
:func:`check` runs one by name. ``from colorlab import exercises`` imports every notebook module
and re-exports its public names, so notebooks never import the modules one by one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from colorlab.io import ColorlabError


#: exercise name -> check function (one argument: the student's function or answer; returns bool).
CHECKS: dict[str, Callable[[Any], bool]] = {}


@dataclass(frozen=True)
class HintSteps:
    """The graded hints of one exercise.

    Attributes:
        steps: hints from the idea (``steps[0]``) to the most specific; none contains a ``key``.
        key: the solution's key expressions (code fragments), shown only in the solution cell.
    """

    steps: tuple[str, ...] = ()
    key: tuple[str, ...] = ()


#: exercise name -> its graded hints (empty for checks that declare none).
HINTS: dict[str, HintSteps] = {}
#: exercise name -> how many graded hints have been shown so far (this kernel).
_SHOWN: dict[str, int] = {}
#: exercise name -> colorlab's reference implementation, for notebook cells that need an exercise's result.
REFERENCES: dict[str, Callable[..., Any]] = {}


class NotYet(Exception):
    """Raised inside a check to report a wrong or missing answer: ``NotYet(problem, hint)``.

    ``hint=None`` (the default) means "no specific hint": the check shows the exercise's next
    graded step (see the module docstring), or nothing when it declares none.
    """

    def __init__(self, problem: str, hint: str | None = None) -> None:
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


def _next_step(name: str) -> str:
    """The next graded hint of ``name`` ("" when it declares none); advances the counter."""
    steps = HINTS.get(name, HintSteps()).steps
    if not steps:
        return ""
    shown = _SHOWN.get(name, 0)
    _SHOWN[name] = shown + 1
    text = steps[min(shown, len(steps) - 1)]
    if len(steps) > 1:
        text = f"({min(shown, len(steps) - 1) + 1}/{len(steps)}) {text}"
        if shown + 1 < len(steps):
            text += f" Still stuck? Try again, or run exercises.hint({name!r})."
    return text


def hint(name: str) -> str:
    """Print and return the next, more specific hint of the exercise ``name`` (without checking anything).

    Each call moves one step further, up to the last step; the solution itself is only in the
    notebook's solution cell.
    """
    if name not in CHECKS:
        raise ColorlabError(f"no exercise check named {name!r}; known: {', '.join(sorted(CHECKS))}")
    text = _next_step(name) or "This exercise has no step-by-step hints: run its check cell for feedback."
    print(f"Hint: {text}")
    return text


def reset_hints(name: str | None = None) -> None:
    """Start the graded hints of ``name`` (of every exercise when None) from the first step again."""
    if name is None:
        _SHOWN.clear()
    else:
        _SHOWN.pop(name, None)


def reference(name: str) -> Callable[..., Any]:
    """colorlab's reference implementation of the exercise ``name`` (same arguments as the student's function).

    Notebook cells after an exercise use it, so that the rest of a student copy runs even while the
    exercise is still a stub.
    """
    if name not in REFERENCES:
        raise ColorlabError(f"no reference implementation for {name!r}; known: {', '.join(sorted(REFERENCES))}")
    return REFERENCES[name]


def register(
    name: str, *, steps: Sequence[str] = (), key: Sequence[str] = (), reference: Callable[..., Any] | None = None
) -> Callable[[Callable[[Any], str]], Callable[[Any], bool]]:
    """Decorator: turn ``fn(answer) -> success message`` into a check and add it to :data:`CHECKS`.

    The decorated function raises :class:`NotYet` for a wrong or missing answer and returns the
    message to print on success. The resulting check prints the verdict and returns True/False.

    Args:
        name: the exercise's short name (``exercises.check(name, answer)``, ``exercises.hint(name)``).
        steps: graded hints, idea first, most specific last; none may contain a ``key`` expression.
        key: the solution's key expressions (code fragments); the tests check that no step shows them.
        reference: colorlab's own implementation, returned by :func:`reference` (optional).
    """
    steps, key = tuple(steps), tuple(key)
    leaks = [(step, expression) for step in steps for expression in key if expression in step]
    if leaks:
        raise ValueError(f"a hint of {name!r} gives away the key expression {leaks[0][1]!r}")

    def decorate(body: Callable[[Any], str]) -> Callable[[Any], bool]:
        if name in CHECKS:
            raise ValueError(f"an exercise check named {name!r} is already registered")

        @functools.wraps(body)
        def run_check(answer: Any) -> bool:
            try:
                message = body(answer)
            except NotYet as feedback:
                text = _next_step(name) if feedback.hint is None else feedback.hint
                return _report_not_yet(feedback.problem, text)
            return _report_pass(message)

        run_check.__annotations__ = {**body.__annotations__, "return": "bool"}
        CHECKS[name] = run_check
        HINTS[name] = HintSteps(steps, key)
        if reference is not None:
            REFERENCES[name] = reference
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


def _call_student(fn: Callable[..., Any], name: str, *args: Any, hint: str | None = None) -> Any:
    """Call the student's ``fn``; turn any exception into :class:`NotYet` (no traceback in the notebook).

    ``hint=None`` shows the exercise's next graded step.
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotYet(f"`{name}` still raises NotImplementedError: replace the `raise` line with your code.", hint) from None
    except Exception as error:  # noqa: BLE001 - any student error becomes a hint, never a traceback
        raise NotYet(f"`{name}` raised {type(error).__name__}: {error}", hint) from None


def _require_tensor(result: Any, name: str) -> None:
    """:class:`NotYet` unless ``result`` is a torch tensor (the exercises that ask for one)."""
    if isinstance(result, np.ndarray):
        raise NotYet(
            f"`{name}` returned a numpy array; the exercise asks for a torch tensor.",
            "The rest of the pipeline (networks, losses) takes tensors: compute with torch functions, "
            "or convert at the end with torch.from_numpy(...).",
        )
    if not isinstance(result, torch.Tensor):
        raise NotYet(f"`{name}` returned a {type(result).__name__}; the exercise asks for a torch tensor.")


def _as_float64_tensor(result: Any, name: str, expected_shape: torch.Size, shape_hint: str | None = None) -> torch.Tensor:
    """The student's result (a torch tensor) as a float64 tensor of ``expected_shape``, else :class:`NotYet`."""
    _require_tensor(result, name)
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
            "Return a torch tensor of floats with the same shape as the input.",
        )
    if tensor.shape != expected_shape:
        raise NotYet(
            f"`{name}` returned shape {tuple(tensor.shape)}, expected {tuple(expected_shape)}.",
            shape_hint or "Work element by element so the output has the input's shape.",
        )
    return tensor.to(torch.float64)


def _as_tensor_pair(result: Any, name: str, shapes: tuple[torch.Size, torch.Size], what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise NotYet(f"`{name}` should return a pair {what}, got a {type(result).__name__}.", f"End with `return {what[1:-1]}`.")
    return _as_float64_tensor(result[0], name, shapes[0]), _as_float64_tensor(result[1], name, shapes[1])


def _close(result: torch.Tensor, expected: torch.Tensor, atol: float = 1e-6) -> bool:
    return bool(torch.allclose(result, expected, atol=atol, rtol=0.0))


def _as_result(result: Any, name: str, shape: tuple[int, ...], what: str, hint: str | None = None) -> torch.Tensor:
    """The student's result as a float64 tensor of ``shape``, else :class:`NotYet` with ``hint``.

    A non-scalar ``shape`` must come as a torch tensor; a scalar may be a number, a 0-d tensor or array.
    """
    if shape != ():
        _require_tensor(result, name)
    try:
        tensor = result.detach().cpu() if isinstance(result, torch.Tensor) else torch.as_tensor(np.asarray(result))
    except (TypeError, ValueError, RuntimeError):
        tensor = None
    if tensor is None or tensor.dtype == torch.bool or tensor.is_complex():
        raise NotYet(f"`{name}` returned a {type(result).__name__}, expected {what}.", hint)
    if tuple(tensor.shape) != shape:
        raise NotYet(f"`{name}` returned shape {tuple(tensor.shape)}, expected {what}.", hint)
    return tensor.to(torch.float64)


def _square_colours() -> tuple[torch.Tensor, torch.Tensor]:
    """The ab of the yellow and of the blue square of :class:`colorlab.data.SyntheticScenes`, float64 ``(2,)``."""
    from colorlab.data.synthetic import SyntheticScenes  # imported here: colorlab.data pulls in torchvision

    return tuple(torch.tensor(SyntheticScenes.OBJECT_LAB[name][1:], dtype=torch.float64) for name in ("square_yellow", "square_blue"))

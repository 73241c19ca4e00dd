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

Each notebook's checks live in their own module of :mod:`colorlab.exercises` (``nb01_lab``,
``nb02_normalization``, ...) and add themselves to :data:`CHECKS` with ``@register("name")``;
:func:`check` runs one by name. ``from colorlab import exercises`` imports every notebook module
and re-exports its public names, so notebooks never import the modules one by one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from colorlab.io import ColorlabError


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


def _as_tensor_pair(result: Any, name: str, shapes: tuple[torch.Size, torch.Size], what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise NotYet(f"`{name}` should return a pair {what}, got a {type(result).__name__}.", f"End with `return {what[1:-1]}`.")
    return _as_float64_tensor(result[0], name, shapes[0]), _as_float64_tensor(result[1], name, shapes[1])


def _close(result: torch.Tensor, expected: torch.Tensor, atol: float = 1e-6) -> bool:
    return bool(torch.allclose(result, expected, atol=atol, rtol=0.0))


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


def _square_colours() -> tuple[torch.Tensor, torch.Tensor]:
    """The ab of the yellow and of the blue square of :class:`colorlab.data.SyntheticScenes`, float64 ``(2,)``."""
    from colorlab.data.synthetic import SyntheticScenes  # imported here: colorlab.data pulls in torchvision

    return tuple(torch.tensor(SyntheticScenes.OBJECT_LAB[name][1:], dtype=torch.float64) for name in ("square_yellow", "square_blue"))

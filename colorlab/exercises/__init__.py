"""Automatic checks for the notebook exercises, one module per notebook.

The mechanism (:data:`CHECKS`, :class:`NotYet`, :func:`register`, :func:`check`) lives in
:mod:`colorlab.exercises._core`; each ``nbNN_*`` module holds one notebook's checks. Importing this
package imports them all, so every check is registered and reachable as ``exercises.check_xxx`` or
``exercises.check("name", answer)`` after ``from colorlab import exercises``; ``exercises.hint(name)``
prints the next, more specific hint of an exercise.
"""

from __future__ import annotations

from colorlab.exercises._core import (
    CHECKS,
    HINTS,
    HintSteps,
    NotYet,
    check,
    hint,
    reference,
    register,
    reset_hints,
)
from colorlab.exercises.nb01_lab import (
    LAB_QUESTIONS,
    check_lab_of_colours,
    check_remove_colour,
    check_srgb_to_linear,
)
from colorlab.exercises.nb02_normalization import (
    SQUARE_AMBIGUITY,
    TINT_QUESTIONS,
    check_ambiguous_square,
    check_pix2pix_scheme,
    check_tint_offset,
)
from colorlab.exercises.nb03_regression import (
    _best_constant_test_case,  # noqa: F401 - reused by tests/test_exercises.py
    check_best_constant_ab,
    check_expected_squared_error,
    check_training_step,
)
from colorlab.exercises.nb04_zhang import (
    _bin_index_cases,  # noqa: F401 - reused by tests/test_exercises.py
    check_annealed_mean,
    check_bin_index,
    check_rebalancing_weights,
    check_soft_encode,
)
from colorlab.exercises.nb05_hints import (
    CLICK_CASES,
    HINT_PROBABILITIES,
    _click_cut_off,  # noqa: F401 - reused by tests/test_exercises.py
    check_expected_hint_count,
    check_hint_for_click,
)
from colorlab.exercises.nb06_pix2pix import (
    RECEPTIVE_FIELD_STACKS,
    check_pix2pix_generator_loss,
    check_receptive_field,
)
from colorlab.exercises.nb07_evaluation import (
    PSNR_CASES,
    _scale_cases,  # noqa: F401 - reused by tests/test_exercises.py
    check_best_ab_scale,
    check_psnr_from_mse,
)
from colorlab.exercises.nb09_beyond import (
    WILSON_CASES,
    check_orthochromatic_l,
    check_ridge_probe,
    check_wilson_interval,
)

__all__ = [
    "CHECKS",
    "HINTS",
    "HintSteps",
    "NotYet",
    "register",
    "check",
    "hint",
    "reference",
    "reset_hints",
    # notebook 01
    "check_srgb_to_linear",
    "LAB_QUESTIONS",
    "check_lab_of_colours",
    "check_remove_colour",
    # notebook 02
    "check_pix2pix_scheme",
    "TINT_QUESTIONS",
    "check_tint_offset",
    "SQUARE_AMBIGUITY",
    "check_ambiguous_square",
    # notebook 03
    "check_best_constant_ab",
    "check_expected_squared_error",
    "check_training_step",
    # notebook 04
    "check_annealed_mean",
    "check_rebalancing_weights",
    "check_bin_index",
    "check_soft_encode",
    # notebook 05
    "HINT_PROBABILITIES",
    "check_expected_hint_count",
    "CLICK_CASES",
    "check_hint_for_click",
    # notebook 06
    "RECEPTIVE_FIELD_STACKS",
    "check_receptive_field",
    "check_pix2pix_generator_loss",
    # notebook 07
    "PSNR_CASES",
    "check_psnr_from_mse",
    "check_best_ab_scale",
    # notebook 09
    "check_orthochromatic_l",
    "WILSON_CASES",
    "check_wilson_interval",
    "check_ridge_probe",
]

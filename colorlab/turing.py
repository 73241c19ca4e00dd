"""A colorization "Turing test": real or colorized? The trials, the scoring and the fooling rate's interval.

Zhang, Isola and Efros (*Colorful Image Colorization*, ECCV 2016) asked people on Amazon
Mechanical Turk to pick the real photo out of a pair (real, colorized), shown side by side for a
short time; their full method fooled participants on about 32 % of trials (:data:`PAPER_FOOLING_RATE`;
50 % would mean indistinguishable). The kit's version shows **one photo at a time**, real or
colorized, for a short time, and the student answers ``"real"`` or ``"colorized"``. The
**fooling rate** is the share of *colorized* photos answered "real"; next to it, the share of
real photos answered "real" says how trusting the judge is (a judge who answers "real" to
everything is fooled every time, and learns nothing).

The widget is :class:`colorlab.widgets.TuringTest`; everything it computes is here, as plain
functions, so that a scripted answer list (:func:`score_answers`) gives the same report offline.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from colorlab.io import ColorlabError

__all__ = [
    "PAPER_FOOLING_RATE",
    "ANSWERS",
    "Trial",
    "TuringResult",
    "wilson_interval",
    "make_trials",
    "score_answers",
]

#: Zhang et al. 2016, Table 1: "Ours (full)" fooled participants on 32.3 % of the real-vs-fake pairs.
PAPER_FOOLING_RATE = 0.323
#: The two answers a judge can give.
ANSWERS = ("real", "colorized")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / trials``.

    Unlike the textbook ``p ± z sqrt(p(1-p)/n)`` it stays inside ``[0, 1]`` and does not
    collapse to a single point when ``successes`` is 0 or ``trials``: with few trials, the usual case
    for a classroom test, it is the better choice (Brown, Cai and DasGupta, *Interval Estimation
    for a Binomial Proportion*, Statistical Science 2001).

    Args:
        successes: count in ``[0, trials]``.
        trials: count ``>= 1``.
        confidence: in ``(0, 1)``, e.g. 0.95.

    Returns:
        ``(low, high)`` floats in ``[0, 1]``.
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ColorlabError(f"need 0 <= successes <= trials and trials >= 1, got {successes} of {trials}")
    if not 0.0 < confidence < 1.0:
        raise ColorlabError(f"confidence must be in (0, 1), got {confidence}")
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Trial:
    """One photo to judge: ``name`` (which photo), ``rgb`` ``(H, W, 3)`` uint8, and whether it is real."""

    name: str
    rgb: np.ndarray
    is_real: bool


@dataclass(frozen=True)
class TuringResult:
    """The outcome of a Turing test.

    Attributes:
        fooled: colorized photos answered "real".
        n_colorized: colorized photos judged.
        real_said_real: real photos answered "real".
        n_real: real photos judged.
        fooling_rate: ``fooled / n_colorized`` in ``[0, 1]``.
        interval: the 95 % Wilson interval of the fooling rate, ``(low, high)``.
    """

    fooled: int
    n_colorized: int
    real_said_real: int
    n_real: int
    fooling_rate: float
    interval: tuple[float, float]

    def summary(self) -> str:
        """One paragraph for a person: the rate, its interval, the paper's figure, the real photos."""
        low, high = self.interval
        text = (
            f"fooled on {self.fooled} of {self.n_colorized} colorized photos: fooling rate "
            f"{100 * self.fooling_rate:.0f} % (95 % interval {100 * low:.0f}-{100 * high:.0f} %); "
            f"Zhang et al. 2016: {100 * PAPER_FOOLING_RATE:.0f} % (pairs, their full method)."
        )
        if self.n_real:
            text += f" Real photos answered real: {self.real_said_real} of {self.n_real}."
        return text


def make_trials(
    photos: Mapping[str, np.ndarray],
    colorize: Callable[[np.ndarray], np.ndarray],
    *,
    seed: int = 0,
) -> list[Trial]:
    """The trials of a test: each photo once real and once colorized, in a seeded random order.

    The same photo appears twice, so a judge compares like with like (a real photo of one subject is
    not simply easier to believe than a colorization of another).

    Args:
        photos: ``{name: rgb (H, W, 3)}``, uint8 or float in ``[0, 1]``.
        colorize: ``rgb -> rgb (H, W, 3) uint8``, e.g. ``lambda rgb: colorlab.colorize(rgb, model)``
            (it greys the photo itself).
        seed: the order of the trials.

    Returns:
        ``2 * len(photos)`` :class:`Trial` objects, shuffled.
    """
    trials = []
    for name, rgb in photos.items():
        real = np.asarray(rgb)
        if real.dtype != np.uint8:
            real = (np.clip(real, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        trials.append(Trial(name, real, True))
        trials.append(Trial(name, np.asarray(colorize(rgb)), False))
    random.Random(seed).shuffle(trials)
    return trials


def _normalise_answer(answer: object, index: int) -> bool:
    """True for "real", False for "colorized" (also ``True`` / ``"r"`` / ``"c"`` / ``"fake"``)."""
    if isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    word = str(answer).strip().lower()
    if word in ("real", "r"):
        return True
    if word in ("colorized", "colourised", "colorised", "colourized", "c", "fake"):
        return False
    raise ColorlabError(f"answer {index + 1} is {answer!r}; answer 'real' or 'colorized'")


def score_answers(trials: Sequence[Trial], answers: Sequence[object], confidence: float = 0.95) -> TuringResult:
    """Score a judge's answers: the fooling rate with its Wilson interval (the static Turing test).

    Args:
        trials: the trials shown, in order (from :func:`make_trials`).
        answers: one per trial, ``"real"`` or ``"colorized"`` (or True for real, False for colorized).
        confidence: of the interval.

    Returns:
        a :class:`TuringResult`.

    Raises:
        ColorlabError: a different number of answers than trials, an unknown answer, or no colorized trial.
    """
    if len(answers) != len(trials):
        raise ColorlabError(f"{len(answers)} answers for {len(trials)} trials")
    said_real = [_normalise_answer(answer, index) for index, answer in enumerate(answers)]
    fooled = sum(said for trial, said in zip(trials, said_real) if not trial.is_real)
    n_colorized = sum(not trial.is_real for trial in trials)
    if n_colorized == 0:
        raise ColorlabError("no colorized photo among the trials: nothing to be fooled by")
    real_said_real = sum(said for trial, said in zip(trials, said_real) if trial.is_real)
    n_real = len(trials) - n_colorized
    return TuringResult(
        fooled=fooled,
        n_colorized=n_colorized,
        real_said_real=real_said_real,
        n_real=n_real,
        fooling_rate=fooled / n_colorized,
        interval=wilson_interval(fooled, n_colorized, confidence),
    )

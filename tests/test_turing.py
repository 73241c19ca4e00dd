"""colorlab.turing (the Turing test's trials, scoring and Wilson interval) and its widget's static path."""

import numpy as np
import pytest

from colorlab import turing
from colorlab.io import ColorlabError

Z95 = 1.959963984540054


def test_wilson_interval_matches_hand_computed_values():
    # 0 of 10: low 0, high z² / (n + z²) = 3.84146 / 13.84146 = 0.27753 (the Wald interval would be 0 .. 0)
    assert turing.wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-6)
    assert turing.wilson_interval(10, 10) == pytest.approx((1 - 0.277533, 1.0), abs=1e-6)
    # 5 of 10: centre 0.5, half-width z / (1 + z²/n) * sqrt(0.025 + z²/400) = 1.41600 * 0.18602 = 0.26340
    assert turing.wilson_interval(5, 10) == pytest.approx((0.236593, 0.763407), abs=1e-5)
    # the paper's 32.3 % over 1,000 pairs: about ±2.9 points
    low, high = turing.wilson_interval(323, 1000)
    assert low == pytest.approx(0.2946, abs=1e-3) and high == pytest.approx(0.3528, abs=1e-3)


def test_wilson_interval_narrows_with_more_trials_and_lower_confidence():
    widths = [np.subtract(*turing.wilson_interval(n // 3, n)[::-1]) for n in (6, 60, 600)]
    assert widths[0] > widths[1] > widths[2] > 0
    assert np.subtract(*turing.wilson_interval(10, 30, 0.9)[::-1]) < np.subtract(*turing.wilson_interval(10, 30)[::-1])
    for bad in ((3, 2), (-1, 5), (0, 0)):
        with pytest.raises(ColorlabError, match="successes <= trials"):
            turing.wilson_interval(*bad)
    with pytest.raises(ColorlabError, match="confidence"):
        turing.wilson_interval(1, 2, 1.5)


def _photos():
    rng = np.random.default_rng(0)
    return {name: rng.random((8, 10, 3)).astype(np.float32) for name in ("a", "b", "c")}


def _fake_colorize(rgb):
    return np.zeros((*np.asarray(rgb).shape[:2], 3), dtype=np.uint8)


def test_make_trials_shows_each_photo_once_real_and_once_colorized_in_a_seeded_order():
    photos = _photos()
    trials = turing.make_trials(photos, _fake_colorize, seed=3)
    assert len(trials) == 6
    assert sorted((trial.name, trial.is_real) for trial in trials) == [(n, r) for n in "abc" for r in (False, True)]
    for trial in trials:
        assert trial.rgb.dtype == np.uint8 and trial.rgb.shape == (8, 10, 3)
        if trial.is_real:  # float [0, 1] photos are rounded to 8 bits
            assert np.array_equal(trial.rgb, (photos[trial.name] * 255 + 0.5).astype(np.uint8))
        else:
            assert not trial.rgb.any()
    again = turing.make_trials(photos, _fake_colorize, seed=3)
    assert [(t.name, t.is_real) for t in again] == [(t.name, t.is_real) for t in trials]
    other = turing.make_trials(photos, _fake_colorize, seed=4)
    assert [(t.name, t.is_real) for t in other] != [(t.name, t.is_real) for t in trials]


def _trials(pattern: str) -> list:
    """'R' real, 'C' colorized, one trial each."""
    pixel = np.zeros((1, 1, 3), dtype=np.uint8)
    return [turing.Trial(f"photo{i}", pixel, kind == "R") for i, kind in enumerate(pattern)]


def test_score_answers_counts_the_colorized_photos_called_real():
    trials = _trials("RCCRCC")
    answers = ["real", "real", "colorized", "colorized", "r", True]  # colorized called real: trials 2, 5 ("r"), 6 (True)
    result = turing.score_answers(trials, answers)
    assert (result.fooled, result.n_colorized, result.real_said_real, result.n_real) == (3, 4, 1, 2)
    assert result.fooling_rate == 0.75
    assert result.interval == pytest.approx(turing.wilson_interval(3, 4))
    summary = result.summary()
    assert "fooled on 3 of 4" in summary and "75 %" in summary and "32 %" in summary and "1 of 2" in summary


@pytest.mark.parametrize(
    "trials, answers, message",
    [
        (_trials("RC"), ["real"], "1 answers for 2 trials"),
        (_trials("RC"), ["real", "maybe"], "answer 2 is 'maybe'"),
        (_trials("RR"), ["real", "real"], "no colorized photo"),
    ],
)
def test_score_answers_rejects_bad_answer_lists(trials, answers, message):
    with pytest.raises(ColorlabError, match=message):
        turing.score_answers(trials, answers)


def test_the_widget_scores_like_the_static_version():
    widgets = pytest.importorskip("colorlab.widgets")
    trials = turing.make_trials(_photos(), _fake_colorize, seed=0)
    answers = ["real" if trial.name == "a" else "colorized" for trial in trials]
    test = widgets.TuringTest(trials, seconds=None)
    assert test.progress.value.startswith("photo 1 of 6") and test.result is None
    first_image = test.image.value
    for answer in answers:
        test.answer(answer)
    assert test.answers == answers
    assert test.result == turing.score_answers(trials, answers)
    assert test.result.fooled == 1 and test.report.value.startswith("fooled on 1 of 3")
    assert all(button.disabled for button in test.buttons) and test.image.value != first_image
    test.answer("real")  # after the end: ignored
    assert len(test.answers) == 6
    with pytest.raises(ColorlabError, match="at least one trial"):
        widgets.TuringTest([])


def test_the_widget_hides_the_photo_when_time_is_up():
    widgets = pytest.importorskip("colorlab.widgets")
    test = widgets.TuringTest(turing.make_trials(_photos(), _fake_colorize), seconds=2.0)  # no running event loop here
    shown = test.image.value
    test.hide()
    assert test.image.value != shown and len(test.answers) == 0

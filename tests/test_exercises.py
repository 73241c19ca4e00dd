"""colorlab.exercises: each check passes the reference solution and gives the right hint for usual mistakes."""

import numpy as np
import pytest
import skimage.color
import torch

from colorlab import color, exercises
from colorlab.io import ColorlabError

CORRECT_LAB_ANSWERS = {
    "L of white": 100,
    "L of black": 0,
    "sign of a for red": "+",
    "sign of a for green": "-",
    "sign of b for blue": "-",
    "sign of b for yellow": "+",
}


def _not_implemented(*args):
    raise NotImplementedError


def _srgb_solution(rgb):
    return torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _remove_colour_solution(rgb):
    l, ab = color.rgb_to_l_ab(rgb)  # noqa: E741
    return color.l_ab_to_rgb(l, torch.zeros_like(ab))


def _verdict(capsys) -> str:
    return capsys.readouterr().out


# --- the mechanism ----------------------------------------------------------------------------


def test_registry_holds_the_notebook_checks():
    assert exercises.CHECKS["srgb_to_linear"] is exercises.check_srgb_to_linear
    assert exercises.CHECKS["lab_of_colours"] is exercises.check_lab_of_colours
    assert exercises.CHECKS["remove_colour"] is exercises.check_remove_colour


def test_check_by_name_dispatches_and_rejects_unknown_names(capsys):
    assert exercises.check("srgb_to_linear", _srgb_solution) is True
    assert "✅ Correct!" in _verdict(capsys)
    with pytest.raises(ColorlabError, match="no exercise check named 'nope'.*srgb_to_linear"):
        exercises.check("nope", None)


def test_register_adds_a_check_that_prints_and_returns_bool(capsys, monkeypatch):
    monkeypatch.setattr(exercises, "CHECKS", dict(exercises.CHECKS))

    @exercises.register("is_42")
    def check_is_42(answer):
        if answer != 42:
            raise exercises.NotYet(f"{answer} is not the answer.", "think of a towel.")
        return "that's the one."

    assert exercises.CHECKS["is_42"] is check_is_42
    assert check_is_42(42) is True
    assert _verdict(capsys) == "✅ Correct! that's the one.\n"
    assert check_is_42(41) is False
    assert _verdict(capsys) == "❌ Not yet: 41 is not the answer.\n   Hint: think of a towel.\n"
    with pytest.raises(ValueError, match="already registered"):
        exercises.register("is_42")(lambda answer: "")


# --- srgb_to_linear ---------------------------------------------------------------------------


def test_srgb_check_passes_the_solution_and_a_numpy_version(capsys):
    assert exercises.check_srgb_to_linear(_srgb_solution) is True
    out = _verdict(capsys)
    assert out.startswith("✅ Correct!")
    assert "21.4%" in out  # sRGB 0.5 is 21.4 % of white's light: computed, and checked against skimage here
    assert skimage.color.rgb2xyz(np.full((1, 1, 3), 0.5))[0, 0, 1] == pytest.approx(0.214, abs=5e-4)

    def numpy_version(rgb):
        values = np.asarray(rgb)
        return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)

    assert exercises.check_srgb_to_linear(numpy_version) is True


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda rgb: rgb**2.2, "x ** 2.2 is the popular approximation"),
        (lambda rgb: ((rgb + 0.055) / 1.055) ** 2.4, "check the linear piece"),
        (lambda rgb: torch.where(rgb <= 0.04045, rgb / 12.92, rgb**2.4), "check the power piece"),
        (lambda rgb: rgb, "You returned the input unchanged"),
        (lambda rgb: rgb.sum(), "returned shape ()"),
        (lambda rgb: "linear", "not an array of real numbers"),
    ],
)
def test_srgb_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_srgb_to_linear(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:")
    assert "Hint:" in out and expected_hint in out


def test_srgb_check_reports_not_done_errors_and_in_place_edits(capsys):
    assert exercises.check_srgb_to_linear(_not_implemented) is False
    assert "still raises NotImplementedError" in _verdict(capsys)
    assert exercises.check_srgb_to_linear(None) is False
    assert "still None" in _verdict(capsys)
    assert exercises.check_srgb_to_linear(3.0) is False
    assert "should be a function" in _verdict(capsys)

    def crashes(rgb):
        return rgb.no_such_method()

    assert exercises.check_srgb_to_linear(crashes) is False
    out = _verdict(capsys)
    assert "raised AttributeError" in out and "Traceback" not in out

    def in_place(rgb):
        rgb.copy_(_srgb_solution(rgb))
        return rgb

    assert exercises.check_srgb_to_linear(in_place) is False
    assert "modified its input" in _verdict(capsys)


def test_srgb_check_requires_image_shaped_inputs_to_work(capsys):
    def flat_only(rgb):
        result = _srgb_solution(rgb)
        return result if rgb.dim() == 1 else result.flip(0)

    assert exercises.check_srgb_to_linear(flat_only) is False
    assert "(3, H, W) image" in _verdict(capsys)


# --- lab_of_colours ---------------------------------------------------------------------------


def test_lab_questions_match_skimage():
    for question, (rgb, quantity, _hint) in exercises.LAB_QUESTIONS.items():
        lab = skimage.color.rgb2lab(np.array([[rgb]]))[0, 0]
        answer = CORRECT_LAB_ANSWERS[question]
        if quantity == "L":
            assert lab[0] == pytest.approx(answer, abs=1e-3), question
        else:
            assert np.sign(lab[1 if quantity == "sign of a" else 2]) == (1 if answer == "+" else -1), question


def test_lab_check_passes_correct_answers_in_several_spellings(capsys):
    assert exercises.check_lab_of_colours(CORRECT_LAB_ANSWERS) is True
    assert "L = 53.4" in _verdict(capsys)  # the mid-grey bonus: skimage gives 53.39
    spelled = {**CORRECT_LAB_ANSWERS, "L of white": 99.5, "sign of a for red": "Positive", "sign of b for blue": -1}
    assert exercises.check_lab_of_colours(spelled) is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"L of white": 255}, "L of white: 255 is not right"),
        ({"L of black": "0"}, "L of black: expected a number"),
        ({"sign of a for red": "-"}, "sign of a for red: '-' is the wrong sign"),
        ({"sign of b for yellow": "up"}, 'write "+" or "-"'),
        ({"sign of b for blue": 0}, 'write "+" or "-"'),
    ],
)
def test_lab_check_names_each_wrong_answer(capsys, changes, expected):
    assert exercises.check_lab_of_colours({**CORRECT_LAB_ANSWERS, **changes}) is False
    out = _verdict(capsys)
    assert "1 of 6 wrong" in out and expected in out and "Hint:" in out


def test_lab_check_reports_unanswered_questions(capsys):
    assert exercises.check_lab_of_colours(None) is False
    assert "still None" in _verdict(capsys)
    assert exercises.check_lab_of_colours({**CORRECT_LAB_ANSWERS, "L of black": None}) is False
    out = _verdict(capsys)
    assert "no answer yet for: L of black." in out
    assert exercises.check_lab_of_colours([100, 0]) is False
    assert "should be a dict" in _verdict(capsys)


# --- remove_colour ----------------------------------------------------------------------------


def test_remove_colour_check_passes_the_solution_and_a_skimage_version(capsys):
    assert exercises.check_remove_colour(_remove_colour_solution) is True
    assert _verdict(capsys).startswith("✅ Correct!")

    def skimage_version(rgb):
        lab = skimage.color.rgb2lab(rgb.permute(1, 2, 0).numpy())
        lab[..., 1:] = 0
        return torch.from_numpy(skimage.color.lab2rgb(lab)).permute(2, 0, 1)

    assert exercises.check_remove_colour(skimage_version) is True


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda rgb: rgb.mean(dim=0, keepdim=True).expand(3, -1, -1), "plain mean of R, G, B"),
        (lambda rgb: rgb, "A grey pixel has R = G = B"),
        (lambda rgb: _remove_colour_solution(rgb) * 0.9, "Keep the lightness L"),
        (lambda rgb: color.rgb_to_l_ab(rgb)[0], "returned shape (1, 4, 8)"),
        (_not_implemented, "still raises NotImplementedError"),
    ],
)
def test_remove_colour_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_remove_colour(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_remove_colour_check_rejects_in_place_edits(capsys):
    def in_place(rgb):
        rgb.copy_(_remove_colour_solution(rgb))
        return rgb

    assert exercises.check_remove_colour(in_place) is False
    assert "modified its input image" in _verdict(capsys)

"""colorlab.exercises: each check passes the reference solution and gives the right hint for usual mistakes."""

import json
import math
from pathlib import Path

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


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Every test starts each exercise's graded hints from the first step."""
    exercises.reset_hints()
    yield
    exercises.reset_hints()


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
    registry = dict(exercises.CHECKS)  # register() and check() use the registry of colorlab.exercises._core
    monkeypatch.setattr(exercises._core, "CHECKS", registry)
    monkeypatch.setattr(exercises, "CHECKS", registry)
    monkeypatch.setattr(exercises._core, "HINTS", dict(exercises.HINTS))

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


def test_srgb_check_passes_the_solution_and_asks_for_a_tensor_not_a_numpy_array(capsys):
    assert exercises.check_srgb_to_linear(_srgb_solution) is True
    out = _verdict(capsys)
    assert out.startswith("✅ Correct!")
    assert "21.4%" in out  # sRGB 0.5 is 21.4 % of white's light: computed, and checked against skimage here
    assert skimage.color.rgb2xyz(np.full((1, 1, 3), 0.5))[0, 0, 1] == pytest.approx(0.214, abs=5e-4)

    def numpy_version(rgb):
        values = np.asarray(rgb)
        return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)

    assert exercises.check_srgb_to_linear(numpy_version) is False  # the exercise asks for a tensor
    assert "returned a numpy array; the exercise asks for a torch tensor" in _verdict(capsys)
    assert exercises.check_srgb_to_linear(lambda rgb: torch.from_numpy(numpy_version(rgb))) is True


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda rgb: rgb**2.2, "x ** 2.2 is the popular approximation"),
        (lambda rgb: ((rgb + 0.055) / 1.055) ** 2.4, "check the straight piece"),
        (lambda rgb: torch.where(rgb <= 0.04045, rgb / 12.92, rgb**2.4), "check the power piece"),
        (lambda rgb: rgb, "You returned the input unchanged"),
        (lambda rgb: rgb.sum(), "returned shape ()"),
        (lambda rgb: "linear", "the exercise asks for a torch tensor"),
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
    assert "no answer yet for: L of black: replace every None" in out
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


# --- notebook 02: pix2pix_scheme ------------------------------------------------------------------


def _pix2pix_normalize(l, ab):  # noqa: E741
    return l / 50 - 1, ab / 110


def _pix2pix_denormalize(l_norm, ab_norm):
    return (l_norm + 1) * 50, ab_norm * 110


def test_pix2pix_check_passes_the_solution_and_matches_the_documented_formulas(capsys):
    assert exercises.check_pix2pix_scheme((_pix2pix_normalize, _pix2pix_denormalize)) is True
    assert _verdict(capsys).startswith("✅ Correct!")
    assert exercises.check("pix2pix_scheme", [_pix2pix_normalize, _pix2pix_denormalize]) is True
    # the reference the check uses is the documented pix2pix scheme: L 0, 50, 100 -> -1, 0, 1; ab / 110
    l_norm, ab_norm = color.normalize_lab(torch.tensor([0.0, 50.0, 100.0]).view(1, 3, 1), torch.full((2, 3, 1), 55.0), "pix2pix")
    assert l_norm.flatten().tolist() == [-1.0, 0.0, 1.0] and torch.allclose(ab_norm, torch.full_like(ab_norm, 0.5))


@pytest.mark.parametrize(
    ("normalize", "denormalize", "expected"),
    [
        (lambda l, ab: ((l - 50) / 100, ab / 110), _pix2pix_denormalize, "That is the zhang scheme"),
        (lambda l, ab: (l / 100, ab / 110), _pix2pix_denormalize, "That lies in [0, 1]"),
        (lambda l, ab: (l, ab / 110), _pix2pix_denormalize, "L came back unchanged"),
        (lambda l, ab: (l / 50 - 1, ab / 128), _pix2pix_denormalize, "not 128"),
        (lambda l, ab: (l / 50 - 1, ab), _pix2pix_denormalize, "ab came back unchanged"),
        (_pix2pix_normalize, lambda l, ab: (l * 100 + 50, ab * 110), "That is the zhang inverse"),
        (_pix2pix_normalize, lambda l, ab: ((l + 1) * 50, ab), "almost grey image"),
        (_pix2pix_normalize, lambda l, ab: ((l + 1) * 50, ab * 100), "Undo the division of ab"),
        (lambda l, ab: torch.cat((l, ab), 1), _pix2pix_denormalize, "should return a pair (l_norm, ab_norm)"),
        (lambda l, ab: (l[:, 0], ab), _pix2pix_denormalize, "returned shape (2, 4, 5)"),
        (_not_implemented, _pix2pix_denormalize, "normalize_pix2pix` still raises NotImplementedError"),
        (_pix2pix_normalize, _not_implemented, "denormalize_pix2pix` still raises NotImplementedError"),
    ],
)
def test_pix2pix_check_hints_for_usual_mistakes(capsys, normalize, denormalize, expected):
    assert exercises.check_pix2pix_scheme((normalize, denormalize)) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected in out and "Traceback" not in out


def test_pix2pix_check_rejects_missing_functions_and_in_place_edits(capsys):
    assert exercises.check_pix2pix_scheme(_pix2pix_normalize) is False
    assert "should be the pair" in _verdict(capsys)
    assert exercises.check_pix2pix_scheme((None, _pix2pix_denormalize)) is False
    assert "`normalize_pix2pix` is still None" in _verdict(capsys)

    def in_place(l, ab):  # noqa: E741
        return l.sub_(50).div_(50), ab.div_(110)

    assert exercises.check_pix2pix_scheme((in_place, _pix2pix_denormalize)) is False
    assert "modified its input" in _verdict(capsys)


# --- notebook 02: tint_offset ---------------------------------------------------------------------

CORRECT_TINT_ANSWERS = {"a of a grey pixel": 55, "b of a grey pixel": 55.0, "a of a pixel with a = 60, b = 0": 85}


def test_tint_questions_follow_the_encoding_and_colorlab_decoder(capsys):
    # independent arithmetic: stored = a / 220 + 0.5, the viewer multiplies by 110
    for question, ((a, b), channel) in exercises.TINT_QUESTIONS.items():
        stored = (a, b)[channel] / 220 + 0.5
        assert CORRECT_TINT_ANSWERS[question] == pytest.approx(stored * 110), question
    assert exercises.check_tint_offset(CORRECT_TINT_ANSWERS) is True
    assert "(0.5 a + 55, 0.5 b + 55)" in _verdict(capsys)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"a of a grey pixel": 0}, "0 is the true value"),
        ({"b of a grey pixel": -55}, "wrong sign"),
        ({"a of a pixel with a = 60, b = 0": 115}, "scaled too"),
        ({"a of a pixel with a = 60, b = 0": 70}, "Follow one number through the bug"),
        ({"a of a grey pixel": "55"}, "expected a number"),
    ],
)
def test_tint_check_hints_for_usual_mistakes(capsys, changes, expected):
    assert exercises.check_tint_offset({**CORRECT_TINT_ANSWERS, **changes}) is False
    out = _verdict(capsys)
    assert "1 of 3 wrong" in out and expected in out


def test_tint_check_reports_unanswered_questions(capsys):
    assert exercises.check_tint_offset(None) is False
    assert "still None" in _verdict(capsys)
    assert exercises.check_tint_offset({**CORRECT_TINT_ANSWERS, "b of a grey pixel": None}) is False
    assert "no answer yet for: b of a grey pixel: replace every None" in _verdict(capsys)
    assert exercises.check_tint_offset([55, 55, 85]) is False
    assert "should be a dict" in _verdict(capsys)


# --- notebook 02: ambiguous_square ----------------------------------------------------------------


def test_ambiguous_square_check_agrees_with_the_synthetic_scenes(capsys):
    from colorlab.data import SyntheticScenes

    # measured: square pixels of scenes with ambiguity 0.5 average to the expected guess
    scenes = SyntheticScenes(n=300, size=32, ambiguity=exercises.SQUARE_AMBIGUITY, seed=3)
    pixels = torch.cat([scenes.lab(i)[1:, scenes.masks(i)["square"]] for i in range(len(scenes))], dim=1)
    measured = pixels.mean(dim=1)
    assert abs(measured[0].item() + 2.5) < 2 and abs(measured[1].item() - 27.5) < 8  # pixel-weighted: close, not exact
    assert exercises.check_ambiguous_square({"a": -2.5, "b": 27.5}) is True
    assert "(-2.5, 27.5)" in _verdict(capsys)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"a": 0, "b": 0}, "answer for ambiguity = 1"),
        ({"a": -5, "b": 55}, "most likely colour"),
        ({"a": 2.5, "b": -27.5}, "swapped the probabilities"),
        ({"a": -2.5, "b": 10}, "Which single guess makes the *average* squared error smallest"),
        ({"a": -2.5, "b": None}, "needs a number for both"),
        ({"a": "-2.5", "b": 27.5}, "should hold numbers"),
        ((-2.5, 27.5), "should be a dict"),
        (None, "still None"),
    ],
)
def test_ambiguous_square_check_hints(capsys, answer, expected):
    assert exercises.check_ambiguous_square(answer) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected in out


# --- notebook 03: best_constant_ab, expected_squared_error -----------------------------------------


def _best_constant_solution(ab, mask):
    return ab.permute(1, 0, 2, 3)[:, mask].mean(dim=1)


def _best_constant_numpy(ab, mask):
    ab, mask = ab.numpy(), mask.numpy()
    return np.moveaxis(ab, 1, -1)[mask].mean(axis=0)  # (P, 2) -> (2,)


def _expected_error_solution(guess, colours, probabilities):
    return (probabilities * ((colours - guess) ** 2).sum(dim=-1)).sum()


def _expected_error_loop(guess, colours, probabilities):
    total = 0.0
    for (a, b), p in zip(colours.tolist(), probabilities.tolist()):
        total += p * ((guess[0].item() - a) ** 2 + (guess[1].item() - b) ** 2)
    return total


def test_notebook_03_checks_are_registered():
    assert exercises.CHECKS["best_constant_ab"] is exercises.check_best_constant_ab
    assert exercises.CHECKS["expected_squared_error"] is exercises.check_expected_squared_error


@pytest.mark.parametrize("solution", [_best_constant_solution, lambda ab, mask: torch.from_numpy(_best_constant_numpy(ab, mask))])
def test_best_constant_check_passes_the_solution(capsys, solution):
    assert exercises.check_best_constant_ab(solution) is True
    assert "(0, 0): grey" in _verdict(capsys)


def test_best_constant_ab_is_the_least_squares_constant():
    # the reference answer really minimises the squared error: any nudge makes it worse
    ab, mask = exercises._best_constant_test_case()
    pixels = ab.permute(1, 0, 2, 3)[:, mask]
    best = _best_constant_solution(ab, mask)

    def squared_error(guess):
        return ((pixels - guess[:, None]) ** 2).sum().item()

    for nudge in ([1.0, 0.0], [0.0, -1.0], [0.3, 0.3]):
        assert squared_error(best + torch.tensor(nudge, dtype=torch.float64)) > squared_error(best)


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda ab, mask: ab.mean(dim=(0, 2, 3)), "only the pixels where `mask` is True"),
        (lambda ab, mask: torch.stack([ab[i][:, mask[i]].mean(1) for i in range(len(ab)) if mask[i].any()]).mean(0),
         "averaged per image"),
        (lambda ab, mask: ab.permute(1, 0, 2, 3)[:, mask].median(dim=1).values, "That is the median"),
        (lambda ab, mask: ab.permute(1, 0, 2, 3)[:, mask].mean(dim=1) + 1, "Which one number sits closest"),
        (lambda ab, mask: ab.permute(1, 0, 2, 3)[:, mask].mean(dim=1).numpy(), "asks for a torch tensor"),
        (lambda ab, mask: ab[:, :, 0, 0], "expected one (a, b) pair"),
        (lambda ab, mask: "grey", "asks for a torch tensor"),
        (_not_implemented, "still raises NotImplementedError"),
        (lambda ab, mask: ab[mask], "raised IndexError"),
        (None, "still None"),
    ],
)
def test_best_constant_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_best_constant_ab(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_best_constant_check_rejects_in_place_edits(capsys):
    def clearing(ab, mask):
        result = _best_constant_solution(ab, mask)
        mask[:] = False
        return result

    assert exercises.check_best_constant_ab(clearing) is False
    assert "modified its input" in _verdict(capsys)


@pytest.mark.parametrize("solution", [_expected_error_solution, _expected_error_loop])
def test_expected_error_check_passes_the_solution(capsys, solution):
    assert exercises.check_expected_squared_error(solution) is True
    out = _verdict(capsys)
    yellow = torch.tensor([-5.0, 55.0], dtype=torch.float64)
    blue = torch.tensor([5.0, -55.0], dtype=torch.float64)
    grey = ((yellow**2).sum() + (blue**2).sum()).item() / 2  # the mean (0, 0) is at distance |yellow| from both
    vivid = ((yellow - blue) ** 2).sum().item() / 2  # right half of the time, 110.5 away otherwise
    assert f"guessing grey costs {grey:.0f}" in out and f"guessing yellow {vivid:.0f}" in out and "2.0x" in out


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda g, c, p: (p * ((c - g) ** 2).sum(-1).sqrt()).sum(), "Square the distances"),
        (lambda g, c, p: ((c - g) ** 2).sum(-1).mean(), "Weight each colour by its probability"),
        (lambda g, c, p: (p * ((c - g) ** 2).mean(-1)).sum(), "instead of averaging them"),
        (lambda g, c, p: (p * ((c - g) ** 2).sum(-1)).sum().sqrt(), "Leave out the final square root"),
        (lambda g, c, p: p * ((c - g) ** 2).sum(-1), "Sum over the colours"),
        (lambda g, c, p: (p * ((c - g) ** 2).sum(-1)).sum() + 1, "An expected value is an average"),
        (_not_implemented, "still raises NotImplementedError"),
        (lambda g, c, p: c.reshape(7).sum(), "raised RuntimeError"),
        (None, "still None"),
        (3.0, "should be a function"),
    ],
)
def test_expected_error_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_expected_squared_error(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_expected_error_check_rejects_in_place_edits(capsys):
    def centring(guess, colours, probabilities):
        colours -= guess  # modifies the caller's tensor
        return (probabilities * (colours**2).sum(-1)).sum()

    assert exercises.check_expected_squared_error(centring) is False
    assert "modified its input" in _verdict(capsys)


# --- notebook 04: ECCV16 ----------------------------------------------------------------------------


def _annealed_mean_solution(probabilities, centres, temperature):
    sharpened = probabilities ** (1.0 / temperature)
    return (sharpened / sharpened.sum()) @ centres


def _annealed_mean_softmax(probabilities, centres, temperature):
    return (torch.softmax(torch.log(probabilities) / temperature, dim=0)[:, None] * centres).sum(dim=0)


@pytest.mark.parametrize("solution", [_annealed_mean_solution, _annealed_mean_softmax])
def test_annealed_mean_check_passes_the_solution(capsys, solution):
    assert exercises.check_annealed_mean(solution) is True
    out = _verdict(capsys)
    assert out.startswith("✅ Correct!") and "matches colorlab.bins.decode" in out
    yellow, blue = torch.tensor([-5.0, 55.0], dtype=torch.float64), torch.tensor([5.0, -55.0], dtype=torch.float64)
    p = torch.tensor([0.55, 0.45], dtype=torch.float64)
    mean_chroma = (p @ torch.stack((yellow, blue))).norm().item()
    assert f"the mean has chroma {mean_chroma:.1f}" in out


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda p, c, t: (p**t / (p**t).sum()) @ c, "power T"),
        (lambda p, c, t: p ** (1 / t) @ c, "no longer sum to 1"),
        (lambda p, c, t: p @ c, "plain mean"),
        (lambda p, c, t: c[p.argmax()], "That is the mode"),
        (lambda p, c, t: (p ** (1 / t) / (p ** (1 / t)).sum()) @ c + 1.0, "make the distribution peakier"),
        (lambda p, c, t: ((p ** (1 / t) / (p ** (1 / t)).sum()) @ c).numpy(), "asks for a torch tensor"),
        (lambda p, c, t: p ** (1 / t), "shape (2,)"),
        (_not_implemented, "still raises NotImplementedError"),
        (lambda p, c, t: c @ p, "raised RuntimeError"),
        (None, "still None"),
        ("p ** (1 / T)", "should be a function"),
    ],
)
def test_annealed_mean_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_annealed_mean(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_annealed_mean_check_rejects_in_place_edits(capsys):
    def sharpening_in_place(probabilities, centres, temperature):
        probabilities **= 1.0 / temperature
        probabilities /= probabilities.sum()
        return probabilities @ centres

    assert exercises.check_annealed_mean(sharpening_in_place) is False
    assert "modified its input" in _verdict(capsys)


def _rebalancing_solution(prior, lam):
    weights = 1.0 / ((1.0 - lam) * prior + lam / len(prior))
    return weights / (prior * weights).sum()


def test_rebalancing_weights_check_passes_the_solution_and_matches_bins(capsys):
    from colorlab import bins

    assert exercises.check_rebalancing_weights(_rebalancing_solution) is True
    out = _verdict(capsys)
    prior = torch.tensor([0.7, 0.2, 0.09, 0.01], dtype=torch.float64)
    reference = bins.rebalancing_weights(prior, torch.zeros(4, 2), lam=0.5, sigma=0.0)
    np.testing.assert_allclose(reference.numpy(), _rebalancing_solution(prior, 0.5).numpy(), rtol=1e-12)
    assert f"weighs {(reference[-1] / reference[0]).item():.1f}x the commonest" in out and "weigh 70x" in out


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda p, lam: 1.0 / ((1.0 - lam) * p + lam / len(p)), "now scale the weights"),
        (lambda p, lam: (w := 1.0 / ((1.0 - lam) * p + lam / len(p))) / w.mean(), "not with the plain mean"),
        (lambda p, lam: (w := 1.0 / ((1.0 - lam) * p + lam / len(p))) / w.sum(), "should not sum to 1"),
        (lambda p, lam: (w := 1.0 / (lam * p + (1.0 - lam) / len(p))) / (p * w).sum(), "share of the *uniform*"),
        (lambda p, lam: (w := (1.0 - lam) * p + lam / len(p)) / (p * w).sum(), "take the inverse"),
        (lambda p, lam: 1.0 / p / (p * (1.0 / p)).sum(), "Rare colours must weigh more"),
        (lambda p, lam: torch.ones(3), "shape (4,)"),
        (_not_implemented, "still raises NotImplementedError"),
        (None, "still None"),
    ],
)
def test_rebalancing_weights_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_rebalancing_weights(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_rebalancing_weights_check_rejects_in_place_edits(capsys):
    def mixing_in_place(prior, lam):
        prior.mul_(1.0 - lam).add_(lam / len(prior))
        return 1.0 / prior

    assert exercises.check_rebalancing_weights(mixing_in_place) is False
    assert "modified its input" in _verdict(capsys)


def _bin_index_solution(ab, centres):
    return int(((centres - ab) ** 2).sum(dim=1).argmin())


def _bin_index_by_rounding(ab, centres):
    # the tempting shortcut: round to the grid, then look the grid point up (fails where it is not a bin)
    target = (ab / 10).round() * 10
    matches = (centres == target).all(dim=1).nonzero()
    return int(matches[0]) if len(matches) else -1


@pytest.mark.parametrize(
    "solution", [_bin_index_solution, lambda ab, c: torch.cdist(ab[None], c).argmin(), lambda ab, c: np.int64((c - ab).norm(dim=1).argmin())]
)
def test_bin_index_check_passes_the_solution(capsys, solution):
    assert exercises.check_bin_index(solution) is True
    assert "matches colorlab.bins.nearest_bin" in _verdict(capsys)


def test_bin_index_cases_cover_a_border_colour_whose_grid_point_is_no_bin():
    from colorlab import bins

    ab, centres, what = exercises._bin_index_cases()[2]
    grid_point = (ab / 10).round() * 10
    assert not (centres == grid_point).all(dim=1).any()
    assert (centres[bins.nearest_bin(ab.view(1, 2, 1, 1), centres).item()] - ab).norm() < 10


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda ab, c: c[((c - ab) ** 2).sum(1).argmin()], "not the centre itself"),
        (lambda ab, c: int(((c - ab) ** 2).sum(1).argmax()), "That is the farthest centre"),
        (lambda ab, c: int((c - ab).abs().sum(1).argmin()), "the L1 distance"),
        (_bin_index_by_rounding, "An index must be in [0, 229)"),
        (lambda ab, c: float(((c - ab) ** 2).sum(1).argmin()), "not an integer index"),
        (lambda ab, c: int(((c - ab) ** 2).sum(1).argmin()) + 1, "closest to it on the ab plane"),
        (_not_implemented, "still raises NotImplementedError"),
        (None, "still None"),
    ],
)
def test_bin_index_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_bin_index(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_bin_index_check_rejects_in_place_edits(capsys):
    def centring_in_place(ab, centres):
        centres -= ab
        return int((centres**2).sum(1).argmin())

    assert exercises.check_bin_index(centring_in_place) is False
    assert "modified its input" in _verdict(capsys)


def test_notebook_04_checks_are_registered():
    assert exercises.CHECKS["annealed_mean"] is exercises.check_annealed_mean
    assert exercises.CHECKS["rebalancing_weights"] is exercises.check_rebalancing_weights
    assert exercises.CHECKS["bin_index"] is exercises.check_bin_index


# --- notebook 05: SIGGRAPH17 user hints ------------------------------------------------------


def test_expected_hint_count_check_passes_the_solution_and_reports_the_sampler(capsys):
    assert exercises.check_expected_hint_count(lambda p: (1 - p) / p) is True
    out = _verdict(capsys)
    assert out.startswith("✅ Correct!") and "7 hints on average" in out
    assert exercises.CHECKS["expected_hint_count"] is exercises.check_expected_hint_count
    from colorlab import hints  # the mean the message quotes comes from the kit's sampler, close to (1 - p) / p

    counts = hints.sample_hint_counts(200_000, hints.HINT_PROBABILITY, torch.Generator().manual_seed(5)).double()
    assert f"{counts.mean().item():.2f} over 200,000 draws" in out and abs(counts.mean().item() - 7) < 0.1


def _expected_hints_by_series(p):
    return sum(k * p * (1 - p) ** k for k in range(20_000))


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda p: 1 / p, "counts the final tails too"),
        (lambda p: p / (1 - p), "wrong way round"),
        (lambda p: 1 - p, "chance of at least one hint"),
        (lambda p: 1 / (1 - p), "sum k P(K = k) over k"),
        (lambda p: 7, "expected_hints(0.3) returned 7"),
        (lambda p: [1, 2], "Return one number"),
        (_not_implemented, "still raises NotImplementedError"),
        (None, "still None"),
    ],
)
def test_expected_hint_count_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_expected_hint_count(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_expected_hint_count_check_accepts_a_summed_series(capsys):
    assert exercises.check_expected_hint_count(_expected_hints_by_series) is True  # float sums within 1e-6
    assert _verdict(capsys).startswith("✅ Correct!")


def _hint_for_click(y, x, ab, size, patch):
    hint, mask = torch.zeros(1, 2, size, size), torch.zeros(1, 1, size, size)
    top, left = min(max(y - patch // 2, 0), size - patch), min(max(x - patch // 2, 0), size - patch)
    hint[0, 0, top:top + patch, left:left + patch] = ab[0] / 110
    hint[0, 1, top:top + patch, left:left + patch] = ab[1] / 110
    mask[0, 0, top:top + patch, left:left + patch] = 1
    return hint, mask


def _with_mask(fn):
    """A student function whose mask comes from ``fn`` but whose colours are right."""

    def student(y, x, ab, size, patch):
        reference_hint, _ = _hint_for_click(y, x, ab, size, patch)
        _, mask = fn(y, x, ab, size, patch)
        return reference_hint * mask, mask

    return student


def test_hint_for_click_check_passes_the_solution_and_matches_user_hints(capsys):
    from colorlab import hints

    assert exercises.check_hint_for_click(_hint_for_click) is True
    assert "torch.cat((l_norm, ab_hint_norm, mask), dim=1)" in _verdict(capsys)
    assert exercises.CHECKS["hint_for_click"] is exercises.check_hint_for_click
    for y, x, ab, size, patch in exercises.CLICK_CASES:  # the reference the check uses is user_hints
        expected = hints.user_hints([(y, x, ab)], size, patch=patch)
        for ours, theirs in zip(_hint_for_click(y, x, ab, size, patch), expected):
            torch.testing.assert_close(ours, theirs)
    assert any(y < patch // 2 or x + patch // 2 >= size for y, x, _, size, patch in exercises.CLICK_CASES)  # a border case


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda y, x, ab, s, p: _hint_for_click(x, y, ab, s, p), "x and y are swapped"),
        (_with_mask(lambda y, x, ab, s, p: _hint_for_click(min(y + p // 2, s - 1), min(x + p // 2, s - 1), ab, s, p)),
         "not its top-left corner"),
        (lambda y, x, ab, s, p: exercises._click_cut_off(y, x, ab, s, p), "move it inside instead"),
        (lambda y, x, ab, s, p: (_hint_for_click(y, x, ab, s, p)[0], torch.zeros(1, 1, s, s)), "The mask is all zeros"),
        (lambda y, x, ab, s, p: (_hint_for_click(y, x, ab, s, p)[0] * 110, _hint_for_click(y, x, ab, s, p)[1]), "divide a and b by 110"),
        (lambda y, x, ab, s, p: _hint_for_click(y, x, ab[::-1], s, p), "a goes in channel 0"),
        (lambda y, x, ab, s, p: (torch.zeros(1, 2, s, s), _hint_for_click(y, x, ab, s, p)[1]), "hint channels are all zeros"),
        (lambda y, x, ab, s, p: (torch.full((1, 2, s, s), ab[0] / 110), _hint_for_click(y, x, ab, s, p)[1]), "0 outside the patch"),
        (lambda y, x, ab, s, p: _hint_for_click(y, x, ab, s, p)[0], "should return a pair"),
        (lambda y, x, ab, s, p: (torch.zeros(2, s, s), torch.zeros(1, s, s)), "expected (1, 2,"),
        (_not_implemented, "still raises NotImplementedError"),
        (None, "still None"),
    ],
)
def test_hint_for_click_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_hint_for_click(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


# --- notebook 07 -------------------------------------------------------------------------------


def test_psnr_from_mse_check_agrees_with_metrics_psnr(capsys):
    import math

    from colorlab import metrics

    assert exercises.check_psnr_from_mse(lambda mse, top: 10 * math.log10(top**2 / mse))
    # the reference formula is the kit's own: a uniform error of 0.1 has MSE 0.01 -> 20 dB
    pred, target = torch.full((1, 3, 8, 8), 0.6), torch.full((1, 3, 8, 8), 0.5)
    assert metrics.psnr(pred, target).item() == pytest.approx(20.0, abs=1e-4)
    assert "3.01 dB" in capsys.readouterr().out


@pytest.mark.parametrize(
    "student, expected_hint",
    [
        (lambda mse, top: 10 * math.log(top**2 / mse), "base-10"),
        (lambda mse, top: 10 * math.log10(top / mse), "square the maximum"),
        (lambda mse, top: math.log10(top**2 / mse), "ten times"),
        (lambda mse, top: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_psnr_from_mse_check_hints(capsys, student, expected_hint):
    assert not exercises.check_psnr_from_mse(student)
    assert expected_hint in capsys.readouterr().out


def test_best_ab_scale_check_passes_least_squares_and_matches_a_grid_search(capsys):
    assert exercises.check_best_ab_scale(lambda pred, true: (pred * true).sum() / (pred * pred).sum())
    ab_pred, ab_true = exercises._scale_cases()[0]
    scales = torch.linspace(0.5, 3.0, 2501, dtype=torch.float64)
    errors = torch.stack([((s * ab_pred - ab_true) ** 2).sum() for s in scales])
    best = (ab_pred * ab_true).sum() / (ab_pred * ab_pred).sum()
    assert scales[errors.argmin()].item() == pytest.approx(best.item(), abs=1e-3)


@pytest.mark.parametrize(
    "student, expected_hint",
    [
        (lambda pred, true: (pred * pred).sum() / (pred * true).sum(), "Upside down"),
        (lambda pred, true: true.norm() / pred.norm(), "pair each predicted value with its true value"),
        (lambda pred, true: pred.mul_(1.0).sum() * 0 + 1.0 if pred.add_(1) is not None else 0, "modified its input"),
        (None, "still None"),
    ],
)
def test_best_ab_scale_check_hints(capsys, student, expected_hint):
    assert not exercises.check_best_ab_scale(student)
    assert expected_hint in capsys.readouterr().out


# --- hints in steps: every registered check ---------------------------------------------------

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _cells(path: Path, tagged_solution: bool) -> list[str]:
    """The sources of the cells of notebook ``path`` that are (or are not) tagged ``solution``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if ("solution" in cell.get("metadata", {}).get("tags", [])) == tagged_solution]


def _notebook_of(name: str) -> Path | None:
    """The notebook of the check ``name``: module ``nbNN_*`` -> ``notebooks/NN_*.ipynb`` (None while it is not written)."""
    module = exercises.CHECKS[name].__module__.rsplit(".", 1)[-1]
    found = [path for path in NOTEBOOKS if path.name.startswith(module[2:4] + "_")]
    return found[0] if found else None


#: What a student copy leaves in an exercise cell: a stub function, a pair of stubs, None, or a dict of Nones.
UNANSWERED_STUBS = (None, _not_implemented, (_not_implemented, _not_implemented), {})


def test_every_registered_check_declares_graded_hints_and_key_expressions():
    assert set(exercises.HINTS) == set(exercises.CHECKS)
    for name, declared in exercises.HINTS.items():
        assert len(declared.steps) >= 2, f"{name}: give at least an idea and a more specific step"
        assert declared.key, f"{name}: declare the solution's key expression(s), register(name, key=...)"


@pytest.mark.parametrize("name", sorted(exercises.CHECKS))
def test_key_expressions_are_the_solution_cells_code_and_appear_nowhere_else_in_the_notebooks(name):
    notebook = _notebook_of(name)
    if notebook is None:
        pytest.skip(f"the notebook of {name!r} is not written yet")
    solutions = "\n".join(_cells(notebook, True))
    everything_else = "\n".join(cell for path in NOTEBOOKS for cell in _cells(path, False))
    for expression in exercises.HINTS[name].key:
        assert expression in solutions, f"{name}: {expression!r} is not in a solution cell of {notebook.name}"
        assert expression not in everything_else, f"{name}: {expression!r} is given away outside the solution cells"


@pytest.mark.parametrize("name", sorted(exercises.CHECKS))
def test_first_hint_on_an_unanswered_stub_names_the_idea_not_the_key_expression(capsys, name):
    declared = exercises.HINTS[name]
    for stub in UNANSWERED_STUBS:
        exercises.reset_hints()
        assert exercises.check(name, stub) is False
        out = _verdict(capsys)
        assert out.startswith("❌ Not yet:") and "Traceback" not in out
        for expression in declared.key:
            assert expression not in out, f"{name}: the first hint on {stub!r} shows {expression!r}"
    first_hints = []
    for stub in UNANSWERED_STUBS:
        exercises.reset_hints()
        exercises.check(name, stub)
        first_hints.append(_verdict(capsys))
    assert any(declared.steps[0] in out for out in first_hints)  # the exercise's own stub gets the idea


@pytest.mark.parametrize("name", sorted(exercises.CHECKS))
def test_no_hint_step_shows_a_key_expression(name):
    declared = exercises.HINTS[name]
    for step in declared.steps:
        for expression in declared.key:
            assert expression not in step


def test_later_tries_and_hint_get_more_specific_then_stay_on_the_last_step(capsys):
    steps = exercises.HINTS["bin_index"].steps
    assert len(steps) == 3
    exercises.check_bin_index(_not_implemented)
    first = _verdict(capsys)
    assert "(1/3) " + steps[0] in first and "exercises.hint('bin_index')" in first
    assert steps[1] in exercises.hint("bin_index") and steps[1] in _verdict(capsys)
    exercises.check_bin_index(_not_implemented)
    third = _verdict(capsys)
    assert "(3/3) " + steps[2] in third and "exercises.hint" not in third  # the last step: no "still stuck"
    assert steps[2] in exercises.hint("bin_index")  # stays on the last step
    exercises.reset_hints("bin_index")
    exercises.check_bin_index(_not_implemented)
    assert steps[0] in _verdict(capsys)
    with pytest.raises(ColorlabError, match="no exercise check named 'nope'"):
        exercises.hint("nope")


def test_a_recognised_mistake_keeps_its_specific_hint_and_does_not_use_up_a_step(capsys):
    exercises.check_bin_index(lambda ab, c: int(((c - ab) ** 2).sum(1).argmax()))
    assert "That is the farthest centre" in _verdict(capsys)
    exercises.check_bin_index(_not_implemented)
    assert exercises.HINTS["bin_index"].steps[0] in _verdict(capsys)


def test_checks_without_graded_hints_work_as_before(capsys, monkeypatch):
    registry, hints = dict(exercises.CHECKS), dict(exercises.HINTS)
    monkeypatch.setattr(exercises._core, "CHECKS", registry)
    monkeypatch.setattr(exercises._core, "HINTS", hints)

    @exercises.register("plain")
    def check_plain(answer):
        if answer is None:
            raise exercises.NotYet("still None.")
        if answer != 1:
            raise exercises.NotYet(f"{answer} is wrong.", "try 1.")
        return "yes."

    assert check_plain(None) is False
    assert _verdict(capsys) == "❌ Not yet: still None.\n"
    assert check_plain(2) is False
    assert _verdict(capsys) == "❌ Not yet: 2 is wrong.\n   Hint: try 1.\n"
    assert "no step-by-step hints" in exercises.hint("plain")
    assert check_plain(1) is True


def test_register_refuses_a_step_that_gives_away_the_key():
    with pytest.raises(ValueError, match="gives away the key expression 'x \\+ 1'"):
        exercises.register("leaky", steps=("compute x + 1",), key=("x + 1",))


# --- notebook 03: training_step ----------------------------------------------------------------


def _training_step_solution(model, optimizer, l_norm, ab_norm):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(l_norm), ab_norm)
    loss.backward()
    optimizer.step()
    return loss.item()


def _training_step_variant(loss_fn=torch.nn.functional.mse_loss, zero_grad=True, step=True):
    def student(model, optimizer, l_norm, ab_norm):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(l_norm), ab_norm)
        loss.backward()
        if step:
            optimizer.step()
        return loss.item()

    return student


def test_training_step_check_passes_the_solution_and_matches_supervised_task(capsys):
    assert exercises.check_training_step(_training_step_solution) is True
    assert "match colorlab's SupervisedTask" in _verdict(capsys)
    # the reference really is colorlab's step: its losses are the MSE of a fresh copy before each update
    from colorlab.exercises import nb03_regression

    losses, _ = nb03_regression._reference_training(13, 1e-2)
    model = nb03_regression._tiny_regressor(13)
    l_norm, ab_norm = nb03_regression._training_batches(13)[0]
    assert losses[0] == pytest.approx(torch.nn.functional.mse_loss(model(l_norm), ab_norm).item(), rel=1e-6)
    assert len(set(round(loss, 6) for loss in losses)) == 3  # the weights move between steps
    # returning the loss tensor instead of a float is fine
    assert exercises.check_training_step(lambda *args: torch.tensor(_training_step_solution(*args))) is True


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (_training_step_variant(zero_grad=False), "clear the old gradients"),
        (_training_step_variant(step=False), "the weights never change"),
        (_training_step_variant(loss_fn=torch.nn.functional.l1_loss), "mean *absolute* error"),
        (_training_step_variant(loss_fn=lambda out, ab: ((out - ab) ** 2).sum()), "You summed the squared errors"),
        (_training_step_variant(loss_fn=lambda out, ab: torch.nn.functional.mse_loss(out, ab).sqrt()), "leave out the square root"),
        (lambda model, optimizer, l_norm, ab_norm: model(l_norm), "the loss as one number"),
    ],
)
def test_training_step_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_training_step(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


# --- notebook 04: soft_encode ------------------------------------------------------------------


def _soft_encode_solution(ab, centres, k=5, sigma=5.0, normalize=True):
    n, _, h, w = ab.shape
    pixels = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    distance, index = torch.cdist(pixels, centres).topk(k, dim=1, largest=False)
    weight = torch.exp(-distance**2 / (2 * sigma**2))
    if normalize:
        weight = weight / weight.sum(dim=1, keepdim=True)
    target = torch.zeros(len(pixels), len(centres), dtype=ab.dtype).scatter_(1, index, weight)
    return target.view(n, h, w, -1).permute(0, 3, 1, 2)


def test_soft_encode_check_passes_the_solution_and_matches_bins(capsys):
    from colorlab import bins

    assert exercises.check_soft_encode(_soft_encode_solution) is True
    assert "matches colorlab.bins.soft_encode" in _verdict(capsys)
    ab = torch.tensor([[[[8.0]], [[-43.0]]]], dtype=torch.float64)
    target = bins.soft_encode(ab, bins.gamut_bins().double())[0, :, 0, 0]
    assert int((target > 0).sum()) == 5 and target.sum().item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("student", "expected_hint"),
    [
        (lambda ab, c: _soft_encode_solution(ab, c, k=1), "that is the hard encoding"),
        (lambda ab, c: _soft_encode_solution(ab, c, k=len(c)), "only the 5 nearest centres"),
        (lambda ab, c: _soft_encode_solution(ab, c, normalize=False), "must sum to 1"),
        (lambda ab, c: _soft_encode_solution(ab, c, sigma=10.0), "check the Gaussian weight"),
        (lambda ab, c: _soft_encode_solution(ab, c).permute(0, 2, 3, 1), "bins along dimension 1"),
        (lambda ab, c: _soft_encode_solution(ab, c).numpy(), "asks for a torch tensor"),
    ],
)
def test_soft_encode_check_hints_for_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_soft_encode(student) is False
    out = _verdict(capsys)
    assert out.startswith("❌ Not yet:") and expected_hint in out


def test_soft_encode_check_rejects_in_place_edits(capsys):
    def in_place(ab, centres):
        result = _soft_encode_solution(ab, centres)
        ab.zero_()
        return result

    assert exercises.check_soft_encode(in_place) is False
    assert "modified its input" in _verdict(capsys)


# --- notebook 05: hint_for_click on random clicks ------------------------------------------------


def test_hint_for_click_check_tries_random_clicks_at_borders_and_with_even_patches():
    from colorlab.exercises import nb05_hints

    clicks = nb05_hints._random_clicks()
    assert len(set(clicks)) == len(clicks) == 6
    assert any(patch % 2 == 0 for *_, patch in clicks)
    assert any(min(y, x) < patch // 2 or max(y, x) > size - 1 - patch // 2 for y, x, _, size, patch in clicks)

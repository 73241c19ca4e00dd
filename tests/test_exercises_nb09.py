"""Notebook 09's exercise checks: each passes the reference solution and names the usual mistakes."""

import math

import numpy as np
import pytest
import torch

from colorlab import color, exercises, film, turing


@pytest.fixture(autouse=True)
def _fresh_hints():
    exercises.reset_hints()
    yield
    exercises.reset_hints()


def _out(capsys) -> str:
    return capsys.readouterr().out


def _not_implemented(*args):
    raise NotImplementedError


def test_notebook_09_checks_are_registered_with_graded_hints():
    for name in ("orthochromatic_l", "wilson_interval", "ridge_probe"):
        assert name in exercises.CHECKS and len(exercises.HINTS[name].steps) >= 2 and exercises.HINTS[name].key


@pytest.mark.parametrize("name", ["orthochromatic_l", "wilson_interval", "ridge_probe"])
def test_first_hint_on_the_stub_is_the_idea_without_formula_or_code(capsys, name):
    assert exercises.check(name, _not_implemented) is False
    out = _out(capsys)
    idea = exercises.HINTS[name].steps[0]
    assert f"(1/{len(exercises.HINTS[name].steps)}) {idea}" in out
    for forbidden in ("=", "torch.", "sqrt", "(p", "@"):  # no formula, no code
        assert forbidden not in idea, (name, forbidden)


# --- exercise 1: orthochromatic_l ------------------------------------------------------------------


def _ortho_solution(rgb):
    weights = torch.tensor(film.FILM_WEIGHTS["orthochromatic"], dtype=rgb.dtype).view(3, 1, 1)
    y_film = (color.srgb_to_linear(rgb) * weights).sum(dim=1, keepdim=True)
    return color.rgb_to_l(color.linear_to_srgb(y_film).expand(-1, 3, -1, -1).contiguous())


def _ortho_lab_formula(rgb):  # the same by the CIE formula, written out
    weights = torch.tensor([0.0, 0.4, 0.6], dtype=rgb.dtype).view(3, 1, 1)
    y = (color.srgb_to_linear(rgb) * weights).sum(dim=1, keepdim=True)
    f = torch.where(y > 0.008856, y.clamp(min=1e-12) ** (1 / 3), 7.787 * y + 16 / 116)
    return 116 * f - 16


@pytest.mark.parametrize("solution", [_ortho_solution, _ortho_lab_formula, lambda rgb: film.film_l(rgb, "orthochromatic")])
def test_orthochromatic_check_passes_solutions(capsys, solution):
    assert exercises.check_orthochromatic_l(solution) is True
    assert "pure red prints as L = 0" in _out(capsys)


def _weighted(rgb, weights, linear=True):
    weights = torch.tensor(weights, dtype=rgb.dtype).view(3, 1, 1)
    return ((color.srgb_to_linear(rgb) if linear else rgb) * weights).sum(dim=1, keepdim=True)


@pytest.mark.parametrize(
    "student, expected_hint",
    [
        (lambda rgb: color.rgb_to_l(_weighted(rgb, (0, 0.4, 0.6), linear=False).expand(-1, 3, -1, -1).contiguous()), "undo the sRGB gamma"),
        (lambda rgb: _weighted(rgb, (0, 0.4, 0.6)), "the film's luminance Y"),
        (lambda rgb: 100 * _weighted(rgb, (0, 0.4, 0.6)), "not 100 * Y"),
        (lambda rgb: color.rgb_to_l(rgb), "the eye's weights"),
        (lambda rgb: film.film_l(rgb.flip(1), "orthochromatic"), "order R, G, B"),
        (lambda rgb: film.film_l(rgb, "blue"), "(1/3)"),  # an unrecognised answer gets the next graded step
        (lambda rgb: film.film_l(rgb, "orthochromatic")[:, 0], "keepdim"),
    ],
)
def test_orthochromatic_check_names_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_orthochromatic_l(student) is False
    assert expected_hint in _out(capsys)


def test_orthochromatic_check_rejects_in_place_edits_numpy_and_none(capsys):
    def in_place(rgb):
        result = film.film_l(rgb, "orthochromatic")
        rgb.zero_()
        return result

    assert exercises.check_orthochromatic_l(in_place) is False
    assert "modified its input in place" in _out(capsys)
    assert exercises.check_orthochromatic_l(lambda rgb: film.film_l(rgb, "orthochromatic").numpy()) is False
    assert "numpy array" in _out(capsys)
    assert exercises.check_orthochromatic_l(None) is False
    assert "still None" in _out(capsys)


def test_orthochromatic_reference_is_colorlab_film():
    rgb = torch.rand((1, 3, 4, 4), dtype=torch.float64)
    assert torch.equal(exercises.reference("orthochromatic_l")(rgb), film.film_l(rgb, "orthochromatic"))


# --- exercise 2: wilson_interval -------------------------------------------------------------------


def _wilson_solution(fooled, n):
    z, p_hat = 1.96, fooled / n
    centre = (p_hat + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p_hat * (1 - p_hat) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _wilson_by_roots(fooled, n):  # the quadratic |p_hat - p| = z sqrt(p(1-p)/n) solved with numpy
    z, p_hat = 1.96, fooled / n
    roots = np.roots([1 + z * z / n, -(2 * p_hat + z * z / n), p_hat * p_hat])
    return float(roots.min()), float(roots.max())


@pytest.mark.parametrize("solution", [_wilson_solution, _wilson_by_roots, lambda f, n: turing.wilson_interval(f, n)])
def test_wilson_check_passes_solutions(capsys, solution):
    assert exercises.check_wilson_interval(solution) is True
    assert "four times as many trials" in _out(capsys)


def _wald(fooled, n, clip=False):
    p = fooled / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return (max(0.0, p - half), min(1.0, p + half)) if clip else (p - half, p + half)


def _wilson_z(z):
    def interval(fooled, n):
        p = fooled / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    return interval


@pytest.mark.parametrize(
    "student, expected_hint",
    [
        (_wald, "textbook (Wald) interval"),
        (lambda f, n: _wald(f, n, clip=True), "clipping does not help"),
        (_wilson_z(1.645), "90 % interval"),
        (_wilson_z(1.0), "about 68 %"),
        (lambda f, n: tuple(100 * v for v in _wilson_solution(f, n)), "not percentages"),
        (lambda f, n: f / n, "a pair (low, high)"),
        (lambda f, n: (f / n - 0.1, f / n + 0.1), "(1/3)"),
    ],
)
def test_wilson_check_names_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_wilson_interval(student) is False
    assert expected_hint in _out(capsys)


def test_wilson_cases_include_the_edges_where_wald_collapses():
    assert (0, 12) in exercises.WILSON_CASES and (12, 12) in exercises.WILSON_CASES


# --- exercise 3: ridge_probe -----------------------------------------------------------------------


def _ridge_solution(train_features, train_labels, test_features, n_classes, lam):
    x = torch.cat([train_features, torch.ones(len(train_features), 1, dtype=train_features.dtype)], dim=1)
    targets = torch.nn.functional.one_hot(train_labels, n_classes).to(x.dtype)
    weight = torch.linalg.solve(x.T @ x + lam * torch.eye(x.shape[1], dtype=x.dtype), x.T @ targets)
    test = torch.cat([test_features, torch.ones(len(test_features), 1, dtype=x.dtype)], dim=1)
    return (test @ weight).argmax(dim=1)


def _ridge_numpy(train_features, train_labels, test_features, n_classes, lam):
    x = np.hstack([train_features.numpy(), np.ones((len(train_features), 1))])
    targets = np.eye(n_classes)[train_labels.numpy()]
    weight = np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ targets)
    return torch.from_numpy((np.hstack([test_features.numpy(), np.ones((len(test_features), 1))]) @ weight).argmax(axis=1))


@pytest.mark.parametrize("solution", [_ridge_solution, _ridge_numpy])
def test_ridge_check_passes_solutions(capsys, solution):
    assert exercises.check_ridge_probe(solution) is True
    assert "linear probe" in _out(capsys)


def _ridge_without_bias(train_features, train_labels, test_features, n_classes, lam):
    targets = torch.nn.functional.one_hot(train_labels, n_classes).to(train_features.dtype)
    eye = torch.eye(train_features.shape[1], dtype=train_features.dtype)
    weight = torch.linalg.solve(train_features.T @ train_features + lam * eye, train_features.T @ targets)
    return (test_features @ weight).argmax(dim=1)


def _ridge_scores(train_features, train_labels, test_features, n_classes, lam):
    x = torch.cat([train_features, torch.ones(len(train_features), 1, dtype=train_features.dtype)], dim=1)
    targets = torch.nn.functional.one_hot(train_labels, n_classes).to(x.dtype)
    weight = torch.linalg.solve(x.T @ x + lam * torch.eye(x.shape[1], dtype=x.dtype), x.T @ targets)
    return torch.cat([test_features, torch.ones(len(test_features), 1, dtype=x.dtype)], dim=1) @ weight


def _ridge_integer_targets(train_features, train_labels, test_features, n_classes, lam):
    x = torch.cat([train_features, torch.ones(len(train_features), 1, dtype=train_features.dtype)], dim=1)
    weight = torch.linalg.solve(x.T @ x + lam * torch.eye(x.shape[1], dtype=x.dtype), x.T @ train_labels.to(x.dtype))
    test = torch.cat([test_features, torch.ones(len(test_features), 1, dtype=x.dtype)], dim=1)
    return (test @ weight).round().clamp(0, n_classes - 1).long()


@pytest.mark.parametrize(
    "student, expected_hint",
    [
        (_ridge_without_bias, "add a column of ones"),
        (_ridge_scores, "class with the highest score"),
        (_ridge_integer_targets, "(1/3)"),
        (lambda *args: torch.zeros(3), "shape (45,)"),
    ],
)
def test_ridge_check_names_usual_mistakes(capsys, student, expected_hint):
    assert exercises.check_ridge_probe(student) is False
    assert expected_hint in _out(capsys)


def test_ridge_check_rejects_in_place_edits(capsys):
    def in_place(train_features, train_labels, test_features, n_classes, lam):
        result = _ridge_solution(train_features, train_labels, test_features, n_classes, lam)
        train_features -= train_features.mean(0)
        return result

    assert exercises.check_ridge_probe(in_place) is False
    assert "modified its input in place" in _out(capsys)


def test_ridge_reference_separates_the_probe_cases_it_checks_with():
    from colorlab.exercises import nb09_beyond

    train, labels, test, n_classes, lam = nb09_beyond._probe_cases()[0]
    predicted = exercises.reference("ridge_probe")(train, labels, test, n_classes, lam)
    assert (predicted == (test[:, 0] > 5).long()).double().mean() > 0.9  # the threshold at x0 = 5, found with the bias

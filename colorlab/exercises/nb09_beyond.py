"""Exercise checks for notebook 09: beyond the classics (film response, the Turing test, linear probes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from colorlab.exercises._core import (
    NotYet,
    _as_float64_tensor,
    _as_result,
    _call_student,
    _require_function,
    register,
)

# --- exercise 1: the grey values of an orthochromatic plate ------------------------------------

_ORTHO_STEPS = (
    "A plate records the light that reaches it, weighted by how sensitive it is to each colour (an "
    "orthochromatic one is blind to red); the print is then read as lightness, the way the kit reads any grey.",
    "Undo the sRGB gamma first: the weights of colorlab.film.FILM_WEIGHTS['orthochromatic'] apply to linear "
    "light. Their weighted sum is the film's luminance Y, between 0 and 1.",
    "Turn Y into lightness with the CIE formula (L = 116 f(Y) - 16, a cube root above a small threshold), or "
    "let colorlab do it: the lightness of a grey sRGB pixel whose linear value is Y everywhere is that L.",
)
_ORTHO_KEY = ("(color.srgb_to_linear(rgb) * weights).sum(", "color.linear_to_srgb(y_film)")


def _ortho_cases() -> list[torch.Tensor]:
    """rgb ``(N, 3, H, W)`` float64 test images: pure primaries and greys, then random colours."""
    primaries = torch.tensor(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0], [0.5, 0.5, 0.5], [0.8, 0.2, 0.1], [0.2, 0.4, 0.9]],
        dtype=torch.float64,
    ).T.reshape(1, 3, 2, 4)
    generator = torch.Generator().manual_seed(9)
    return [primaries, torch.rand((2, 3, 5, 6), generator=generator, dtype=torch.float64)]


def reference_orthochromatic_l(rgb: torch.Tensor) -> torch.Tensor:
    """colorlab's answer to ``orthochromatic_l``: :func:`colorlab.film.film_l` with ``"orthochromatic"``."""
    from colorlab import film  # imported here: film pulls in the colorize path's modules

    return film.film_l(rgb, "orthochromatic")


@register("orthochromatic_l", steps=_ORTHO_STEPS, key=_ORTHO_KEY, reference=reference_orthochromatic_l)
def check_orthochromatic_l(fn: Callable[[torch.Tensor], Any]) -> str:
    """Check ``orthochromatic_l(rgb) -> l``: the lightness an orthochromatic plate records.

    ``fn`` receives ``rgb (N, 3, H, W)`` float64 sRGB in ``[0, 1]`` and must return
    ``l (N, 1, H, W)`` in ``[0, 100]`` equal to ``colorlab.film.film_l(rgb, "orthochromatic")``
    within 1e-3 L units, without modifying ``rgb``.
    """
    from colorlab import color, film

    name = "orthochromatic_l"
    _require_function(fn, name)
    weights = torch.tensor(film.FILM_WEIGHTS["orthochromatic"], dtype=torch.float64).view(3, 1, 1)
    for index, rgb in enumerate(_ortho_cases()):
        given = rgb.clone()
        raw = _call_student(fn, name, given)
        if not torch.equal(given, rgb):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave `rgb` as it is.")
        shape = torch.Size((rgb.shape[0], 1, *rgb.shape[-2:]))
        result = _as_float64_tensor(raw, name, shape, "One grey value per pixel: keep a channel dimension of size 1 (keepdim=True).")
        expected = film.film_l(rgb, "orthochromatic")
        if (result - expected).abs().max().item() <= 1e-3:
            continue
        y_gamma = (rgb * weights).sum(dim=1, keepdim=True)
        y_linear = (color.srgb_to_linear(rgb) * weights).sum(dim=1, keepdim=True)
        variants = {
            "no linearisation": color.rgb_to_l(y_gamma.expand(-1, 3, -1, -1).contiguous()),
            "luminance not lightness": y_linear,
            "linear lightness": 100.0 * y_linear,
            "the eye's weights": color.rgb_to_l(rgb),
            "channels reversed": film.film_l(rgb.flip(1), "orthochromatic"),
        }
        hints = {
            "no linearisation": "The weights apply to *light*: undo the sRGB gamma before weighting the channels.",
            "luminance not lightness": "That is the film's luminance Y in [0, 1]; the exercise asks for the lightness L in [0, 100].",
            "linear lightness": "Lightness is not 100 * Y: the eye's response is roughly a cube root of luminance (the Lab formula).",
            "the eye's weights": "That is the panchromatic L (the eye's weights): an orthochromatic plate gives red no weight.",
            "channels reversed": "The channels are in the order R, G, B: red is channel 0 and gets no weight.",
        }
        problem = f"on test image {index + 1}, L differs from the expected values by up to {(result - expected).abs().max().item():.3g}."
        for mistake, variant in variants.items():
            if (result - variant).abs().max().item() <= 1e-3:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    red = film.film_l(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64).view(1, 3, 1, 1), "orthochromatic").item()
    return (
        f"pure red prints as L = {red:.0f} on an orthochromatic plate (the eye sees L = 53), and a blue sky "
        "comes out much paler: the colorizer is handed a photo whose greys lie about the colours."
    )


# --- exercise 2: the fooling rate's 95 % interval ------------------------------------------------

_WILSON_STEPS = (
    "With few trials the observed rate is rough: keep every true fooling rate under which your count would "
    "not be surprising, judging 'surprising' with the spread that the *candidate* rate implies (Wilson's score interval).",
    "Keep the true rates p with |p̂ - p| <= z * sqrt(p (1 - p) / n), z = 1.96 for 95 %. That inequality is "
    "quadratic in p: its two roots are the interval's ends. The centre moves from p̂ towards 1/2.",
    "Centre (p̂ + z²/(2n)) / (1 + z²/n); half-width z / (1 + z²/n) * sqrt(p̂(1 - p̂)/n + z²/(4n²)).",
)
_WILSON_KEY = ("(p_hat + z * z / (2 * n)) / (1 + z * z / n)",)
#: The (fooled, n) pairs the Wilson check tries.
WILSON_CASES = ((10, 30), (0, 12), (12, 12), (32, 100), (1, 5), (323, 1000))


def reference_wilson_interval(fooled: int, n: int) -> tuple[float, float]:
    """colorlab's answer to ``wilson_interval``: :func:`colorlab.turing.wilson_interval` at 95 %."""
    from colorlab.turing import wilson_interval

    return wilson_interval(fooled, n, 0.95)


@register("wilson_interval", steps=_WILSON_STEPS, key=_WILSON_KEY, reference=reference_wilson_interval)
def check_wilson_interval(fn: Callable[[int, int], Any]) -> str:
    """Check ``wilson_interval(fooled, n) -> (low, high)``: the 95 % Wilson score interval, within 5e-4."""
    import math

    name = "wilson_interval"
    _require_function(fn, name)
    for fooled, n in WILSON_CASES:
        raw = _call_student(fn, name, fooled, n)
        if not isinstance(raw, (tuple, list)) or len(raw) != 2:
            raise NotYet(f"`{name}` should return a pair (low, high), got a {type(raw).__name__}.", "End with `return low, high`.")
        low, high = (_as_result(value, name, (), "a number", "Each end of the interval is one number.").item() for value in raw)
        expected = reference_wilson_interval(fooled, n)
        if abs(low - expected[0]) <= 5e-4 and abs(high - expected[1]) <= 5e-4:
            continue
        p = fooled / n
        half = 1.96 * math.sqrt(p * (1 - p) / n)
        variants = {
            "wald": (p - half, p + half),
            "90 %": _wilson(fooled, n, 1.645),
            "z = 1": _wilson(fooled, n, 1.0),
            "percent": tuple(100 * value for value in expected),
        }
        hints = {
            "wald": "That is the textbook (Wald) interval, centred on the observed rate with its own spread: it leaves "
            "[0, 1] (clipping does not help) and collapses to a point at 0 or n of n. Judge each candidate rate with *its* spread.",
            "90 %": "z = 1.645 gives a 90 % interval; 95 % needs z = 1.96.",
            "z = 1": "z = 1 gives about 68 %; 95 % needs z = 1.96.",
            "percent": "Return proportions in [0, 1], not percentages.",
        }
        problem = f"wilson_interval({fooled}, {n}) returned ({low:.4f}, {high:.4f}), expected ({expected[0]:.4f}, {expected[1]:.4f})."
        for mistake, (v_low, v_high) in variants.items():
            if abs(low - v_low) <= 5e-4 and abs(high - v_high) <= 5e-4:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    low, high = reference_wilson_interval(10, 30)
    return (
        f"10 fooled of 30 is 33 %, but anything from {100 * low:.0f} % to {100 * high:.0f} % fits: one student's test "
        "cannot tell a model from the paper's 32 %. To halve the interval, you need about four times as many trials."
    )


def _wilson(fooled: int, n: int, z: float) -> tuple[float, float]:
    import math

    p = fooled / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# --- exercise 3: a linear probe by least squares ------------------------------------------------

_PROBE_STEPS = (
    "A linear probe asks how much a frozen representation already knows: fit one linear score per class on "
    "the features alone (here by regularised least squares towards one-hot targets) and predict the class "
    "with the highest score.",
    "Add a column of ones to the features (the bias). Make the targets one-hot, (N, n_classes). Solve the "
    "ridge normal equations (X^T X + lam I) W = X^T Y for W with torch.linalg.solve.",
    "Scores of the test items: the test features, with their own column of ones, times W, shape (M, n_classes); "
    "the prediction is the argmax over the classes.",
)
_PROBE_KEY = ("torch.linalg.solve(x.T @ x + lam * torch.eye(x.shape[1], dtype=x.dtype), x.T @ targets)",)


def reference_ridge_probe(
    train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor, n_classes: int, lam: float
) -> torch.Tensor:
    """colorlab's answer to ``ridge_probe``: least-squares linear classifier with a bias column, ``(M,)`` int64 predictions."""
    x = torch.cat([train_features, torch.ones(len(train_features), 1, dtype=train_features.dtype)], dim=1)
    targets = torch.nn.functional.one_hot(train_labels, n_classes).to(x.dtype)
    weight = torch.linalg.solve(x.T @ x + lam * torch.eye(x.shape[1], dtype=x.dtype), x.T @ targets)
    test = torch.cat([test_features, torch.ones(len(test_features), 1, dtype=test_features.dtype)], dim=1)
    return (test @ weight).argmax(dim=1)


def _probe_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, int, float]]:
    """Three cases: a threshold only a bias can place, clustered classes, more features than samples (lam needed)."""
    generator = torch.Generator().manual_seed(5)
    cases = []
    # 1. two classes split at x0 = 5: a boundary that does not pass through the origin
    train = torch.stack([3 + 4 * torch.rand(60, generator=generator, dtype=torch.float64), torch.randn(60, generator=generator, dtype=torch.float64)], 1)
    test = torch.stack([3 + 4 * torch.rand(45, generator=generator, dtype=torch.float64), torch.randn(45, generator=generator, dtype=torch.float64)], 1)
    cases.append((train, (train[:, 0] > 5).long(), test, 2, 0.1))
    # 2. and 3. Gaussian clusters; in 3 there are more features (80) than training rows (60)
    for n_classes, dim, lam, spread in ((4, 10, 1e-3, 2.0), (3, 80, 50.0, 1.0)):
        centres = torch.randn((n_classes, dim), generator=generator, dtype=torch.float64) + 4.0
        train_labels = torch.arange(60) % n_classes
        test_labels = torch.arange(45) % n_classes
        train = centres[train_labels] + spread * torch.randn((60, dim), generator=generator, dtype=torch.float64)
        test = centres[test_labels] + spread * torch.randn((45, dim), generator=generator, dtype=torch.float64)
        cases.append((train, train_labels, test, n_classes, lam))
    return cases


@register("ridge_probe", steps=_PROBE_STEPS, key=_PROBE_KEY, reference=reference_ridge_probe)
def check_ridge_probe(fn: Callable[..., Any]) -> str:
    """Check ``ridge_probe(train_features, train_labels, test_features, n_classes, lam) -> (M,)`` class predictions.

    ``fn`` receives ``train_features (N, D)`` float64, ``train_labels (N,)`` int64 in
    ``[0, n_classes)``, ``test_features (M, D)`` float64, ``n_classes`` and ``lam > 0``, and must
    return the predicted class of each test row, ``(M,)`` integers, agreeing with
    :func:`reference_ridge_probe` on at least 97 % of the rows, without modifying its inputs.
    """
    name = "ridge_probe"
    _require_function(fn, name)
    for index, (train, labels, test, n_classes, lam) in enumerate(_probe_cases()):
        given = (train.clone(), labels.clone(), test.clone())
        raw = _call_student(fn, name, *given, n_classes, lam)
        if not (torch.equal(given[0], train) and torch.equal(given[1], labels) and torch.equal(given[2], test)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        if isinstance(raw, torch.Tensor) and raw.dim() == 2 and raw.shape == (len(test), n_classes):
            raise NotYet(
                f"`{name}` returned scores of shape {tuple(raw.shape)}, not one class per row.",
                "Return the class with the highest score for each test row (argmax over the classes).",
            )
        predicted = _as_result(raw, name, (len(test),), f"one class per test row: shape ({len(test)},)").round().long()
        expected = reference_ridge_probe(train, labels, test, n_classes, lam)
        agreement = (predicted == expected).double().mean().item()
        if agreement >= 0.97:
            continue
        without_bias = _ridge_variant(train, labels, test, n_classes, lam, bias=False)
        unregularised = _ridge_variant(train, labels, test, n_classes, 1e-9, bias=True)
        problem = f"on test case {index + 1} your predictions agree with the reference on {100 * agreement:.0f} % of the rows."
        if (predicted == without_bias).double().mean().item() >= 0.97:
            raise NotYet(problem, "Without a bias the scores must pass through the origin: add a column of ones to the features.")
        if lam > 10 and (predicted == unregularised).double().mean().item() >= 0.97:
            raise NotYet(problem, "Use `lam`: add lam times the identity to X^T X (ridge), which keeps few samples from overfitting.")
        raise NotYet(problem)
    return (
        "that is a linear probe: the encoder stays frozen, only a linear map is fitted. If it separates the classes, "
        "the features already did most of the work."
    )


def _ridge_variant(train, labels, test, n_classes, lam, *, bias: bool) -> torch.Tensor:
    if bias:
        return reference_ridge_probe(train, labels, test, n_classes, lam)
    targets = torch.nn.functional.one_hot(labels, n_classes).to(train.dtype)
    weight = torch.linalg.solve(train.T @ train + lam * torch.eye(train.shape[1], dtype=train.dtype), train.T @ targets)
    return (test @ weight).argmax(dim=1)

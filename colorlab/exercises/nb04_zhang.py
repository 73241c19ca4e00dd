"""Exercise checks for notebook 04: Zhang et al. ECCV16, colour as classification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from colorlab.exercises._core import (
    NotYet,
    _as_result,
    _call_student,
    _require_function,
    _square_colours,
    register,
)


_ANNEALED_MEAN_STEPS = (
    "Two moves: first make the distribution peakier (more so as T goes down), then take its expected colour.",
    "Sharpening raises every probability to a power that grows as T shrinks, then renormalizes so they sum to "
    "1 again; the expected colour weights each bin centre by its new probability.",
    "The power is 1 / T (T = 1 changes nothing); divide by the sum; a (Q,) vector times a (Q, 2) matrix "
    "(matrix product) gives the (2,) weighted sum of the centres.",
)
_ANNEALED_MEAN_KEY = ("probabilities ** (1.0 / temperature)", "sharpened @ centres")


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


@register("annealed_mean", steps=_ANNEALED_MEAN_STEPS, key=_ANNEALED_MEAN_KEY)
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
        raw = _call_student(fn, name, given[0], given[1], temperature, hint=None)
        if not (torch.equal(given[0], probabilities) and torch.equal(given[1], centres)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        result = _as_result(raw, name, (2,), "one (a, b) pair: shape (2,)", "Return one colour: the weighted sum of the centres.")
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
            "power T": "You raised p to the power T: that flattens the distribution when T < 1. Lower T must sharpen it.",
            "not normalized": "After sharpening the numbers no longer sum to 1: divide by their sum before averaging.",
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
        raise NotYet(problem)
    yellow, blue = _square_colours()
    p = torch.tensor([0.55, 0.45], dtype=torch.float64)
    colours = torch.stack((yellow, blue))
    chroma = {t: _reference_annealed_mean(p, colours, t).norm().item() for t in (1.0, 0.38)}
    return (
        f"`{name}` matches colorlab.bins.decode. For a square that is yellow with p = 0.55 and blue with 0.45, "
        f"the mean has chroma {chroma[1.0]:.1f}, the annealed mean at T = 0.38 {chroma[0.38]:.1f}: annealing "
        "pushes towards the likelier colour without jumping all the way."
    )


_REBALANCING_STEPS = (
    "Rare colours must weigh more than common ones, but not without limit: mix the prior with something "
    "flat before turning it into a weight.",
    "Mix the prior with the uniform distribution (lam is the uniform's share), take the inverse of the mix, "
    "then scale all weights by one number so that a pixel's *expected* weight is 1.",
    "The uniform distribution over Q bins is 1 / Q everywhere; the expected weight of a pixel is the sum over "
    "bins of prior times weight.",
)
_REBALANCING_KEY = ("1.0 / ((1.0 - lam) * prior + lam / len(prior))", "weights / (prior * weights).sum()")


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


@register("rebalancing_weights", steps=_REBALANCING_STEPS, key=_REBALANCING_KEY)
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
        raw = _call_student(fn, name, given, lam, hint=None)
        if not torch.equal(given, prior):
            raise NotYet(f"`{name}` modified its input in place.", "Compute a new tensor; leave `prior` as it is.")
        q = len(prior)
        result = _as_result(raw, name, (q,), f"one weight per bin: shape ({q},)", "Return one weight per bin of the prior.")
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
            "swapped": "lam is the share of the *uniform* distribution in the mix, 1 - lam the prior's.",
            "not inverted": "Rare colours must weigh *more*: take the inverse of the mix.",
        }
        problem = f"on test case {index + 1} (Q = {q}, lam = {lam}) your weights differ from the reference."
        for mistake, variant in variants.items():
            if torch.isfinite(result).all() and ((result - variant).abs() / variant.abs()).max().item() <= 1e-6:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    prior, lam = _rebalancing_cases()[0]
    weights = _reference_rebalancing(prior, lam)
    return (
        f"`{name}` matches colorlab.bins.rebalancing_weights (without smoothing). For the prior "
        f"{tuple(prior.tolist())} the weights are {tuple(round(w, 2) for w in weights.tolist())}: the rarest bin "
        f"weighs {weights[-1].item() / weights[0].item():.1f}x the commonest; without the uniform part (lam = 0) "
        f"it would weigh {prior[0].item() / prior[-1].item():.0f}x."
    )


_BIN_INDEX_STEPS = (
    "A colour belongs to the bin whose centre is closest to it on the ab plane.",
    "Measure the (Euclidean) distance from (a, b) to every centre at once, by broadcasting, then find the "
    "position of the smallest.",
    "Squared distances have the same order as distances, so the square root can be skipped; torch has a "
    "function that returns the position of the smallest element. Return it as a Python int.",
)
_BIN_INDEX_KEY = ("((centres - ab) ** 2).sum(dim=1)", "distances.argmin()")


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


@register("bin_index", steps=_BIN_INDEX_STEPS, key=_BIN_INDEX_KEY)
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
        raw = _call_student(fn, name, given[0], given[1], hint=None)
        if not (torch.equal(given[0], ab) and torch.equal(given[1], centres)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        expected = int(bins.nearest_bin(ab.view(1, 2, 1, 1), centres).item())
        shape = tuple(getattr(raw, "shape", ()))
        if shape == (2,):
            raise NotYet(f"for {what} you returned a pair of numbers.", "Return the *index* of the nearest centre (an int), not the centre itself.")
        if isinstance(raw, bool) or raw is None or shape != () or not np.issubdtype(np.asarray(raw).dtype, np.integer):
            raise NotYet(f"for {what} you returned {raw!r}, not an integer index.", "Return the position as a Python int (int(...)).")
        index = int(np.asarray(raw))
        if index == expected:
            continue
        problem = f"for {what}, ab = ({ab[0].item():g}, {ab[1].item():g}), you returned {index}, expected {expected}."
        distances = (centres - ab).norm(dim=1)
        if index == int(distances.argmax()):
            hint = "That is the farthest centre: look for the smallest distance, not the largest."
        elif index == int((centres - ab).abs().sum(dim=1).argmin()):
            hint = "You used the L1 distance |da| + |db|; bins are assigned by the Euclidean distance sqrt(da^2 + db^2)."
        elif not 0 <= index < len(centres):
            hint = f"An index must be in [0, {len(centres)}): the position of a row of `centres`."
        else:
            hint = None
        raise NotYet(problem, hint)
    return (
        f"`{name}` matches colorlab.bins.nearest_bin, also at the gamut's edge where the nearest grid point is not a bin. "
        "This is the hard encoding; soft_encode spreads the pixel over its 5 nearest bins instead."
    )


_SOFT_ENCODE_STEPS = (
    "The training target spreads each pixel's colour over a few nearby bins instead of putting it all in one: "
    "nearer bins get more, far bins nothing.",
    "For every pixel: find its 5 nearest centres, give each a Gaussian weight of its distance (sigma = 5), "
    "make the 5 weights sum to 1, and leave every other bin at 0.",
    "Flatten the pixels to a (P, 2) table; torch.cdist gives all distances (P, Q); topk(..., largest=False) the "
    "5 smallest and their positions; scatter_ writes the weights into a zero (P, Q) tensor; reshape back to "
    "(N, Q, H, W) at the end.",
)
_SOFT_ENCODE_KEY = ("topk(5, dim=1, largest=False)", "scatter_(1, index, weight)")


def _soft_encode_cases() -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """``(ab (N, 2, H, W), centres (Q, 2), what)`` float64 cases: random ab on the gamut bins, random centres."""
    from colorlab import bins

    generator = torch.Generator().manual_seed(42)
    gamut = bins.gamut_bins().to(torch.float64)
    random_centres = torch.randn(12, 2, generator=generator, dtype=torch.float64) * 40
    return [
        ((torch.rand(2, 2, 3, 4, generator=generator, dtype=torch.float64) * 2 - 1) * 80, gamut, "random ab, the gamut bins"),
        ((torch.rand(1, 2, 5, 2, generator=generator, dtype=torch.float64) * 2 - 1) * 60, random_centres, "random ab, 12 random centres"),
    ]


@register("soft_encode", steps=_SOFT_ENCODE_STEPS, key=_SOFT_ENCODE_KEY)
def check_soft_encode(fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``soft_encode(ab, centres) -> (N, Q, H, W)`` against :func:`colorlab.bins.soft_encode` (k = 5, sigma = 5).

    ``fn`` receives ``ab (N, 2, H, W)`` float64 in Lab units and ``centres (Q, 2)`` float64 and must
    return a float tensor ``(N, Q, H, W)``: for each pixel, Gaussian weights ``exp(-d² / (2·5²))`` on
    its 5 nearest centres, normalized to sum to 1, zero elsewhere (within ``1e-6``), without
    modifying its inputs.
    """
    from colorlab import bins

    name = "soft_encode"
    _require_function(fn, name)
    for ab, centres, what in _soft_encode_cases():
        given = (ab.clone(), centres.clone())
        raw = _call_student(fn, name, given[0], given[1])
        if not (torch.equal(given[0], ab) and torch.equal(given[1], centres)):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        n, _, h, w = ab.shape
        q = len(centres)
        shape_hint = "One weight per bin for every pixel: (N, Q, H, W), bins along dimension 1."
        result = _as_result(raw, name, (n, q, h, w), f"shape ({n}, {q}, {h}, {w})", shape_hint)
        expected = bins.soft_encode(ab, centres, k=5, sigma=5.0)
        if torch.isfinite(result).all() and (result - expected).abs().max().item() <= 1e-6:
            continue
        problem = f"for {what} your targets differ from colorlab.bins.soft_encode by up to {(result - expected).abs().max().item():.3g}."
        nonzero = (result.abs() > 1e-12).sum(dim=1)
        sums = result.sum(dim=1)
        if not torch.isfinite(result).all():
            hint = "Some values are NaN or infinite: a Gaussian of a large distance underflows to 0, and 0 / 0 is NaN. " \
                   "Normalizing with a softmax of -d² / (2 sigma²) avoids that."
        elif bool((nonzero == 1).all()):
            hint = "Each pixel has a single non-zero bin: that is the hard encoding. Spread it over the 5 nearest."
        elif bool((nonzero > 5).any()):
            hint = "Every bin got a weight: only the 5 nearest centres should, all others stay 0."
        elif not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
            hint = "The weights of a pixel must sum to 1: divide by their sum."
        elif bool((nonzero == 5).all()):
            hint = "The right bins are non-zero; check the Gaussian weight: exp(-d² / (2 sigma²)) with d the distance, sigma = 5."
        else:
            hint = None
        raise NotYet(problem, hint)
    ab = torch.tensor([8.0, -43.0], dtype=torch.float64).view(1, 2, 1, 1)
    target = bins.soft_encode(ab, bins.gamut_bins().to(torch.float64)).flatten()
    return (
        f"`{name}` matches colorlab.bins.soft_encode. For the sky-blue pixel (8, -43) of section 4 the nearest bin "
        f"gets {target.max().item():.2f} of the weight and the other four share the rest: the network is "
        "taught that neighbouring colours are almost as good."
    )

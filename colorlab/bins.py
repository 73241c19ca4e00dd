"""Colour as classification: quantized ab bins, soft encoding, class rebalancing, decoding.

Zhang, Isola and Efros ("Colorful Image Colorization", ECCV 2016) turn colorization into a
classification problem. The ab plane is cut into square bins of side 10 Lab units; the bin
*centres* ``(a, b) = (10 i, 10 j)`` that hold displayable colours are the ``Q`` classes. For every
pixel the network predicts a distribution over the ``Q`` classes, and this module supplies the
pieces around that network:

* :func:`gamut_bins`, :func:`bins_from_data`, :func:`load_centres`: the bin centres ``(Q, 2)``.
* :func:`soft_encode`: a ground-truth ab image -> a target distribution (Gaussian weights on the
  ``k`` nearest centres); :func:`nearest_bin` is the hard version.
* :func:`empirical_prior`, :func:`prior_from_dataset`: how often each bin occurs in the data.
* :func:`rebalancing_weights`, :func:`rebalanced_cross_entropy`: a loss that up-weights rare
  (saturated) colours so the network does not always answer "brownish grey".
* :func:`decode`, :func:`annealed_mean`: a predicted distribution -> one ab value per pixel.

To *see* how pixels spread over the bins, use :func:`colorlab.viz.ab_histogram`; with
``bins=23, ab_max=115`` its cells are exactly the 10-unit bins, centred on multiples of 10.

**How many bins?** The paper keeps ``Q = 313`` bins (the released ``pts_in_hull.npy``, centres with
``a in [-90, 100]`` and ``b in [-110, 90]``). The rules implemented here give fewer, because they
only count colours that a screen can really show:

* :func:`gamut_bins` (a bin is kept when its *centre* is in the sRGB gamut for some ``L``): **229**
  bins with the default lightness sampling (``L`` every 0.1; 225 with ``L`` every 1).
* :func:`bins_from_data` applied to every sRGB colour (:func:`srgb_ab_samples`; a bin is kept when
  some displayable colour falls *anywhere in its square*): **261** bins with the default ``64 ** 3``
  sample of the RGB cube (262 with ``128 ** 3``), spanning exactly the same box
  ``a in [-90, 100]``, ``b in [-110, 90]`` as the official 313.

The paper does not spell out how its 313 were chosen. Since they lie on the same grid and in the
same box, at least some 50 of them are bins that no sRGB colour falls into; such bins simply get
(near) zero probability in the prior. Any of these sets works for training from scratch;
pretrained weights need the exact centres they were trained with, which is what
:func:`load_centres` is for.

All tensors are torch, channel-first; ab values are in Lab units (not normalized); functions work
in float32 or float64 on any device (the centres are moved to the input's device and dtype).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Union

import numpy as np
import torch
import torch.nn.functional as F

from colorlab.color import AB_MAX, GAMUT_TOLERANCE, SCHEMES, denormalize_lab, gamut_error, rgb_to_lab
from colorlab.io import ColorlabError

__all__ = [
    "GRID_STEP",
    "OFFICIAL_Q",
    "DECODE_METHODS",
    "gamut_bins",
    "srgb_ab_samples",
    "bins_from_data",
    "load_centres",
    "nearest_bin",
    "soft_encode",
    "empirical_prior",
    "prior_from_dataset",
    "rebalancing_weights",
    "rebalanced_cross_entropy",
    "decode",
    "annealed_mean",
]

#: Side of one ab bin in Lab units, as in the paper.
GRID_STEP = 10
#: Number of bins of the official ``pts_in_hull.npy`` (the paper's ``Q``).
OFFICIAL_Q = 313
#: Ways :func:`decode` turns a distribution over bins into one ab value.
DECODE_METHODS = ("mode", "mean", "annealed_mean")

#: Pixels processed at once by the distance computations (bounds the ``(chunk, Q)`` temporaries).
_CHUNK = 1 << 16

AbSource = Union[torch.Tensor, Iterable[torch.Tensor]]


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------


def _check_ab(ab, name: str = "ab") -> torch.Tensor:
    """``ab`` must be a float ``(N, 2, H, W)`` tensor."""
    if not isinstance(ab, torch.Tensor):
        raise ColorlabError(f"{name} must be a torch.Tensor (N, 2, H, W), got {type(ab).__name__}")
    if ab.dim() != 4 or ab.shape[1] != 2:
        raise ColorlabError(f"{name} must have shape (N, 2, H, W), got {tuple(ab.shape)}")
    if not ab.is_floating_point():
        raise ColorlabError(f"{name} must be float32 or float64, got {ab.dtype}")
    return ab


def _check_centres(centres, like: torch.Tensor | None = None) -> torch.Tensor:
    """``centres`` must be ``(Q, 2)``; returned on the device and in the float dtype of ``like``."""
    if not isinstance(centres, torch.Tensor):
        centres = torch.as_tensor(np.asarray(centres, dtype=np.float32))
    if centres.dim() != 2 or centres.shape[1] != 2 or centres.shape[0] < 1:
        raise ColorlabError(f"centres must have shape (Q, 2) with Q >= 1, got {tuple(centres.shape)}")
    if like is not None:
        return centres.to(device=like.device, dtype=like.dtype)
    return centres if centres.is_floating_point() else centres.float()


def _check_logits(logits, centres) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(logits, torch.Tensor) or logits.dim() != 4:
        shape = tuple(logits.shape) if hasattr(logits, "shape") else type(logits).__name__
        raise ColorlabError(f"logits must be a (N, Q, H, W) tensor, got {shape}")
    centres = _check_centres(centres, like=logits)
    if logits.shape[1] != centres.shape[0]:
        raise ColorlabError(f"logits have {logits.shape[1]} classes but there are {centres.shape[0]} centres")
    return logits, centres


def _ab_batches(source: AbSource, name: str) -> Iterable[torch.Tensor]:
    """Yield ``(N, 2, H, W)`` tensors from a tensor (``(N, 2, H, W)`` or ``(2, H, W)``) or an iterable of them."""
    batches = [source] if isinstance(source, torch.Tensor) else source
    for batch in batches:
        if isinstance(batch, torch.Tensor) and batch.dim() == 3:
            batch = batch.unsqueeze(0)
        yield _check_ab(batch, name)


def _distances(pixels: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Euclidean distances ``(C, 2) x (Q, 2) -> (C, Q)``, computed directly (not via matmul) so that
    near-ties between bins are resolved exactly as a brute-force computation would."""
    return torch.cdist(pixels, centres, compute_mode="donot_use_mm_for_euclid_dist")


def _pixels(ab: torch.Tensor) -> torch.Tensor:
    """``(N, 2, H, W)`` -> ``(N * H * W, 2)``, pixels in ``(n, h, w)`` order."""
    return ab.permute(0, 2, 3, 1).reshape(-1, 2)


def _order(centres: torch.Tensor) -> torch.Tensor:
    """Sort centres by ``a``, then ``b`` (the order of the official ``pts_in_hull.npy``)."""
    by_b = centres[torch.argsort(centres[:, 1], stable=True)]
    return by_b[torch.argsort(by_b[:, 0], stable=True)]


# ----------------------------------------------------------------------------------------------
# Bin centres
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _centres_in_gamut(step: int, l_values: tuple[float, ...]) -> torch.Tensor:
    half_width = step * (int(AB_MAX) // step + 2)  # a grid of multiples of step that covers the gamut
    values = torch.arange(-half_width, half_width + step, step, dtype=torch.float64)
    b_grid, a_grid = torch.meshgrid(values, values, indexing="ij")
    shape = (len(l_values), a_grid.numel())  # (K, P): every lightness with every grid point
    lightness = torch.tensor(l_values, dtype=torch.float64)[:, None].expand(shape)
    lab = torch.stack((lightness, a_grid.reshape(1, -1).expand(shape), b_grid.reshape(1, -1).expand(shape)))
    # the gamut test of colorlab.viz.ab_gamut, vectorized over the lightness values
    keep = (gamut_error(lab) <= GAMUT_TOLERANCE).any(dim=0)  # (P,)
    centres = torch.stack((a_grid.reshape(-1)[keep], b_grid.reshape(-1)[keep]), dim=1)
    return _order(centres.float())


def gamut_bins(step: int = GRID_STEP, l_values: torch.Tensor | None = None) -> torch.Tensor:
    """Centres of the ab bins whose centre is a displayable colour for some lightness.

    The candidates are the grid points ``(a, b) = (step * i, step * j)``; a point is kept when, for
    at least one ``L`` in ``l_values``, the Lab colour ``(L, a, b)`` is in the sRGB gamut: the
    test of :func:`colorlab.viz.ab_gamut` (the ``lab -> rgb -> lab`` round trip comes back within
    :data:`colorlab.color.GAMUT_TOLERANCE`), run on all lightness values at once.

    With ``step = 10`` this gives **229** bins (225 if ``L`` is only sampled every 1 unit), against
    the paper's 313; see the module docstring for why, and :func:`bins_from_data` for the rule
    "some colour falls in the bin's square" (261 bins).

    Args:
        step: bin side in Lab units, a positive integer (10 in the paper).
        l_values: ``(K,)`` lightness values in ``[0, 100]`` to try; default
            ``torch.linspace(0, 100, 1001)`` (every 0.1). The result is cached per ``(step, l_values)``.

    Returns:
        ``(Q, 2)`` float32 ``(a, b)`` bin centres in Lab units, multiples of ``step``, sorted by
        ``a`` then ``b``.
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ColorlabError(f"step must be a positive integer, got {step!r}")
    if l_values is None:
        l_values = torch.linspace(0.0, 100.0, 1001, dtype=torch.float64)
    l_tuple = tuple(float(value) for value in torch.as_tensor(l_values).flatten())
    if not l_tuple:
        raise ColorlabError("l_values must hold at least one lightness")
    if not all(0.0 <= value <= 100.0 for value in l_tuple):
        raise ColorlabError("l_values must lie in [0, 100]")
    return _centres_in_gamut(int(step), l_tuple).clone()


def srgb_ab_samples(per_axis: int = 64, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The ab of an evenly spaced sample of all sRGB colours, shaped like an image batch.

    Args:
        per_axis: samples per R, G and B axis (``per_axis ** 3`` colours, corners included).
        dtype: float dtype of the result.

    Returns:
        ``(1, 2, per_axis ** 2, per_axis)`` ab in Lab units: feed it to :func:`bins_from_data`,
        :func:`ab_histogram` or :func:`empirical_prior` like any ab image.
    """
    if per_axis < 2:
        raise ColorlabError(f"per_axis must be >= 2, got {per_axis}")
    levels = torch.linspace(0.0, 1.0, per_axis, dtype=torch.float64)
    red, green, blue = torch.meshgrid(levels, levels, levels, indexing="ij")
    rgb = torch.stack((red, green, blue)).reshape(1, 3, per_axis * per_axis, per_axis)
    return rgb_to_lab(rgb)[:, 1:].to(dtype)


def bins_from_data(ab_samples: AbSource, step: int = GRID_STEP, min_count: int = 1) -> torch.Tensor:
    """Centres of the ab bins that the data actually uses.

    Every ab value is snapped to the nearest multiple of ``step`` (its bin centre); the centres
    hit at least ``min_count`` times are kept. On all sRGB colours (``srgb_ab_samples(64)``) and
    ``step = 10`` this gives **261** bins (the official set has 313, :func:`gamut_bins` 229).

    Args:
        ab_samples: ``(N, 2, H, W)`` or ``(2, H, W)`` ab in Lab units, or an iterable of them.
        step: bin side in Lab units, a positive integer.
        min_count: fewest hits for a bin to be kept (>= 1); raise it to ignore stray pixels.

    Returns:
        ``(Q, 2)`` float32 bin centres, multiples of ``step``, sorted by ``a`` then ``b``.
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ColorlabError(f"step must be a positive integer, got {step!r}")
    if min_count < 1:
        raise ColorlabError(f"min_count must be >= 1, got {min_count}")
    counts: dict[tuple[int, int], int] = {}
    for ab in _ab_batches(ab_samples, "ab_samples"):
        snapped = torch.round(_pixels(ab.detach()).double() / step).long().cpu()
        cells, hits = torch.unique(snapped, dim=0, return_counts=True)
        for (i, j), hit in zip(cells.tolist(), hits.tolist()):
            counts[(i, j)] = counts.get((i, j), 0) + hit
    if not counts:
        raise ColorlabError("ab_samples holds no pixels")
    kept = [cell for cell, hit in counts.items() if hit >= min_count]
    if not kept:
        raise ColorlabError(f"no bin was hit min_count={min_count} times")
    return _order(torch.tensor(kept, dtype=torch.float32) * step)


def load_centres(source) -> torch.Tensor:
    """Load bin centres, e.g. the official 313 of ``pts_in_hull.npy``.

    Args:
        source: a path to a ``.npy`` file, or an array-like / tensor, holding ``(Q, 2)`` ``(a, b)``
            values in Lab units.

    Returns:
        ``(Q, 2)`` float32 tensor (a copy; the source is never modified).

    Raises:
        ColorlabError: unreadable file, wrong shape (e.g. ``(2, Q)``: transpose it first) or
        non-finite values.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ColorlabError(f"{path}: cannot read bin centres ({reason})") from None
        name = path
    else:
        if isinstance(source, torch.Tensor):
            source = source.detach().cpu().numpy()
        try:
            array = np.asarray(source, dtype=np.float64)
        except (TypeError, ValueError):
            raise ColorlabError(f"centres: cannot convert {type(source).__name__} to a (Q, 2) array") from None
        name = "centres"
    if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[1] != 2 or array.shape[0] < 1:
        shape = getattr(array, "shape", None)
        hint = " (transpose it)" if shape is not None and len(shape) == 2 and shape[0] == 2 else ""
        raise ColorlabError(f"{name}: bin centres must have shape (Q, 2), got {shape}{hint}")
    if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all():
        raise ColorlabError(f"{name}: bin centres must be finite numbers")
    return torch.tensor(array, dtype=torch.float32)


# ----------------------------------------------------------------------------------------------
# Encoding
# ----------------------------------------------------------------------------------------------


def nearest_bin(ab: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Index of the nearest bin centre for every pixel (hard encoding).

    Args:
        ab: ``(N, 2, H, W)`` float, Lab units.
        centres: ``(Q, 2)`` bin centres in Lab units.

    Returns:
        ``(N, H, W)`` int64 in ``[0, Q)``, on the device of ``ab``.
    """
    ab = _check_ab(ab)
    centres = _check_centres(centres, like=ab)
    pixels = _pixels(ab)
    index = torch.empty(pixels.shape[0], dtype=torch.long, device=ab.device)
    for start in range(0, pixels.shape[0], _CHUNK):
        chunk = pixels[start:start + _CHUNK]
        index[start:start + _CHUNK] = _distances(chunk, centres).argmin(dim=1)
    n, _, h, w = ab.shape
    return index.view(n, h, w)


def soft_encode(ab: torch.Tensor, centres: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Soft-encode ab images as distributions over the bins (the training target of the paper).

    Each pixel puts Gaussian weights ``exp(-d^2 / (2 sigma^2))`` on its ``k`` nearest centres
    (``d`` = Euclidean distance in Lab units), normalized to sum to 1; all other bins get 0.
    The paper uses ``k = 5``, the released training code ``k = 10``; ``sigma = 5`` in both.
    Pixels are processed in chunks, so the only large tensor is the result itself.

    Args:
        ab: ``(N, 2, H, W)`` float32/float64 ab in Lab units, any device.
        centres: ``(Q, 2)`` bin centres in Lab units.
        k: number of nearest centres that get weight, ``1 <= k <= Q``.
        sigma: kernel width in Lab units, ``> 0``.

    Returns:
        ``(N, Q, H, W)`` target distribution, dtype and device of ``ab``: non-negative, exactly
        ``k`` non-zeros per pixel, summing to 1 over ``Q``.
    """
    ab = _check_ab(ab)
    centres = _check_centres(centres, like=ab)
    q = centres.shape[0]
    if not 1 <= k <= q:
        raise ColorlabError(f"k must be in [1, {q}] (the number of centres), got {k}")
    if not sigma > 0:
        raise ColorlabError(f"sigma must be > 0, got {sigma}")
    n, _, h, w = ab.shape
    target = torch.zeros(n, q, h * w, dtype=ab.dtype, device=ab.device)
    flat = ab.detach().reshape(n, 2, h * w)
    for image in range(n):
        for start in range(0, h * w, _CHUNK):
            pixels = flat[image, :, start:start + _CHUNK].T  # (C, 2)
            distance, index = _distances(pixels, centres).topk(k, dim=1, largest=False)
            # softmax of -d^2 / (2 sigma^2) == normalized Gaussian weights, without underflow
            weight = torch.softmax(-distance.square() / (2.0 * sigma**2), dim=1)
            target[image, :, start:start + _CHUNK].scatter_(0, index.T, weight.T)
    return target.view(n, q, h, w)


# ----------------------------------------------------------------------------------------------
# Prior and class rebalancing
# ----------------------------------------------------------------------------------------------


def empirical_prior(ab_batches: AbSource, centres: torch.Tensor) -> torch.Tensor:
    """How often each bin occurs: hard (nearest-bin) counts over all pixels, normalized.

    Args:
        ab_batches: an iterable of ``(N, 2, H, W)`` ab tensors in Lab units (or one such tensor).
        centres: ``(Q, 2)`` bin centres in Lab units.

    Returns:
        ``(Q,)`` probabilities (non-negative, sum 1), float dtype of ``centres`` (float32 for
        array-likes), on the device of ``centres``.
    """
    centres = _check_centres(centres)
    counts = torch.zeros(centres.shape[0], dtype=torch.float64)
    for ab in _ab_batches(ab_batches, "ab_batches"):
        index = nearest_bin(ab.detach(), centres).flatten()
        counts += torch.bincount(index, minlength=centres.shape[0]).cpu().double()
    total = counts.sum()
    if total == 0:
        raise ColorlabError("ab_batches holds no pixels")
    return (counts / total).to(device=centres.device, dtype=centres.dtype)


def prior_from_dataset(
    dataset,
    centres: torch.Tensor,
    max_items: int = 1000,
    scheme: str | None = None,
    *,
    batch_size: int = 64,
    seed: int = 0,
) -> torch.Tensor:
    """Estimate the bin prior of a colorization dataset (see :func:`empirical_prior`).

    Args:
        dataset: a map-style dataset whose items are ``(l_norm (1, H, W), ab_norm (2, H, W))``.
        centres: ``(Q, 2)`` bin centres in Lab units.
        max_items: use at most this many items, a random subset (fixed by ``seed``) when the
            dataset is larger.
        scheme: normalization of the items (:data:`colorlab.color.SCHEMES`); default: the
            dataset's ``scheme`` attribute, else ``"zhang"``.
        batch_size: items stacked per distance computation.
        seed: seed of the random subset.

    Returns:
        ``(Q,)`` probabilities, as :func:`empirical_prior`.
    """
    scheme = scheme or getattr(dataset, "scheme", "zhang")
    if scheme not in SCHEMES:
        raise ColorlabError(f"unknown normalization scheme {scheme!r}; choose one of {sorted(SCHEMES)}")
    if max_items < 1:
        raise ColorlabError(f"max_items must be >= 1, got {max_items}")
    size = len(dataset)
    if size == 0:
        raise ColorlabError("dataset is empty")
    if size > max_items:
        generator = torch.Generator().manual_seed(seed)
        indices = torch.randperm(size, generator=generator)[:max_items].sort().values.tolist()
    else:
        indices = list(range(size))

    def batches() -> Iterable[torch.Tensor]:
        for start in range(0, len(indices), batch_size):
            items = [dataset[i] for i in indices[start:start + batch_size]]
            l_norm = torch.stack([torch.as_tensor(item[0]) for item in items])
            ab_norm = torch.stack([torch.as_tensor(item[1]) for item in items])
            yield denormalize_lab(l_norm, ab_norm, scheme)[1]

    return empirical_prior(batches(), centres)


def rebalancing_weights(
    prior: torch.Tensor,
    centres: torch.Tensor,
    lam: float = 0.5,
    sigma: float = 5.0,
) -> torch.Tensor:
    """Class-rebalancing weights of the paper: rare colours weigh more.

    1. Smooth the prior over the ab plane: every bin spreads its probability to the others with a
       Gaussian kernel ``exp(-|c_q - c_j|^2 / (2 sigma^2))`` between bin centres (each column of the
       kernel normalized, so the smoothed prior still sums to 1). ``sigma <= 0`` skips smoothing.
    2. Mix with the uniform distribution and invert: ``w ∝ ((1 - lam) p_smooth + lam / Q)^-1``.
    3. Scale so that the expected weight under the smoothed prior is 1: ``sum(p_smooth * w) = 1``.

    ``lam = 1`` gives all weights 1 (no rebalancing); ``lam = 0`` weights by the inverse frequency.

    Args:
        prior: ``(Q,)`` non-negative bin frequencies (normalized here if they do not sum to 1).
        centres: ``(Q, 2)`` bin centres in Lab units.
        lam: mixing weight of the uniform distribution, in ``[0, 1]`` (0.5 in the paper).
        sigma: smoothing kernel width in Lab units (5 in the paper).

    Returns:
        ``(Q,)`` positive weights, dtype and device of ``prior``.
    """
    if not isinstance(prior, torch.Tensor):
        prior = torch.as_tensor(np.asarray(prior, dtype=np.float64))
    if not prior.is_floating_point():
        prior = prior.double()
    centres = _check_centres(centres, like=prior)
    q = centres.shape[0]
    if prior.shape != (q,):
        raise ColorlabError(f"prior must have shape ({q},) to match the centres, got {tuple(prior.shape)}")
    if not 0.0 <= lam <= 1.0:
        raise ColorlabError(f"lam must be in [0, 1], got {lam}")
    if (prior < 0).any() or not torch.isfinite(prior).all() or prior.sum() <= 0:
        raise ColorlabError("prior must be finite, non-negative and not all zero")
    prior = prior / prior.sum()
    if sigma > 0:
        kernel = torch.exp(-_distances(centres, centres).square() / (2.0 * sigma**2))  # (Q, Q), symmetric
        smooth = (kernel / kernel.sum(dim=0, keepdim=True)) @ prior
    else:
        smooth = prior
    if lam == 0 and (smooth == 0).any():
        raise ColorlabError("lam = 0 needs every bin to have non-zero smoothed probability; use lam > 0")
    weights = 1.0 / ((1.0 - lam) * smooth + lam / q)
    return weights / (smooth * weights).sum()


def rebalanced_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Multinomial cross-entropy with the paper's per-pixel class-rebalancing weight.

    ``loss = mean over pixels of  v(Z) * (-sum_q Z_q log softmax(logits)_q)`` with
    ``v(Z) = weights[argmax_q Z]`` (the weight of the pixel's most likely true bin).

    Args:
        logits: ``(N, Q, H, W)`` unnormalized scores.
        target: ``(N, Q, H, W)`` target distributions (e.g. :func:`soft_encode`), or ``(N, H, W)``
            int64 bin indices (hard targets, e.g. :func:`nearest_bin`).
        weights: ``(Q,)`` class weights (:func:`rebalancing_weights`); None = plain cross-entropy.

    Returns:
        Scalar tensor (differentiable with respect to ``logits``).
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 4:
        shape = tuple(logits.shape) if hasattr(logits, "shape") else type(logits).__name__
        raise ColorlabError(f"logits must be a (N, Q, H, W) tensor, got {shape}")
    q = logits.shape[1]
    if not isinstance(target, torch.Tensor):
        raise ColorlabError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if target.dtype == torch.long:
        expected = (logits.shape[0], *logits.shape[2:])
        if tuple(target.shape) != expected:
            raise ColorlabError(f"index target must have shape {expected}, got {tuple(target.shape)}")
        per_pixel = F.cross_entropy(logits, target, reduction="none")
        label = target
    else:
        if target.shape != logits.shape:
            expected = tuple(logits.shape)
            raise ColorlabError(f"target must have the shape of logits {expected}, got {tuple(target.shape)}")
        per_pixel = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1)
        label = target.argmax(dim=1)
    if weights is None:
        return per_pixel.mean()
    weights = torch.as_tensor(weights)
    if weights.shape != (q,):
        raise ColorlabError(f"weights must have shape ({q},), got {tuple(weights.shape)}")
    weights = weights.to(device=logits.device, dtype=per_pixel.dtype)
    return (weights[label] * per_pixel).mean()


# ----------------------------------------------------------------------------------------------
# Decoding
# ----------------------------------------------------------------------------------------------


def decode(
    logits: torch.Tensor,
    centres: torch.Tensor,
    method: str = "annealed_mean",
    temperature: float = 0.38,
) -> torch.Tensor:
    """Turn per-pixel scores over the bins into one ab value per pixel.

    * ``"mode"``: the centre of the most likely bin (vivid but patchy; not differentiable).
    * ``"mean"``: the expected centre under ``softmax(logits)`` (smooth but desaturated).
    * ``"annealed_mean"``: the expected centre under ``softmax(logits / temperature)``, the paper's
      compromise (``temperature = 0.38``). ``temperature = 1`` is exactly the mean; as it goes to
      0 the result tends to the mode. (Re-annealing the probabilities, ``exp(log p / T)``
      normalized, is the same thing, because ``log p`` and ``logits`` differ by a per-pixel constant.)

    Args:
        logits: ``(N, Q, H, W)`` scores (or log-probabilities), float.
        centres: ``(Q, 2)`` bin centres in Lab units.
        method: one of :data:`DECODE_METHODS`.
        temperature: ``> 0``, used by ``"annealed_mean"`` only.

    Returns:
        ``(N, 2, H, W)`` ab in Lab units, dtype and device of ``logits``.
    """
    logits, centres = _check_logits(logits, centres)
    if method == "mode":
        index = logits.argmax(dim=1)  # (N, H, W)
        return centres[index].permute(0, 3, 1, 2).contiguous()
    if method == "mean":
        probabilities = torch.softmax(logits, dim=1)
    elif method == "annealed_mean":
        if not temperature > 0:
            raise ColorlabError(f"temperature must be > 0, got {temperature}")
        probabilities = torch.softmax(logits / temperature, dim=1)
    else:
        raise ColorlabError(f"unknown decode method {method!r}; choose one of {', '.join(DECODE_METHODS)}")
    return torch.einsum("nqhw,qc->nchw", probabilities, centres)


def annealed_mean(logits: torch.Tensor, centres: torch.Tensor, temperature: float = 0.38) -> torch.Tensor:
    """``decode(logits, centres, "annealed_mean", temperature)``: ``(N, Q, H, W)`` -> ``(N, 2, H, W)`` ab."""
    return decode(logits, centres, method="annealed_mean", temperature=temperature)

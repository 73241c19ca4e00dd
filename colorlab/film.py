"""How old emulsions turn a colour scene into grey values, and a film-aware input mapping back.

Every colorizer of the kit was trained on the Lab lightness ``L`` of sRGB photos: the grey a
*panchromatic* film (or the eye) records. Older photographic plates did not see colours that way:

* **blue-sensitive** ("ordinary", "colour-blind") emulsions, the only kind until the 1880s and
  common long after, respond to violet and blue light only (silver halide's own sensitivity ends
  near 500 nm): skies print white, reds and most greens print dark;
* **orthochromatic** emulsions (dye-sensitised into the green, roughly 1880s-1920s for general
  photography, still sold today) see blue and green but not red (nothing above about 590 nm):
  lips, brick and red cloth print nearly black, blue eyes and skies pale;
* **panchromatic** emulsions (all visible wavelengths, the norm from the 1930s) record about what
  the eye calls lightness.

Model. A film's exposure is a weighted sum of the scene's *linear* RGB light (sRGB primaries),
``Y_film = w_r R + w_g G + w_b B`` with weights summing to 1 (so white stays white and neutral greys
stay the same grey); the print is read back as a grey photo with lightness ``L = 116 f(Y_film) - 16``,
the same formula the kit uses for ``L``. :data:`FILM_WEIGHTS` holds the weights:

* ``"panchromatic"``: ``(0.2127, 0.7152, 0.0722)``, the luminance row of the sRGB → XYZ matrix
  (IEC 61966-2-1 / ITU-R BT.709), so its grey is exactly the kit's Lab ``L``;
* ``"orthochromatic"``: ``(0.0, 0.4, 0.6)``: blind above about 590 nm (no red), sensitised into the
  green but most sensitive in the blue;
* ``"blue"``: ``(0.0, 0.1, 0.9)``: sensitive below about 500 nm only, the blue primary and the
  short-wavelength tail of the green one.

Sources for the sensitivity ranges: C. E. K. Mees and T. H. James (eds.), *The Theory of the
Photographic Process*, Macmillan (3rd ed. 1966), the chapters on spectral sensitisation (ordinary
emulsions up to about 500 nm, orthochromatic to about 590 nm, panchromatic to about 700 nm); the
ILFORD ORTHO PLUS technical data sheet (Ilford Photo, HARMAN technology; sensitive to blue and
green, handled under a red safelight); and X. Luo, X. Zhang, P. Yoo, R. Martin-Brualla,
J. Lawrence and S. M. Seitz, *Time-Travel Rephotography*, ACM Transactions on Graphics (SIGGRAPH
Asia) 2021, which models blue-sensitive and orthochromatic negatives to restore antique portraits.
The orthochromatic and blue weights are **approximations** read off those ranges with the
three-band view of sRGB (blue ≈ 400-500 nm, green ≈ 500-600 nm, red ≈ 600-700 nm), not a measured
film curve: what matters for a colorizer is their shape (red ≈ 0, blue dominant).

On top of the spectral response, :func:`film_l` can add **fading** (a print that lost a fraction
of its silver density: ``Y -> Y ** (1 - fade)``, shadows lift, white stays white) and **grain**
(Gaussian noise on ``L``, seeded).

Two input mappings try to undo the film before a colorizer sees it:

* :func:`fit_input_mapping`, a global **tone curve** learnt from colour photos (the average
  panchromatic ``L`` for each film ``L``). It moves grey levels to where a panchromatic photo would
  have them *on average*, but a red and a blue of the same film grey stay the same grey;
* :func:`restore`, the **self-consistent** mapping: colorize the film grey, use that colour guess to
  solve for the ``L`` a panchromatic film would have recorded (:func:`recover_l`), colorize again,
  and repeat. It uses what the film *did* record (its exposure, exactly) plus the colorizer's guess
  of what it did not. ``colorlab colorize --film EMULSION`` runs it.

:func:`film_auc` measures both against the plain film grey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from colorlab import color, metrics
from colorlab.io import ColorlabError

__all__ = [
    "Emulsion",
    "EMULSIONS",
    "FILM_WEIGHTS",
    "film_response",
    "film_l",
    "film_grey",
    "FilmMapping",
    "fit_input_mapping",
    "luminance_of_l",
    "recover_l",
    "restore",
    "REMEDIES",
    "film_auc",
    "HUE_SECTORS",
    "ab_error_by_hue",
]

Emulsion = Literal["panchromatic", "orthochromatic", "blue"]

#: The emulsions, from the eye-like one to the oldest.
EMULSIONS: tuple[str, ...] = ("panchromatic", "orthochromatic", "blue")

#: Linear-RGB weights ``(w_r, w_g, w_b)`` of each emulsion (sum 1; sources in the module docstring).
FILM_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "panchromatic": tuple(color.XYZ_FROM_RGB[1]),  # (0.212671, 0.715160, 0.072169): the kit's L
    "orthochromatic": (0.0, 0.4, 0.6),
    "blue": (0.0, 0.1, 0.9),
}


def _weights(emulsion: str) -> tuple[float, float, float]:
    if emulsion not in FILM_WEIGHTS:
        raise ColorlabError(f"unknown emulsion {emulsion!r}; choose one of {', '.join(EMULSIONS)}")
    return FILM_WEIGHTS[emulsion]


def film_response(rgb: torch.Tensor, emulsion: Emulsion = "orthochromatic") -> torch.Tensor:
    """The exposure an emulsion records: the weighted sum of the scene's linear RGB light.

    Args:
        rgb: ``(..., 3, H, W)`` float32/float64 sRGB in ``[0, 1]`` (gamma-encoded, as photos are stored).
        emulsion: ``"panchromatic"``, ``"orthochromatic"`` or ``"blue"`` (see :data:`FILM_WEIGHTS`).

    Returns:
        ``y_film (..., 1, H, W)``, same dtype, linear light in ``[0, 1]`` (1 for white, 0 for black).
        For ``"panchromatic"`` this is the CIE luminance ``Y`` of the colour.
    """
    if not isinstance(rgb, torch.Tensor) or rgb.dim() < 3 or rgb.shape[-3] != 3 or not rgb.is_floating_point():
        shape = tuple(rgb.shape) if hasattr(rgb, "shape") else type(rgb).__name__
        raise ColorlabError(f"rgb must be a float tensor of shape (..., 3, H, W), got {shape}")
    weights = torch.tensor(_weights(emulsion), dtype=rgb.dtype, device=rgb.device).view(3, 1, 1)
    return (color.srgb_to_linear(rgb) * weights).sum(dim=-3, keepdim=True)


def _l_of_luminance(y: torch.Tensor) -> torch.Tensor:
    """``L = 116 f(Y) - 16`` for linear luminance ``y (..., 1, H, W)``: the kit's :func:`color.rgb_to_l` of that grey."""
    grey = color.linear_to_srgb(y.clamp(0.0, 1.0)).expand(*y.shape[:-3], 3, *y.shape[-2:])
    return color.rgb_to_l(grey.contiguous())


def film_l(
    rgb: torch.Tensor,
    emulsion: Emulsion = "orthochromatic",
    *,
    fade: float = 0.0,
    grain: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The grey photo an emulsion would have made of a colour scene, as Lab lightness.

    ``film_l(rgb, "panchromatic")`` equals :func:`colorlab.color.rgb_to_l` (up to float rounding).

    Args:
        rgb: ``(..., 3, H, W)`` float sRGB in ``[0, 1]``.
        emulsion: see :data:`FILM_WEIGHTS`.
        fade: fraction of the print's density lost, in ``[0, 1)``: ``Y -> Y ** (1 - fade)``
            (0: no fading; 0.3: blacks lift to about L = 27).
        grain: standard deviation of the film grain, in ``L`` units (0: none; 3 is visible).
        generator: random generator for the grain (seed it for repeatable grain).

    Returns:
        ``l_film (..., 1, H, W)``, same dtype, in ``[0, 100]``.
    """
    if not 0.0 <= float(fade) < 1.0:
        raise ColorlabError(f"fade must be in [0, 1), got {fade!r}")
    if not float(grain) >= 0.0:
        raise ColorlabError(f"grain must be >= 0, got {grain!r}")
    y = film_response(rgb, emulsion)
    if fade:
        y = y.clamp(min=0.0) ** (1.0 - float(fade))
    lightness = _l_of_luminance(y)
    if grain:
        noise = torch.randn(lightness.shape, generator=generator, dtype=lightness.dtype).to(lightness.device)
        lightness = (lightness + float(grain) * noise).clamp(0.0, 100.0)
    return lightness


def film_grey(rgb: torch.Tensor, emulsion: Emulsion = "orthochromatic", **options) -> torch.Tensor:
    """:func:`film_l` as a displayable grey sRGB image: ``(..., 3, H, W)`` float in ``[0, 1]`` (R = G = B).

    ``options`` are those of :func:`film_l` (``fade``, ``grain``, ``generator``).
    """
    lightness = film_l(rgb, emulsion, **options)
    zeros = torch.zeros(*lightness.shape[:-3], 2, *lightness.shape[-2:], dtype=lightness.dtype, device=lightness.device)
    return color.l_ab_to_rgb(lightness, zeros)


# --- the remedy: a film-aware input mapping -----------------------------------------------------


@dataclass(frozen=True)
class FilmMapping:
    """A monotone tone curve from an emulsion's ``L`` to the panchromatic ``L`` a colorizer expects.

    Attributes:
        emulsion: the emulsion it was fitted for.
        film_knots: ``(K,)`` float64, increasing film ``L`` values in ``[0, 100]``.
        pan_knots: ``(K,)`` float64, non-decreasing panchromatic ``L`` at those knots.

    Call it on ``l_film (..., 1, H, W)`` (float, ``[0, 100]``) to get ``l_mapped`` of the same
    shape and dtype: piecewise-linear between knots, constant beyond the first and last knot.
    """

    emulsion: str
    film_knots: np.ndarray
    pan_knots: np.ndarray

    def __call__(self, l_film: torch.Tensor) -> torch.Tensor:
        values = l_film.detach().cpu().double().numpy()
        mapped = np.interp(values, self.film_knots, self.pan_knots)
        return torch.from_numpy(mapped).to(dtype=l_film.dtype, device=l_film.device)


def _as_rgb_tensor(photo) -> torch.Tensor:
    tensor = photo if isinstance(photo, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(photo, dtype=np.float32))
    if tensor.dim() == 3 and tensor.shape[-1] == 3 and tensor.shape[0] != 3:
        tensor = tensor.permute(2, 0, 1)  # (H, W, 3) numpy photo -> (3, H, W)
    return tensor.double()


def fit_input_mapping(photos: Iterable, emulsion: Emulsion, *, n_bins: int = 25) -> FilmMapping:
    """Fit the film-aware input mapping: the mean panchromatic ``L`` of the pixels in each film-``L`` bin.

    Every pixel of every photo gives a pair (film ``L``, true ``L``). The film ``L`` range
    ``[0, 100]`` is cut into ``n_bins`` equal bins; each bin with pixels gives a knot at the mean
    film ``L`` of its pixels and the mean true ``L`` (the least-squares guess of the true ``L``
    from the film ``L`` alone). The knots are then made non-decreasing (a running maximum) so that
    the mapping never swaps two grey levels.

    Args:
        photos: colour photos, each ``(3, H, W)`` tensor or ``(H, W, 3)`` array, float sRGB in ``[0, 1]``.
        emulsion: the emulsion to fit.
        n_bins: number of film-``L`` bins (at least 2).

    Returns:
        a :class:`FilmMapping`.
    """
    _weights(emulsion)
    if n_bins < 2:
        raise ColorlabError(f"n_bins must be at least 2, got {n_bins}")
    sums = sum((_bin_sums(_as_rgb_tensor(photo), emulsion, n_bins) for photo in photos), np.zeros((3, n_bins)))
    return _mapping_from_sums(sums, emulsion)


def _bin_sums(rgb: torch.Tensor, emulsion: str, n_bins: int) -> np.ndarray:
    """``(3, n_bins)``: per film-L bin, the sum of film L, the sum of true L and the pixel count of one photo."""
    l_film = film_l(rgb, emulsion).flatten().numpy()
    l_pan = color.rgb_to_l(rgb).flatten().numpy()
    index = np.clip((l_film / 100.0 * n_bins).astype(int), 0, n_bins - 1)
    return np.stack([
        np.bincount(index, weights=l_film, minlength=n_bins),
        np.bincount(index, weights=l_pan, minlength=n_bins),
        np.bincount(index, minlength=n_bins).astype(np.float64),
    ])


def _mapping_from_sums(sums: np.ndarray, emulsion: str) -> FilmMapping:
    used = sums[2] > 0
    if used.sum() < 2:
        raise ColorlabError("fit_input_mapping needs photos with at least two different grey levels")
    film_knots = sums[0, used] / sums[2, used]
    pan_knots = np.maximum.accumulate(sums[1, used] / sums[2, used])
    return FilmMapping(emulsion, film_knots, pan_knots)


def luminance_of_l(lightness: torch.Tensor) -> torch.Tensor:
    """Invert ``L = 116 f(Y) - 16``: linear luminance ``(..., 1, H, W)`` in ``[0, 1]`` from ``L`` in ``[0, 100]``.

    Applied to an old photo's grey values and an emulsion, this is the film's exposure
    ``Y_film`` (:func:`film_response`) of every pixel, the one thing the plate recorded.
    """
    zeros = torch.zeros(*lightness.shape[:-3], 2, *lightness.shape[-2:], dtype=lightness.dtype, device=lightness.device)
    grey = color.l_ab_to_rgb(lightness.clamp(0.0, 100.0), zeros)
    return color.srgb_to_linear(grey[..., 1:2, :, :])  # R = G = B for a grey: any channel is Y


def recover_l(l_film: torch.Tensor, ab: torch.Tensor, emulsion: Emulsion, *, steps: int = 16) -> torch.Tensor:
    """The panchromatic ``L`` that, with colour ``ab``, this emulsion would have recorded as ``l_film``.

    For each pixel, finds ``L`` in ``[0, 100]`` with ``film_response(lab_to_rgb(L, ab)) ==
    luminance_of_l(l_film)`` by bisection (the response grows with ``L`` for a fixed ``ab``). With
    ``ab = 0`` (a grey) every emulsion sees the same grey, so ``recover_l`` returns ``l_film``;
    with a red ``ab`` under an orthochromatic film the dark film grey becomes a lighter ``L``.

    Args:
        l_film: ``(..., 1, H, W)`` float, the old photo's lightness in ``[0, 100]``.
        ab: ``(..., 2, H, W)`` float, a colour guess in Lab units (e.g. a colorizer's output).
        emulsion: the emulsion the photo was taken on.
        steps: bisection steps (each halves the interval: 16 steps leave at most 0.0015 L units).

    Returns:
        ``l (..., 1, H, W)``, same dtype, in ``[0, 100]``.
    """
    _weights(emulsion)
    target = luminance_of_l(l_film)
    low, high = torch.zeros_like(l_film), torch.full_like(l_film, 100.0)
    for _ in range(steps):
        middle = (low + high) / 2
        too_dark = film_response(color.l_ab_to_rgb(middle, ab), emulsion) < target
        low, high = torch.where(too_dark, middle, low), torch.where(too_dark, high, middle)
    return (low + high) / 2


def restore(
    l_film: torch.Tensor,
    emulsion: Emulsion,
    predict_ab: Callable[[torch.Tensor], torch.Tensor],
    *,
    iterations: int = 2,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Colorize an old photo knowing its emulsion: the film-aware input mapping, made self-consistent.

    Start from the film's grey as if it were ``L``; colorize it; use the colour guess to turn the
    film's grey back into the ``L`` a panchromatic film would have recorded (:func:`recover_l`);
    colorize that; repeat ``iterations`` times. Each round the colorizer sees an input closer to
    the ``L`` it was trained on. ``iterations=0`` is the plain colorization of the film grey.

    The result is consistent with the plate: seen through the same emulsion,
    ``lab_to_rgb(l, ab)`` gives back ``l_film`` (up to gamut clipping).

    Args:
        l_film: ``(N, 1, H, W)`` float, the old photo's lightness in ``[0, 100]``.
        emulsion: the emulsion it was taken on (``"panchromatic"``: nothing to undo).
        predict_ab: a colorizer, ``l (N, 1, H, W) in [0, 100] -> ab (N, 2, H, W)`` in Lab units
            (e.g. ``lambda l: colorlab.pipeline.colorize_l(l, "default")``).
        iterations: number of recover-and-recolorize rounds (>= 0).

    Returns:
        ``(l, ab)``: the recovered lightness ``(N, 1, H, W)`` in ``[0, 100]`` and the colours
        ``(N, 2, H, W)`` in Lab units predicted from it.
    """
    if iterations < 0:
        raise ColorlabError(f"iterations must be >= 0, got {iterations}")
    lightness = l_film
    ab = predict_ab(lightness)
    for _ in range(iterations if emulsion != "panchromatic" else 0):
        lightness = recover_l(l_film, ab, emulsion)
        ab = predict_ab(lightness)
    return lightness, ab


#: Bins of the tone curve :func:`film_auc` fits (the default of :func:`fit_input_mapping`).
_TONE_CURVE_BINS = 25
#: The remedies :func:`film_auc` measures: None (the film grey as it is), a global tone curve
#: fitted on the *other* photos, and the self-consistent mapping of :func:`restore`.
REMEDIES = (None, "tone-curve", "self-consistent")


def film_auc(
    photos: Mapping[str, np.ndarray],
    predict_ab: Callable[[torch.Tensor], torch.Tensor],
    emulsions: Iterable[str] = EMULSIONS,
    *,
    remedy: str | None = None,
    iterations: int = 2,
) -> dict[str, dict[str, float]]:
    """How much each emulsion's grey values cost a colorizer: the AuC of its ab on each photo.

    Each photo is turned into the grey values of each emulsion (:func:`film_l`), colorized with
    ``predict_ab``, and the predicted ab is scored against the photo's true ab with
    :func:`colorlab.metrics.auc` (only ab: the film's ``L`` differs from the truth by construction,
    so scoring RGB would count that difference too).

    Args:
        photos: ``{name: rgb (H, W, 3) float in [0, 1]}`` (e.g. :func:`colorlab.data.sample_images`).
        predict_ab: a colorizer, ``l (N, 1, H, W) in [0, 100] -> ab (N, 2, H, W)`` in Lab units.
        emulsions: which emulsions to score.
        remedy: one of :data:`REMEDIES`: None, ``"tone-curve"`` (a :class:`FilmMapping` fitted on the
            *other* photos, leave-one-out, so no photo helps its own score) or ``"self-consistent"``
            (:func:`restore` with ``iterations``).

    Returns:
        ``{emulsion: {photo name: AuC in [0, 1]}}``, plus ``{"grey": ...}``: the AuC of ab = 0
        (no colour at all), the floor a colorizer should stay above.
    """
    if remedy not in REMEDIES:
        raise ColorlabError(f"remedy must be one of {REMEDIES}, got {remedy!r}")
    tensors = {name: _as_rgb_tensor(photo).float()[None] for name, photo in photos.items()}
    truth = {name: color.rgb_to_lab(rgb)[:, 1:] for name, rgb in tensors.items()}
    scores: dict[str, dict[str, float]] = {"grey": {n: metrics.auc(torch.zeros_like(ab), ab).item() for n, ab in truth.items()}}
    for emulsion in emulsions:
        scores[emulsion] = {}
        if remedy == "tone-curve":  # leave-one-out: every photo's own pixels are taken out of the fit
            own = {name: _bin_sums(rgb[0].double(), emulsion, _TONE_CURVE_BINS) for name, rgb in tensors.items()}
            total = sum(own.values())
        for name, rgb in tensors.items():
            lightness = film_l(rgb, emulsion)
            if remedy == "tone-curve":
                ab_pred = predict_ab(_mapping_from_sums(total - own[name], emulsion)(lightness))
            elif remedy == "self-consistent":
                ab_pred = restore(lightness, emulsion, predict_ab, iterations=iterations)[1]
            else:
                ab_pred = predict_ab(lightness)
            scores[emulsion][name] = metrics.auc(ab_pred, truth[name]).item()
    return scores


#: Hue sectors of the ab plane, in degrees of ``atan2(b, a)`` (0° = +a, red; 90° = +b, yellow):
#: ``name -> (start, end)``, counter-clockwise, wrapping through 360.
HUE_SECTORS: dict[str, tuple[float, float]] = {
    "red / skin": (330.0, 60.0),
    "yellow": (60.0, 110.0),
    "green": (110.0, 200.0),
    "blue": (200.0, 290.0),
    "purple": (290.0, 330.0),
}


def ab_error_by_hue(
    ab_pred: torch.Tensor, ab_true: torch.Tensor, *, min_chroma: float = 10.0
) -> dict[str, tuple[float, int]]:
    """Mean ab error of the pixels of each true hue: where does a colorizer go wrong?

    Pixels whose true chroma ``sqrt(a² + b²)`` is below ``min_chroma`` (near-greys, whose hue is
    noise) are left out; the others are grouped by the hue of their *true* colour
    (:data:`HUE_SECTORS`).

    Args:
        ab_pred: ``(N, 2, H, W)`` float, predicted ab in Lab units.
        ab_true: ``(N, 2, H, W)`` float, true ab, same shape.
        min_chroma: in Lab units.

    Returns:
        ``{sector: (mean ||ab_pred - ab_true|| in Lab units, pixel count)}``; the mean is ``nan``
        for a sector without pixels.
    """
    if ab_pred.shape != ab_true.shape or ab_true.dim() != 4 or ab_true.shape[1] != 2:
        raise ColorlabError(f"expected two (N, 2, H, W) tensors of the same shape, got {tuple(ab_pred.shape)} and {tuple(ab_true.shape)}")
    error = torch.linalg.vector_norm(ab_pred - ab_true, dim=1)
    hue = torch.rad2deg(torch.atan2(ab_true[:, 1], ab_true[:, 0])) % 360.0
    coloured = torch.linalg.vector_norm(ab_true, dim=1) >= min_chroma
    result = {}
    for name, (start, end) in HUE_SECTORS.items():
        inside = ((hue - start) % 360.0) < ((end - start) % 360.0)
        selected = error[inside & coloured]
        result[name] = (selected.mean().item() if selected.numel() else float("nan"), int(selected.numel()))
    return result

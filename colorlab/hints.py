"""Colour hints for user-guided colorization (Zhang et al., "Real-Time User-Guided Image
Colorization with Learned Deep Priors", SIGGRAPH 2017).

The SIGGRAPH17 network sees, besides the lightness, a sparse hint image: an ab colour at a few
pixels (``ab_hint_norm (N, 2, H, W)``, ``ab / 110``, zero elsewhere) and a mask saying where
those pixels are (``mask (N, 1, H, W)``, 1 at hinted pixels, 0 elsewhere).

**Training** needs hints without a user: :func:`sample_hints` simulates them from the true colours,
as the paper (Sec. 3.2) and its released training code do (it lives with the SIGGRAPH17 family in
:mod:`colorlab.models.zhang`, whose training task calls it, and is re-exported here):

* the number of hints of an image is geometric with ``p = 1/8``, counted from 0
  (``P(k) = p (1 - p)^k``, ``k = 0, 1, 2, ...``): the code keeps adding hints while a coin with
  probability ``1 - p`` comes up heads, so the mean is ``(1 - p) / p = 7`` and one image in
  eight gets no hint at all (automatic colorization stays part of the task);
* each hint is a square patch whose side is uniform in ``1 ... 9`` pixels;
* its top-left corner is drawn from a Gaussian centred in the image, standard deviation a
  quarter of the side (``N((H - P + 1) / 2, ((H - P + 1) / 4)^2)`` in each direction, ``P`` the
  patch side), clipped so that the patch stays inside the image;
* the colour revealed is the mean ab of the patch in the true image, and the mask is 1 on the patch.

**Using** the model, hints come from clicks: :func:`user_hints` turns a list of
``(y, x, colour)`` points, in pixel coordinates of the original image, into the two tensors at
the network's resolution; :func:`colorize_with_hints` runs the whole pipeline, and
:func:`colorize_image_with_hints` (RGB in, RGB out) is the callback of the hint editor
(:class:`colorlab.widgets.HintEditor`); :func:`region_click` picks where a user would click to hint
a region.

**Measuring** what hints bring: :func:`psnr_by_hints` is the paper's curve, PSNR against the number
of simulated hints (:data:`PAPER_PSNR_BY_HINTS` holds the paper's values).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from colorlab.color import normalize_ab, rgb_to_lab
from colorlab.io import ColorlabError
from colorlab.models.zhang import HINT_PROBABILITY, MAX_PATCH, sample_hint_counts, sample_hints

__all__ = [
    "parse_hint_point",
    "HINT_PROBABILITY",
    "MAX_PATCH",
    "sample_hint_counts",
    "sample_hints",
    "hint_colour_ab",
    "user_hints",
    "colorize_with_hints",
    "PAPER_PSNR_BY_HINTS",
    "psnr_by_hints",
    "colorize_image_with_hints",
    "region_click",
]

_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def hint_colour_ab(colour) -> tuple[float, float]:
    """The ab (Lab units) of a hint colour given as ab, RGB or hex.

    Args:
        colour: ``(a, b)`` in Lab units; ``(r, g, b)`` floats in ``[0, 1]``; or ``"#rrggbb"``.
            For RGB and hex colours only the chroma is kept: the network takes the lightness from
            the grey image.

    Returns:
        ``(a, b)`` in Lab units.
    """
    if isinstance(colour, str):
        match = _HEX_COLOUR.fullmatch(colour.strip())
        if match is None:
            raise ColorlabError(f"hint colour {colour!r} is not a '#rrggbb' hex colour")
        digits = match.group(1)
        colour = tuple(int(digits[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    try:
        values = [float(value) for value in colour]
    except (TypeError, ValueError):
        raise ColorlabError(f"hint colour {colour!r}: expected (a, b), (r, g, b) in [0, 1] or '#rrggbb'") from None
    if len(values) == 2:
        return values[0], values[1]
    if len(values) == 3:
        if not all(0.0 <= value <= 1.0 for value in values):
            raise ColorlabError(f"hint colour {colour!r}: RGB values must be in [0, 1] (divide 0-255 values by 255)")
        lab = rgb_to_lab(torch.tensor(values, dtype=torch.float64).view(3, 1, 1))
        return float(lab[1]), float(lab[2])
    raise ColorlabError(f"hint colour {colour!r}: expected (a, b), (r, g, b) in [0, 1] or '#rrggbb'")


def parse_hint_point(point, number: int = 0) -> tuple[float, float, object]:
    """``(y, x, colour)`` of a user hint, coordinates as floats; a one-line error names hint ``number``."""
    try:
        y, x, colour = point
        return float(y), float(x), colour
    except (TypeError, ValueError):
        raise ColorlabError(f"hint point {number}: expected (y, x, colour), got {point!r}") from None


def user_hints(
    points: Sequence,
    size: int | tuple[int, int],
    *,
    image_size: tuple[int, int] | None = None,
    patch: int = 3,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hint tensors from user clicks.

    Args:
        points: ``(y, x, colour)`` triples: ``y`` (row) and ``x`` (column) in pixels of the
            original image (floats allowed), ``colour`` as :func:`hint_colour_ab` accepts it.
        size: ``(H, W)`` of the hint tensors (the network input), or one int for a square.
        image_size: ``(H0, W0)`` of the original image the coordinates refer to; default ``size``.
        patch: side of the square painted around each point, in network pixels (the paper
            trained on sides 1 to 9). Later points paint over earlier ones.
        device, dtype: of the returned tensors.

    Returns:
        ``(ab_hint_norm, mask)``: ``(1, 2, H, W)`` the hint colours ``/ 110`` and ``(1, 1, H, W)``
        1 on hinted pixels, 0 elsewhere.
    """
    height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    source_h, source_w = image_size if image_size is not None else (height, width)
    if isinstance(patch, bool) or not isinstance(patch, int) or patch < 1:
        raise ColorlabError(f"patch must be an integer >= 1, got {patch!r}")
    ab_hint_norm = torch.zeros(1, 2, height, width, dtype=dtype, device=device)
    mask = torch.zeros(1, 1, height, width, dtype=dtype, device=device)
    for number, point in enumerate(points):
        y, x, colour = parse_hint_point(point, number)
        if not (0 <= y < source_h and 0 <= x < source_w):
            raise ColorlabError(f"hint point {number}: (y={y:g}, x={x:g}) is outside the {source_h}x{source_w} image")
        a, b = hint_colour_ab(colour)
        row = int(y * height / source_h)
        column = int(x * width / source_w)
        side = min(patch, height, width)
        top = min(max(row - side // 2, 0), height - side)
        left = min(max(column - side // 2, 0), width - side)
        ab_hint_norm[0, 0, top:top + side, left:left + side] = normalize_ab(torch.tensor(a))
        ab_hint_norm[0, 1, top:top + side, left:left + side] = normalize_ab(torch.tensor(b))
        mask[0, 0, top:top + side, left:left + side] = 1.0
    return ab_hint_norm, mask


def colorize_with_hints(
    model: nn.Module,
    l: torch.Tensor,  # noqa: E741
    points: Sequence,
    *,
    size: int | tuple[int, int] | None = None,
    patch: int = 3,
) -> torch.Tensor:
    """Colorize one grey image with a hint-taking model (SIGGRAPH17) and user clicks.

    The reference pipeline (:func:`colorlab.pipeline.colorize_l`): the lightness is resized to
    the network's input size, the clicks are placed on that grid, the network predicts ab, and ab
    is upsampled back and returned at the original resolution.

    Args:
        model: a network called as ``model(l_norm, ab_hint_norm, mask)`` (e.g.
            ``colorlab.models.load("siggraph17", weights="official").eval()``).
        l: ``(1, 1, H, W)`` lightness in ``[0, 100]`` at the original resolution.
        points: ``(y, x, colour)`` clicks in pixels of ``l`` (see :func:`user_hints`); an empty
            list gives the automatic colorization.
        size: the network input side (default ``model.input_size``).
        patch: side of each painted hint, in network pixels.

    Returns:
        ``(1, 2, H, W)`` ab in Lab units at the original resolution.
    """
    from colorlab.pipeline import colorize_l

    if not isinstance(l, torch.Tensor) or l.dim() != 4 or l.shape[:2] != (1, 1):
        shape = tuple(l.shape) if hasattr(l, "shape") else type(l).__name__
        raise ColorlabError(f"l must be a (1, 1, H, W) tensor, got {shape}")
    size = size if size is not None else getattr(model, "input_size", tuple(l.shape[-2:]))
    grid = (size, size) if isinstance(size, int) else tuple(size)
    ab_hint_norm, mask = user_hints(points, grid, image_size=tuple(l.shape[-2:]), patch=patch, device=l.device, dtype=l.dtype)
    return colorize_l(l, model, size=grid, ab_hint_norm=ab_hint_norm, mask=mask)


# ----------------------------------------------------------------------------------------------
# Measuring and showing what hints do (notebook 05)
# ----------------------------------------------------------------------------------------------

#: PSNR (dB) of the released SIGGRAPH17 model on ImageNet validation images against the number of
#: simulated hints, as reported in the paper (Zhang et al. 2017, Sec. 4): automatic (0 hints),
#: 10 and 100 randomly revealed points.
PAPER_PSNR_BY_HINTS = {0: 24.4, 10: 28.4, 100: 31.1}


@torch.no_grad()
def psnr_by_hints(
    model: nn.Module,
    l_norm: torch.Tensor,
    ab_norm: torch.Tensor,
    counts: Sequence[int],
    *,
    seed: int = 0,
    repeats: int = 1,
    batch_size: int = 64,
    **options,
) -> dict[int, float]:
    """Mean PSNR of a hint-taking model's colorizations for each number of simulated hints.

    For each ``k`` in ``counts``, :func:`sample_hints` reveals ``k`` patches of the true colours
    of every image (``num_hints=k``, the paper's patch sizes and locations), the model predicts
    ab, and the RGB image made of the true L and the predicted ab is compared with the true RGB
    image (:func:`colorlab.metrics.psnr`, images in ``[0, 1]``). This is the curve of the paper's
    Fig. 4 (:data:`PAPER_PSNR_BY_HINTS`).

    The hints are drawn from a generator seeded with ``(seed, k, repeat)`` (a NumPy
    ``SeedSequence``), so the curve is
    reproducible and does not depend on which other counts are measured.

    Args:
        model: called as ``model(l_norm, ab_hint_norm, mask) -> ab_norm`` (e.g. :class:`SIGGRAPH17`),
            ``scheme="zhang"`` normalization; put it in eval mode first.
        l_norm: ``(N, 1, H, W)`` float, ``(L - 50) / 100``.
        ab_norm: ``(N, 2, H, W)`` float, the true colours ``ab / 110``.
        counts: numbers of hints per image, each ``>= 0``.
        seed: base seed of the hint draws.
        repeats: hint draws per image and count (averaged), ``>= 1``.
        batch_size: images per forward pass.
        options: passed on to :func:`sample_hints` (``max_patch``, ``location``).

    Returns:
        ``{k: mean PSNR in dB}`` in the order of ``counts``.
    """
    from colorlab import metrics
    from colorlab.color import denormalize_lab, l_ab_to_rgb

    if not isinstance(l_norm, torch.Tensor) or l_norm.dim() != 4 or l_norm.shape[1] != 1:
        shape = tuple(l_norm.shape) if hasattr(l_norm, "shape") else type(l_norm).__name__
        raise ColorlabError(f"l_norm must be a (N, 1, H, W) tensor, got {shape}")
    if not isinstance(ab_norm, torch.Tensor) or ab_norm.shape != (l_norm.shape[0], 2, *l_norm.shape[2:]):
        shape = tuple(ab_norm.shape) if hasattr(ab_norm, "shape") else type(ab_norm).__name__
        raise ColorlabError(f"ab_norm must be a (N, 2, H, W) tensor matching l_norm {tuple(l_norm.shape)}, got {shape}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ColorlabError(f"repeats must be an integer >= 1, got {repeats!r}")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else l_norm.device
    target = l_ab_to_rgb(*denormalize_lab(l_norm.float(), ab_norm.float(), "zhang"))
    curve = {}
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ColorlabError(f"counts must hold integers >= 0, got {count!r}")
        total = 0.0
        for repeat in range(repeats):
            generator = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, count, repeat]).generate_state(1)[0]))
            ab_hint_norm, mask = sample_hints(ab_norm.float().cpu(), generator, num_hints=count, **options)
            for start in range(0, l_norm.shape[0], batch_size):
                part = slice(start, start + batch_size)
                ab_pred = model(l_norm[part].float().to(device), ab_hint_norm[part].to(device), mask[part].to(device))
                rgb = l_ab_to_rgb(*denormalize_lab(l_norm[part].float(), ab_pred.float().cpu(), "zhang"))
                total += metrics.psnr(rgb, target[part].cpu()).sum().item()
        curve[count] = total / (repeats * l_norm.shape[0])
    return curve


def colorize_image_with_hints(
    model: nn.Module,
    rgb: torch.Tensor,
    points: Sequence,
    *,
    patch: int = 3,
    size: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """Grey an image, colorize it with user hints, and return the colour image: the callback of the hint widget.

    Only the lightness of ``rgb`` is used (a colour photo is greyed first); the result keeps that
    lightness exactly and takes ab from the model (:func:`colorize_with_hints`).

    Args:
        model: a hint-taking network (``model(l_norm, ab_hint_norm, mask)``), in eval mode.
        rgb: ``(3, H, W)`` float in ``[0, 1]`` (a grey image may be ``(1, H, W)``).
        points: ``(y, x, colour)`` hints in pixels of ``rgb`` (see :func:`user_hints`); empty:
            automatic colorization.
        patch: side of each painted hint, in network pixels.
        size: the network input side (default ``model.input_size``).

    Returns:
        ``(3, H, W)`` float RGB in ``[0, 1]``, on the CPU.
    """
    from colorlab.color import l_ab_to_rgb, rgb_to_l_ab

    if not isinstance(rgb, torch.Tensor) or rgb.dim() != 3 or rgb.shape[0] not in (1, 3):
        shape = tuple(rgb.shape) if hasattr(rgb, "shape") else type(rgb).__name__
        raise ColorlabError(f"rgb must be a (3, H, W) or (1, H, W) tensor, got {shape}")
    rgb = rgb.detach().float().cpu().expand(3, -1, -1)
    l, _ = rgb_to_l_ab(rgb)  # noqa: E741
    with torch.no_grad():
        ab = colorize_with_hints(model, l[None], points, size=size, patch=patch)
    return l_ab_to_rgb(l, ab[0].cpu()).clamp(0.0, 1.0)


def region_click(region: torch.Tensor) -> tuple[int, int]:
    """Where a user would click to hint a region: its pixel nearest to the region's median point.

    The median row and column lie in the middle of the region, but not always *inside* it (a
    shape partly covered by another, a ring); the pixel of the region nearest to that point always
    is.

    Args:
        region: ``(H, W)`` bool, True on the region's pixels (e.g. ``SyntheticScenes.masks(i)["square"]``).

    Returns:
        ``(y, x)``: row and column of a pixel where ``region`` is True.
    """
    if not isinstance(region, torch.Tensor) or region.dim() != 2:
        shape = tuple(region.shape) if hasattr(region, "shape") else type(region).__name__
        raise ColorlabError(f"region must be an (H, W) bool tensor, got {shape}")
    pixels = torch.nonzero(region.bool())  # (P, 2) rows and columns
    if len(pixels) == 0:
        raise ColorlabError("region is empty: no pixel to click on")
    centre = pixels.double().median(dim=0).values
    y, x = pixels[((pixels.double() - centre) ** 2).sum(dim=1).argmin()].tolist()
    return int(y), int(x)

"""Colour hints for user-guided colorization (Zhang et al., "Real-Time User-Guided Image
Colorization with Learned Deep Priors", SIGGRAPH 2017).

The SIGGRAPH17 network sees, besides the lightness, a sparse hint image: an ab colour at a few
pixels (``ab_hint_norm (N, 2, H, W)``, ``ab / 110``, zero elsewhere) and a mask saying where
those pixels are (``mask (N, 1, H, W)``, 1 at hinted pixels, 0 elsewhere).

**Training** needs hints without a user: :func:`sample_hints` simulates them from the true colours,
as the paper (Sec. 3.2) and its released training code do:

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
the network's resolution; :func:`colorize_with_hints` runs the whole pipeline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import torch
from torch import nn

from colorlab.color import normalize_ab, rgb_to_lab
from colorlab.io import ColorlabError

__all__ = [
    "HINT_PROBABILITY",
    "MAX_PATCH",
    "sample_hint_counts",
    "sample_hints",
    "hint_colour_ab",
    "user_hints",
    "colorize_with_hints",
]

#: ``p`` of the geometric number of hints (the paper's 1/8: 7 hints per image on average).
HINT_PROBABILITY = 1.0 / 8.0
#: Largest side of a simulated hint patch, in pixels (sides are uniform in ``1 ... 9``).
MAX_PATCH = 9


def sample_hint_counts(n: int, p: float = HINT_PROBABILITY, generator: torch.Generator | None = None) -> torch.Tensor:
    """Number of hints for each of ``n`` images: geometric with success probability ``p``, from 0.

    ``P(k) = p (1 - p)^k`` for ``k = 0, 1, 2, ...``; mean ``(1 - p) / p`` (7 for ``p = 1/8``).
    Drawn by inverting the distribution function: ``k = floor(log(U) / log(1 - p))`` with ``U``
    uniform in ``(0, 1]``.

    Args:
        n: number of images, ``>= 0``.
        p: probability of stopping after each hint, in ``(0, 1]`` (1: never any hint).
        generator: a CPU :class:`torch.Generator` for reproducible draws (default: torch's global one).

    Returns:
        ``(n,)`` int64 tensor on the CPU.
    """
    if not 0.0 < p <= 1.0:
        raise ColorlabError(f"p must be in (0, 1], got {p}")
    if p == 1.0:
        return torch.zeros(n, dtype=torch.long)
    uniform = 1.0 - torch.rand(n, generator=generator, dtype=torch.float64)  # in (0, 1]
    return torch.floor(torch.log(uniform) / math.log1p(-p)).long()


def sample_hints(
    ab_norm: torch.Tensor,
    generator: torch.Generator | None = None,
    p: float = HINT_PROBABILITY,
    max_patch: int = MAX_PATCH,
    num_hints: int | None = None,
    location: str = "normal",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulate user hints from the true colours, as in the SIGGRAPH17 paper (see the module doc).

    Args:
        ab_norm: ``(N, 2, H, W)`` float, the true colours (``ab / 110``), any device.
        generator: a CPU :class:`torch.Generator` for reproducible hints (default: torch's global
            one, so that :class:`colorlab.train.Trainer` checkpoints capture the state).
        p: geometric ``p`` of the number of hints (ignored when ``num_hints`` is given).
        max_patch: largest patch side in pixels (sides are uniform in ``1 ... max_patch``); a
            patch larger than the image is shrunk to fit.
        num_hints: a fixed number of hints per image instead of the geometric draw (for
            evaluation, e.g. "PSNR with 10 hints").
        location: ``"normal"`` (the paper: centred Gaussian) or ``"uniform"`` (anywhere).

    Returns:
        ``(ab_hint_norm, mask)``: ``(N, 2, H, W)`` mean ab of each patch (``ab / 110``) on the
        hinted pixels and 0 elsewhere, and ``(N, 1, H, W)`` 1 on hinted pixels and 0 elsewhere;
        dtype and device of ``ab_norm``. Where patches overlap, the later one wins.
    """
    if not isinstance(ab_norm, torch.Tensor) or ab_norm.dim() != 4 or ab_norm.shape[1] != 2:
        shape = tuple(ab_norm.shape) if hasattr(ab_norm, "shape") else type(ab_norm).__name__
        raise ColorlabError(f"ab_norm must be a (N, 2, H, W) tensor, got {shape}")
    if isinstance(max_patch, bool) or not isinstance(max_patch, int) or max_patch < 1:
        raise ColorlabError(f"max_patch must be an integer >= 1, got {max_patch!r}")
    if location not in ("normal", "uniform"):
        raise ColorlabError(f"location must be 'normal' or 'uniform', got {location!r}")
    n, _, height, width = ab_norm.shape
    if num_hints is None:
        counts = sample_hint_counts(n, p, generator).tolist()
    elif num_hints < 0:
        raise ColorlabError(f"num_hints must be >= 0, got {num_hints}")
    else:
        counts = [num_hints] * n
    ab_hint_norm = torch.zeros_like(ab_norm)
    mask = torch.zeros_like(ab_norm[:, :1])
    for image, count in enumerate(counts):
        if count == 0:
            continue
        sides = torch.randint(1, max_patch + 1, (count,), generator=generator).tolist()
        if location == "normal":
            draws = torch.randn(count, 2, generator=generator, dtype=torch.float64).tolist()
        else:
            draws = torch.rand(count, 2, generator=generator, dtype=torch.float64).tolist()
        for side, (draw_y, draw_x) in zip(sides, draws):
            side = min(side, height, width)
            top = _corner(draw_y, height - side + 1, location)
            left = _corner(draw_x, width - side + 1, location)
            patch = (image, slice(None), slice(top, top + side), slice(left, left + side))
            ab_hint_norm[patch] = ab_norm[patch].mean(dim=(1, 2), keepdim=True)
            mask[patch] = 1.0
    return ab_hint_norm, mask


def _corner(draw: float, positions: int, location: str) -> int:
    """Top (or left) corner in ``[0, positions - 1]`` from a standard normal or uniform draw."""
    if location == "normal":
        corner = positions / 2.0 + draw * positions / 4.0  # N(positions / 2, (positions / 4)^2)
    else:
        corner = draw * positions
    return int(min(max(corner, 0.0), positions - 1))


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
        try:
            y, x, colour = point
            y, x = float(y), float(x)
        except (TypeError, ValueError):
            raise ColorlabError(f"hint point {number}: expected (y, x, colour), got {point!r}") from None
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

    The reference pipeline (:func:`colorlab.colorize.colorize_l`): the lightness is resized to
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
    from colorlab.colorize import colorize_l

    if not isinstance(l, torch.Tensor) or l.dim() != 4 or l.shape[:2] != (1, 1):
        shape = tuple(l.shape) if hasattr(l, "shape") else type(l).__name__
        raise ColorlabError(f"l must be a (1, 1, H, W) tensor, got {shape}")
    size = size if size is not None else getattr(model, "input_size", tuple(l.shape[-2:]))
    grid = (size, size) if isinstance(size, int) else tuple(size)
    ab_hint_norm, mask = user_hints(points, grid, image_size=tuple(l.shape[-2:]), patch=patch, device=l.device, dtype=l.dtype)
    return colorize_l(l, model, size=grid, ab_hint_norm=ab_hint_norm, mask=mask)

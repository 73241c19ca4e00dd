"""Figure helpers shared by the notebooks: image grids, the ab plane and its sRGB gamut, Lab swatches.

Images are accepted the way the rest of colorlab produces them: torch tensors channel-first
(``(3, H, W)``, ``(1, H, W)``, ``(H, W)``, or a batch of one ``(1, 3, H, W)``) or numpy arrays
channel-last (``(H, W, 3)``, ``(H, W, 1)``, ``(H, W)``). Every plotting function returns its
:class:`matplotlib.figure.Figure` so that a notebook shows it and a test can inspect it.

**Gamut test.** Not every ``(L, a, b)`` triple is a colour a screen can show. colorlab calls a Lab
colour *in the sRGB gamut* when the round trip ``lab -> rgb -> lab`` gives it back to within
``GAMUT_TOLERANCE`` (a colour difference ``Delta E_76``, the Euclidean distance in Lab units).
:func:`colorlab.color.lab_to_rgb` clips out-of-gamut colours to ``[0, 1]`` per channel, so the
round trip fails exactly when clipping changed something, i.e. when the unclipped linear RGB lies
outside ``[0, 1]``. Using the round trip keeps this module free of colour maths: it only calls
:mod:`colorlab.color`. The tolerance absorbs float rounding and the 6-digit rounding of the
sRGB matrix (white itself comes back ``0.005`` away from ``a = b = 0``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Union

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from colorlab.color import lab_to_rgb, rgb_to_l_ab, rgb_to_lab
from colorlab.io import ColorlabError, to_numpy

__all__ = [
    "plot_history",
    "GAMUT_TOLERANCE",
    "AB_MAX",
    "to_display",
    "show_images",
    "lab_channels_as_rgb",
    "ab_gamut",
    "plot_ab_gamut",
    "lab_swatch",
    "plot_lab_swatch",
]

ImageLike = Union[torch.Tensor, np.ndarray]

#: Largest round-trip error, in Delta E (Lab units), for a Lab colour to count as in the sRGB gamut.
GAMUT_TOLERANCE = 0.01
#: Half-width of the ab plane drawn by :func:`plot_ab_gamut`; the whole sRGB gamut fits in ``[-110, 110]``.
AB_MAX = 110.0


def to_display(image: ImageLike) -> np.ndarray:
    """Convert an image to what :func:`matplotlib.pyplot.imshow` expects.

    Args:
        image: torch tensor ``(3, H, W)``, ``(1, H, W)``, ``(1, 3, H, W)`` or ``(H, W)``; or numpy
            array ``(H, W, 3)``, ``(H, W, 1)`` or ``(H, W)``. Colour images are float in ``[0, 1]``
            (or uint8); single-channel images may hold any values (L, a, b ...).

    Returns:
        numpy ``(H, W, 3)`` float64 clipped to ``[0, 1]`` (or uint8 unchanged) for colour images,
        ``(H, W)`` float64 for single-channel images.

    Raises:
        ColorlabError: for any other shape or type.
    """
    if isinstance(image, torch.Tensor):
        array = image.detach().cpu().numpy() if image.dim() == 2 else to_numpy(image)
    elif isinstance(image, np.ndarray):
        array = image
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3)):
            raise ColorlabError(f"image array must be (H, W, 3), (H, W, 1) or (H, W), got {array.shape}")
    else:
        raise ColorlabError(f"image must be a torch.Tensor or numpy array, got {type(image).__name__}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 3 and array.dtype != np.uint8:
        return np.clip(array.astype(np.float64), 0.0, 1.0)
    return array if array.dtype == np.uint8 else array.astype(np.float64)


def show_images(
    images: Mapping[str, ImageLike],
    ncols: int = 4,
    *,
    size: float = 2.5,
    cmap: str = "gray",
) -> Figure:
    """Show images side by side, one titled panel each, without axes.

    Args:
        images: title -> image, in display order; any layout :func:`to_display` accepts.
        ncols: panels per row (fewer when there are fewer images).
        size: panel width and height in inches.
        cmap: colormap for single-channel images (each scaled to its own min..max).

    Returns:
        The figure, ``ceil(len(images) / ncols)`` rows of panels.
    """
    if not images:
        raise ColorlabError("show_images needs at least one image, got an empty mapping")
    if ncols < 1:
        raise ColorlabError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (title, image) in zip(axes.flat, images.items()):
        array = to_display(image)
        ax.imshow(array, cmap=cmap if array.ndim == 2 else None)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def lab_channels_as_rgb(rgb: torch.Tensor, lightness: float = 70.0) -> dict[str, torch.Tensor]:
    """Render the L, a and b channels of a photo as viewable colour images.

    ``L`` is shown as the grey with that lightness (``a = b = 0``); ``a`` as the colours
    ``(lightness, a, 0)`` (green to red) and ``b`` as ``(lightness, 0, b)`` (blue to yellow), so each
    panel shows what one channel alone encodes.

    Args:
        rgb: ``(3, H, W)`` float in ``[0, 1]``.
        lightness: the fixed L, in ``[0, 100]``, used to draw the a and b channels.

    Returns:
        ``{"L": ..., "a": ..., "b": ...}``, each ``(3, H, W)`` sRGB in ``[0, 1]``, dtype of ``rgb``.
    """
    if not isinstance(rgb, torch.Tensor) or rgb.dim() != 3 or rgb.shape[0] != 3:
        shape = tuple(rgb.shape) if hasattr(rgb, "shape") else type(rgb).__name__
        raise ColorlabError(f"rgb must be a (3, H, W) tensor, got {shape}")
    l, ab = rgb_to_l_ab(rgb)  # noqa: E741
    zeros = torch.zeros_like(l)
    fixed = torch.full_like(l, lightness)
    a, b = ab[:1], ab[1:]
    return {
        "L": lab_to_rgb(torch.cat((l, zeros, zeros))),
        "a": lab_to_rgb(torch.cat((fixed, a, zeros))),
        "b": lab_to_rgb(torch.cat((fixed, zeros, b))),
    }


def _round_trip_error(lab: torch.Tensor) -> torch.Tensor:
    """``Delta E`` between ``lab (..., 3, H, W)`` and ``rgb_to_lab(lab_to_rgb(lab))``: ``(..., H, W)``."""
    return (rgb_to_lab(lab_to_rgb(lab)) - lab).norm(dim=-3)


def ab_gamut(
    l: float,  # noqa: E741
    *,
    resolution: int = 201,
    ab_max: float = AB_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Colours of the ab plane at lightness ``l``, and which of them are in the sRGB gamut.

    The plane is sampled on a ``resolution x resolution`` grid over ``a, b in [-ab_max, ab_max]``
    (an odd ``resolution`` puts ``a = b = 0`` on the grid). Row ``i`` holds ``b = b_values[i]``
    increasing with ``i`` (draw with ``origin="lower"``); column ``j`` holds ``a`` increasing with ``j``.

    Args:
        l: lightness ``L`` in ``[0, 100]``.
        resolution: grid points per axis, ``>= 2``.
        ab_max: half-width of the plane, in Lab units.

    Returns:
        ``(rgb, in_gamut)``: ``rgb`` is ``(resolution, resolution, 3)`` float64 in ``[0, 1]`` (the
        clipped sRGB of every grid point); ``in_gamut`` is ``(resolution, resolution)`` bool, True
        where the round trip error is at most :data:`GAMUT_TOLERANCE` (see the module docstring).
    """
    if not 0.0 <= l <= 100.0:
        raise ColorlabError(f"l must be in [0, 100], got {l}")
    if resolution < 2:
        raise ColorlabError(f"resolution must be >= 2, got {resolution}")
    values = torch.linspace(-ab_max, ab_max, resolution, dtype=torch.float64)
    b, a = torch.meshgrid(values, values, indexing="ij")
    lab = torch.stack((torch.full_like(a, float(l)), a, b))  # (3, R, R)
    rgb = lab_to_rgb(lab)
    in_gamut = _round_trip_error(lab) <= GAMUT_TOLERANCE
    return rgb.permute(1, 2, 0).numpy(), in_gamut.numpy()


def plot_ab_gamut(
    l_values: float | Sequence[float],
    ax: Axes | Sequence[Axes] | None = None,
    *,
    resolution: int = 201,
    ab_max: float = AB_MAX,
    size: float = 2.6,
) -> Figure:
    """Draw the in-gamut sRGB colours of the ab plane, one panel per lightness.

    Out-of-gamut points are left transparent (the axes background, white) and the gamut boundary
    is outlined in black, so a grey near the origin is never confused with "no colour here".

    Args:
        l_values: one lightness or a sequence of them, each in ``[0, 100]``.
        ax: an Axes (one L value) or one Axes per L value; None creates a new figure, one row.
        resolution: grid points per axis, as in :func:`ab_gamut`.
        ab_max: half-width of the plotted plane, in Lab units.
        size: panel size in inches when a new figure is created.

    Returns:
        The figure holding the panels.
    """
    l_list = [float(l_values)] if np.isscalar(l_values) else [float(value) for value in l_values]
    if not l_list:
        raise ColorlabError("plot_ab_gamut needs at least one L value")
    if ax is None:
        fig, axes = plt.subplots(1, len(l_list), figsize=(size * len(l_list), size), squeeze=False)
        axes = list(axes.flat)
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        if len(axes) != len(l_list):
            raise ColorlabError(f"got {len(axes)} axes for {len(l_list)} L values; pass one Axes per L value")
        fig = axes[0].figure
    extent = (-ab_max, ab_max, -ab_max, ab_max)
    for panel, lightness in zip(axes, l_list):
        rgb, in_gamut = ab_gamut(lightness, resolution=resolution, ab_max=ab_max)
        rgba = np.concatenate((rgb, in_gamut[..., None].astype(np.float64)), axis=-1)
        panel.set_facecolor("white")
        panel.imshow(rgba, origin="lower", extent=extent, interpolation="nearest")
        if in_gamut.any() and not in_gamut.all():
            grid = np.linspace(-ab_max, ab_max, resolution)
            panel.contour(grid, grid, in_gamut.astype(float), levels=[0.5], colors="black", linewidths=0.8)
        panel.axhline(0.0, color="0.6", linewidth=0.5)
        panel.axvline(0.0, color="0.6", linewidth=0.5)
        panel.set_xlim(-ab_max, ab_max)
        panel.set_ylim(-ab_max, ab_max)
        panel.set_aspect("equal")
        panel.set_title(f"L = {lightness:g}  ({in_gamut.mean():.0%} in gamut)", fontsize=9)
        panel.set_xlabel("a  (green - red)", fontsize=8)
        panel.set_ylabel("b  (blue - yellow)", fontsize=8)
        panel.tick_params(labelsize=7)
    if ax is None:
        fig.tight_layout()
    return fig


def lab_swatch(l: float, a: float, b: float) -> tuple[np.ndarray, bool]:  # noqa: E741
    """The sRGB colour of one Lab triple, and whether it is in the sRGB gamut.

    Args:
        l: lightness in ``[0, 100]``.
        a: green (negative) to red (positive), Lab units.
        b: blue (negative) to yellow (positive), Lab units.

    Returns:
        ``(rgb, in_gamut)``: ``rgb`` is numpy ``(3,)`` float64 in ``[0, 1]`` (clipped when out of
        gamut); ``in_gamut`` is True when the Lab -> RGB -> Lab round trip is within
        :data:`GAMUT_TOLERANCE`.
    """
    lab = torch.tensor([l, a, b], dtype=torch.float64).view(3, 1, 1)
    rgb = lab_to_rgb(lab)
    in_gamut = bool(_round_trip_error(lab).item() <= GAMUT_TOLERANCE)
    return rgb.flatten().numpy(), in_gamut


def plot_lab_swatch(l: float = 50.0, a: float = 0.0, b: float = 0.0) -> Figure:  # noqa: E741
    """Show the colour of ``(l, a, b)`` next to the ab plane at that lightness (widget callback).

    Meant for ``ipywidgets.interactive(plot_lab_swatch, l=(0, 100), a=(-110, 110), b=(-110, 110))``:
    the left panel is the colour (clipped when out of gamut), the right one the gamut slice at ``l``
    with a cross at ``(a, b)``.

    Args:
        l: lightness in ``[0, 100]``.
        a: Lab ``a``.
        b: Lab ``b``.

    Returns:
        The figure (two panels). Only ``l``, ``a`` and ``b`` are parameters, so ``interactive``
        makes exactly three sliders.
    """
    rgb, in_gamut = lab_swatch(l, a, b)
    fig, (swatch_ax, plane_ax) = plt.subplots(1, 2, figsize=(5.2, 2.6))
    swatch_ax.imshow(np.broadcast_to(rgb, (8, 8, 3)))
    swatch_ax.set_axis_off()
    verdict = "in gamut" if in_gamut else "OUT of gamut: clipped"
    swatch_ax.set_title(
        f"L={l:g}  a={a:g}  b={b:g}\nRGB = ({rgb[0]:.2f}, {rgb[1]:.2f}, {rgb[2]:.2f})\n{verdict}", fontsize=8
    )
    plot_ab_gamut(l, ax=plane_ax, resolution=101)
    plane_ax.plot([a], [b], marker="x", color="black", markersize=9, markeredgewidth=2)
    fig.tight_layout()
    return fig


def _moving_average(values: Sequence[float], window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_history(history, smooth: int = 20) -> Figure:
    """Training curves of a :class:`colorlab.train.History`: losses per step, metrics per epoch.

    Args:
        history: has ``steps`` (list of int), ``losses`` (name -> list of float, one per step),
            ``epochs`` and ``val`` (name -> list of float, one per epoch).
        smooth: moving-average window over steps for the loss curves (raw values drawn faintly).

    Returns:
        The figure: one panel with every loss, then one panel per validation metric.
    """
    val_names = [name for name in ("psnr", "ssim", "auc", "colorfulness") if name in history.val] or sorted(history.val)
    fig, axes = plt.subplots(1, 1 + len(val_names), figsize=(4.5 * (1 + len(val_names)), 3.2), squeeze=False)
    ax = axes[0, 0]
    for name, values in history.losses.items():
        line = ax.plot(history.steps, values, alpha=0.25)[0]
        averaged = _moving_average(values, smooth)
        ax.plot(history.steps[len(values) - len(averaged):], averaged, color=line.get_color(), label=name)
    ax.set(xlabel="step", ylabel="loss", title="training loss")
    if history.losses:
        ax.legend()
    for ax, name in zip(axes[0, 1:], val_names):
        ax.plot(history.epochs, history.val[name], marker="o")
        if name == "colorfulness" and "colorfulness_target" in history.val:
            ax.plot(history.epochs, history.val["colorfulness_target"], linestyle="--", label="ground truth")
            ax.legend()
        ax.set(xlabel="epoch", title=f"validation {name}")
    fig.tight_layout()
    return fig

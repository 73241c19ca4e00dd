"""Figure helpers shared by the notebooks: image grids, the ab plane and its sRGB gamut, Lab swatches.

Images are accepted the way the rest of colorlab produces them: torch tensors channel-first
(``(3, H, W)``, ``(1, H, W)``, ``(H, W)``, or a batch of one ``(1, 3, H, W)``) or numpy arrays
channel-last (``(H, W, 3)``, ``(H, W, 1)``, ``(H, W)``). Every plotting function returns its
:class:`matplotlib.figure.Figure` so that a notebook shows it and a test can inspect it.

**Gamut test.** Not every ``(L, a, b)`` triple is a colour a screen can show. colorlab calls a Lab
colour *in the sRGB gamut* when the round trip ``lab -> rgb -> lab`` gives it back to within
``GAMUT_TOLERANCE`` (a colour difference ``Delta E_76``, the Euclidean distance in Lab units):
:func:`colorlab.color.gamut_error`. This module draws it and does no colour maths of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Union

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from colorlab.bins import decode
from colorlab.color import AB_MAX, GAMUT_TOLERANCE, gamut_error, lab_to_rgb, rgb_to_l_ab, rgb_to_lab
from colorlab.hints import parse_hint_point
from colorlab.io import ColorlabError, to_numpy

__all__ = [
    "plot_history",
    "plot_curves",
    "GAMUT_TOLERANCE",
    "AB_MAX",
    "to_display",
    "show_images",
    "lab_channels_as_rgb",
    "ab_gamut",
    "plot_ab_gamut",
    "lab_swatch",
    "plot_lab_swatch",
    "AB_HISTOGRAM_BINS",
    "ab_histogram",
    "plot_ab_histogram",
    "show_colorizations",
    "plot_ab_histograms",
]

ImageLike = Union[torch.Tensor, np.ndarray]



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
    in_gamut = gamut_error(lab) <= GAMUT_TOLERANCE
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
    in_gamut = bool(gamut_error(lab).item() <= GAMUT_TOLERANCE)
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


# --- the distribution of ab values ----------------------------------------------------------------

#: Default bins per axis of :func:`ab_histogram`: 2.5 Lab units wide over ``[-110, 110]``.
AB_HISTOGRAM_BINS = 88


def _ab_chunks(ab: ImageLike | Iterable[ImageLike]) -> Iterator[np.ndarray]:
    """Yield ``(2, P)`` float64 numpy arrays (a row, b row) from one array or an iterable of arrays."""
    chunks = [ab] if isinstance(ab, (torch.Tensor, np.ndarray)) else ab
    if not isinstance(chunks, Iterable):
        raise ColorlabError(f"ab must be a tensor, an array or an iterable of them, got {type(ab).__name__}")
    for chunk in chunks:
        if isinstance(chunk, torch.Tensor):
            chunk = chunk.detach().cpu().to(torch.float64).numpy()
        elif not isinstance(chunk, np.ndarray):
            raise ColorlabError(f"ab must hold tensors or arrays (..., 2, H, W), got a {type(chunk).__name__}")
        if chunk.ndim < 3 or chunk.shape[-3] != 2:
            raise ColorlabError(f"ab must have shape (..., 2, H, W), got {tuple(chunk.shape)}")
        yield np.moveaxis(chunk, -3, 0).reshape(2, -1).astype(np.float64, copy=False)


def ab_histogram(
    ab: ImageLike | Iterable[ImageLike],
    *,
    bins: int = AB_HISTOGRAM_BINS,
    ab_max: float = AB_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Count the pixels of images on a square grid of the ab plane.

    Args:
        ab: ``(..., 2, H, W)`` torch tensor or numpy array in Lab units (e.g. a batch
            ``(N, 2, H, W)`` or one image ``(2, H, W)``), or an iterable of such arrays (batches
            from a DataLoader, images of different sizes), counted one at a time.
        bins: bins per axis, ``>= 1``; each bin is ``2 * ab_max / bins`` Lab units wide.
        ab_max: half-width of the counted square ``[-ab_max, ab_max]^2``, in Lab units.

    Returns:
        ``(counts, edges)``: ``counts`` is ``(bins, bins)`` int64, row ``i`` for ``b`` in
        ``[edges[i], edges[i + 1])`` (increasing, as in :func:`ab_gamut`; draw with
        ``origin="lower"``), column ``j`` for ``a`` in ``[edges[j], edges[j + 1])``; the last bin also
        holds its right edge. ``edges`` is ``(bins + 1,)`` float64, shared by both axes. Pixels
        outside the square are not counted (the sRGB gamut fits inside the default ``±110``).
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ColorlabError(f"bins must be a positive int, got {bins!r}")
    if not ab_max > 0:
        raise ColorlabError(f"ab_max must be positive, got {ab_max!r}")
    edges = np.linspace(-ab_max, ab_max, int(bins) + 1)
    counts = np.zeros((int(bins), int(bins)), dtype=np.int64)
    for a_b in _ab_chunks(ab):
        chunk_counts, _, _ = np.histogram2d(a_b[1], a_b[0], bins=(edges, edges))
        counts += chunk_counts.astype(np.int64)
    return counts, edges


def plot_ab_histogram(
    ab: ImageLike | Iterable[ImageLike],
    ax: Axes | None = None,
    *,
    bins: int = AB_HISTOGRAM_BINS,
    ab_max: float = AB_MAX,
    log: bool = True,
    title: str | None = None,
    size: float = 2.8,
) -> Figure:
    """Draw where the pixels of images lie on the ab plane: a 2-D histogram, log colour scale.

    Empty bins are left white, so the occupied part of the plane stands out. Most photos pile up
    near the origin ``a = b = 0`` (greys and dull colours); a log scale keeps the rare, saturated
    colours visible next to that peak.

    Args:
        ab: what :func:`ab_histogram` counts: ``(..., 2, H, W)`` tensors or arrays in Lab units,
            or an iterable of them.
        ax: the Axes to draw on; None creates a new figure of one panel.
        bins: bins per axis.
        ab_max: half-width of the plotted square, in Lab units.
        log: logarithmic colour scale (``False``: linear).
        title: panel title; None writes the number of pixels counted.
        size: panel size in inches when a new figure is created.

    Returns:
        The figure holding the panel (with a colour bar "pixels per bin").
    """
    counts, edges = ab_histogram(ab, bins=bins, ab_max=ab_max)
    if ax is None:
        fig, ax = plt.subplots(figsize=(size * 1.25, size))
    else:
        fig = ax.figure
    peak = max(int(counts.max()), 1)
    norm = LogNorm(vmin=1, vmax=max(peak, 2)) if log else Normalize(vmin=0, vmax=peak)
    shown = np.ma.masked_equal(counts, 0)
    ax.set_facecolor("white")
    image = ax.imshow(shown, origin="lower", extent=(edges[0], edges[-1], edges[0], edges[-1]), norm=norm,
                      cmap="viridis", interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label("pixels per bin", fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    _style_ab_axes(ax, title if title is not None else f"{int(counts.sum()):,} pixels")
    return fig


def _style_ab_axes(ax: Axes, title: str) -> None:
    """Axes of an ab-plane plot: zero lines, equal aspect, labelled a and b, small type."""
    ax.axhline(0.0, color="0.6", linewidth=0.5)
    ax.axvline(0.0, color="0.6", linewidth=0.5)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("a  (green - red)", fontsize=8)
    ax.set_ylabel("b  (blue - yellow)", fontsize=8)
    ax.tick_params(labelsize=7)


def plot_curves(
    history,
    panels: Mapping[str, Sequence[str]],
    *,
    smooth: int = 20,
    size: tuple[float, float] = (3.6, 2.8),
) -> Figure:
    """Logged per-step values of a training run, grouped into panels (e.g. a GAN's G and D losses).

    Each series is drawn raw (faint) and as a moving average over ``smooth`` steps (labelled).

    Args:
        history: has ``steps`` (list of int) and ``losses`` (name -> list of float, one per step),
            like :class:`colorlab.train.History`.
        panels: panel title -> names of the series to draw in it, in display order.
        smooth: moving-average window, in steps.
        size: width and height of one panel, in inches.

    Returns:
        The figure, one panel per entry of ``panels`` in one row.

    Raises:
        ColorlabError: no panels, or a name that was not logged.
    """
    if not panels:
        raise ColorlabError("plot_curves needs at least one panel")
    for names in panels.values():
        for name in names:
            if name not in history.losses:
                raise ColorlabError(f"no logged series {name!r}; logged: {', '.join(sorted(history.losses))}")
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False)
    for ax, (title, names) in zip(axes.flat, panels.items()):
        for name in names:
            values = history.losses[name]
            line = ax.plot(history.steps, values, alpha=0.2)[0]
            averaged = _moving_average(values, smooth)
            ax.plot(history.steps[len(values) - len(averaged):], averaged, color=line.get_color(), label=name)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- colorization results ------------------------------------------------------------------------


def _check_lab_batch(tensor: torch.Tensor, name: str, channels: int, like: torch.Tensor | None = None) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 4 or tensor.shape[1] != channels:
        shape = tuple(tensor.shape) if hasattr(tensor, "shape") else type(tensor).__name__
        raise ColorlabError(f"{name} must be an (N, {channels}, H, W) tensor, got {shape}")
    if like is not None and (tensor.shape[0] != like.shape[0] or tensor.shape[-2:] != like.shape[-2:]):
        raise ColorlabError(
            f"{name} {tuple(tensor.shape)} does not match l {tuple(like.shape)}: same N, H and W needed"
        )


def show_colorizations(
    l: torch.Tensor,  # noqa: E741
    ab_pred: torch.Tensor | Mapping[str, torch.Tensor],
    ab_true: torch.Tensor | None = None,
    *,
    n: int | None = None,
    titles: Sequence[str] | None = None,
    size: float = 2.0,
) -> Figure:
    """Grey inputs, predicted colours and the ground truth of a batch: one column per image.

    Rows, top to bottom: ``"input (L)"`` (the grey image ``a = b = 0``), one row per prediction,
    and ``"ground truth"`` when ``ab_true`` is given. Every panel is ``l`` combined with an ab
    (:func:`colorlab.color.l_ab_to_rgb`), so the rows differ only in colour.

    Args:
        l: ``(N, 1, H, W)`` lightness in ``[0, 100]``.
        ab_pred: ``(N, 2, H, W)`` predicted ab in Lab units, or a mapping row name -> such a tensor
            (to compare several models; a bare tensor is the row ``"prediction"``).
        ab_true: optional ``(N, 2, H, W)`` true ab in Lab units.
        n: show only the first ``n`` images (default: all).
        titles: optional column titles, one per shown image.
        size: panel size in inches.

    Returns:
        The figure, ``rows x n`` panels, each row labelled on the left.
    """
    predictions = {"prediction": ab_pred} if isinstance(ab_pred, torch.Tensor) else dict(ab_pred)
    if not predictions:
        raise ColorlabError("show_colorizations needs at least one prediction")
    _check_lab_batch(l, "l", 1)
    for name, ab in predictions.items():
        _check_lab_batch(ab, f"ab_pred[{name!r}]" if len(predictions) > 1 else "ab_pred", 2, like=l)
    if ab_true is not None:
        _check_lab_batch(ab_true, "ab_true", 2, like=l)
    count = l.shape[0] if n is None else min(int(n), l.shape[0])
    if count < 1:
        raise ColorlabError(f"nothing to show: n={n}, batch of {l.shape[0]}")
    if titles is not None and len(titles) != count:
        raise ColorlabError(f"got {len(titles)} titles for {count} images")
    l = l[:count].detach().cpu().float()  # noqa: E741
    rows = {"input (L)": torch.zeros(count, 2, *l.shape[-2:])}
    rows.update({name: ab[:count].detach().cpu().float() for name, ab in predictions.items()})
    if ab_true is not None:
        rows["ground truth"] = ab_true[:count].detach().cpu().float()
    fig, axes = plt.subplots(len(rows), count, figsize=(size * count, size * len(rows)), squeeze=False)
    for row_axes, (row_name, ab) in zip(axes, rows.items()):
        rgb = lab_to_rgb(torch.cat((l, ab), dim=1))
        for column, ax in enumerate(row_axes):
            ax.imshow(to_display(rgb[column]))
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        row_axes[0].set_ylabel(row_name, fontsize=9)
    if titles is not None:
        for ax, title in zip(axes[0], titles):
            ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_ab_histograms(
    ab_sets: Mapping[str, ImageLike | Iterable[ImageLike]],
    *,
    bins: int = AB_HISTOGRAM_BINS,
    ab_max: float = AB_MAX,
    log: bool = True,
    size: float = 2.8,
) -> Figure:
    """Several ab distributions side by side (e.g. ground truth and predictions), one panel each.

    Args:
        ab_sets: panel title -> what :func:`ab_histogram` counts (``(..., 2, H, W)`` tensors or
            arrays in Lab units, or an iterable of them), in display order.
        bins, ab_max, log: as in :func:`plot_ab_histogram` (the same for every panel).
        size: panel height in inches.

    Returns:
        The figure, one row of :func:`plot_ab_histogram` panels titled ``"<name>: <pixels> pixels"``.
    """
    if not ab_sets:
        raise ColorlabError("plot_ab_histograms needs at least one ab set")
    fig, axes = plt.subplots(1, len(ab_sets), figsize=(size * 1.25 * len(ab_sets), size), squeeze=False)
    for ax, (name, ab) in zip(axes.flat, ab_sets.items()):
        chunks = [chunk[:, :, None] for chunk in _ab_chunks(ab)]  # (2, P, 1) each: an iterable is read once
        counts, _ = ab_histogram(chunks, bins=bins, ab_max=ab_max)
        plot_ab_histogram(chunks, ax=ax, bins=bins, ab_max=ab_max, log=log, title=f"{name}: {int(counts.sum()):,} pixels")
    fig.tight_layout()
    return fig


# --- user hints (notebook 05) --------------------------------------------------------------------


def hint_display_colour(colour) -> tuple[float, float, float]:
    """The RGB colour (floats in ``[0, 1]``) to draw a hint marker with.

    Args:
        colour: a hint colour as :func:`colorlab.hints.user_hints` takes it: ``"#rrggbb"`` (or any
            matplotlib colour name), ``(r, g, b)`` in ``[0, 1]``, or ``(a, b)`` in Lab units (drawn
            at lightness 60, since an ab hint has no lightness of its own).

    Returns:
        ``(r, g, b)`` floats in ``[0, 1]``.
    """
    from matplotlib.colors import to_rgb

    if isinstance(colour, str):
        try:
            return tuple(float(value) for value in to_rgb(colour))
        except ValueError:
            raise ColorlabError(f"hint colour {colour!r} is not a colour matplotlib knows") from None
    try:
        values = [float(value) for value in colour]
    except (TypeError, ValueError):
        raise ColorlabError(f"hint colour {colour!r}: expected '#rrggbb', (r, g, b) or (a, b)") from None
    if len(values) == 3:
        return tuple(min(max(value, 0.0), 1.0) for value in values)
    if len(values) == 2:
        rgb = lab_to_rgb(torch.tensor([60.0, *values], dtype=torch.float64).view(3, 1, 1))
        return tuple(float(value) for value in rgb.flatten())
    raise ColorlabError(f"hint colour {colour!r}: expected '#rrggbb', (r, g, b) or (a, b)")


def show_hints(
    images: Mapping[str, ImageLike],
    points: Sequence,
    *,
    panels: Sequence[int] = (0,),
    cursor: tuple[float, float] | None = None,
    ncols: int = 4,
    size: float = 2.5,
) -> Figure:
    """Images side by side (:func:`show_images`) with user hints drawn as coloured squares on some panels.

    Args:
        images: title -> image, all of the same size (the points are in its pixels).
        points: ``(y, x, colour)`` hints, ``y`` the row and ``x`` the column in pixels,
            ``colour`` as :func:`hint_display_colour` takes it; may be empty.
        panels: indices of the panels that get the markers (default: the first only).
        cursor: optional ``(y, x)`` drawn as a ring: where the next hint would go.
        ncols, size: as in :func:`show_images`.

    Returns:
        The figure.
    """
    fig = show_images(images, ncols=ncols, size=size)
    axes = fig.axes[: len(images)]
    marker_area = (size * 7.0) ** 2 / 4.0  # about a twentieth of the panel side, in points^2
    for index in panels:
        if not 0 <= index < len(axes):
            raise ColorlabError(f"panel {index} does not exist: {len(axes)} images")
        ax = axes[index]
        for number, point in enumerate(points):
            y, x, colour = parse_hint_point(point, number)
            ax.scatter([x], [y], s=marker_area * 1.6, marker="s", c="black")
            ax.scatter([x], [y], s=marker_area, marker="s", c=[hint_display_colour(colour)], edgecolors="white", linewidths=1.0)
        if cursor is not None:
            ax.scatter([cursor[1]], [cursor[0]], s=marker_area * 3.0, marker="o", facecolors="none", edgecolors="black", linewidths=2.5)
            ax.scatter([cursor[1]], [cursor[0]], s=marker_area * 3.0, marker="o", facecolors="none", edgecolors="white", linewidths=1.0)
    return fig


def plot_psnr_by_hints(
    curves: Mapping[str, Mapping[int, float]],
    *,
    size: tuple[float, float] = (3.6, 2.8),
) -> Figure:
    """PSNR against the number of user hints for several models or datasets: the SIGGRAPH17 paper's Fig. 4.

    Two panels: the PSNR itself, and its gain over the automatic result (0 hints), which compares
    curves measured on different data. The x axis is linear up to 1 hint and logarithmic beyond
    (``symlog``), so 0 hints has a place.

    Args:
        curves: label -> ``{number of hints: PSNR in dB}`` (e.g. :func:`colorlab.hints.psnr_by_hints`
            and :data:`colorlab.hints.PAPER_PSNR_BY_HINTS`); each needs an entry for 0 hints.
        size: width and height of one panel, in inches.

    Returns:
        The figure.
    """
    if not curves:
        raise ColorlabError("plot_psnr_by_hints needs at least one curve")
    for label, curve in curves.items():
        if 0 not in curve:
            raise ColorlabError(f"curve {label!r} has no value for 0 hints, needed for the gain panel")
    fig, (ax_psnr, ax_gain) = plt.subplots(1, 2, figsize=(size[0] * 2, size[1]))
    for label, curve in curves.items():
        counts = sorted(curve)
        values = np.array([curve[count] for count in counts], dtype=float)
        line = ax_psnr.plot(counts, values, marker="o", label=label)[0]
        ax_gain.plot(counts, values - curve[0], marker="o", color=line.get_color(), label=label)
    for ax, ylabel in ((ax_psnr, "PSNR (dB)"), (ax_gain, "gain over 0 hints (dB)")):
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel("number of hints", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    ax_psnr.legend(fontsize=7)
    fig.tight_layout()
    return fig


__all__ += ["hint_display_colour", "show_hints", "plot_psnr_by_hints"]


# --- ab bins and annealed decoding (notebook 04) ---------------------------------------------------


def _bin_grid(centres: torch.Tensor, step: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Grid positions of bin centres: ``(rows (Q,), cols (Q,), low)``; row ``i`` is ``b = low + i * step``."""
    values = centres.detach().cpu().double().numpy()
    positions = np.round(values / step)
    if np.abs(positions * step - values).max() > 1e-3 * step:
        raise ColorlabError(f"bin centres must be multiples of step={step:g} (the grid of colorlab.bins)")
    low = float(positions.min())
    return (positions[:, 1] - low).astype(int), (positions[:, 0] - low).astype(int), low * step


def plot_ab_bins(
    centres: torch.Tensor,
    values: torch.Tensor | np.ndarray | None = None,
    ax: Axes | None = None,
    *,
    step: float = 10.0,
    lightness: float = 65.0,
    log: bool = False,
    title: str | None = None,
    label: str = "",
    cmap: str = "viridis",
    size: float = 2.8,
) -> Figure:
    """Draw quantized ab bins as squares on the ab plane, in their own colour or coloured by a value.

    Args:
        centres: ``(Q, 2)`` ab bin centres in Lab units, multiples of ``step`` (e.g.
            :func:`colorlab.bins.gamut_bins`).
        values: optional ``(Q,)`` numbers, one per bin (a prior, rebalancing weights, a predicted
            distribution); None draws every bin in its colour ``(lightness, a, b)`` (clipped to sRGB).
        ax: the Axes to draw on; None creates a new figure of one panel.
        step: bin side in Lab units.
        lightness: ``L`` in ``[0, 100]`` used to paint the bins when ``values`` is None.
        log: logarithmic colour scale for ``values`` (zeros are left white).
        title: panel title; None writes the number of bins.
        label: colour-bar label for ``values``.
        cmap: matplotlib colormap for ``values``.
        size: panel height in inches when a new figure is created.

    Returns:
        The figure holding the panel (with a colour bar when ``values`` is given).
    """
    centres = torch.as_tensor(centres)
    if centres.dim() != 2 or centres.shape[1] != 2 or centres.shape[0] < 1:
        raise ColorlabError(f"centres must have shape (Q, 2), got {tuple(centres.shape)}")
    if not step > 0:
        raise ColorlabError(f"step must be positive, got {step!r}")
    rows, cols, low = _bin_grid(centres, float(step))
    side = int(max(rows.max(), cols.max())) + 1
    extent = (low - step / 2, low + (side - 0.5) * step, low - step / 2, low + (side - 0.5) * step)
    if ax is None:
        fig, ax = plt.subplots(figsize=(size * (1.25 if values is not None else 1.0), size))
    else:
        fig = ax.figure
    ax.set_facecolor("white")
    if values is None:
        lab = torch.cat((torch.full((len(rows), 1), float(lightness), dtype=torch.float64), centres.double().cpu()), dim=1)
        rgb = lab_to_rgb(lab.T.reshape(3, -1, 1))[:, :, 0].T.numpy()  # (Q, 3)
        image = np.ones((side, side, 4))
        image[..., 3] = 0.0
        image[rows, cols, :3] = rgb
        image[rows, cols, 3] = 1.0
        ax.imshow(image, origin="lower", extent=extent, interpolation="nearest")
    else:
        values = values.detach().cpu().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
        if values.shape != (len(rows),):
            raise ColorlabError(f"values must have shape ({len(rows)},), one per bin, got {values.shape}")
        grid = np.ma.masked_all((side, side))
        grid[rows, cols] = values
        if log:
            grid = np.ma.masked_less_equal(grid, 0.0)
            positive = values[values > 0]
            if positive.size == 0:
                raise ColorlabError("log=True needs at least one positive value")
            norm = LogNorm(vmin=positive.min(), vmax=max(positive.max(), positive.min() * 1.0001))
        else:
            norm = Normalize(vmin=float(values.min()), vmax=float(values.max()))
        shown = ax.imshow(grid, origin="lower", extent=extent, norm=norm, cmap=cmap, interpolation="nearest")
        colorbar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        colorbar.set_label(label, fontsize=8)
        colorbar.ax.tick_params(labelsize=7)
    ax.set_xlim(-AB_MAX - step / 2, AB_MAX + step / 2)
    ax.set_ylim(-AB_MAX - step / 2, AB_MAX + step / 2)
    _style_ab_axes(ax, title if title is not None else f"{len(rows)} bins")
    return fig


def show_annealed_mean(
    l: torch.Tensor,  # noqa: E741
    logits: torch.Tensor,
    centres: torch.Tensor,
    temperature: float = 0.38,
    *,
    size: float = 2.2,
) -> Figure:
    """Images colourized by the annealed mean of per-pixel class scores at one temperature (widget callback).

    Meant for ``ipywidgets.interactive(show_annealed_mean, l=fixed(l), logits=fixed(logits),
    centres=fixed(centres), temperature=FloatSlider(...), size=fixed(2.2))``: every change of
    ``T`` decodes the same scores again (:func:`colorlab.bins.decode`), so the images go from the
    smooth, dull mean (``T = 1``) to the vivid, patchy mode (``T`` near 0).

    Args:
        l: ``(N, 1, H, W)`` lightness in ``[0, 100]``.
        logits: ``(N, Q, h, w)`` class scores (e.g. ``ECCV16.true_logits``), any ``h x w``: the
            decoded ab is resized to ``H x W`` (bilinear).
        centres: ``(Q, 2)`` bin centres in Lab units.
        temperature: ``T > 0`` of ``softmax(logits / T)``.
        size: panel size in inches.

    Returns:
        The figure: one row of ``N`` panels, ``l`` with the decoded ab; the first title gives ``T``
        and every title the mean chroma ``sqrt(a^2 + b^2)`` of its image.
    """

    _check_lab_batch(l, "l", 1)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 4 or logits.shape[0] != l.shape[0]:
        shape = tuple(logits.shape) if hasattr(logits, "shape") else type(logits).__name__
        raise ColorlabError(f"logits must be an (N, Q, h, w) tensor with N = {l.shape[0]}, got {shape}")
    with torch.no_grad():
        ab = decode(logits.detach().float().cpu(), centres, method="annealed_mean", temperature=temperature)
        ab = torch.nn.functional.interpolate(ab, size=tuple(l.shape[-2:]), mode="bilinear", align_corners=False)
        rgb = lab_to_rgb(torch.cat((l.detach().float().cpu(), ab), dim=1))
    chroma = ab.norm(dim=1).mean(dim=(1, 2))
    fig, axes = plt.subplots(1, l.shape[0], figsize=(size * l.shape[0], size + 0.3), squeeze=False)
    for index, ax in enumerate(axes[0]):
        ax.imshow(to_display(rgb[index]))
        ax.set_axis_off()
        prefix = f"T = {temperature:.2f}: " if index == 0 else ""
        ax.set_title(f"{prefix}chroma {chroma[index].item():.0f}", fontsize=9)
    fig.tight_layout()
    return fig


__all__ += ["plot_ab_bins", "show_annealed_mean"]

"""Image-quality metrics for colorization, one number per image.

Every image metric takes ``(pred, target)`` sRGB batches ``(N, 3, H, W)``, float32 or float64, in
``[0, 1]``, on any device, and returns a per-image tensor ``(N,)`` of the same dtype and device:

- :func:`mse` and :func:`psnr`: pixel-wise error, as :func:`skimage.metrics.mean_squared_error`
  and :func:`skimage.metrics.peak_signal_noise_ratio`;
- :func:`ssim`: structural similarity (Wang et al. 2004), as
  :func:`skimage.metrics.structural_similarity` with ``gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=1, channel_axis=-1``;
- :func:`colorfulness` (one argument): how colourful an image looks (Hasler & Süsstrunk 2003);
- :func:`auc`: on ``ab`` batches ``(N, 2, H, W)`` in Lab units, the area under the curve of
  "fraction of pixels within ``t`` of the true colour" for ``t = 0 .. 150`` (Zhang et al. 2016).

:func:`evaluate` computes them all for a batch and :func:`summarize` averages the result into one
row of an evaluation table.

All metrics are plain differentiable torch code, so :func:`ssim` or :func:`mse` can also serve as a
training loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from colorlab.color import rgb_to_lab

__all__ = ["mse", "psnr", "ssim", "colorfulness", "auc", "evaluate", "summarize"]

#: SSIM constants of Wang et al. (2004).
SSIM_K1 = 0.01
SSIM_K2 = 0.03
#: Standard deviation of the Gaussian SSIM window, in pixels.
SSIM_SIGMA = 1.5
#: Side of the SSIM window. skimage derives it from ``sigma`` and scipy's ``truncate=3.5``:
#: radius ``int(3.5 * 1.5 + 0.5) = 5``, so ``2 * 5 + 1 = 11`` pixels.
SSIM_WIN_SIZE = 11
#: Largest ab error threshold of the AUC curve, in Lab units (Zhang et al. 2016).
AUC_MAX_THRESHOLD = 150


def _check_batch(image: torch.Tensor, name: str, channels: int) -> None:
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(image).__name__}")
    if image.dim() != 4 or image.shape[1] != channels:
        raise ValueError(f"{name} must have shape (N, {channels}, H, W), got {tuple(image.shape)}")
    if not image.is_floating_point():
        raise TypeError(f"{name} must be float32 or float64, got {image.dtype}")


def _check_pair(pred: torch.Tensor, target: torch.Tensor, channels: int = 3, names=("pred", "target")) -> None:
    _check_batch(pred, names[0], channels)
    _check_batch(target, names[1], channels)
    if pred.shape != target.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image, over channels and pixels.

    Args:
        pred: ``(N, 3, H, W)`` float in ``[0, 1]``.
        target: ``(N, 3, H, W)`` float in ``[0, 1]``, same shape.

    Returns:
        ``(N,)`` float, ``>= 0`` (0 for identical images).
    """
    _check_pair(pred, target)
    return (pred - target).square().mean(dim=(1, 2, 3))


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per image, in decibels: ``10 * log10(data_range**2 / mse)``.

    Identical images have zero error and an infinite PSNR (``inf``, no warning), as in skimage;
    :func:`summarize` then reports ``inf`` for the batch mean.

    Args:
        pred: ``(N, 3, H, W)`` float in ``[0, data_range]``.
        target: ``(N, 3, H, W)`` float in ``[0, data_range]``, same shape.
        data_range: the largest possible pixel value minus the smallest (1 for ``[0, 1]`` images).

    Returns:
        ``(N,)`` float in dB, higher is better; about 20-30 dB is typical for colorization.
    """
    return 10.0 * torch.log10(data_range**2 / mse(pred, target))


def _gaussian_window(channels: int, like: torch.Tensor) -> torch.Tensor:
    """The normalized ``11 x 11`` Gaussian window (sigma 1.5), one copy per channel: ``(C, 1, 11, 11)``."""
    radius = SSIM_WIN_SIZE // 2
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-0.5 * (x / SSIM_SIGMA) ** 2)
    g = g / g.sum()
    window = torch.outer(g, g).to(device=like.device, dtype=like.dtype)
    return window.expand(channels, 1, SSIM_WIN_SIZE, SSIM_WIN_SIZE)


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) per image, averaged over the three channels.

    For every pixel, local means ``mu``, variances ``var`` and the covariance ``cov`` of the two
    images are taken under an ``11 x 11`` Gaussian window (sigma 1.5, weights summing to 1, population
    statistics), and combined as::

        ssim = (2 mu_p mu_t + C1) (2 cov + C2) / ((mu_p^2 + mu_t^2 + C1) (var_p + var_t + C2))

    with ``C1 = (0.01 * 1)^2``, ``C2 = (0.03 * 1)^2`` for a data range of 1. The map is averaged
    over the pixels whose whole window lies inside the image; this is what
    :func:`skimage.metrics.structural_similarity` does (it filters with reflected borders but then
    crops ``(win_size - 1) // 2 = 5`` pixels on each side before averaging), so a convolution
    without padding gives the same number. The window is applied with one ``conv2d`` with
    ``groups=3`` (each channel filtered on its own).

    Args:
        pred: ``(N, 3, H, W)`` float in ``[0, 1]``, with ``H, W >= 11``.
        target: ``(N, 3, H, W)`` float in ``[0, 1]``, same shape.

    Returns:
        ``(N,)`` float, at most 1 (1 for identical images); above about 0.9 looks very similar.

    Raises:
        ValueError: if the shapes differ or are not ``(N, 3, H, W)``, or if ``H`` or ``W`` is
            smaller than the 11-pixel window.
    """
    _check_pair(pred, target)
    height, width = pred.shape[-2:]
    if height < SSIM_WIN_SIZE or width < SSIM_WIN_SIZE:
        raise ValueError(
            f"ssim needs images of at least {SSIM_WIN_SIZE}x{SSIM_WIN_SIZE} pixels (its Gaussian window), "
            f"got {height}x{width}"
        )
    channels = pred.shape[1]
    window = _gaussian_window(channels, pred)

    def local_mean(image: torch.Tensor) -> torch.Tensor:
        return F.conv2d(image, window, groups=channels)

    mu_p, mu_t = local_mean(pred), local_mean(target)
    var_p = local_mean(pred * pred) - mu_p * mu_p
    var_t = local_mean(target * target) - mu_t * mu_t
    cov = local_mean(pred * target) - mu_p * mu_t
    c1 = SSIM_K1**2
    c2 = SSIM_K2**2
    ssim_map = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p**2 + mu_t**2 + c1) * (var_p + var_t + c2))
    return ssim_map.mean(dim=(1, 2, 3))


def colorfulness(rgb: torch.Tensor) -> torch.Tensor:
    """Colourfulness of each image (Hasler & Süsstrunk 2003), on the 0-255 scale.

    With ``R, G, B`` in ``[0, 255]``, the opponent channels ``rg = R - G`` and
    ``yb = (R + G) / 2 - B`` are summarized over the pixels as::

        sqrt(std_rg^2 + std_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2)

    (population standard deviations). Grey images score 0; Hasler & Süsstrunk found about 15
    "slightly", 33 "moderately", 59 "quite" and above 82 "highly" colourful. Colorization models
    trained with an L2 loss tend to score well below their targets (washed-out colours).

    Args:
        rgb: ``(N, 3, H, W)`` float in ``[0, 1]``.

    Returns:
        ``(N,)`` float, ``>= 0``.
    """
    _check_batch(rgb, "rgb", 3)
    red, green, blue = (rgb * 255.0).flatten(start_dim=2).unbind(dim=1)
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = torch.sqrt(rg.var(dim=1, unbiased=False) + yb.var(dim=1, unbiased=False))
    offset = torch.sqrt(rg.mean(dim=1) ** 2 + yb.mean(dim=1) ** 2)
    return spread + 0.3 * offset


def auc(pred_ab: torch.Tensor, target_ab: torch.Tensor) -> torch.Tensor:
    """Area under the ab-accuracy curve per image (Zhang et al. 2016), in ``[0, 1]``.

    For a threshold ``t``, the accuracy is the fraction of pixels whose colour error
    ``||ab_pred - ab_target||_2`` (Lab units) is at most ``t``. The AUC is the mean accuracy over the
    151 thresholds ``t = 0, 1, ..., 150``: 1 for a perfect prediction, and e.g.
    ``(150 - 10 + 1) / 151`` when every pixel is off by exactly 10.

    Instead of looping over thresholds, each pixel counts the thresholds it passes: an error ``e``
    passes the integers ``t`` from ``ceil(e)`` to 150, that is ``max(0, 151 - ceil(e))`` of them.

    Args:
        pred_ab: ``(N, 2, H, W)`` float, ab in Lab units.
        target_ab: ``(N, 2, H, W)`` float, ab in Lab units, same shape.

    Returns:
        ``(N,)`` float in ``[0, 1]``, higher is better.
    """
    _check_pair(pred_ab, target_ab, channels=2, names=("pred_ab", "target_ab"))
    error = torch.linalg.vector_norm(pred_ab - target_ab, dim=1)  # (N, H, W)
    thresholds = AUC_MAX_THRESHOLD + 1
    passed = (thresholds - torch.ceil(error)).clamp(0, thresholds)
    return passed.mean(dim=(1, 2)) / thresholds


@torch.no_grad()
def evaluate(pred_rgb: torch.Tensor, target_rgb: torch.Tensor) -> dict[str, torch.Tensor]:
    """All metrics for a batch of colorized images against the originals.

    Args:
        pred_rgb: ``(N, 3, H, W)`` float in ``[0, 1]``, the colorized images.
        target_rgb: ``(N, 3, H, W)`` float in ``[0, 1]``, the originals, same shape (``H, W >= 11``).

    Returns:
        ``{name: (N,) tensor}`` with keys ``"mse"``, ``"psnr"``, ``"ssim"``, ``"auc"`` (on the Lab
        ab channels of both, from :func:`colorlab.color.rgb_to_lab`), ``"colorfulness"`` (of the
        prediction) and ``"colorfulness_target"`` (of the original, for comparison).
    """
    _check_pair(pred_rgb, target_rgb, names=("pred_rgb", "target_rgb"))
    return {
        "mse": mse(pred_rgb, target_rgb),
        "psnr": psnr(pred_rgb, target_rgb),
        "ssim": ssim(pred_rgb, target_rgb),
        "auc": auc(rgb_to_lab(pred_rgb)[:, 1:], rgb_to_lab(target_rgb)[:, 1:]),
        "colorfulness": colorfulness(pred_rgb),
        "colorfulness_target": colorfulness(target_rgb),
    }


def summarize(results: dict[str, torch.Tensor]) -> dict[str, float]:
    """Average per-image results (e.g. from :func:`evaluate`) into one table row.

    Args:
        results: ``{name: (N,) tensor}``; tensors from several batches can be joined first with
            ``torch.cat``.

    Returns:
        ``{name: mean as a Python float}``, same keys and order. A ``psnr`` of ``inf`` (an image
        identical to its target) makes its mean ``inf``.
    """
    summary = {}
    for name, values in results.items():
        values = torch.as_tensor(values)
        if values.numel() == 0:
            raise ValueError(f"cannot summarize {name!r}: no values")
        summary[name] = float(values.double().mean())
    return summary

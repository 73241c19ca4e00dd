"""Colour spaces for colorization: sRGB <-> CIE Lab, normalization schemes, L/ab split and merge.

All functions take and return torch tensors, channel-first, with any number of leading
dimensions (``(3, H, W)``, ``(N, 3, H, W)``, ...), in float32 or float64, on any device.

The conventions are those of :func:`skimage.color.rgb2lab` / :func:`skimage.color.lab2rgb`:
sRGB primaries, the sRGB transfer function, D65 white point (2° observer), and the CIE 1976
``L*a*b*`` formulas with the linear segment below ``(6/29)**3``. Lab units: ``L`` in ``[0, 100]``,
``a`` and ``b`` roughly in ``[-128, 127]`` (the sRGB gamut reaches about ``[-86, 98]`` for ``a``
and ``[-108, 95]`` for ``b``).

Every branch point uses a clamped input in the branch that is not taken, so gradients are finite
everywhere, black included.
"""

from __future__ import annotations

from typing import Literal

import torch

__all__ = [
    "XYZ_FROM_RGB",
    "D65_WHITE",
    "srgb_to_linear",
    "linear_to_srgb",
    "rgb_to_lab",
    "rgb_to_l",
    "lab_to_rgb",
    "rgb_to_l_ab",
    "l_ab_to_rgb",
    "normalize_l_zhang",
    "denormalize_l_zhang",
    "normalize_l_pix2pix",
    "denormalize_l_pix2pix",
    "normalize_ab",
    "denormalize_ab",
    "scale_ab",
    "normalize_l",
    "denormalize_l",
    "normalize_lab",
    "denormalize_lab",
    "Scheme",
    "SCHEMES",
    "GAMUT_TOLERANCE",
    "AB_MAX",
    "gamut_error",
]

#: sRGB (linear) -> CIE XYZ, the matrix skimage uses (IEC 61966-2-1 rounded to 6 digits).
XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
#: Reference white D65, 2° observer (X, Y, Z), as in skimage.
D65_WHITE = (0.95047, 1.0, 1.08883)

_EPSILON = 0.008856  # (6/29)**3 rounded as in skimage
_KAPPA = 7.787  # (29/6)**2 / 3 rounded as in skimage
_LAB_OFFSET = 16.0 / 116.0
_INV_THRESHOLD = 0.2068966  # cbrt(_EPSILON), as in skimage's lab2xyz


def _check_channels(image: torch.Tensor, name: str) -> None:
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(image).__name__}")
    if image.dim() < 3 or image.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (..., 3, H, W), got {tuple(image.shape)}")
    if not image.is_floating_point():
        raise TypeError(f"{name} must be float32 or float64, got {image.dtype}")


def _matrix(rows, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64).to(device=like.device, dtype=like.dtype)


def _apply_matrix(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Multiply every pixel's 3-vector by ``matrix``: ``(K, 3) x (..., 3, H, W) -> (..., K, H, W)``."""
    height, width = image.shape[-2:]
    flat = image.reshape(*image.shape[:-2], height * width)  # (..., 3, H*W): one matrix product
    return (matrix @ flat).reshape(*image.shape[:-3], matrix.shape[0], height, width)


def _select(value: torch.Tensor, threshold: float, above: torch.Tensor, below: torch.Tensor) -> torch.Tensor:
    """``torch.where(value > threshold, above, below)`` for finite branches, about 3x faster on a CPU.

    The weight ``sign(value - threshold)`` clamped to ``[0, 1]`` is exactly 0 or 1, and
    :func:`torch.lerp` with a weight of exactly 0 or 1 returns ``below`` or ``above`` bit for bit;
    ``where`` with its boolean mask is the slowest step of a conversion otherwise. Gradients are
    those of ``where`` too (the weight has none; the branch not taken gets a zero gradient).
    """
    weight = (value - threshold).sign_().clamp_(min=0.0)
    return torch.lerp(below, above, weight)


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """Undo the sRGB transfer function ("gamma").

    Args:
        rgb: any shape, float, sRGB values (normally in ``[0, 1]``).

    Returns:
        Linear-light values, same shape and dtype.
    """
    # in-place steps only where autograd does not need the overwritten values: fewer 12 MB
    # temporaries for a 1024x1024 image, which is most of the cost on a CPU
    power = rgb.clamp(min=0.04045).add_(0.055).div_(1.055) ** 2.4
    return _select(rgb, 0.04045, power, rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Apply the sRGB transfer function (inverse of :func:`srgb_to_linear`), without clipping."""
    power = (linear.clamp(min=0.0031308) ** (1 / 2.4)).mul_(1.055).sub_(0.055)
    return _select(linear, 0.0031308, power, linear * 12.92)


# The Lab formulas are linear in f = (f(X/Xn), f(Y/Yn), f(Z/Zn)):
#   L = 116 fy - 16,  a = 500 (fx - fy),  b = 200 (fy - fz)
# so each direction is: transfer function -> one 3x3 matrix (white point folded in) -> the cube
# root / cube branch -> one 3x3 matrix + offset. Few passes over the pixels, which is what makes
# it fast; the maths is exactly skimage's.
_LAB_FROM_F = ((0.0, 116.0, 0.0), (500.0, -500.0, 0.0), (0.0, 200.0, -200.0))
_F_FROM_LAB = ((1 / 116, 1 / 500, 0.0), (1 / 116, 0.0, 0.0), (1 / 116, 0.0, -1 / 200))


#: Pixels converted at a time on the CPU: the temporaries of a block stay in the cache (a whole
#: 1024x1024 image would allocate, and page-fault, several fresh 12 MB buffers per step).
_BLOCK_PIXELS = 65536


def _in_row_blocks(convert, image: torch.Tensor) -> torch.Tensor:
    """``convert(image)``, computed block of rows by block of rows on the CPU when no gradient is needed.

    ``convert`` maps ``(..., C, h, W)`` to ``(..., C', h, W)``. The result is the same; only the
    memory traffic changes. With autograd, or on a GPU, the whole tensor is converted at once.
    """
    height, width = image.shape[-2:]
    images = image[..., 0, 0, 0].numel()
    rows = max(1, _BLOCK_PIXELS // max(1, width * images))
    if image.device.type != "cpu" or rows >= height or (torch.is_grad_enabled() and image.requires_grad):
        return convert(image)
    out = None
    for start in range(0, height, rows):
        block = convert(image[..., start : start + rows, :])
        if out is None:
            out = torch.empty((*block.shape[:-2], height, width), dtype=block.dtype)
        out[..., start : start + rows, :] = block
    return out


def _xyz_over_white_from_rgb(like: torch.Tensor) -> torch.Tensor:
    return _matrix(XYZ_FROM_RGB, like) / _matrix(D65_WHITE, like)[:, None]


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """Convert sRGB to CIE Lab (D65), like :func:`skimage.color.rgb2lab`.

    Args:
        rgb: ``(..., 3, H, W)`` float32/float64 in ``[0, 1]``.

    Returns:
        lab: ``(..., 3, H, W)``, same dtype and device; ``L`` in ``[0, 100]``, ``a, b`` in Lab units.
    """
    _check_channels(rgb, "rgb")
    return _in_row_blocks(_rgb_to_lab, rgb)


def _rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    xyz = _apply_matrix(_xyz_over_white_from_rgb(rgb), srgb_to_linear(rgb))  # X/Xn, Y/Yn, Z/Zn
    offset = torch.tensor([-16.0, 0.0, 0.0], dtype=rgb.dtype, device=rgb.device).view(3, 1, 1)
    return _apply_matrix(_matrix(_LAB_FROM_F, rgb), _lab_f(xyz)).add_(offset)


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    """CIE's ``f(t)``: the cube root above ``(6/29)**3``, a line below."""
    return _select(t, _EPSILON, t.clamp(min=_EPSILON) ** (1.0 / 3.0), (t * _KAPPA).add_(_LAB_OFFSET))


def rgb_to_l(rgb: torch.Tensor) -> torch.Tensor:
    """Only the lightness of :func:`rgb_to_lab`: ``rgb_to_lab(rgb)[..., :1, :, :]``, about twice as fast.

    ``L`` depends on ``Y`` alone, so one cube root per pixel is taken instead of three (the
    values are those of :func:`rgb_to_lab` up to float rounding).

    Args:
        rgb: ``(..., 3, H, W)`` float32/float64 in ``[0, 1]``.

    Returns:
        ``l (..., 1, H, W)``, same dtype and device, in ``[0, 100]``.
    """
    _check_channels(rgb, "rgb")
    return _in_row_blocks(_rgb_to_l, rgb)


def _rgb_to_l(rgb: torch.Tensor) -> torch.Tensor:
    y = _apply_matrix(_matrix(XYZ_FROM_RGB[1:2], rgb), srgb_to_linear(rgb))  # Y / Yn, Yn = 1
    return _lab_f(y).mul_(116.0).sub_(16.0)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Convert CIE Lab (D65) to sRGB, like :func:`skimage.color.lab2rgb`, clipped to the gamut.

    Out-of-gamut colours are clipped per channel to ``[0, 1]`` (as skimage does), silently: no
    warning is printed, and the result is always finite.

    Args:
        lab: ``(..., 3, H, W)`` float32/float64; ``L`` in ``[0, 100]``, ``a, b`` in Lab units.

    Returns:
        rgb: ``(..., 3, H, W)``, same dtype and device, in ``[0, 1]``.
    """
    _check_channels(lab, "lab")
    return _in_row_blocks(_lab_to_rgb, lab)


def _lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    f = _apply_matrix(_matrix(_F_FROM_LAB, lab), lab).add_(_LAB_OFFSET)
    # skimage sets negative z to 0 (fz below 0): only the third channel has a lower bound
    lower = torch.tensor([-torch.inf, -torch.inf, 0.0], dtype=lab.dtype, device=lab.device).view(3, 1, 1)
    f = torch.maximum(f, lower)
    xyz = _select(f, _INV_THRESHOLD, f.clamp(min=_INV_THRESHOLD) ** 3, (f - _LAB_OFFSET).div_(_KAPPA))  # X/Xn ...
    rgb_from_xyz = torch.linalg.inv(_xyz_over_white_from_rgb(lab).double()).to(lab.dtype)
    return linear_to_srgb(_apply_matrix(rgb_from_xyz, xyz)).clamp(0.0, 1.0).nan_to_num(0.0)



#: Largest round-trip error, in Delta E (Lab units), for a Lab colour to count as in the sRGB gamut.
#: The tolerance absorbs float rounding and the 6-digit rounding of the sRGB matrix (white itself
#: comes back ``0.005`` away from ``a = b = 0``).
GAMUT_TOLERANCE = 0.01
#: Half-width of the ab plane that holds the whole sRGB gamut: ``a, b in [-110, 110]``.
AB_MAX = 110.0


def gamut_error(lab: torch.Tensor) -> torch.Tensor:
    """How far a Lab colour is from the sRGB gamut: ``Delta E_76`` of the round trip ``lab -> rgb -> lab``.

    :func:`lab_to_rgb` clips out-of-gamut colours to ``[0, 1]`` per channel, so the round trip
    fails exactly when clipping changed something. A colour is *in the sRGB gamut* when this is at
    most :data:`GAMUT_TOLERANCE`.

    Args:
        lab: ``(..., 3, H, W)`` float, ``L`` in ``[0, 100]``, ``a, b`` in Lab units.

    Returns:
        ``(..., H, W)`` float, the Euclidean distance in Lab units (0 inside the gamut, up to rounding).
    """
    return (rgb_to_lab(lab_to_rgb(lab)) - lab).norm(dim=-3)


def rgb_to_l_ab(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split an sRGB batch into lightness and colour.

    Args:
        rgb: ``(..., 3, H, W)`` float in ``[0, 1]``.

    Returns:
        ``(l, ab)``: ``l`` is ``(..., 1, H, W)`` in ``[0, 100]``, ``ab`` is ``(..., 2, H, W)`` in Lab units.
    """
    lab = rgb_to_lab(rgb)
    return lab[..., :1, :, :], lab[..., 1:, :, :]


def l_ab_to_rgb(l: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:  # noqa: E741
    """Merge lightness and colour back to sRGB (inverse of :func:`rgb_to_l_ab`).

    Args:
        l: ``(..., 1, H, W)`` in ``[0, 100]``.
        ab: ``(..., 2, H, W)`` in Lab units, same spatial size as ``l``.

    Returns:
        rgb: ``(..., 3, H, W)`` in ``[0, 1]`` (out-of-gamut colours clipped).
    """
    if l.shape[-3] != 1 or ab.shape[-3] != 2 or l.shape[-2:] != ab.shape[-2:]:
        raise ValueError(f"expected l (..., 1, H, W) and ab (..., 2, H, W), got {tuple(l.shape)} and {tuple(ab.shape)}")
    return lab_to_rgb(torch.cat((l, ab), dim=-3))


# --- normalization schemes -------------------------------------------------------------------
# Networks like inputs and targets near [-1, 1]. Two conventions are common in colorization code:
#   zhang   (richzhang/colorization, "colorizers"): L -> (L - 50) / 100 in [-0.5, 0.5], ab -> ab / 110
#   pix2pix (the U-Net + GAN recipes):             L -> L / 50 - 1 in [-1, 1],       ab -> ab / 110
# ab / 110 maps the whole sRGB gamut into about [-1, 1].

_AB_SCALE = 110.0


def normalize_l_zhang(l: torch.Tensor) -> torch.Tensor:  # noqa: E741
    """``L`` in ``[0, 100]`` -> ``(L - 50) / 100`` in ``[-0.5, 0.5]`` (Zhang et al. / colorizers)."""
    return (l - 50.0) / 100.0


def denormalize_l_zhang(l_norm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_l_zhang`: ``l_norm * 100 + 50``."""
    return l_norm * 100.0 + 50.0


def normalize_l_pix2pix(l: torch.Tensor) -> torch.Tensor:  # noqa: E741
    """``L`` in ``[0, 100]`` -> ``L / 50 - 1`` in ``[-1, 1]`` (pix2pix colorization)."""
    return l / 50.0 - 1.0


def denormalize_l_pix2pix(l_norm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_l_pix2pix`: ``(l_norm + 1) * 50``."""
    return (l_norm + 1.0) * 50.0


def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
    """``ab`` in Lab units -> ``ab / 110`` (about ``[-1, 1]`` over the sRGB gamut); both schemes."""
    return ab / _AB_SCALE


def denormalize_ab(ab_norm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_ab`: ``ab_norm * 110``."""
    return ab_norm * _AB_SCALE


def scale_ab(ab: torch.Tensor, scale: float = 1.0, spread: float = 1.0) -> torch.Tensor:
    """More (or less) vivid colour: ``scale * (m + spread * (ab - m))``, ``m`` each image's mean ab.

    ``scale`` multiplies every colour (the image's overall cast too); ``spread`` widens the
    colours' differences around the image's own mean colour and leaves the cast alone. Both
    at 1: ``ab`` unchanged. A regression model predicts the mean of the colours it cannot tell
    apart, duller than real photos; the bundled models store the factors chosen on held-out
    photos (``colorlab/weights/README.md``).

    Args:
        ab: ``(..., 2, H, W)`` float, Lab units or normalized (the operation is linear).
        scale, spread: factors, ``>= 0``.

    Returns:
        ``(..., 2, H, W)``, a new tensor (the input itself when both factors are 1).
    """
    if scale == 1.0 and spread == 1.0:
        return ab
    if spread != 1.0:
        mean = ab.mean(dim=(-2, -1), keepdim=True)
        ab = mean + spread * (ab - mean)
    return ab * scale


Scheme = Literal["zhang", "pix2pix"]

#: name -> (normalize L, denormalize L); ab uses :func:`normalize_ab` in every scheme.
SCHEMES = {
    "zhang": (normalize_l_zhang, denormalize_l_zhang),
    "pix2pix": (normalize_l_pix2pix, denormalize_l_pix2pix),
}


def _scheme(scheme: str):
    try:
        return SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"unknown normalization scheme {scheme!r}; choose one of {sorted(SCHEMES)}") from None


def normalize_l(l: torch.Tensor, scheme: Scheme = "zhang") -> torch.Tensor:  # noqa: E741
    """Normalize lightness ``l (..., 1, H, W)`` in ``[0, 100]`` with the named ``scheme``."""
    return _scheme(scheme)[0](l)


def denormalize_l(l_norm: torch.Tensor, scheme: Scheme = "zhang") -> torch.Tensor:
    """Inverse of :func:`normalize_l`: back to ``L`` in ``[0, 100]``."""
    return _scheme(scheme)[1](l_norm)


def normalize_lab(l: torch.Tensor, ab: torch.Tensor, scheme: Scheme = "zhang") -> tuple[torch.Tensor, torch.Tensor]:  # noqa: E741
    """Normalize ``(l, ab)`` in Lab units for a network with the named ``scheme``.

    Args:
        l: ``(..., 1, H, W)`` in ``[0, 100]``.
        ab: ``(..., 2, H, W)`` in Lab units.
        scheme: ``"zhang"`` or ``"pix2pix"``.

    Returns:
        ``(l_norm, ab_norm)``, same shapes.
    """
    return normalize_l(l, scheme), normalize_ab(ab)


def denormalize_lab(l_norm: torch.Tensor, ab_norm: torch.Tensor, scheme: Scheme = "zhang") -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`normalize_lab`: back to ``L`` in ``[0, 100]`` and ``ab`` in Lab units."""
    return denormalize_l(l_norm, scheme), denormalize_ab(ab_norm)

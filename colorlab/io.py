"""Images in and out: the one place where files, bytes and arrays become pixels and back.

Everything the rest of colorlab computes on is either

* a numpy array ``rgb (H, W, 3) float32 in [0, 1]`` (or ``gray (H, W)``), channel-last, at this
  edge and for plotting, or
* a torch tensor ``rgb (3, H, W) float32 in [0, 1]``, channel-first, everywhere else;
  :func:`to_tensor` and :func:`to_numpy` cross between the two.

Reading goes through Pillow. :func:`load_image` accepts a path, ``bytes``, a binary file object, a
PIL image or a numpy array, applies the EXIF orientation, decodes the whole file (so a truncated
file fails here, not later), closes what it opened and never writes to its input. Whatever it cannot
read raises :class:`ColorlabError` with a one-line message naming the source and the reason.

How Pillow modes become RGB:

* ``1``, ``L``: grey, ``/ 255`` (``1`` is 0 or 1).
* ``I;16`` (16-bit PNG/TIFF greys): ``/ 65535``, so 65535 -> 1.0, not clipped at 255.
* ``I`` (32-bit integer): read on the same 16-bit scale (``/ 65535``, clipped to [0, 1]), which is
  how 16-bit greys arrive from older Pillow versions and some TIFF writers.
* ``F`` (32-bit float): taken as already in [0, 1] and clipped; NaN/inf are an error.
* ``P``, ``CMYK``, ``YCbCr``, ``LAB``, ``HSV``: Pillow's conversion to RGB (CMYK by Pillow's simple
  formula; embedded ICC profiles are not applied).
* Anything with transparency (``RGBA``, ``LA``, ``PA``, ``P`` or ``L``/``RGB`` with a transparent
  colour): composited on **white**, as a page or a browser would show it.
* Animations (GIF, APNG, WebP): the first frame.

Grey images stay exactly grey: :func:`load_image` repeats the grey in the three channels and
:func:`load_gray` returns it as it is. For colour images :func:`load_gray` uses ITU-R BT.601 luma,
``0.299 R + 0.587 G + 0.114 B`` -- the formula of Pillow's ``convert("L")`` -- but in float, without
rounding to 8 bits.
"""

from __future__ import annotations

import io
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:  # torch is imported where a tensor is made, so that `import colorlab.io` stays light
    import torch

__all__ = [
    "ColorlabError",
    "ImageSource",
    "LUMA_WEIGHTS",
    "SAVE_FORMATS",
    "load_image",
    "load_gray",
    "missing_inputs",
    "save_image",
    "to_tensor",
    "to_numpy",
]

#: What :func:`load_image` reads: a path, encoded bytes, a binary file object, a PIL image or an array.
ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, Image.Image, np.ndarray]

#: ITU-R BT.601 luma weights for (R, G, B), as in Pillow's ``convert("L")``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: File extensions :func:`save_image` writes, and the Pillow format for each.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}

# Float arrays may stray this far outside [0, 1] (rounding in colour conversions) and are clipped;
# further out is a mistake (e.g. an image still in 0..255) and is reported.
_FLOAT_TOLERANCE = 1e-3

_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_UINT16_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}


class ColorlabError(ValueError):
    """A user mistake or unreadable input, with a one-line message naming the file or argument.

    It is a :class:`ValueError`, so ``except ValueError`` catches it too; the command line prints
    it as one line without a traceback.
    """


def _error(name: str, reason: str) -> ColorlabError:
    """``ColorlabError("<name>: <reason>")`` on a single line whatever the name or reason hold."""
    message = f"{name}: {reason}"
    return ColorlabError(" ".join(message.splitlines()))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def load_image(src: ImageSource) -> np.ndarray:
    """Read an image as ``rgb (H, W, 3) float32 in [0, 1]``.

    Args:
        src: a path (``str`` or ``os.PathLike``); encoded image ``bytes``; a binary file object
            (read to its end, left open); a PIL image (not closed); or a numpy array of dtype
            uint8 (``/ 255``), uint16 (``/ 65535``), bool or float (already in [0, 1]) with shape
            ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` (RGBA).

    Returns:
        ``rgb (H, W, 3) float32 in [0, 1]``, a new array, EXIF orientation applied, transparency
        composited on white, the first frame of an animation. See the module docstring for how
        each Pillow mode is converted.

    Raises:
        ColorlabError: one line naming the source (its path, ``<bytes>``, ``<file object>``,
            ``<PIL image>`` or ``<array>``) and why it cannot be read: file not found, a
            directory, empty, not an image, truncated, corrupt, too large (Pillow's
            decompression-bomb guard, ``PIL.Image.MAX_IMAGE_PIXELS``), wrong array shape or dtype.
    """
    pixels = _load_pixels(src)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return pixels


def load_gray(src: ImageSource) -> np.ndarray:
    """Read an image as ``gray (H, W) float32 in [0, 1]``.

    Takes the same sources as :func:`load_image`. Grey images come back unchanged; colour images
    are reduced with ITU-R BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` (:data:`LUMA_WEIGHTS`, the
    weights of Pillow's ``convert("L")``) computed in float, without rounding to 8 bits.

    Raises:
        ColorlabError: as :func:`load_image`.
    """
    pixels = _load_pixels(src)
    if pixels.ndim == 2:
        return pixels
    if np.all(pixels[:, :, :1] == pixels):  # grey stored as RGB (or composited LA): exact
        return np.ascontiguousarray(pixels[:, :, 0])
    return np.clip(pixels @ np.asarray(LUMA_WEIGHTS, dtype=np.float32), 0.0, 1.0)


def _source_name(src: object) -> str:
    if isinstance(src, (str, os.PathLike)):
        return os.fsdecode(src)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(src, np.ndarray):
        return "<array>"
    if isinstance(src, Image.Image):
        return "<PIL image>"
    if hasattr(src, "read"):
        name = getattr(src, "name", None)
        return name if isinstance(name, str) else "<file object>"
    return f"<{type(src).__name__}>"


def _load_pixels(src: ImageSource) -> np.ndarray:
    """Decode ``src`` to ``gray (H, W)`` or ``rgb (H, W, 3)`` float32 in [0, 1]."""
    name = _source_name(src)
    if isinstance(src, np.ndarray):
        return _array_pixels(src, name)
    if isinstance(src, Image.Image):
        image = _decode(src, name)
    elif isinstance(src, (str, os.PathLike)):
        image = _read_path(Path(os.fsdecode(src)), name)
    elif isinstance(src, (bytes, bytearray, memoryview)):
        image = _read_bytes(bytes(src), name)
    elif hasattr(src, "read"):
        data = src.read()
        if not isinstance(data, (bytes, bytearray)):
            raise _error(name, "file object is open in text mode; open it with 'rb'")
        image = _read_bytes(bytes(data), name)
    else:
        raise _error(
            name,
            "cannot load this type; pass a path, bytes, a binary file object, a PIL image or a numpy array",
        )
    return _pil_pixels(image, name)


def missing_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """One-line messages, ``"<path>: file not found"``, for the paths that do not exist, in order.

    The words of :func:`load_image` for a missing file, so that a batch can report missing inputs
    before it loads anything (the command line does so without importing torch).
    """
    return [str(_error(str(path), "file not found")) for path in paths if not Path(path).exists()]


def _read_path(path: Path, name: str) -> Image.Image:
    try:
        if path.is_dir():
            raise _error(name, "is a directory, not an image file")
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise _error(name, "empty file (0 bytes)")
            return _open_and_decode(file, name)
    except FileNotFoundError:
        raise _error(name, "file not found") from None
    except PermissionError:
        raise _error(name, "permission denied") from None
    except IsADirectoryError:
        raise _error(name, "is a directory, not an image file") from None
    except OSError as error:
        raise _error(name, f"cannot read file ({error.strerror or _first_line(error)})") from None


def _read_bytes(data: bytes, name: str) -> Image.Image:
    if not data:
        raise _error(name, "empty data (0 bytes)")
    with io.BytesIO(data) as file:
        return _open_and_decode(file, name)


def _open_and_decode(file: BinaryIO, name: str) -> Image.Image:
    """Open an encoded image from ``file`` and return a decoded copy that no longer needs it."""
    with _bomb_guard(name):
        try:
            image = Image.open(file)
        except UnidentifiedImageError:
            raise _error(name, "not an image (unrecognised format or damaged header)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except Exception as error:  # Pillow raises many types for damaged headers
            raise _error(name, f"corrupt image header ({_first_line(error)})") from None
        with image:
            return _decode(image, name)


def _decode(image: Image.Image, name: str) -> Image.Image:
    """Fully decode ``image`` (current frame) and apply its EXIF orientation; returns a new image."""
    with _bomb_guard(name):
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except Exception as error:
            reason = _first_line(error)
            if "truncated" in reason.lower() or isinstance(error, EOFError):
                raise _error(name, "truncated image file (the data ends early)") from None
            raise _error(name, f"corrupt image data ({reason})") from None
    try:
        return ImageOps.exif_transpose(image)
    except Exception as error:  # damaged EXIF: the pixels are still good
        warnings.warn(f"{name}: ignoring unreadable EXIF orientation ({_first_line(error)})", stacklevel=4)
        return image.copy()


@contextmanager
def _bomb_guard(name: str) -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning and error into ``ColorlabError("... too large")``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            size = re.search(r"\((\d+) pixels\)", str(error))
            pixels = f"{int(size.group(1)):,} pixels; " if size else ""
            limit = f"{Image.MAX_IMAGE_PIXELS:,}" if Image.MAX_IMAGE_PIXELS else "set"
            raise _error(
                name,
                f"image too large ({pixels}Pillow's decompression-bomb limit PIL.Image.MAX_IMAGE_PIXELS is {limit})",
            ) from None


def _pil_pixels(image: Image.Image, name: str) -> np.ndarray:
    """A decoded PIL image as ``gray (H, W)`` or ``rgb (H, W, 3)`` float32 in [0, 1]."""
    mode = image.mode
    if mode in _UINT16_MODES:
        return np.asarray(image).astype(np.float32) / np.float32(65535)
    if mode == "I":
        return np.clip(np.asarray(image).astype(np.float32) / np.float32(65535), 0.0, 1.0)
    if mode == "F":
        return _float_pixels(np.asarray(image), name, clip_only=True)
    try:
        if mode in _ALPHA_MODES or "transparency" in image.info:
            rgba = np.asarray(image.convert("RGBA")).astype(np.float32) / np.float32(255)
            return _on_white(rgba[:, :, :3], rgba[:, :, 3:])
        if mode in ("1", "L"):
            return np.asarray(image.convert("L")).astype(np.float32) / np.float32(255)
        return np.asarray(image.convert("RGB")).astype(np.float32) / np.float32(255)
    except ValueError as error:
        raise _error(name, f"unsupported image mode {mode!r} ({_first_line(error)})") from None


def _on_white(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite ``color (H, W, C)`` with ``alpha (H, W, 1)``, both in [0, 1], on white."""
    return np.clip(color * alpha + (1.0 - alpha), 0.0, 1.0).astype(np.float32, copy=False)


def _float_pixels(values: np.ndarray, name: str, *, clip_only: bool = False) -> np.ndarray:
    values = values.astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise _error(name, "contains NaN or infinite values")
    if not clip_only and values.size:
        low, high = float(values.min()), float(values.max())
        if low < -_FLOAT_TOLERANCE or high > 1.0 + _FLOAT_TOLERANCE:
            raise _error(
                name,
                f"float values must lie in [0, 1], got [{low:.4g}, {high:.4g}] (divide 0..255 data by 255)",
            )
    return np.clip(values, 0.0, 1.0)


def _array_pixels(array: np.ndarray, name: str) -> np.ndarray:
    """A user array as ``gray (H, W)`` or ``rgb (H, W, 3)`` float32 in [0, 1] (a new array)."""
    shapes = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise _error(name, f"wrong array shape {array.shape}; expected {shapes}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise _error(name, f"empty array of shape {array.shape}")
    if array.dtype == np.uint8:
        values = array.astype(np.float32) / np.float32(255)
    elif array.dtype == np.uint16:
        values = array.astype(np.float32) / np.float32(65535)
    elif array.dtype == np.bool_:
        values = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.floating):
        values = _float_pixels(array, name)
    else:
        raise _error(name, f"wrong array dtype {array.dtype}; expected uint8, uint16, bool or float in [0, 1]")
    if values.ndim == 2:
        return values
    if values.shape[2] == 1:
        return values[:, :, 0]
    if values.shape[2] == 4:
        return _on_white(values[:, :, :3], values[:, :, 3:])
    return values


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def save_image(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    *,
    quality: int = 95,
    overwrite: bool = True,
    source: str | os.PathLike[str] | None = None,
    overwrite_source: bool = False,
) -> Path:
    """Write ``rgb`` to ``path`` as PNG or JPEG (chosen by the extension), atomically.

    Args:
        path: ``.png``, ``.jpg`` or ``.jpeg`` (any case). Missing parent directories are created.
        rgb: ``(H, W, 3)`` (or grey ``(H, W)`` / ``(H, W, 1)``) uint8, or float in [0, 1]; floats
            are rounded to the nearest of 0..255 (not truncated).
        quality: JPEG quality 1..100 (ignored for PNG). JPEGs keep full-resolution colour
            (4:4:4, no chroma subsampling): colour is what colorization produces.
        overwrite: if False, an existing ``path`` is an error.
        source: the file ``rgb`` was made from. Writing onto it (same file, also through a link)
            is refused unless ``overwrite_source=True``: colorlab never replaces an input by
            accident. Sources that are not paths are ignored.
        overwrite_source: allow ``path`` to be ``source``.

    Returns:
        ``Path(path)``.

    The image is written to a temporary file in the same directory and moved onto ``path`` with
    :func:`os.replace`, so ``path`` is either the old file or the complete new one, and no
    temporary file is left behind on error.

    Raises:
        ColorlabError: unsupported extension, wrong array shape/dtype/range, bad quality, ``path``
            is ``source`` or exists (``overwrite=False``) or is a directory, or the write failed.
    """
    target = Path(path)
    name = os.fsdecode(path)
    image_format = SAVE_FORMATS.get(target.suffix.lower())
    if image_format is None:
        raise _error(name, f"cannot save with extension {target.suffix or '(none)'!r}; use .png, .jpg or .jpeg")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise _error(name, f"JPEG quality must be an integer in 1..100, got {quality!r}")
    image = Image.fromarray(_to_uint8(rgb, name))
    if source is not None and isinstance(source, (str, os.PathLike)) and not overwrite_source:
        if _same_file(Path(os.fsdecode(source)), target):
            raise _error(name, "refusing to overwrite the source image; choose another output path")
    if target.is_dir():
        raise _error(name, "is a directory; give a file name ending in .png, .jpg or .jpeg")
    if not overwrite and target.exists():
        raise _error(name, "already exists (overwrite=False)")

    options = {"quality": int(quality), "subsampling": 0} if image_format == "JPEG" else {}
    partial = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.part"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "xb") as file:
            image.save(file, format=image_format, **options)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _error(name, f"cannot write image ({error.strerror or _first_line(error)})") from None
        raise
    return target


def _same_file(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return os.path.samefile(first, second)
        return first.resolve() == second.resolve()
    except OSError:
        return False


def _to_uint8(rgb: np.ndarray, name: str) -> np.ndarray:
    """``rgb`` (H, W, 3) / (H, W) / (H, W, 1), uint8 or float in [0, 1] -> uint8, rounded."""
    if not isinstance(rgb, np.ndarray):
        raise _error(name, f"image must be a numpy array, got {type(rgb).__name__} (use colorlab.io.to_numpy)")
    if rgb.ndim == 3 and rgb.shape[2] == 1:
        rgb = rgb[:, :, 0]
    if not (rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 3)) or 0 in rgb.shape:
        raise _error(name, f"cannot save array of shape {rgb.shape}; expected (H, W, 3) or (H, W)")
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    if not np.issubdtype(rgb.dtype, np.floating):
        raise _error(name, f"cannot save array of dtype {rgb.dtype}; expected uint8 or float in [0, 1]")
    values = _float_pixels(rgb, name)
    return np.rint(values * 255.0).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# numpy (H, W, C) <-> torch (C, H, W)
# ----------------------------------------------------------------------------------------------


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """Channel-last numpy image to a channel-first torch tensor.

    Args:
        rgb: ``(H, W, C)`` (usually ``C = 3``) or ``(H, W)``; float (values kept), uint8
            (``/ 255``) or uint16 (``/ 65535``).

    Returns:
        ``(C, H, W)`` (``(1, H, W)`` for a 2-D input) float32 tensor on the CPU, not sharing
        memory with ``rgb``.
    """
    if not isinstance(rgb, np.ndarray):
        raise TypeError(f"rgb must be a numpy array, got {type(rgb).__name__}")
    if rgb.ndim == 2:
        rgb = rgb[:, :, None]
    if rgb.ndim != 3:
        raise ColorlabError(f"rgb: expected shape (H, W, C) or (H, W), got {rgb.shape}")
    if rgb.dtype == np.uint8:
        values = rgb.astype(np.float32) / np.float32(255)
    elif rgb.dtype == np.uint16:
        values = rgb.astype(np.float32) / np.float32(65535)
    elif np.issubdtype(rgb.dtype, np.floating) or rgb.dtype == np.bool_:
        values = rgb.astype(np.float32)
    else:
        raise ColorlabError(f"rgb: expected float, uint8 or uint16 values, got dtype {rgb.dtype}")
    import torch

    return torch.from_numpy(np.ascontiguousarray(values.transpose(2, 0, 1)))


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """Channel-first torch image to a channel-last numpy array (for plotting and saving).

    Args:
        tensor: ``(3, H, W)`` or ``(1, 3, H, W)`` (also ``(1, H, W)`` / ``(1, 1, H, W)`` grey), any
            float dtype, any device; gradients are detached.

    Returns:
        ``(H, W, 3)`` (``(H, W)`` for grey) float32 numpy array; values are passed through unchanged
        (clamp to [0, 1] first if a model may overshoot).
    """
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.ndim == 4 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.ndim != 3 or tensor.shape[0] not in (1, 3):
        raise ColorlabError(
            f"tensor: expected shape (3, H, W) or (1, 3, H, W), got {tuple(tensor.shape)} "
            "(index one image out of a batch first)"
        )
    array = tensor.detach().to(device="cpu", dtype=torch.float32).permute(1, 2, 0).numpy()
    if array.shape[2] == 1:
        array = array[:, :, 0]
    return np.array(array, dtype=np.float32, copy=True)

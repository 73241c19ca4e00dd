"""The colorize app's logic: plain, tested functions that the widgets call.

:class:`colorlab.widgets.ColorizeApp` (notebook 08, also served as a web page by Voila) only
wires controls to these functions::

    FileUpload.value --read_uploads--> [Upload(name, bytes)] --decode_upload--> rgb (H, W, 3) uint8
    model dropdown   <--model_choices-- "auto" (the strongest model here, named), bundled models
                                        (+ the official ECCV16 / SIGGRAPH17 weights when cached or
                                        downloadable)
    sliders          --colorize_photo(rgb, model, intensity, temperature)--> rgb (H, W, 3) uint8
    download link    <--encode_image(rgb, "jpeg" | "png", quality)--  bytes, result_filename(...)
    any failure      --error_message(error, name)--> one line shown in the app, never a traceback

Nothing here imports ipywidgets. Colorization itself is :func:`colorlab.pipeline.colorize`, the
one path every caller uses.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import torch
from PIL import Image
from torch import nn

from colorlab import color
from colorlab.pipeline import DEFAULT_MODEL, OFFICIAL_SUFFIX, colorize, get_model, grey_version, resolve_model
from colorlab.io import ColorlabError, load_image
from colorlab.models.released import OFFICIAL_WEIGHTS, official_cached, official_reachable

__all__ = [
    "MAX_UPLOAD_MB",
    "MAX_UPLOAD_BYTES",
    "MAX_PIXELS",
    "INTENSITY_RANGE",
    "TEMPERATURE_RANGE",
    "QUALITY_RANGE",
    "FORMATS",
    "OFFICIAL",
    "Upload",
    "read_uploads",
    "decode_upload",
    "official_cached",
    "official_reachable",
    "model_choices",
    "model_label",
    "load_model",
    "uses_temperature",
    "default_temperature",
    "colorize_photo",
    "grey_version",
    "encode_image",
    "preview_jpeg",
    "result_filename",
    "data_url",
    "error_message",
    "before_after_figure",
]

#: Largest upload the app takes, per file. Jupyter servers carry an upload in one websocket
#: message, 10 MiB by default, so the cap stays below that (Voila here raises the transport
#: limit in ``voila.json``, so bigger files get this clear message instead of a dropped connection).
MAX_UPLOAD_MB = 8
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
#: Largest photo in pixels (width x height): 30 megapixels keep the app within a few hundred MB.
MAX_PIXELS = 30_000_000

#: ``(min, max, step, default)`` of the app's sliders.
INTENSITY_RANGE = (0.0, 2.0, 0.05, 1.0)
TEMPERATURE_RANGE = (0.05, 1.0, 0.01, 0.38)
QUALITY_RANGE = (50, 100, 1, 92)

#: Download formats: key -> (MIME type, file extension).
FORMATS = {"jpeg": ("image/jpeg", "jpg"), "png": ("image/png", "png")}

#: Models with released ("official") weights that the app offers besides the bundled ones.
OFFICIAL = tuple(OFFICIAL_WEIGHTS)


# ----------------------------------------------------------------------------------------------
# Uploads
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name (as the browser gave it) and its bytes."""

    name: str
    content: bytes

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.content)


def _as_bytes(content: object) -> bytes:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    if hasattr(content, "tobytes"):
        return content.tobytes()
    raise ColorlabError(f"upload content must be bytes, got {type(content).__name__}")


def read_uploads(value: object) -> list[Upload]:
    """The files of a ``FileUpload`` widget's ``value``, as :class:`Upload` objects.

    Args:
        value: ipywidgets 8's tuple of dicts (``{"name", "content": memoryview, ...}``),
            ipywidgets 7's dict ``{name: {"content": ..., "metadata": {...}}}``, a list of
            :class:`Upload`, or ``None`` / empty.

    Returns:
        The uploads in the order given; empty for no files.
    """
    if not value:
        return []
    if isinstance(value, Mapping):  # ipywidgets 7
        return [Upload(str(name), _as_bytes(item["content"])) for name, item in value.items()]
    uploads = []
    for item in value:
        if isinstance(item, Upload):
            uploads.append(item)
        elif isinstance(item, Mapping):
            uploads.append(Upload(str(item.get("name") or "upload"), _as_bytes(item["content"])))
        else:  # ipywidgets 8 may hand out attribute-style dicts
            uploads.append(Upload(str(getattr(item, "name", "upload")), _as_bytes(item.content)))
    return uploads


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def decode_upload(
    upload: Upload | bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Decode an uploaded image file, refusing files and photos above the caps.

    Args:
        upload: an :class:`Upload` (or plain bytes, named ``<upload>`` in messages): any format
            :func:`colorlab.io.load_image` reads (JPEG, PNG, TIFF, WebP, GIF, BMP ...).
        max_bytes: largest file accepted (default :data:`MAX_UPLOAD_BYTES`).
        max_pixels: largest ``width * height`` accepted (default :data:`MAX_PIXELS`), checked from
            the header before the pixels are decoded.

    Returns:
        ``rgb (H, W, 3) uint8``, EXIF orientation applied, transparency on white.

    Raises:
        ColorlabError: one line naming the file: too large (bytes or pixels), empty, not an
            image, truncated or corrupt.
    """
    if not isinstance(upload, Upload):
        upload = Upload("<upload>", _as_bytes(upload))
    if upload.size > max_bytes:
        raise ColorlabError(
            f"{upload.name}: file is {_megabytes(upload.size)}; the app takes photos up to "
            f"{_megabytes(max_bytes)} (shrink it, or use the command line: colorlab colorize)"
        )
    size, pixels = "", 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(upload.content)) as header:  # reads the header only
                width, height = header.size
        size, pixels = f"{width}x{height} = ", width * height
    except Image.DecompressionBombError as error:  # far above any cap: Pillow refuses to open it
        found = re.search(r"\((\d+) pixels\)", str(error))
        pixels = int(found.group(1)) if found else max_pixels + 1
    except Exception:  # noqa: BLE001 - load_image below names the problem
        pass
    if pixels > max_pixels:
        raise ColorlabError(
            f"{upload.name}: photo is {size}{pixels / 1e6:.1f} megapixels; the app takes up to "
            f"{max_pixels / 1e6:g} (use the command line for bigger ones: colorlab colorize)"
        )
    file = io.BytesIO(upload.content)
    file.name = upload.name  # so that load_image's messages name the upload
    return _to_uint8(load_image(file))


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------


def model_label(key: str) -> str:
    """What the app calls a model key: ``"auto"`` with the model it stands for, released weights as such.

    >>> model_label("resnet18_classifier")
    'resnet18_classifier'
    """
    if key == "auto":
        return f"auto: {model_label(resolve_model('auto'))}"
    if key.endswith(OFFICIAL_SUFFIX):
        return f"{key[: -len(OFFICIAL_SUFFIX)]} (released weights)"
    return f"{key} (bundled default)" if key == DEFAULT_MODEL else key


def model_choices(online: bool = False, timeout: float = 3.0) -> list[tuple[str, str]]:
    """The models the app offers, as ``(label, key)`` pairs for a dropdown, ``"auto"`` first.

    ``"auto"`` (the strongest model whose weights are here, :func:`colorlab.pipeline.resolve_model`;
    its label names it) comes first, then every bundled model (``colorlab.models.bundled()``,
    key = its name, the default first), which work offline. The
    official ECCV16 / SIGGRAPH17 weights (key ``"eccv16:official"`` ...) are offered when they
    are cached, or, with ``online=True``, when their download server answers within ``timeout``
    seconds (they are then downloaded, about 130 MB, the first time they are used).

    Returns:
        ``[(label, key), ...]``; ``key`` is what :func:`colorize_photo` and :func:`load_model` take.
    """
    from colorlab import models

    names = models.bundled()
    names = sorted(names, key=lambda name: (name != DEFAULT_MODEL, name))
    choices = [(model_label("auto"), "auto")] + [(model_label(name), name) for name in names]
    for name in OFFICIAL:
        if official_cached(name):
            choices.append((model_label(name + OFFICIAL_SUFFIX), name + OFFICIAL_SUFFIX))
        elif online and official_reachable(name, timeout=timeout):
            choices.append((f"{name} (released weights, ~130 MB download on first use)", name + OFFICIAL_SUFFIX))
    return choices


def load_model(key: str | nn.Module = "auto") -> nn.Module:
    """The network for a model key of :func:`model_choices` (``"auto"``, ``"default"``, a bundled
    name, ``"NAME:official"``), in eval mode, cached: :func:`colorlab.pipeline.get_model`.

    ``"NAME:official"`` loads the released weights (downloading them once). A module is returned
    as it is.

    Raises:
        ColorlabError: unknown model or weights that cannot be had (one line).
    """
    if isinstance(key, nn.Module):
        return key.eval()
    if not isinstance(key, str):
        raise ColorlabError(f"model must be a model name, got {type(key).__name__}")
    if key.endswith(OFFICIAL_SUFFIX) and key[: -len(OFFICIAL_SUFFIX)] not in OFFICIAL:
        raise ColorlabError(f"no official weights for {key[: -len(OFFICIAL_SUFFIX)]!r}; official: {', '.join(OFFICIAL)}")
    return get_model(key)


def uses_temperature(key: str | nn.Module) -> bool:
    """Whether the model decodes a colour distribution, so that the temperature slider applies
    (the bin classifiers: ECCV16, resnet18_classifier); False for regression, pix2pix and
    SIGGRAPH17 (its output head)."""
    from colorlab.models.zhang import BinClassifier

    return isinstance(load_model(key), BinClassifier)


def default_temperature(key: str | nn.Module) -> float:
    """The annealing temperature the model uses when none is given (0.38 for ECCV16, 0.6 for the
    bundled resnet18_classifier), else the temperature slider's default."""
    net = load_model(key)
    return float(getattr(net, "temperature", TEMPERATURE_RANGE[3])) if uses_temperature(net) else TEMPERATURE_RANGE[3]


def _check_range(value: float, bounds: tuple, what: str) -> float:
    low, high = bounds[0], bounds[1]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ColorlabError(f"{what} must be a number in [{low}, {high}], got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and low - 1e-9 <= value <= high + 1e-9):
        raise ColorlabError(f"{what} must be in [{low}, {high}], got {value}")
    return value


def colorize_photo(
    rgb: np.ndarray,
    model: str | nn.Module = "auto",
    intensity: float = INTENSITY_RANGE[3],
    temperature: float | None = None,
) -> np.ndarray:
    """Colorize a decoded photo with the app's slider values: :func:`colorlab.pipeline.colorize`
    with ranges checked.

    Args:
        rgb: ``(H, W, 3)`` uint8 or float in ``[0, 1]`` (only its lightness is used).
        model: a key of :func:`model_choices` (``"auto"``, ``"default"``, a name), or a loaded network.
        intensity: colour intensity in :data:`INTENSITY_RANGE` (0 = grey, 1 = the model's colours).
        temperature: annealing temperature in :data:`TEMPERATURE_RANGE` for the classification
            models; ignored by the others; None = the model's own.

    Returns:
        ``rgb (H, W, 3) uint8``, the size of the input.

    Raises:
        ColorlabError: a slider value out of range, an unknown model, unusable input.
    """
    intensity = _check_range(intensity, INTENSITY_RANGE, "intensity")
    net = load_model(model)
    if temperature is not None and uses_temperature(net):
        temperature = _check_range(temperature, TEMPERATURE_RANGE, "temperature")
    else:
        temperature = None
    return colorize(rgb, net, intensity=intensity, temperature=temperature)


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------


def encode_image(rgb: np.ndarray, fmt: str = "jpeg", quality: int = QUALITY_RANGE[3]) -> bytes:
    """Encode a result for download.

    Args:
        rgb: ``(H, W, 3)`` uint8.
        fmt: ``"jpeg"`` (or ``"jpg"``) or ``"png"`` (lossless).
        quality: JPEG quality 1..100 (ignored for PNG); JPEGs keep full-resolution colour (4:4:4),
            as :func:`colorlab.io.save_image` writes them.

    Returns:
        The encoded file's bytes; it decodes to an ``(H, W, 3)`` image of the same size.

    Raises:
        ColorlabError: unknown format, bad quality, or not an ``(H, W, 3)`` uint8 array.
    """
    fmt = "jpeg" if fmt == "jpg" else fmt
    if fmt not in FORMATS:
        raise ColorlabError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ColorlabError(f"JPEG quality must be an integer in 1..100, got {quality!r}")
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        shape = getattr(rgb, "shape", type(rgb).__name__)
        raise ColorlabError(f"result must be an (H, W, 3) uint8 array, got {shape}")
    buffer = io.BytesIO()
    image = Image.fromarray(rgb)
    if fmt == "jpeg":
        image.save(buffer, format="JPEG", quality=int(quality), subsampling=0)
    else:
        image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def preview_jpeg(rgb: np.ndarray, max_side: int = 480, quality: int = 85) -> bytes:
    """A small JPEG to show on screen: ``rgb (H, W, 3) uint8`` shrunk so its longer side is at
    most ``max_side`` pixels (never enlarged)."""
    image = Image.fromarray(rgb)
    scale = max_side / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def result_filename(name: str, fmt: str = "jpeg") -> str:
    """Download name for the result of upload ``name``: ``"photo.png"`` -> ``"photo_color.jpg"``
    (the CLI's naming), with any folder part dropped."""
    fmt = "jpeg" if fmt == "jpg" else fmt
    if fmt not in FORMATS:
        raise ColorlabError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    stem = PurePath(name.replace("\\", "/")).stem or "photo"
    return f"{stem}_color.{FORMATS[fmt][1]}"


def data_url(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``: a link target that downloads ``data`` without a server route."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def error_message(error: BaseException, name: str | None = None) -> str:
    """One line to show in the app for a failure, never a traceback.

    A :class:`ColorlabError` already names its file; anything else becomes
    ``"<name>: could not colorize (<Type>: <first line>)"``.
    """
    if isinstance(error, ColorlabError):
        text = str(error)
    else:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        text = f"{name or 'photo'}: could not colorize ({reason})"
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------------
# Notebook figure
# ----------------------------------------------------------------------------------------------


def before_after_figure(
    photos: Mapping[str, np.ndarray] | np.ndarray,
    intensity: float = INTENSITY_RANGE[3],
    model: str | nn.Module = "auto",
    temperature: float | None = None,
    *,
    size: float = 2.5,
):
    """A before/after figure: each photo's grey version next to its colorization.

    The callback of the quickstart's intensity slider (``ipywidgets.interactive``).

    Args:
        photos: ``{title: rgb}`` or one ``rgb``; ``rgb (H, W, 3)`` uint8 or float in ``[0, 1]``.
        intensity, model, temperature: as :func:`colorize_photo`.
        size: panel size in inches.

    Returns:
        The matplotlib figure: one row per photo, ``before`` | ``after``.
    """
    from colorlab import viz

    if isinstance(photos, np.ndarray):
        photos = {"photo": photos}
    panels: dict[str, np.ndarray] = {}
    for title, rgb in _items(photos):
        panels[f"{title}: before"] = grey_version(rgb)
        panels[f"{title}: after (x{intensity:g})"] = colorize_photo(rgb, model, intensity, temperature)
    return viz.show_images(panels, ncols=2, size=size)


def _items(photos: Mapping[str, np.ndarray]) -> Iterable[tuple[str, np.ndarray]]:
    if not photos:
        raise ColorlabError("before_after_figure needs at least one photo")
    return photos.items()

"""The one colorization path: any image in, an RGB uint8 array of the same size out.

::

    image --io.load_image--> RGB (H, W, 3) --color.rgb_to_lab--> L (full size)
          resize L to the model's working size --> normalize --> model --> ab (working size)
          upsample ab to (H, W), x intensity --> merge with the full-size L --> color.lab_to_rgb --> uint8

The model only ever sees a small L; the output keeps every detail of the original lightness,
because only the colour (which the eye sees at low resolution anyway) is upsampled. The CLI, the
app and the evaluation all call :func:`colorize`.

Models are named by a string (see :func:`resolve_model`): ``"auto"`` (the default: the strongest
model whose weights are on this machine, never downloading), ``"default"`` (the bundled default),
a registered name with bundled weights, or ``"NAME:official"`` for the authors' released weights
(``eccv16:official``, ``siggraph17:official``; downloaded once when not cached).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from colorlab import color, inference
from colorlab import film as emulsions
from colorlab.device import get_device
from colorlab.inference import Mode
from colorlab.io import ColorlabError, ImageSource, load_image, missing_inputs
from colorlab.models.registry import AUTO_ORDER, DEFAULT_MODEL, OFFICIAL_SUFFIX, resolve_model
from colorlab.models.released import OFFICIAL_WEIGHTS

__all__ = [
    "DEFAULT_MODEL",
    "AUTO_ORDER",
    "OFFICIAL_SUFFIX",
    "colorize",
    "colorize_l",
    "colorize_files",
    "output_paths",
    "get_model",
    "resolve_model",
    "grey_version",
    "ModelLike",
]


#: ``"auto"``, ``"default"``, a registered name (bundled weights), ``"NAME:official"``, or a loaded network.
ModelLike = Union[str, nn.Module]

#: Rows converted at a time, so that a 24-megapixel photo needs a few hundred MB, not gigabytes.
_ROWS_PER_CHUNK = 512


@functools.lru_cache(maxsize=4)
def _cached_model(key: str, device: str) -> nn.Module:
    from colorlab import models

    name, _, weights = key.partition(":")
    if weights and (weights != OFFICIAL_SUFFIX[1:] or name not in OFFICIAL_WEIGHTS):
        raise ColorlabError(
            f"unknown model {key!r}; released weights exist for "
            + ", ".join(f"'{released}{OFFICIAL_SUFFIX}'" for released in OFFICIAL_WEIGHTS)
        )
    with torch.inference_mode(False):  # normal weights, even when first asked for inside inference mode
        if weights:
            return models.load(name, weights="official").to(device).eval()
        if name in OFFICIAL_WEIGHTS and not models.registry.bundled_path(name).is_file():
            raise ColorlabError(f"{name!r} has no bundled weights: use '{name}{OFFICIAL_SUFFIX}' for the released ones")
        return models.load(name, weights="bundled").to(device).eval()


def get_model(model: ModelLike = "auto", device: torch.device | str | None = None) -> nn.Module:
    """A network ready for inference: a loaded module as it is, or a model key (:func:`resolve_model`).

    A registered name loads its bundled weights; ``"NAME:official"`` the released ones
    (downloaded once, verified, when not cached). Loaded networks are cached per (key, device),
    so repeated calls are cheap.

    Raises:
        ColorlabError: unknown model, or weights that cannot be had (one line).
    """
    device = torch.device(device) if device is not None else get_device()
    if isinstance(model, nn.Module):
        return model.eval()
    if not isinstance(model, str):
        raise ColorlabError(f"model must be a registered name or a torch module, got {type(model).__name__}")
    return _cached_model(resolve_model(model), str(device))


def _chunks(height: int):
    for start in range(0, height, _ROWS_PER_CHUNK):
        yield slice(start, min(start + _ROWS_PER_CHUNK, height))


@torch.inference_mode()
def colorize_l(
    l: torch.Tensor,  # noqa: E741
    model: ModelLike = "auto",
    *,
    temperature: float | None = None,
    size: int | tuple[int, int] | None = None,
    mode: Mode = "exact",
    **inputs: torch.Tensor,
) -> torch.Tensor:
    """Predict ``ab`` for full-size lightness, the way the reference demos do.

    L is resized (bilinear, antialiased) to the working size, normalized with ``model.scheme``,
    run through the network by :func:`colorlab.inference.predict`, and the predicted ab is
    upsampled (bilinear) back to the original ``H x W``, to go with the original, sharp lightness.

    Args:
        l: ``(N, 1, H, W)`` float, ``L`` in ``[0, 100]``, any size.
        model: see :func:`get_model`.
        temperature: annealing temperature for classification models (ignored by regression).
        size: working size, an int (square, as the reference implementations squeeze every photo)
            or ``(h, w)``; default: the model's ``input_size``.
        mode: ``"exact"`` (float32, the plain module's results), ``"fast"`` (reduced precision
            where the device has it) or ``"auto"`` (fast only where measured faster); see
            :mod:`colorlab.inference`.
        inputs: extra network inputs at the working size (e.g. SIGGRAPH17's ``ab_hint_norm`` and
            ``mask``), moved to the model's device.

    Returns:
        ``ab (N, 2, H, W)`` float32 in Lab units, on the device of ``l``.
    """
    net = get_model(model, device=l.device if isinstance(model, nn.Module) else None)
    parameter = next(net.parameters(), None)
    device = parameter.device if parameter is not None else l.device
    size = size or getattr(net, "input_size", 256)
    grid = (size, size) if isinstance(size, int) else tuple(size)
    l_small = l.to(device, torch.float32)
    if tuple(l_small.shape[-2:]) != grid:
        l_small = F.interpolate(l_small, size=grid, mode="bilinear", antialias=True, align_corners=False)
    l_norm = color.normalize_l(l_small, getattr(net, "scheme", "zhang"))
    extra = {key: value.to(device) for key, value in inputs.items()}
    if temperature is not None:
        extra["temperature"] = temperature
    ab = color.denormalize_ab(inference.predict(net, l_norm, mode, **extra))
    return F.interpolate(ab, size=tuple(l.shape[-2:]), mode="bilinear", align_corners=False).to(l.device)


@torch.inference_mode()
def colorize(
    image: ImageSource,
    model: ModelLike = "auto",
    intensity: float = 1.0,
    temperature: float | None = None,
    *,
    size: int | None = None,
    mode: Mode = "exact",
    film: str | None = None,
) -> np.ndarray:
    """Colorize a photo.

    Args:
        image: anything :func:`colorlab.io.load_image` takes (a path, bytes, a file object, a PIL
            image, an array); a colour photo is greyed first (only its Lab lightness is used).
        model: ``"auto"`` (the strongest model whose weights are here; :func:`resolve_model`
            says which), ``"default"``, a registered name (bundled weights), ``"NAME:official"``
            (released weights), or a loaded network.
        intensity: scales the predicted ``ab``: 0 gives the grey photo, 1 the model's colours,
            above 1 more saturation (colours outside the sRGB gamut are clipped).
        temperature: for classification models, the annealed-mean temperature (None: the model's default).
        size: working side length (default: the model's ``input_size``).
        mode: ``"exact"``, ``"fast"`` or ``"auto"``: how the network runs (see :mod:`colorlab.inference`).
        film: the emulsion an old photo was taken on, ``"orthochromatic"`` or ``"blue"`` (see
            :mod:`colorlab.film`): its grey is mapped back to a panchromatic ``L`` with the
            colorizer's own colour guess (:func:`colorlab.film.restore`) before colouring. None or
            ``"panchromatic"``: the photo's lightness is used as it is.

    Returns:
        ``rgb (H, W, 3) uint8``, the same height and width as the input; its Lab lightness is the
        input's, at full resolution (with ``film``: the recovered lightness, which the given film
        would have recorded as the input's grey).

    Raises:
        ColorlabError: unreadable image, unknown model, mode or film, or a negative intensity.
    """
    if not np.isfinite(intensity) or intensity < 0:
        raise ColorlabError(f"intensity must be a number >= 0, got {intensity}")
    if film is not None and film not in emulsions.EMULSIONS:
        raise ColorlabError(f"unknown film {film!r}; choose one of {', '.join(emulsions.EMULSIONS)}")
    rgb = load_image(image)
    height, width = rgb.shape[:2]
    lightness = torch.empty((1, 1, height, width), dtype=torch.float32)
    for rows in _chunks(height):
        lightness[0, :, rows] = color.rgb_to_l(torch.from_numpy(rgb[rows]).permute(2, 0, 1))
    del rgb
    if film in (None, "panchromatic"):
        ab = colorize_l(lightness, model, temperature=temperature, size=size, mode=mode)
    else:  # an old emulsion: recover the panchromatic L with the model's colour guess, then colour that
        net = get_model(model)
        lightness, ab = emulsions.restore(
            lightness, film, lambda guess: colorize_l(guess, net, temperature=temperature, size=size, mode=mode)
        )
    ab.mul_(float(intensity))
    out = np.empty((height, width, 3), dtype=np.uint8)
    out_tensor = torch.from_numpy(out)
    for rows in _chunks(height):
        rgb_rows = color.lab_to_rgb(torch.cat((lightness[0, :, rows], ab[0, :, rows]), dim=0))
        # rgb in [0, 1]: x 255 + 0.5, truncated by the cast, is rounding to the nearest level
        out_tensor[rows].copy_(rgb_rows.mul_(255.0).add_(0.5).permute(1, 2, 0))
    return out


def grey_version(rgb: np.ndarray) -> np.ndarray:
    """What the model sees, and the grey baseline of the evaluation: the photo's Lab lightness with ``a = b = 0``.

    Args:
        rgb: ``(H, W, 3)`` uint8 or float in ``[0, 1]`` (anything :func:`colorlab.io.load_image` takes).

    Returns:
        ``(H, W, 3)`` uint8 with R = G = B (up to rounding).
    """
    lab = color.rgb_to_lab(torch.from_numpy(load_image(rgb)).permute(2, 0, 1))
    lab[1:] = 0.0
    grey = color.lab_to_rgb(lab).clamp_(0.0, 1.0).permute(1, 2, 0).numpy()
    return (grey * 255.0 + 0.5).astype(np.uint8)


def _collect_inputs(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, its path relative to what the user named) for files and folders (recursively)."""
    from colorlab.data.folders import find_images

    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend((file, file.relative_to(path)) for file in find_images(path))
        else:
            found.append((path, Path(path.name)))  # missing files are reported by the caller
    return found


def output_paths(relative: list[Path], out_dir: Path, fmt: str, protect: set[Path]) -> list[Path]:
    """Output names derived from input names: ``<stem>_color.<fmt>`` in the same sub-folders.

    Two inputs never get the same output (``_2``, ``_3`` … are appended), and no output is a path
    in ``protect`` (the inputs).
    """
    taken: set[Path] = set()
    result = []
    for rel in relative:
        base = out_dir / rel.parent / f"{rel.stem}_color"
        candidate, counter = base.with_name(base.name + f".{fmt}"), 1
        while candidate in taken or candidate.resolve() in protect:
            counter += 1
            candidate = base.with_name(f"{base.name}_{counter}.{fmt}")
        taken.add(candidate)
        result.append(candidate)
    return result


def colorize_files(
    inputs: list[str],
    out_dir: str,
    model: ModelLike = "auto",
    *,
    intensity: float = 1.0,
    temperature: float | None = None,
    mode: Mode = "exact",
    film: str | None = None,
    fmt: str = "jpg",
    quality: int = 95,
    progress: bool | None = True,
    report: Callable[[str], None] | None = None,
) -> tuple[list[Path], list[str]]:
    """Colorize files and folders (recursively) into ``out_dir``: what ``colorlab colorize`` does.

    Inputs are only read; each output is written atomically. A file that cannot be read or
    colorized is skipped with a one-line message; the others go on. Missing files are reported
    before the model is loaded, and when nothing is left to do the model is never loaded.

    Args:
        film: the emulsion of old photos (see :func:`colorize`); None: none.
        progress: True: a progress bar; False: none; None: only when stderr is a terminal.
        report: called with each one-line error message as it happens (e.g. to print it on
            stderr); the messages are returned too.

    Returns:
        ``(written paths, one-line error messages)``.
    """
    from tqdm.auto import tqdm

    from colorlab.io import save_image

    if fmt not in ("jpg", "png"):
        raise ColorlabError(f"--format must be jpg or png, got {fmt!r}")
    files = _collect_inputs(inputs)
    if not files:
        raise ColorlabError(f"no images found in {', '.join(inputs)}")
    written: list[Path] = []
    errors: list[str] = []

    def fail(message: str) -> None:
        errors.append(message)
        if report is not None:
            report(message)

    for message in missing_inputs(source for source, _ in files):
        fail(message)
    files = [(source, rel) for source, rel in files if source.exists()]
    if not files:
        return written, errors
    protect = {path.resolve() for path, _ in files}
    targets = output_paths([rel for _, rel in files], Path(out_dir), fmt, protect)
    net = get_model(model)
    bar = tqdm(list(zip(files, targets)), desc="colorize", unit="image", disable=None if progress is None else not progress)
    for (source, _), target in bar:
        try:
            rgb = colorize(source, net, intensity=intensity, temperature=temperature, mode=mode, film=film)
            written.append(save_image(target, rgb, quality=quality, source=source))
        except ColorlabError as error:
            fail(str(error))
    return written, errors

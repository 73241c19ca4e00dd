"""A handful of colour photographs that ship with the dependencies: demos that work offline.

scikit-image bundles a few photographs inside its wheel (others in ``skimage.data`` need the
optional ``pooch`` package and a download; those are not used here), and matplotlib bundles a
portrait of Grace Hopper. Nothing is downloaded.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import skimage.data
import skimage.transform
from matplotlib import cbook

from colorlab.io import ColorlabError, load_image

__all__ = ["SAMPLE_NAMES", "sample_images"]


def _motorcycle() -> np.ndarray:
    return skimage.data.stereo_motorcycle()[0]  # the left view of a stereo pair


def _grace_hopper() -> str:
    return str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


# name -> function returning something colorlab.io.load_image reads (a uint8 array or a path)
_SOURCES: dict[str, Callable[[], object]] = {
    "astronaut": skimage.data.astronaut,  # Eileen Collins, NASA portrait, 512 x 512
    "chelsea": skimage.data.chelsea,  # a tabby cat, 300 x 451
    "coffee": skimage.data.coffee,  # a cup of coffee on a table, 400 x 600
    "rocket": skimage.data.rocket,  # SpaceX Falcon 9 on the launch pad, 427 x 640
    "motorcycle": _motorcycle,  # a motorcycle in a workshop (Middlebury stereo), 500 x 741
    "grace_hopper": _grace_hopper,  # Grace Hopper, US Navy portrait (matplotlib), 600 x 512
}

#: Names of the images :func:`sample_images` returns, in order.
SAMPLE_NAMES = tuple(_SOURCES)


@functools.lru_cache(maxsize=None)
def _load(name: str) -> np.ndarray:
    rgb = load_image(_SOURCES[name]())
    rgb.setflags(write=False)  # cached: callers get copies
    return rgb


def _resize_shorter_side(rgb: np.ndarray, size: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = size / min(height, width)
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = skimage.transform.resize(rgb, shape, order=1, anti_aliasing=scale < 1, preserve_range=True)
    return np.clip(resized, 0.0, 1.0).astype(np.float32)


def sample_images(size: int | None = None) -> dict[str, np.ndarray]:
    """Colour photographs bundled with scikit-image and matplotlib, read offline.

    Args:
        size: if given, every image is resized (bilinear, anti-aliased when shrinking) so that its
            shorter side is ``size`` pixels, keeping the aspect ratio; ``None`` keeps the original
            sizes (300 to 741 pixels a side).

    Returns:
        ``{name: rgb}`` for the names in :data:`SAMPLE_NAMES` (astronaut, chelsea, coffee, rocket,
        motorcycle, grace_hopper); each ``rgb`` is a new ``(H, W, 3)`` float32 array in ``[0, 1]``.

    Raises:
        ColorlabError: ``size`` is not a positive int.
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
        raise ColorlabError(f"size must be a positive int or None, got {size!r}")
    images = {}
    for name in SAMPLE_NAMES:
        rgb = _load(name)
        images[name] = rgb.copy() if size is None else _resize_shorter_side(rgb, int(size))
    return images

"""colorlab: a notebook-first teaching kit for automatic image colorization.

The few names a notebook or script uses most are reachable from here::

    import colorlab
    rgb = colorlab.colorize("photo.jpg", intensity=1.2)   # (H, W, 3) uint8, the photo's size
    colorlab.resolve_model("auto")                        # which model that used
    colorlab.save_image("photo_color.jpg", rgb)

Everything else lives in the submodules (``colorlab.color``, ``colorlab.models`` ...), which are
loaded when first used (PEP 562), so ``import colorlab`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: The top-level names and the submodule that defines each.
_NAMES = {
    "colorize": "pipeline",
    "colorize_files": "pipeline",
    "get_model": "pipeline",
    "resolve_model": "pipeline",
    "DEFAULT_MODEL": "pipeline",
    "load_image": "io",
    "save_image": "io",
    "to_tensor": "io",
    "to_numpy": "io",
    "ColorlabError": "io",
    "get_device": "device",
}

#: The submodules and subpackages, importable as attributes (``colorlab.color``).
_SUBMODULES = (
    "app", "bins", "cli", "color", "data", "device", "evaluation", "exercises", "hints", "inference",
    "io", "metrics", "models", "opencv_dnn", "pipeline", "train", "viz", "widgets",
)

__all__ = ["__version__", *_NAMES]

if TYPE_CHECKING:  # for editors and type checkers; at run time __getattr__ does this lazily
    from colorlab.device import get_device
    from colorlab.io import ColorlabError, load_image, save_image, to_numpy, to_tensor
    from colorlab.pipeline import DEFAULT_MODEL, colorize, colorize_files, get_model, resolve_model


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(f"colorlab.{_NAMES[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"colorlab.{name}")
    else:
        raise AttributeError(f"module 'colorlab' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES, *_SUBMODULES})

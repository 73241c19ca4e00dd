"""The one place models are registered: ``available()`` lists them, ``load(name, weights=...)`` builds them.

A model family registers a builder with :func:`register`; the builder takes ``weights``
(``None`` for random initialization, or a family-specific source such as ``"imagenet"``,
``"official"``, ``"bundled"`` or a local path) and keyword options, and returns an
``nn.Module`` (in train mode, as torch builds it: call ``.eval()`` for inference). Every registered network carries two attributes the rest of
the kit relies on: ``scheme`` (its normalization, see :mod:`colorlab.color`) and ``input_size``
(the side length it works at).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from colorlab.io import ColorlabError

__all__ = ["register", "available", "load", "describe", "load_state_dict_file"]


@dataclass(frozen=True)
class _Entry:
    builder: Callable[..., nn.Module]
    description: str
    weights: tuple[str, ...]


_REGISTRY: dict[str, _Entry] = {}


def register(name: str, description: str, weights: tuple[str, ...] = ()) -> Callable:
    """Decorator: register ``builder(weights=None, **options) -> nn.Module`` under ``name``.

    ``weights`` lists the named weight sources the builder understands (besides ``None`` and a
    local path).
    """

    def decorator(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = _Entry(builder, description, tuple(weights))
        return builder

    return decorator


def _ensure_families_imported() -> None:
    # importing the family modules runs their @register decorators
    from colorlab.models import regression  # noqa: F401


def available() -> list[str]:
    """Names of the registered models, sorted."""
    _ensure_families_imported()
    return sorted(_REGISTRY)


def describe() -> dict[str, str]:
    """name -> one-line description with the weight sources it accepts."""
    _ensure_families_imported()
    return {
        name: f"{entry.description} (weights: None{''.join(', ' + w for w in entry.weights)}, or a path)"
        for name, entry in sorted(_REGISTRY.items())
    }


def load(name: str, weights: str | None = None, **options) -> nn.Module:
    """Build the model ``name``, with ``weights`` (``None``: random init) and family ``options``.

    Raises:
        ColorlabError: unknown name, or weights that cannot be had (one line saying why).
    """
    _ensure_families_imported()
    if name not in _REGISTRY:
        raise ColorlabError(f"unknown model {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name].builder(weights=weights, **options)


def load_state_dict_file(path: str, model: nn.Module) -> nn.Module:
    """Load weights from a local file into ``model`` and return it.

    Accepts a plain ``state_dict`` or a :class:`colorlab.train.Trainer` checkpoint (its
    ``nets["model"]`` entry, or ``nets["generator"]`` for GANs); read with ``weights_only=True``.

    Raises:
        ColorlabError: missing or unreadable file, or keys/shapes that do not fit ``model``.
    """
    import os

    import torch

    if not os.path.isfile(path):
        raise ColorlabError(f"{path}: weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - report any unreadable file in one line
        raise ColorlabError(f"{path}: cannot read weights ({type(error).__name__})") from None
    if isinstance(state, dict) and "nets" in state:
        nets = state["nets"]
        state = nets.get("model", nets.get("generator"))
    if not isinstance(state, dict):
        raise ColorlabError(f"{path}: not a state_dict or colorlab checkpoint")
    try:
        model.load_state_dict({key: value.float() if value.is_floating_point() else value for key, value in state.items()})
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0:2]
        raise ColorlabError(f"{path}: weights do not fit {type(model).__name__}: {' '.join(first)}") from None
    return model

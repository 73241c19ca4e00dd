"""The one place models are registered: ``available()`` lists them, ``load(name, weights=...)`` builds them.

A model family registers a builder with :func:`register`. The builder takes ``weights``
(``None`` for random initialization, a family-specific source such as ``"imagenet"`` or
``"official"``, or a local path) and keyword options, and returns an ``nn.Module`` in train mode,
as torch builds it (call ``.eval()`` for inference). ``weights="bundled"`` is handled here, the
same for every family: the network is built and ``colorlab/weights/<name>.pt`` is loaded into it.

Every registered network carries two attributes the rest of the kit relies on: ``scheme`` (its
normalization, see :mod:`colorlab.color`) and ``input_size`` (the side length it works at).

:data:`CATALOGUE` lists every model with its family module, size and working side, so that the
names (``available()``, the command line's help, ``colorlab models``) are known without importing
torch or building a network; only :func:`load` imports the one family it needs. A family that
registers a name missing from the catalogue is an error, and a test builds every model to check
the catalogue's numbers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from colorlab.io import ColorlabError

if TYPE_CHECKING:  # this module stays free of torch until a network is built
    from torch import nn

__all__ = ["CATALOGUE", "DEFAULT_MODEL", "AUTO_ORDER", "OFFICIAL_SUFFIX", "resolve_model", "ModelInfo", "register", "available", "load", "describe", "load_state_dict_file", "apply_state_dict", "read_weights_file", "save_bundled", "bundled", "bundled_path", "BUNDLED_DIR"]


@dataclass(frozen=True)
class ModelInfo:
    """What is known of a model without building it.

    Attributes:
        family: the module of :mod:`colorlab.models` that registers it (``"zhang"`` ...).
        parameters: its parameter count as :func:`load` builds it (with the bundled file's
            options when it has bundled weights).
        input_size: its working side in pixels, likewise.
        released: whether the authors' trained weights exist (``weights="official"``).
    """

    family: str
    parameters: int
    input_size: int
    released: bool = False


#: The bundled model ``model="default"`` stands for, picked from the evaluation leaderboard
#: (see colorlab/weights/README.md).
DEFAULT_MODEL = "resnet18_classifier"

#: Every model of the kit (checked against the families by tests/test_models.py).
CATALOGUE: dict[str, ModelInfo] = {
    "eccv16": ModelInfo("zhang", 32_214_255, 256, released=True),
    "eccv16_small": ModelInfo("zhang", 2_027_583, 64),
    "siggraph17": ModelInfo("zhang", 34_187_027, 256, released=True),
    "siggraph17_small": ModelInfo("zhang", 2_165_843, 256),
    "resnet18_regression": ModelInfo("regression", 3_570_818, 64),
    "resnet18_classifier": ModelInfo("regression", 3_669_567, 64),
    "pix2pix_unet": ModelInfo("pix2pix", 41_825_474, 128),
    "pix2pix_unet_small": ModelInfo("pix2pix", 1_829_682, 64),
    "pix2pix_resnet18_unet": ModelInfo("pix2pix", 14_310_818, 128),
}


#: A model key ending in this loads the authors' released weights (``"siggraph17:official"``).
OFFICIAL_SUFFIX = ":official"

#: What ``model="auto"`` tries, strongest first: the first whose weights are here is used.
AUTO_ORDER = ("siggraph17" + OFFICIAL_SUFFIX, "eccv16" + OFFICIAL_SUFFIX, DEFAULT_MODEL)


def resolve_model(model: str = "auto") -> str:
    """The model key a name stands for: ``"auto"`` and ``"default"`` resolved, others unchanged.

    ``"auto"`` is the first of :data:`AUTO_ORDER` whose weights are on this machine: the released
    SIGGRAPH17 weights (run without hints) if cached, else the released ECCV16 weights if cached,
    else the bundled default. It looks at the cache only; it never downloads.

    >>> resolve_model("default")
    'resnet18_classifier'
    """
    if model == "default":
        return DEFAULT_MODEL
    if model != "auto":
        return model
    from colorlab.models.released import official_cached

    for key in AUTO_ORDER:
        name, _, weights = key.partition(":")
        if not weights or official_cached(name):
            return key
    return DEFAULT_MODEL


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
        if name not in CATALOGUE:
            raise ValueError(f"model {name!r} is missing from colorlab.models.registry.CATALOGUE")
        _REGISTRY[name] = _Entry(builder, description, tuple(weights))
        return builder

    return decorator


def _import_family(name: str) -> None:
    """Import the family module of model ``name`` (which runs its ``@register`` decorators)."""
    if name not in CATALOGUE:
        raise ColorlabError(f"unknown model {name!r}; available: {', '.join(available())}")
    importlib.import_module(f"colorlab.models.{CATALOGUE[name].family}")


def _ensure_families_imported() -> None:
    for name in CATALOGUE:
        _import_family(name)


def available() -> list[str]:
    """Names of the registered models, sorted (read from :data:`CATALOGUE`: torch is not imported)."""
    return sorted(CATALOGUE)


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
    _import_family(name)
    if weights == "bundled":
        path = bundled_path(name)
        if not path.is_file():
            have = ", ".join(bundled()) or "none"
            raise ColorlabError(f"no bundled weights for {name!r} (bundled: {have})")
        saved_options = read_weights_file(str(path)).get("options", {})
        return load_state_dict_file(str(path), _REGISTRY[name].builder(weights=None, **{**saved_options, **options}))
    return _REGISTRY[name].builder(weights=weights, **options)


#: Folder of the weights that ship inside the package (see its README.md, the model cards).
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "weights"


def bundled_path(name: str) -> Path:
    """Where the bundled weights of model ``name`` live (``colorlab/weights/<name>.pt``)."""
    return BUNDLED_DIR / f"{name}.pt"


def bundled() -> list[str]:
    """Names of the registered models that have bundled weights, sorted (torch is not imported)."""
    return sorted(name for name in CATALOGUE if bundled_path(name).is_file())


def read_weights_file(path: str) -> dict:
    """Read a weights file: ``{"state_dict": ..., "options": {...}}`` whatever its layout.

    Accepts a plain ``state_dict``, a :class:`colorlab.train.Trainer` checkpoint (its
    ``nets["model"]``, or ``nets["generator"]`` for GANs) and the kit's bundled format
    (``{"state_dict": ..., "options": ..., ...}``); read with ``weights_only=True``. Half-precision
    tensors are returned as float32.

    Raises:
        ColorlabError: missing or unreadable file, or a file holding no state_dict.
    """
    import os

    import torch

    if not os.path.isfile(path):
        raise ColorlabError(f"{path}: weights file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - report any unreadable file in one line
        raise ColorlabError(f"{path}: cannot read weights ({type(error).__name__})") from None
    options = {}
    if isinstance(state, dict) and "nets" in state:
        nets = state["nets"]
        state = nets.get("model", nets.get("generator"))
    elif isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        options = dict(state.get("options", {}))
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ColorlabError(f"{path}: not a state_dict or colorlab checkpoint")
    state = {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
    return {"state_dict": state, "options": options}


def load_state_dict_file(path: str, model: nn.Module) -> nn.Module:
    """Load the weights in ``path`` (any layout :func:`read_weights_file` reads) into ``model``.

    Raises:
        ColorlabError: missing or unreadable file, or keys/shapes that do not fit ``model``.
    """
    return apply_state_dict(model, read_weights_file(path)["state_dict"], path)


def apply_state_dict(model: nn.Module, state: dict, source: str) -> nn.Module:
    """``model.load_state_dict(state)`` with a one-line :class:`ColorlabError` naming ``source``
    when keys or shapes do not fit."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0:2]
        raise ColorlabError(f"{source}: weights do not fit {type(model).__name__}: {' '.join(first)}") from None
    return model

def save_bundled(
    name: str,
    weights: str,
    *,
    options: dict | None = None,
    half: bool = True,
    out: str | Path | None = None,
    meta: dict | None = None,
) -> Path:
    """Package trained weights as the kit's bundled file ``colorlab/weights/<name>.pt``.

    The file holds ``{"state_dict": ..., "options": ..., "meta": ...}``: the weights (float16
    when ``half``, halving the size; BatchNorm counters stay integers), the builder options the
    model needs (e.g. ``{"input_size": 128}``), and free-form provenance. Written atomically.

    Args:
        name: a registered model name (the weights are checked to fit it).
        weights: any file :func:`read_weights_file` reads (``model.pt`` or ``checkpoint.pt`` of ``colorlab train``).
        options: builder options saved with the weights.
        half: store floating-point tensors as float16.
        out: destination (default :func:`bundled_path`).
        meta: provenance (command, steps, data …) stored as plain values.
    """
    import os

    import torch

    options = dict(options or {})
    _import_family(name)
    state = read_weights_file(weights)["state_dict"]
    apply_state_dict(_REGISTRY[name].builder(weights=None, **options), state, weights)  # do they fit?
    if half:
        state = {key: value.half() if value.is_floating_point() else value for key, value in state.items()}
    target = Path(out) if out is not None else bundled_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    torch.save({"state_dict": state, "options": options, "meta": dict(meta or {})}, tmp)
    os.replace(tmp, target)
    return target

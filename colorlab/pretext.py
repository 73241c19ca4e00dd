"""Colorization as a pretext task: linear probes of a colorizer's frozen encoder.

To colour a grey photo, a network must recognise what is in it (sky, skin, grass, a shape that
is always red), so its features end up carrying meaning although it never saw a label. Zhang,
Isola and Efros (*Colorful Image Colorization*, ECCV 2016) and Larsson, Maire and Shakhnarovich
(*Colorization as a Proxy Task for Visual Understanding*, CVPR 2017) measured this with **linear
probes**: freeze the encoder, pool its features, and train only a linear classifier on a labelled
task. Features that beat the *same architecture with random weights* were learnt by colorizing.

Here the labelled task is the shape kind of :class:`colorlab.data.SyntheticScenes` in its
labelled mode, from the grey image only, and the probe is a multinomial logistic regression
(full-batch L-BFGS) on standardised, globally average-pooled features of each ResNet stage.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from colorlab.io import ColorlabError

__all__ = [
    "RESNET_STAGES",
    "ProbeResult",
    "collect",
    "folder_classes",
    "random_twin",
    "encoder_features",
    "linear_probe",
    "probe_stages",
]

#: Stages of the ResNet-18 encoder of :class:`colorlab.models.regression.ResNet18Regression`:
#: name -> index in ``model.encoder`` (layer1: 64 channels at 1/4, layer2: 128 at 1/8, layer3: 256 at 1/16).
RESNET_STAGES = {"layer1": 4, "layer2": 5, "layer3": 6}


@dataclass(frozen=True)
class ProbeResult:
    """Accuracies of one linear probe, in ``[0, 1]``: on the training set and on held-out items."""

    train_accuracy: float
    test_accuracy: float


def collect(dataset: Dataset, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack the first ``n`` items of a labelled dataset: ``(inputs (n, ...) float32, labels (n,) int64)``."""
    n = len(dataset) if n is None else min(n, len(dataset))
    items = [dataset[index] for index in range(n)]
    return torch.stack([item[0] for item in items]), torch.stack([torch.as_tensor(item[1]) for item in items]).long()


def folder_classes(
    root, *, per_class: int | None = None, size: int = 64
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """A labelled set of grey photos from a folder with one sub-folder per class (e.g. Imagenette's ``val``).

    Each image is read with :func:`colorlab.io.load_image`, resized so that its shorter side is
    ``size`` (bilinear, antialiased), centre-cropped to ``size x size`` and turned into normalized
    lightness (the ``"zhang"`` scheme of the kit's colorizers). Classes are the sub-folders in sorted
    order; the first ``per_class`` images of each (sorted by name) are used.

    Args:
        root: a folder of class folders of images.
        per_class: images per class (None: all).
        size: side of the square crops.

    Returns:
        ``(l_norm (N, 1, size, size) float32, labels (N,) int64, class names)``.

    Raises:
        ColorlabError: ``root`` has no class folder with images.
    """
    from pathlib import Path

    from colorlab import color
    from colorlab.data.folders import find_images
    from colorlab.io import load_image

    root = Path(root)
    if not root.is_dir():
        raise ColorlabError(f"{root}: folder not found")
    classes = sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
    inputs, labels, names = [], [], []
    for folder in classes:
        files = find_images(root / folder)[:per_class]
        if not files:
            continue
        for file in files:
            rgb = torch.from_numpy(load_image(file)).permute(2, 0, 1)[None]
            scale = size / min(rgb.shape[-2:])
            shape = (max(size, round(rgb.shape[-2] * scale)), max(size, round(rgb.shape[-1] * scale)))
            rgb = F.interpolate(rgb, size=shape, mode="bilinear", antialias=True, align_corners=False).clamp(0.0, 1.0)
            top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
            inputs.append(color.normalize_l(color.rgb_to_l(rgb[..., top : top + size, left : left + size]))[0])
            labels.append(len(names))
        names.append(folder)
    if not inputs:
        raise ColorlabError(f"{root}: no class folder with images")
    return torch.stack(inputs), torch.tensor(labels, dtype=torch.int64), names


def random_twin(model: nn.Module, seed: int = 0) -> nn.Module:
    """The same architecture with fresh random weights (each layer's default initialisation), in eval mode.

    A deep copy whose every ``reset_parameters()`` is called under ``torch.manual_seed(seed)``
    (BatchNorm layers also forget their running statistics). The original is untouched.
    """
    twin = copy.deepcopy(model)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for module in twin.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
    finally:
        torch.random.set_rng_state(state)
    return twin.eval()


@torch.no_grad()
def encoder_features(
    encoder: nn.Sequential,
    inputs: torch.Tensor,
    stages: dict[str, int] = RESNET_STAGES,
    batch_size: int = 256,
) -> dict[str, torch.Tensor]:
    """Globally average-pooled features of a frozen encoder at several stages.

    Args:
        encoder: an ``nn.Sequential`` run in eval mode (e.g. ``model.encoder`` of a ResNet-18 colorizer).
        inputs: ``(N, C, H, W)`` float, what the encoder takes (``l_norm (N, 1, H, W)`` for the kit's colorizers).
        stages: ``{name: index}``: the output of ``encoder[index]`` is recorded under ``name``.
        batch_size: images per forward pass.

    Returns:
        ``{name: (N, channels) float32}``.
    """
    was_training = encoder.training
    encoder.eval()
    wanted = {index: name for name, index in stages.items()}
    if max(wanted) >= len(encoder):
        raise ColorlabError(f"the encoder has {len(encoder)} modules; stage index {max(wanted)} does not exist")
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in stages}
    for start in range(0, inputs.shape[0], batch_size):
        x = inputs[start : start + batch_size]
        for index, layer in enumerate(encoder[: max(wanted) + 1]):
            x = layer(x)
            if index in wanted:
                parts[wanted[index]].append(x.mean(dim=(-2, -1)).float())
    encoder.train(was_training)
    return {name: torch.cat(chunks) for name, chunks in parts.items()}


def linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    test_labels: torch.Tensor,
    *,
    weight_decay: float = 1e-4,
    max_iter: int = 100,
) -> ProbeResult:
    """Train a linear classifier on frozen features and report its accuracy.

    The features are standardised with the training set's mean and standard deviation (so
    random and trained encoders, whose activations have very different scales, are compared
    fairly); then a multinomial logistic regression ``features @ W + b`` is fitted by full-batch
    L-BFGS on the cross-entropy plus ``weight_decay * ||W||²``. Deterministic for given inputs.

    Args:
        train_features: ``(N, D)`` float; train_labels: ``(N,)`` int64 in ``[0, K)``.
        test_features: ``(M, D)`` float; test_labels: ``(M,)`` int64.

    Returns:
        a :class:`ProbeResult` (accuracies in ``[0, 1]``).
    """
    if train_features.shape[0] != train_labels.shape[0] or test_features.shape[0] != test_labels.shape[0]:
        raise ColorlabError("features and labels must have the same number of rows")
    train = train_features.double()
    mean, std = train.mean(dim=0), train.std(dim=0).clamp(min=1e-6)
    train, test = (train - mean) / std, (test_features.double() - mean) / std
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    weight = torch.zeros(train.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(train @ weight + bias, train_labels) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        train_accuracy = ((train @ weight + bias).argmax(dim=1) == train_labels).double().mean().item()
        test_accuracy = ((test @ weight + bias).argmax(dim=1) == test_labels).double().mean().item()
    return ProbeResult(train_accuracy, test_accuracy)


def probe_stages(
    encoder: nn.Sequential,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    stages: dict[str, int] = RESNET_STAGES,
    **options,
) -> dict[str, ProbeResult]:
    """A linear probe at every stage of a frozen encoder.

    Args:
        encoder: see :func:`encoder_features`.
        train, test: ``(inputs (N, C, H, W), labels (N,))`` pairs, e.g. from :func:`collect`.
        options: passed to :func:`linear_probe` (``weight_decay``, ``max_iter``).

    Returns:
        ``{stage name: ProbeResult}``.
    """
    train_features = encoder_features(encoder, train[0], stages)
    test_features = encoder_features(encoder, test[0], stages)
    return {name: linear_probe(train_features[name], train[1], test_features[name], test[1], **options) for name in stages}

"""Datasets for colorization: synthetic scenes, sample photos, image folders, downloads.

Every training dataset yields normalized ``(l_norm (1, S, S), ab_norm (2, S, S))`` float32 pairs
in a normalization ``scheme`` (:mod:`colorlab.color`); :func:`open_dataset` builds one from the
short text specs the command line uses.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from torch.utils.data import Dataset, Subset

from colorlab.data.download import (
    DATA_ENV_VAR,
    DATASETS,
    DatasetInfo,
    dataset_info,
    dataset_status,
    datasets_table,
    default_data_dir,
    download,
    extract_archive,
    fetch,
)
from colorlab.data.folders import DROP_REASONS, IMAGE_EXTENSIONS, ImageFolderLab, KaggleLabNpy, find_images, image_stats, make_transform
from colorlab.data.samples import SAMPLE_NAMES, sample_images
from colorlab.data.synthetic import SyntheticScenes
from colorlab.io import ColorlabError

__all__ = [
    "SyntheticScenes",
    "SAMPLE_NAMES",
    "sample_images",
    "ImageFolderLab",
    "KaggleLabNpy",
    "IMAGE_EXTENSIONS",
    "DROP_REASONS",
    "find_images",
    "make_transform",
    "image_stats",
    "DATASETS",
    "DATA_ENV_VAR",
    "DatasetInfo",
    "dataset_info",
    "dataset_status",
    "datasets_table",
    "default_data_dir",
    "download",
    "extract_archive",
    "fetch",
    "open_dataset",
]

SPEC_HELP = "'synthetic', 'folder PATH', 'npy PATH', an existing folder, or a name from 'colorlab data list'"


def open_dataset(
    spec: str | Sequence[str],
    *,
    size: int = 64,
    scheme: str = "zhang",
    train: bool = True,
    limit: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Build a dataset of ``(l_norm, ab_norm)`` pairs from a short text spec.

    Args:
        spec: ``"synthetic"``; ``("folder", PATH)``; ``("npy", PATH)`` (Kaggle LAB .npy layout);
            an existing folder; or a registry name (downloaded and unpacked by :func:`fetch`).
            A single string is split on whitespace.
        size: side of the returned images.
        scheme: normalization, ``"zhang"`` or ``"pix2pix"``.
        train: random crops and flips (photo datasets) or deterministic resizing.
        limit: keep only the first ``limit`` samples (synthetic: the number of scenes, default 10,000).
        seed: seed of the synthetic scenes (use another seed for validation data).

    Raises:
        ColorlabError: an unknown spec, a missing folder, or a dataset that cannot be had.
    """
    parts = spec.split() if isinstance(spec, str) else list(spec)
    if not parts:
        raise ColorlabError(f"empty data spec; use {SPEC_HELP}")
    kind, rest = parts[0], parts[1:]
    if kind == "synthetic":
        if rest:
            raise ColorlabError(f"'synthetic' takes no argument, got {' '.join(rest)!r}; use --limit for the count")
        return SyntheticScenes(n=limit or 10_000, size=size, seed=seed, scheme=scheme)
    if kind in ("folder", "npy"):
        if len(rest) != 1:
            raise ColorlabError(f"'{kind}' needs exactly one PATH, got {len(rest)}")
        root = Path(os.path.expanduser(rest[0]))
        if kind == "npy":
            dataset = KaggleLabNpy(root, size=size, train=train, scheme=scheme)
        else:
            dataset = ImageFolderLab(root, size=size, train=train, scheme=scheme)
    elif not rest and kind in DATASETS:
        dataset = ImageFolderLab(fetch(kind), size=size, train=train, scheme=scheme)
    elif not rest and Path(os.path.expanduser(kind)).is_dir():
        dataset = ImageFolderLab(Path(os.path.expanduser(kind)), size=size, train=train, scheme=scheme)
    else:
        raise ColorlabError(f"unknown data spec {' '.join(parts)!r}; use {SPEC_HELP}")
    if limit is not None and limit < len(dataset):
        dataset = Subset(dataset, range(limit))
    return dataset

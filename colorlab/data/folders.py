"""Datasets of real photographs for training: any image folder, and the Kaggle Lab ``.npy`` arrays.

Both yield what a colorization network trains on, ``(l_norm (1, S, S), ab_norm (2, S, S))`` float32,
normalized with a ``scheme`` of :mod:`colorlab.color`. Geometric augmentation (random resized crop,
horizontal flip) happens on the RGB (or Lab) tensor *before* the split into L and ab, so the input and
the target always stay aligned.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import v2
from tqdm.auto import tqdm

from colorlab.color import SCHEMES, Scheme, lab_to_rgb, normalize_lab, rgb_to_l_ab
from colorlab.device import single_thread
from colorlab.io import ColorlabError, load_image
from colorlab.metrics import colorfulness

__all__ = [
    "IMAGE_EXTENSIONS",
    "DROP_REASONS",
    "find_images",
    "make_transform",
    "image_stats",
    "ImageFolderLab",
    "KaggleLabNpy",
]

#: File extensions :class:`ImageFolderLab` picks up (compared case-insensitively).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".webp", ".tif", ".tiff")

#: Reasons an image can be dropped, in the order they are tested.
DROP_REASONS = ("unreadable", "grey", "dark", "bright", "dull")


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ColorlabError(f"unknown normalization scheme {scheme!r}; choose one of {sorted(SCHEMES)}")


def _check_size(size: object, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ColorlabError(f"{name} must be a positive int, got {size!r}")
    return int(size)


def find_images(root: str | os.PathLike[str], extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """All image files under ``root``, recursively, sorted by their path relative to ``root``.

    Args:
        root: a directory.
        extensions: file extensions to keep, with the dot, compared case-insensitively.

    Returns:
        Paths of the files whose extension is in ``extensions``. Hidden files and folders (names
        starting with ``"."``, such as macOS ``._photo.jpg`` resource forks) are skipped.

    Raises:
        ColorlabError: ``root`` does not exist or is not a directory.
    """
    root = Path(root)
    if not root.is_dir():
        raise ColorlabError(f"{root}: {'not a directory' if root.exists() else 'folder not found'}")
    wanted = {ext.lower() for ext in extensions}
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in wanted:
                found.append(Path(folder, name))
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def make_transform(
    size: int, *, train: bool, crop_scale: tuple[float, float] = (0.5, 1.0)
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The geometric transform applied to an image tensor before it is split into L and ab.

    Args:
        size: output side ``S``.
        train: ``True``: random resized crop (area fraction ``crop_scale``, aspect ratio 3/4-4/3)
            to ``S x S`` and a random horizontal flip. ``False``: resize the shorter side to ``S``
            and take the centre ``S x S`` crop (deterministic).
        crop_scale: range of the crop's area as a fraction of the image (``train`` only).

    Returns:
        A callable ``(C, H, W) float -> (C, S, S) float`` (bilinear, anti-aliased), drawing its
        randomness from torch's global generator.
    """
    size = _check_size(size)
    if train:
        return v2.Compose([v2.RandomResizedCrop(size, scale=crop_scale, antialias=True), v2.RandomHorizontalFlip()])
    return v2.Compose([v2.Resize(size, antialias=True), v2.CenterCrop(size)])


def image_stats(rgb: torch.Tensor) -> dict[str, float]:
    """The numbers :class:`ImageFolderLab`'s filters look at, for one image.

    Args:
        rgb: ``(3, H, W)`` float in ``[0, 1]``.

    Returns:
        ``{"max_chroma": ..., "mean_l": ..., "colorfulness": ...}``: the largest chroma
        ``sqrt(a^2 + b^2)`` over the pixels (Lab units; 0 for a grey image), the mean lightness
        ``L`` (``[0, 100]``) and the Hasler-Süsstrunk colourfulness (0-255 scale,
        :func:`colorlab.metrics.colorfulness`).
    """
    l, ab = rgb_to_l_ab(rgb.float())
    return {
        "max_chroma": float(torch.linalg.vector_norm(ab, dim=-3).max()),
        "mean_l": float(l.mean()),
        "colorfulness": float(colorfulness(rgb.float()[None])[0]),
    }


def _decode(path: Path, short_side: int | None) -> np.ndarray:
    """Read ``path`` as ``rgb (3, h, w) uint8``, shrunk so its shorter side is at most ``short_side``.

    JPEGs are decoded at a reduced scale when that still leaves at least ``short_side`` pixels
    (Pillow's ``draft``: much faster for large photos), then resized with Pillow's antialiased
    bilinear filter. Modes, EXIF orientation and transparency are handled by
    :func:`colorlab.io.load_image`. Raises ColorlabError (unreadable) or an OSError from Pillow.
    """
    with Image.open(path) as image:
        if short_side is not None:
            width, height = image.size
            scale = short_side / min(width, height)
            if scale < 1:
                image.draft("RGB", (int(np.ceil(width * scale)), int(np.ceil(height * scale))))
        rgb = load_image(image)
    rgb_u8 = np.rint(rgb * 255.0).astype(np.uint8)  # exact for 8-bit files
    height, width = rgb_u8.shape[:2]
    if short_side is not None and min(height, width) > short_side:
        scale = short_side / min(height, width)
        new_size = (short_side, round(height * scale)) if width <= height else (round(width * scale), short_side)
        rgb_u8 = np.asarray(Image.fromarray(rgb_u8).resize(new_size, Image.Resampling.BILINEAR))
    return np.ascontiguousarray(rgb_u8.transpose(2, 0, 1))


def _header_ok(path: Path) -> bool:
    """Cheap check: Pillow can identify the file and its header (``Image.verify``) is intact."""
    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def _write_npy(path: Path, array: np.ndarray) -> None:
    """Save ``array`` to ``path`` atomically; a failed write only means no disk cache for it."""
    partial = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(partial, "wb") as file:
            np.save(file, array)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)


def _warn_unreadable(root: Path, paths: Sequence[Path]) -> None:
    names = [path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path) for path in paths]
    listed = ", ".join(names[:10]) + (f", ... and {len(names) - 10} more" if len(names) > 10 else "")
    warnings.warn(f"ImageFolderLab: skipped {len(names)} unreadable image file(s) under {root}: {listed}", stacklevel=3)


class ImageFolderLab(Dataset):
    """Every image under a folder as normalized ``(l_norm, ab_norm)`` pairs for training.

    **Files.** All files under ``root`` (recursively, hidden ones skipped) whose extension is in
    ``extensions`` (case-insensitive), sorted by relative path; :attr:`paths` lists those kept.

    **Unreadable files** are skipped, never a crash, and reported with a single warning line listing
    them (and in ``dropped["unreadable"]``). When they are found depends on ``check``:

    * ``"header"`` (default, cheap): at construction Pillow opens each file and verifies its header
      (catches non-images, empty files, damaged headers, PNG checksum errors). A file whose pixel
      data turns out to be damaged later (e.g. a truncated JPEG) is skipped *at first access*: one
      warning line names it and the next readable image is returned in its place.
    * ``"decode"``: every file is fully decoded at construction (with a progress bar), which finds
      every unreadable file up front and, with ``cache=True``, fills the cache (the first epoch is
      then as fast as the next ones). Any filter implies ``"decode"``.

    **Filters** (all off by default) drop images at construction, after decoding them at the cache
    resolution; :attr:`dropped` maps each reason to the paths dropped for it (first reason wins, in
    the order below) and :attr:`dropped_counts` gives the counts:

    ==============  ============================  ===================================================
    reason          parameter                     drops the image when
    ==============  ============================  ===================================================
    ``grey``        ``grey_max_chroma`` (e.g. 5)  max over pixels of ``sqrt(a^2 + b^2)`` <= it
                                                  (Zhang et al. 2016 dropped ab <= 5 as grayscale)
    ``dark``        ``min_mean_l`` (e.g. 15)      mean ``L`` < it
    ``bright``      ``max_mean_l`` (e.g. 90)      mean ``L`` > it
    ``dull``        ``min_colorfulness`` (e.g.    Hasler-Süsstrunk colourfulness (0-255 scale) < it
                    10)
    ==============  ============================  ===================================================

    **Cache.** Decoded images are kept as uint8, shrunk so that their shorter side is at most
    ``cache_size`` (default ``round(1.15 * size)``; smaller images are kept as they are), so a second
    epoch does not decode any JPEG. ``cache=True`` keeps them in memory (about
    ``3 * cache_size^2 * 4/3`` bytes per image: 87 KB at ``size=128``); ``cache_dir`` also writes
    each one to ``cache_dir/<hash>.npy`` (the hash covers the file's path, size, modification time
    and ``cache_size``), which survives restarts and is shared by DataLoader worker processes. With
    ``num_workers > 0`` each worker holds its own in-memory cache: pass ``persistent_workers=True``
    to the DataLoader, or use ``cache_dir``, or ``check="decode"`` (fills the cache before the
    workers are forked).

    **Transforms** (:func:`make_transform`), on the RGB tensor before the Lab conversion: with
    ``train=True`` a random resized crop to ``size x size`` (area fraction ``crop_scale``) and a
    random horizontal flip; with ``train=False`` a resize of the shorter side to ``size`` and a centre
    crop. ``transform`` replaces them with any callable ``(3, h, w) float -> (3, S, S) float``.

    Args:
        root: the folder.
        size: side ``S`` of the returned images.
        train: random (training) or deterministic (evaluation) transforms.
        scheme: normalization, ``"zhang"`` or ``"pix2pix"`` (:func:`colorlab.color.normalize_lab`).
        crop_scale: area range of the random crop (``train=True``).
        grey_max_chroma, min_mean_l, max_mean_l, min_colorfulness: filter thresholds (None: off).
        check: ``"header"`` or ``"decode"``, see above.
        cache: keep decoded images in memory.
        cache_size: shorter side of cached images.
        cache_dir: optional folder for an on-disk ``.npy`` cache (created if needed).
        extensions: file extensions to pick up.
        transform: optional replacement for the default transforms.
        progress: show a progress bar while decoding at construction.

    Items: ``(l_norm (1, S, S), ab_norm (2, S, S))`` float32, normalized with ``scheme``.

    Raises:
        ColorlabError: ``root`` is missing, a parameter is invalid, or no image is left.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        size: int = 128,
        *,
        train: bool = False,
        scheme: Scheme = "zhang",
        crop_scale: tuple[float, float] = (0.5, 1.0),
        grey_max_chroma: float | None = None,
        min_mean_l: float | None = None,
        max_mean_l: float | None = None,
        min_colorfulness: float | None = None,
        check: str = "header",
        cache: bool = True,
        cache_size: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        progress: bool | None = True,
    ) -> None:
        _check_scheme(scheme)
        if check not in ("header", "decode"):
            raise ColorlabError(f"check must be 'header' or 'decode', got {check!r}")
        self.root = Path(root)
        self.size = _check_size(size)
        self.cache_size = _check_size(cache_size, "cache_size") if cache_size is not None else round(1.15 * self.size)
        self.train = bool(train)
        self.scheme = scheme
        self.transform = transform if transform is not None else make_transform(self.size, train=self.train, crop_scale=crop_scale)
        self.cache = bool(cache)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.thresholds = {
            "grey_max_chroma": grey_max_chroma,
            "min_mean_l": min_mean_l,
            "max_mean_l": max_mean_l,
            "min_colorfulness": min_colorfulness,
        }
        self._memory: dict[Path, np.ndarray] = {}
        #: reason -> paths dropped for it (reasons: DROP_REASONS)
        self.dropped: dict[str, list[Path]] = {reason: [] for reason in DROP_REASONS}

        candidates = find_images(self.root, extensions)
        filtering = any(value is not None for value in self.thresholds.values())
        if filtering or check == "decode":
            self.paths = self._decode_all(candidates, filtering, progress)
        else:
            self.paths = []
            for path in candidates:
                if _header_ok(path):
                    self.paths.append(path)
                else:
                    self._drop(path, "unreadable")
        if self.dropped["unreadable"]:
            _warn_unreadable(self.root, self.dropped["unreadable"])
        if not self.paths:
            counts = ", ".join(f"{count} {reason}" for reason, count in self.dropped_counts.items() if count)
            raise ColorlabError(
                f"{self.root}: no usable images (found {len(candidates)} file(s) with extensions "
                f"{', '.join(extensions)}{'; dropped ' + counts if counts else ''})"
            )

    # --- construction helpers ------------------------------------------------------------------

    def _drop(self, path: Path, reason: str) -> None:
        self.dropped[reason].append(path)

    def _decode_all(self, candidates: list[Path], filtering: bool, progress: bool | None) -> list[Path]:
        kept = []
        for path in tqdm(candidates, desc="decoding images", unit="img", disable=None if progress is None else not progress):
            try:
                rgb_u8 = self._load(path)
            except (ColorlabError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                self._drop(path, "unreadable")
                continue
            reason = self._filter_reason(rgb_u8) if filtering else None
            if reason is not None:
                self._drop(path, reason)
                self._memory.pop(path, None)
            else:
                kept.append(path)
        return kept

    def _filter_reason(self, rgb_u8: np.ndarray) -> str | None:
        stats = image_stats(torch.from_numpy(rgb_u8).float() / 255.0)
        limits = self.thresholds
        if limits["grey_max_chroma"] is not None and stats["max_chroma"] <= limits["grey_max_chroma"]:
            return "grey"
        if limits["min_mean_l"] is not None and stats["mean_l"] < limits["min_mean_l"]:
            return "dark"
        if limits["max_mean_l"] is not None and stats["mean_l"] > limits["max_mean_l"]:
            return "bright"
        if limits["min_colorfulness"] is not None and stats["colorfulness"] < limits["min_colorfulness"]:
            return "dull"
        return None

    # --- cache -----------------------------------------------------------------------------------

    def _disk_path(self, path: Path) -> Path:
        info = path.stat()
        key = f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}|{self.cache_size}"
        return self.cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.npy"

    def _load(self, path: Path) -> np.ndarray:
        """``rgb (3, h, w) uint8`` of ``path`` at the cache resolution: memory, then disk, then decode."""
        rgb_u8 = self._memory.get(path)
        if rgb_u8 is not None:
            return rgb_u8
        disk = self._disk_path(path) if self.cache_dir is not None else None
        if disk is not None and disk.exists():
            try:
                rgb_u8 = np.load(disk)
            except (OSError, ValueError):
                rgb_u8 = None  # a damaged cache file: decode again and rewrite it
        if rgb_u8 is None:
            rgb_u8 = _decode(path, self.cache_size)
            if disk is not None:
                _write_npy(disk, rgb_u8)
        if self.cache:
            self._memory[path] = rgb_u8
        return rgb_u8

    # --- items -----------------------------------------------------------------------------------

    @property
    def dropped_counts(self) -> dict[str, int]:
        """How many files were dropped for each reason: ``{reason: count}`` over :data:`DROP_REASONS`."""
        return {reason: len(paths) for reason, paths in self.dropped.items()}

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return (
            f"ImageFolderLab({str(self.root)!r}, size={self.size}, train={self.train}, scheme={self.scheme!r}, "
            f"images={len(self)}, dropped={sum(self.dropped_counts.values())})"
        )

    def rgb(self, index: int) -> torch.Tensor:
        """Image ``index`` after the transforms: ``(3, S, S)`` float32 in ``[0, 1]``.

        A file found unreadable here is skipped with a warning and the next readable one is used.
        """
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for ImageFolderLab of length {len(self)}")
        index %= len(self)
        for attempt in range(len(self)):
            path = self.paths[(index + attempt) % len(self)]
            if path in self.dropped["unreadable"]:
                continue
            try:
                rgb_u8 = self._load(path)
                break
            except (ColorlabError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
                self._drop(path, "unreadable")
                _warn_unreadable(self.root, [path])
        else:
            raise ColorlabError(f"{self.root}: none of the {len(self)} images can be decoded")
        rgb = torch.from_numpy(rgb_u8).float() / 255.0
        return self.transform(rgb).clamp(0.0, 1.0)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(l_norm (1, S, S), ab_norm (2, S, S))`` float32 for image ``index``."""
        with single_thread():
            l, ab = rgb_to_l_ab(self.rgb(index))
            return normalize_lab(l, ab, self.scheme)


# --- Kaggle "image-colorization" arrays ------------------------------------------------------------


def _number(path: Path) -> int:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else 0


class KaggleLabNpy(Dataset):
    """The Kaggle "image-colorization" arrays (25,000 images of 224 x 224 in Lab), memory-mapped.

    Layout (found anywhere under ``root``, e.g. ``root/l/gray_scale.npy`` and ``root/ab/ab/ab1.npy``):

    * ``gray_scale.npy``: ``(N, H, W)`` uint8, the lightness;
    * ``ab1.npy``, ``ab2.npy``, ``ab3.npy``, ...: ``(n_i, H, W, 2)`` uint8, the colour, concatenated
      in the order of their number (``sum(n_i) == N``).

    **Assumed encoding** (OpenCV's 8-bit Lab, ``cv2.cvtColor(rgb_uint8, cv2.COLOR_RGB2LAB)``, which
    the notebooks using this data invert with ``cv2.COLOR_LAB2RGB``)::

        stored L = L * 255 / 100      ->  L = stored * 100 / 255       in [0, 100]
        stored a = a + 128            ->  a = stored - 128              in [-128, 127]
        stored b = b + 128            ->  b = stored - 128

    Nothing in the files records this; if ``gray_scale.npy`` held a plain grey (luma) image
    instead of ``L * 2.55`` the lightness would be slightly off (not the colours).

    Arrays are opened with ``np.load(mmap_mode="r")``: nothing is read until an item is asked for,
    and DataLoader workers share the pages.

    Args:
        root: the folder holding the arrays.
        size: output side ``S``; ``None`` keeps the stored size (224) for evaluation and crops to it
            for training.
        train: random resized crop + horizontal flip (``True``) or resize + centre crop (``False``),
            applied to the Lab tensor (see :func:`make_transform`).
        scheme: normalization, ``"zhang"`` or ``"pix2pix"``.
        crop_scale: area range of the random crop (``train=True``).

    Items: ``(l_norm (1, S, S), ab_norm (2, S, S))`` float32, normalized with ``scheme``.

    Raises:
        ColorlabError: files missing, wrong shapes or dtypes, or counts that do not add up.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        size: int | None = None,
        *,
        train: bool = False,
        scheme: Scheme = "zhang",
        crop_scale: tuple[float, float] = (0.5, 1.0),
    ) -> None:
        _check_scheme(scheme)
        self.root = Path(root)
        if not self.root.is_dir():
            raise ColorlabError(f"{self.root}: folder not found")
        l_paths = sorted(self.root.rglob("gray_scale.npy"))
        ab_paths = sorted((p for p in self.root.rglob("ab*.npy") if re.fullmatch(r"ab\d+", p.stem)), key=_number)
        if not l_paths or not ab_paths:
            missing = "gray_scale.npy" if not l_paths else "ab1.npy, ab2.npy, ..."
            raise ColorlabError(f"{self.root}: no {missing} found (expected the Kaggle layout l/gray_scale.npy, ab/ab1.npy, ...)")
        self.l_path, self.ab_paths = l_paths[0], ab_paths
        self._l = self._open(self.l_path, ndim=3)
        self._ab = [self._open(path, ndim=4) for path in ab_paths]
        count, height, width = self._l.shape
        for path, ab in zip(ab_paths, self._ab):
            if ab.shape[1:] != (height, width, 2):
                raise ColorlabError(f"{path}: expected shape (n, {height}, {width}, 2), got {ab.shape}")
        self._starts = np.cumsum([0] + [len(ab) for ab in self._ab])
        if self._starts[-1] != count:
            raise ColorlabError(
                f"{self.root}: {self.l_path.name} holds {count} images but the ab arrays hold {self._starts[-1]} "
                f"({', '.join(f'{p.name}: {len(a)}' for p, a in zip(ab_paths, self._ab))})"
            )
        self.size = _check_size(size) if size is not None else None
        self.train = bool(train)
        self.scheme = scheme
        out = self.size if self.size is not None else min(height, width)
        if self.train or self.size is not None:
            self.transform = make_transform(out, train=self.train, crop_scale=crop_scale)
        else:
            self.transform = None

    @staticmethod
    def _open(path: Path, ndim: int) -> np.ndarray:
        try:
            array = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise ColorlabError(f"{path}: cannot read .npy file ({error})") from None
        if array.dtype != np.uint8 or array.ndim != ndim:
            raise ColorlabError(f"{path}: expected a {ndim}-D uint8 array, got {array.ndim}-D {array.dtype}")
        return array

    def __len__(self) -> int:
        return len(self._l)

    def __repr__(self) -> str:
        return f"KaggleLabNpy({str(self.root)!r}, size={self.size}, train={self.train}, scheme={self.scheme!r}, images={len(self)})"

    def lab(self, index: int) -> torch.Tensor:
        """Image ``index`` in Lab after the transforms: ``(3, S, S)`` float32, ``L`` in ``[0, 100]``."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for KaggleLabNpy of length {len(self)}")
        index %= len(self)
        part = int(np.searchsorted(self._starts, index, side="right")) - 1
        l_u8 = torch.from_numpy(np.array(self._l[index]))  # (H, W), copied out of the memory map
        ab_u8 = torch.from_numpy(np.array(self._ab[part][index - self._starts[part]]))  # (H, W, 2)
        l = l_u8.float()[None] * (100.0 / 255.0)
        ab = ab_u8.float().permute(2, 0, 1) - 128.0
        lab = torch.cat((l, ab), dim=0)
        return self.transform(lab) if self.transform is not None else lab

    def rgb(self, index: int) -> torch.Tensor:
        """Image ``index`` in sRGB after the transforms: ``(3, S, S)`` float32 in ``[0, 1]``."""
        return lab_to_rgb(self.lab(index))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(l_norm (1, S, S), ab_norm (2, S, S))`` float32 for image ``index``."""
        with single_thread():
            lab = self.lab(index)
            return normalize_lab(lab[:1], lab[1:], self.scheme)

"""Synthetic scenes: tiny procedural landscapes whose colours follow rules a small CNN can learn.

Every image is drawn on the fly from ``(seed, index)``, no files involved, so a notebook can train a
colorization model on a CPU in a minute and then check, pixel by pixel, what the model learned:
the generator knows which pixel belongs to which kind of thing (:meth:`SyntheticScenes.masks`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from colorlab.color import SCHEMES, Scheme, lab_to_rgb, normalize_lab
from colorlab.device import single_thread
from colorlab.io import ColorlabError

__all__ = ["SyntheticScenes"]

# Every colour below is written in CIE Lab (L in [0, 100], a and b in Lab units) and, with the
# jitters used in ``_render``, stays inside the sRGB gamut: ``rgb_to_lab(rgb(i))`` gives back the
# painted Lab values (tests/test_data_synthetic.py checks it).
_SKY_TOP = np.array([48.0, 10.0, -46.0], dtype=np.float32)  # deep blue at the top of the image
_SKY_HORIZON = np.array([84.0, -3.0, -12.0], dtype=np.float32)  # pale blue at the horizon
_GRASS_AB = np.array([-28.0, 34.0], dtype=np.float32)  # green
_GRASS_L = (32.0, 58.0)  # textured grass lightness stays in this range
_OBJECT_LAB = {
    "circle": (52.0, 58.0, 42.0),  # red (sun, balls)
    "triangle": (40.0, 40.0, -42.0),  # purple
    "square_yellow": (60.0, -5.0, 55.0),  # mustard yellow  } same L, nearly opposite ab:
    "square_blue": (60.0, 5.0, -55.0),  # light blue       } the grey image cannot tell them apart
}


class SyntheticScenes(Dataset):
    """Procedural landscapes ``(l_norm, ab_norm)`` with learnable, and one unlearnable, colour rule.

    Each image is a landscape: a sky on top, grass below a horizontal horizon at a random height
    (35-65 % of the image height), and 1 to ``max_objects`` flat shapes of three kinds placed at
    random (they may overlap and leave the image; later shapes cover earlier ones). The colours,
    painted directly in Lab:

    ===========  ===================================================  ======================  ===========
    region       colour                                               Lab ``(L, a, b)``       sRGB
    ===========  ===================================================  ======================  ===========
    sky          blue, lighter towards the horizon (row-wise ramp)    (48, 10, -46) top       #4471C0
                                                                      (84, -3, -12) horizon   #BFD4E8
    ground       green grass, per-pixel lightness texture, darker     (32-58, -28, 34)        #446E27
                 towards the bottom                                                           (L = 42)
    circle       red ("sun", "ball")                                  (52, 58, 42)            #DE4637
    triangle     purple (pointing up)                                 (40, 40, -42)           #7A46A4
    square       **ambiguous**: mustard yellow ...                    (60, -5, 55)            #A39127
                 ... or light blue, at random (see ``ambiguity``)     (60, 5, -55)            #3693F2
    ===========  ===================================================  ======================  ===========

    Per image, the sky and the grass get a random lightness offset (±4 and ±3) and ab offset (±3);
    per shape, the lightness gets a random offset of ±4 (the same draw whatever colour a square
    takes), so neither lightness nor the grey image tell a yellow square from a blue one. Shape
    sizes: half-width 8-20 % of the shorter image side.

    **Ambiguity.** A square is blue with probability ``ambiguity / 2``, yellow otherwise. With the
    default ``ambiguity=1`` the two are equally likely; their ab points are nearly opposite
    (``(-5, 55)`` and ``(5, -55)``, mean ``(0, 0)``), so a model trained with an L2 (or L1) loss on ab,
    which cannot tell them apart from L, predicts about the mean: grey squares. A model that
    classifies colours (Zhang et al. 2016) keeps one vivid colour instead. With ``ambiguity=0``
    squares are always yellow and every rule is learnable. The random draws do not depend on
    ``ambiguity``: the same ``(seed, index)`` gives the same scene geometry for any ambiguity, only
    some squares change colour.

    Each item is generated from a NumPy generator seeded with ``(seed, index)``: the same pair always
    gives the same image, on any machine and in any DataLoader worker.

    Args:
        n: number of images (the dataset's length).
        size: image size, an int ``S`` for ``S x S`` or a pair ``(H, W)``; at least 8.
        seed: base seed; datasets with different seeds hold different images.
        ambiguity: float in ``[0, 1]``, probability of the rarer square colour times 2 (see above).
        scheme: normalization of the returned tensors, ``"zhang"`` or ``"pix2pix"``
            (see :func:`colorlab.color.normalize_lab`).
        max_objects: at most this many shapes per image (at least 1 are drawn; 0 draws none).
        labelled: False (colorization pairs, the default) or True: the **labelled mode**, items
            ``(l_norm, kind)`` for classifying scenes from their grey image (see below).

    Items: ``(l_norm, ab_norm)`` float32 tensors ``(1, H, W)`` and ``(2, H, W)``, normalized with
    ``scheme``. See also :meth:`lab`, :meth:`rgb`, :meth:`label_map` and :meth:`masks`.

    **Labelled mode** (``labelled=True``, for linear probes of pretext features, notebook 09):
    items are ``(l_norm (1, H, W) float32, kind)`` with ``kind`` a 0-d int64 tensor, the index in
    :data:`KINDS` (0 circle, 1 triangle, 2 square) of the kind of shape that covers the most
    visible pixels (:meth:`scene_kind`; ties go to the earlier kind). The image is the same scene
    as without labels. With ``max_objects=1`` each scene shows exactly one shape (always at least
    partly visible), so the label is simply "which shape is in the picture"; with more shapes it is
    "which kind dominates". Colour does not enter the label: it has to be read from shapes and grey
    levels.
    """

    #: Names of the label codes returned by :meth:`label_map` (code = position in this tuple).
    LABELS = ("sky", "ground", "circle", "triangle", "square_yellow", "square_blue")
    #: Kinds of shapes, in the order their kind is drawn.
    KINDS = ("circle", "triangle", "square")
    #: Lab colour of every shape colour, before the per-shape lightness offset.
    OBJECT_LAB = dict(_OBJECT_LAB)

    def __init__(
        self,
        n: int = 10_000,
        size: int | tuple[int, int] = 64,
        *,
        seed: int = 0,
        ambiguity: float = 1.0,
        scheme: Scheme = "zhang",
        max_objects: int = 4,
        labelled: bool = False,
    ) -> None:
        if isinstance(size, (int, np.integer)):
            size = (int(size), int(size))
        if len(size) != 2 or min(size) < 8:
            raise ColorlabError(f"size must be an int or an (H, W) pair, each at least 8, got {size!r}")
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ColorlabError(f"n must be a non-negative int, got {n!r}")
        if not 0.0 <= float(ambiguity) <= 1.0:
            raise ColorlabError(f"ambiguity must be in [0, 1], got {ambiguity!r}")
        if not isinstance(max_objects, (int, np.integer)) or max_objects < 0:
            raise ColorlabError(f"max_objects must be a non-negative int, got {max_objects!r}")
        if labelled and max_objects < 1:
            raise ColorlabError("labelled=True needs max_objects >= 1 (a scene without shapes has no kind)")
        if scheme not in SCHEMES:
            raise ColorlabError(f"unknown normalization scheme {scheme!r}; choose one of {sorted(SCHEMES)}")
        self.n = int(n)
        self.height, self.width = int(size[0]), int(size[1])
        self.seed = int(seed)
        self.ambiguity = float(ambiguity)
        self.scheme = scheme
        self.max_objects = int(max_objects)
        self.labelled = bool(labelled)
        self._rows = np.arange(self.height, dtype=np.float32)[:, None]
        self._cols = np.arange(self.width, dtype=np.float32)[None, :]

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (
            f"SyntheticScenes(n={self.n}, size=({self.height}, {self.width}), seed={self.seed}, "
            f"ambiguity={self.ambiguity}, scheme={self.scheme!r}" + (", labelled=True)" if self.labelled else ")")
        )

    def _index(self, index: int) -> int:
        index = int(index)
        if index < 0:
            index += self.n
        if not 0 <= index < self.n:
            raise IndexError(f"index {index} out of range for SyntheticScenes of length {self.n}")
        return index

    def _render(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw scene ``index``: ``lab (3, H, W) float32`` and ``labels (H, W) uint8`` (codes into LABELS)."""
        rng = np.random.default_rng((self.seed, self._index(index)))
        height, width = self.height, self.width
        rows, cols = self._rows, self._cols
        lab = np.empty((3, height, width), dtype=np.float32)
        labels = np.empty((height, width), dtype=np.uint8)

        horizon = int(round(rng.uniform(0.35, 0.65) * height))
        sky_jitter = np.concatenate(([rng.uniform(-4, 4)], rng.uniform(-3, 3, size=2))).astype(np.float32)
        grass_jitter = np.concatenate(([rng.uniform(-3, 3)], rng.uniform(-3, 3, size=2))).astype(np.float32)

        # Sky: a row-wise linear ramp in Lab from the top colour to the horizon colour.
        ramp = rows[:horizon] / max(horizon - 1, 1)  # (horizon, 1), 0 at the top, 1 at the horizon
        sky = _SKY_TOP[:, None, None] + (_SKY_HORIZON - _SKY_TOP)[:, None, None] * ramp[None]
        lab[:, :horizon] = sky + sky_jitter[:, None, None]
        labels[:horizon] = self.LABELS.index("sky")

        # Ground: constant green ab, lightness 50 at the horizon -> 40 at the bottom, plus texture.
        ground_rows = height - horizon
        depth = (rows[horizon:] - horizon) / max(ground_rows - 1, 1)
        texture = rng.uniform(-6.0, 6.0, size=(ground_rows, width)).astype(np.float32)
        lab[0, horizon:] = np.clip(50.0 - 10.0 * depth + texture + grass_jitter[0], *_GRASS_L)
        lab[1:, horizon:] = (_GRASS_AB + grass_jitter[1:])[:, None, None]
        labels[horizon:] = self.LABELS.index("ground")

        # Shapes. The same numbers are drawn whatever the kind and the ambiguity.
        n_objects = int(rng.integers(1, self.max_objects + 1)) if self.max_objects else 0
        shorter = min(height, width)
        for _ in range(n_objects):
            kind = self.KINDS[int(rng.integers(len(self.KINDS)))]
            radius = max(rng.uniform(0.08, 0.2) * shorter, 1.5)
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            l_offset = rng.uniform(-4.0, 4.0)
            second_colour = rng.random() < self.ambiguity / 2
            dy, dx = rows + 0.5 - cy, cols + 0.5 - cx  # pixel centres relative to the shape centre
            if kind == "circle":
                mask = dy**2 + dx**2 <= radius**2
                name = "circle"
            elif kind == "triangle":  # apex at the top, base 2 * radius wide at the bottom
                mask = (np.abs(dy) <= radius) & (np.abs(dx) <= (dy + radius) / 2)
                name = "triangle"
            else:
                mask = (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
                name = "square_blue" if second_colour else "square_yellow"
            colour = np.array(_OBJECT_LAB[name], dtype=np.float32) + np.array([l_offset, 0, 0], dtype=np.float32)
            lab[:, mask] = colour[:, None]
            labels[mask] = self.LABELS.index(name)
        return lab, labels

    def lab(self, index: int) -> torch.Tensor:
        """Scene ``index`` in Lab: ``(3, H, W)`` float32, ``L`` in ``[0, 100]``, ab in Lab units."""
        return torch.from_numpy(self._render(index)[0])

    def rgb(self, index: int) -> torch.Tensor:
        """Scene ``index`` in sRGB: ``(3, H, W)`` float32 in ``[0, 1]`` (all colours are in gamut)."""
        return lab_to_rgb(self.lab(index))

    def label_map(self, index: int) -> torch.Tensor:
        """What each pixel shows: ``(H, W)`` int64, codes into :attr:`LABELS` (0 sky ... 5 square_blue)."""
        return torch.from_numpy(self._render(index)[1].astype(np.int64))

    def masks(self, index: int) -> dict[str, torch.Tensor]:
        """Visible pixels of each region of scene ``index``, as ``(H, W)`` bool tensors.

        Keys: every name of :attr:`LABELS`, plus ``"square"`` (yellow or blue squares together).
        Masks of kinds absent from the scene are all False.
        """
        labels = torch.from_numpy(self._render(index)[1])
        masks = {name: labels == code for code, name in enumerate(self.LABELS)}
        masks["square"] = masks["square_yellow"] | masks["square_blue"]
        return masks

    def scene_kind(self, index: int) -> int:
        """The kind of shape that covers the most visible pixels of scene ``index``: an index into :attr:`KINDS`.

        Yellow and blue squares count together as ``"square"``; ties go to the earlier kind
        (circle, triangle, square). -1 when no shape is visible (only possible with ``max_objects=0``).
        """
        return self._kind_of(self._render(index)[1])

    def _kind_of(self, labels: np.ndarray) -> int:
        """:meth:`scene_kind` from a label map ``(H, W)`` of codes into :attr:`LABELS`."""
        counts = np.bincount(labels.ravel(), minlength=len(self.LABELS))
        code = {name: counts[self.LABELS.index(name)] for name in self.LABELS}
        per_kind = np.array([code["circle"], code["triangle"], code["square_yellow"] + code["square_blue"]])
        return int(per_kind.argmax()) if per_kind.any() else -1

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(l_norm (1, H, W), ab_norm (2, H, W))`` float32, normalized with :attr:`scheme`.

        In the labelled mode: ``(l_norm (1, H, W) float32, kind)``, ``kind`` a 0-d int64 tensor
        (:meth:`scene_kind`).
        """
        with single_thread():
            lab, labels = self._render(index)
            lab = torch.from_numpy(lab)
            l_norm, ab_norm = normalize_lab(lab[:1], lab[1:], self.scheme)
            if not self.labelled:
                return l_norm, ab_norm
            return l_norm, torch.tensor(self._kind_of(labels), dtype=torch.int64)

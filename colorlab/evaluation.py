"""Leaderboards: colorize every photo of a folder with several models and score them.

Each photo is greyed (its Lab lightness is kept, ab dropped), colorized by every model through
:func:`colorlab.pipeline.colorize` (the same path as the CLI and the app) and compared with the
original by :func:`colorlab.metrics.evaluate`. The ``"grey"`` baseline is the photo's own L with
``ab = 0``: a colorizer has to beat it to be worth running.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from colorlab import metrics
from colorlab.pipeline import ModelLike, colorize, get_model, grey_version
from colorlab.io import ColorlabError, ImageSource, load_image

__all__ = ["GREY", "METRICS", "Leaderboard", "prepare_photo", "leaderboard_models", "evaluate_models"]

#: The baseline "model": the photo's lightness with no colour.
GREY = "grey"
#: Columns of the leaderboard, in order (higher is better for all but mse).
METRICS = ("psnr", "ssim", "mse", "auc", "colorfulness", "colorfulness_target")


@dataclass
class Leaderboard:
    """Per-image scores of several models on the same photos.

    ``scores[model][metric]`` is a list with one float per photo, in the order of ``images``.
    """

    images: list[str]
    scores: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def means(self) -> dict[str, dict[str, float]]:
        """model -> metric -> mean over the photos (PSNR: mean of per-image PSNR)."""
        return {model: {name: float(np.mean(values)) for name, values in table.items()} for model, table in self.scores.items()}

    def ranked(self, model: str, metric: str = "psnr", baseline: str | None = None) -> list[str]:
        """The photos from ``model``'s best to its worst by ``metric`` (lowest MSE first for ``"mse"``).

        With ``baseline`` (e.g. :data:`GREY`), photos are ranked by the *gain* over that model on the
        same photo: where ``model`` helped most first, where it hurt most last.
        """
        for name in (model, baseline or model):
            if name not in self.scores or metric not in METRICS:
                raise ColorlabError(f"no scores for model {name!r} / metric {metric!r}; models: {', '.join(self.scores)}")
        values = np.asarray(self.scores[model][metric])
        if baseline is not None:
            values = values - np.asarray(self.scores[baseline][metric])
        order = np.argsort(values if metric == "mse" else -values, kind="stable")
        return [self.images[index] for index in order]

    def colorfulness_ratio(self, model: str) -> float:
        """Mean colourfulness of ``model``'s results / mean colourfulness of the originals."""
        means = self.means()[model]
        return means["colorfulness"] / means["colorfulness_target"]

    def markdown(self) -> str:
        """The mean scores as a Markdown table, best PSNR first, with the gains over grey."""
        means = self.means()
        grey = means.get(GREY)
        header = "| model | PSNR (dB) | SSIM | MSE | AuC | colourfulness (% of truth) |"
        if grey:
            header += " ΔPSNR vs grey | ΔAuC vs grey |"
        lines = [header, "|" + "---|" * (header.count("|") - 1)]
        for model, row in sorted(means.items(), key=lambda item: -item[1]["psnr"]):
            cells = [
                model,
                f"{row['psnr']:.2f}",
                f"{row['ssim']:.4f}",
                f"{row['mse']:.5f}",
                f"{row['auc']:.4f}",
                f"{row['colorfulness']:.1f} ({100 * row['colorfulness'] / row['colorfulness_target']:.0f} %)",
            ]
            if grey:
                cells += [f"{row['psnr'] - grey['psnr']:+.2f}", f"{row['auc'] - grey['auc']:+.4f}"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def write(self, out_dir: str | os.PathLike) -> tuple[Path, Path]:
        """Write ``scores.csv`` (one row per model and photo) and ``leaderboard.md``; returns both paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        csv_path, md_path = out / "scores.csv", out / "leaderboard.md"
        tmp = csv_path.with_name(csv_path.name + ".tmp")
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["model", "image", *METRICS])
            for model, table in self.scores.items():
                for index, image in enumerate(self.images):
                    writer.writerow([model, image, *(f"{table[name][index]:.6g}" for name in METRICS)])
        os.replace(tmp, csv_path)
        tmp = md_path.with_name(md_path.name + ".tmp")
        tmp.write_text(self.markdown() + "\n")
        os.replace(tmp, md_path)
        return csv_path, md_path


def prepare_photo(path: ImageSource, size: int | None = None) -> np.ndarray:
    """The reference photo: ``rgb (H, W, 3) float32``, optionally resized so its shorter side is
    ``size`` and centre-cropped to ``size x size`` (as Zhang et al. evaluate at 256 x 256).

    ``path``: anything :func:`colorlab.io.load_image` takes (a file, or an image already in memory)."""
    rgb = load_image(path)
    if size is None:
        return rgb
    from colorlab.data.folders import make_transform

    crop = make_transform(size, train=False)(torch.from_numpy(rgb).permute(2, 0, 1))
    return crop.clamp(0, 1).permute(1, 2, 0).contiguous().numpy()


def leaderboard_models() -> list[str]:
    """The models a leaderboard compares by default: every bundled model, then the released
    weights that are cached here (``"eccv16:official"``, ``"siggraph17:official"``); nothing is
    downloaded.
    """
    from colorlab.models.registry import bundled
    from colorlab.models.released import OFFICIAL_WEIGHTS, official_cached
    from colorlab.pipeline import OFFICIAL_SUFFIX

    return bundled() + [name + OFFICIAL_SUFFIX for name in OFFICIAL_WEIGHTS if official_cached(name)]


def evaluate_models(
    models: dict[str, ModelLike] | Sequence[str],
    paths: Sequence[str | os.PathLike] | Mapping[str, ImageSource],
    *,
    size: int | None = None,
    intensity: float = 1.0,
    temperature: float | None = None,
    progress: bool | None = True,
) -> Leaderboard:
    """Score every model (and the grey baseline) on every photo.

    Args:
        models: model keys (bundled names, ``"NAME:official"``, ``"auto"``; see
            :func:`leaderboard_models`) or ``{label: key or loaded network}``; ``"grey"`` is added.
        paths: the photos (colour; at least 11 x 11 pixels, the SSIM window): file paths, or
            ``{name: image}`` for images in memory (anything :func:`colorlab.io.load_image` takes).
        size: evaluate at ``size x size`` centre crops instead of full resolution.
        intensity, temperature: passed to :func:`colorlab.pipeline.colorize`.
        progress: True: a progress bar; False: none; None: only when stderr is a terminal.

    Returns:
        A :class:`Leaderboard`. Results are compared as 8-bit images, as a user would see them.
    """
    from tqdm.auto import tqdm

    if not isinstance(models, dict):
        models = {name: name for name in models}
    nets = {label: get_model(model) for label, model in models.items() if label != GREY}
    photos = dict(paths) if isinstance(paths, Mapping) else {str(path): path for path in paths}
    board = Leaderboard(images=list(photos))
    labels = [GREY, *nets]
    board.scores = {label: {name: [] for name in METRICS} for label in labels}
    for path, photo in tqdm(photos.items(), desc="evaluate", unit="photo", disable=None if progress is None else not progress):
        target = prepare_photo(photo, size)
        if min(target.shape[:2]) < metrics.SSIM_WIN_SIZE:
            raise ColorlabError(f"{path}: too small to score ({target.shape[1]}x{target.shape[0]}; SSIM needs 11x11)")
        target_u8 = (target * 255 + 0.5).astype(np.uint8)
        target_tensor = torch.from_numpy(target_u8).permute(2, 0, 1)[None].float() / 255
        for label in labels:
            if label == GREY:
                result = grey_version(target_u8)
            else:
                result = colorize(target_u8, nets[label], intensity=intensity, temperature=temperature)
            result_tensor = torch.from_numpy(result).permute(2, 0, 1)[None].float() / 255
            for name, values in metrics.evaluate(result_tensor, target_tensor).items():
                board.scores[label][name].append(float(values[0]))
    return board

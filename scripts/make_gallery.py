#!/usr/bin/env python
"""Make the README gallery: before/after JPEGs of the offline sample photos.

    .venv/bin/python scripts/make_gallery.py            # default bundled model -> docs/gallery/
    .venv/bin/python scripts/make_gallery.py --model eccv16_small --size 320

For each photo of ``colorlab.data.sample_images()`` it writes ``docs/gallery/<name>.jpg``: the
grey version (what the model sees) on the left, the colorization on the right, ``--size``
pixels on the shorter side. Rerun it whenever a bundled model changes: the files are overwritten (atomically)
and the README, which embeds them by name, needs no edit. The output is deterministic for a
given model file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GAP = 6  # white pixels between before and after


def before_after(rgb: np.ndarray, model: str) -> np.ndarray:
    """``rgb (H, W, 3)`` float in [0, 1] -> ``(H, 2 W + GAP, 3) uint8``: grey | colorized."""
    from colorlab import app

    grey = app.grey_version(rgb)
    coloured = app.colorize_photo(rgb, model)
    gap = np.full((rgb.shape[0], GAP, 3), 255, dtype=np.uint8)
    return np.concatenate([grey, gap, coloured], axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a bundled model name (default: colorlab's default model)")
    parser.add_argument("--size", type=int, default=256, help="shorter side of each panel in pixels (default 256)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery", help="output folder (default docs/gallery)")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality (default 90)")
    args = parser.parse_args(argv)

    from colorlab import io
    from colorlab.pipeline import DEFAULT_MODEL
    from colorlab.data import sample_images

    model = DEFAULT_MODEL if args.model == "default" else args.model
    start = time.perf_counter()
    for name, rgb in sample_images(size=args.size).items():
        path = io.save_image(args.out / f"{name}.jpg", before_after(rgb, model), quality=args.quality)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  ({rgb.shape[1]}x{rgb.shape[0]} per panel)")
    print(f"gallery of model {model!r} written in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

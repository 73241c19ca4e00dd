"""Benchmark end-to-end colorization: colorlab.colorize vs the reference demo path, time and peak memory.

Run from the repository root::

    python benchmarks/bench_colorize.py            # 1024x768 (timed in process) and 24 MP (subprocesses)
    python benchmarks/bench_colorize.py --quick    # small sizes, the small ECCV16, 2 repeats, one subprocess (smoke test)

The network is the ECCV16 architecture (``colorlab.models.load("eccv16")``, random weights,
``torch.manual_seed(0)``; the official weights cannot be downloaded here and do not change the
time). The photo is skimage's astronaut resized (bicubic) to the size, as a uint8 ``(H, W, 3)``
array in memory (decoding a file would add the same time to every row).

- ``reference demo`` (the reference): the path of the ``colorizers`` demo of
  richzhang/colorization (``util.preprocess_img`` / ``postprocess_tens``): the RGB photo resized
  to 256x256 with PIL (bicubic); ``skimage.color.rgb2lab`` of the original and of the resized
  photo (float64); the eager module under ``torch.no_grad()`` on the resized L; the ab upsampled
  (bilinear) to the original size, concatenated with the original L, ``skimage.color.lab2rgb``.
- ``colorlab exact`` / ``colorlab fast``: ``colorlab.colorize(photo, net, mode=...)``,
  which returns uint8 (the reference returns float64 in ``[0, 1]``).

For 1024x768 the table shows the time per photo; ``model ms`` is the network alone at 1x256x256
in the same mode (timed in the same run) and ``pre/post`` the rest's share of the total.

For 24 megapixels (6000x4000) each row runs once in a fresh subprocess, which reports its wall
time and peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes
torch, the model and the input photo; ``base MB`` is the peak before the colorization).

Targets: colorize at 1024x768 >= 1.25x the reference in exact mode and >= 2x in fast mode;
pre/post-processing <= 15% of the total (exact mode); 24 MP in <= 2 GB peak RSS (exact mode).
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import skimage.color
import skimage.data
import torch
import torch.nn.functional as F
from PIL import Image

from _common import (THREADS, add_common_args, at_least, at_most, finish, import_colorlab, parse_common_args, print_table,
                     speedup, start, time_it)

import_colorlab()
from colorlab import color, inference, models  # noqa: E402
from colorlab.pipeline import colorize  # noqa: E402

REFERENCE = "reference demo"
CONTENDERS = (REFERENCE, "colorlab exact", "colorlab fast")
TARGET_EXACT, TARGET_FAST, TARGET_PREPOST, TARGET_RSS_MB = 1.25, 2.0, 0.15, 2048.0
DEMO_SIZE = 256  # the colorizers demo's working size


def make_photo(height: int, width: int) -> np.ndarray:
    """skimage's astronaut resized (bicubic) to ``(height, width, 3)`` uint8."""
    return np.asarray(Image.fromarray(skimage.data.astronaut()).resize((width, height), Image.BICUBIC))


def reference_demo(rgb_u8: np.ndarray, net: torch.nn.Module) -> np.ndarray:
    """The ``colorizers`` demo path: ``rgb (H, W, 3) uint8`` -> ``rgb (H, W, 3) float64 in [0, 1]``.

    ``net`` is an eval-mode module taking ``l_norm = (L - 50) / 100`` and returning ``ab / 110``
    (the colorizers networks do that normalization inside their forward).
    """
    resized = np.asarray(Image.fromarray(rgb_u8).resize((DEMO_SIZE, DEMO_SIZE), resample=3))
    lab_orig = skimage.color.rgb2lab(rgb_u8)
    lab_resized = skimage.color.rgb2lab(resized)
    l_orig = torch.Tensor(lab_orig[:, :, 0])[None, None]
    l_resized = torch.Tensor(lab_resized[:, :, 0])[None, None]
    with torch.no_grad():
        ab = net(color.normalize_l_zhang(l_resized)) * 110.0
    ab_orig = F.interpolate(ab, size=rgb_u8.shape[:2], mode="bilinear")
    lab_out = torch.cat((l_orig, ab_orig), dim=1)
    return skimage.color.lab2rgb(lab_out.numpy()[0].transpose((1, 2, 0)))


def build_net(quick: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    return models.load("eccv16_small" if quick else "eccv16").eval()


def run_contender(name: str, photo: np.ndarray, pristine: torch.nn.Module, net: torch.nn.Module) -> Any:
    """One colorization by contender ``name``."""
    if name == REFERENCE:
        return reference_demo(photo, pristine)
    return colorize(photo, net, mode=name.split()[-1])


def model_only(name: str, pristine: torch.nn.Module, net: torch.nn.Module, repeats: int) -> dict[str, float]:
    """The network alone at 1x256x256, as each contender runs it."""
    l_norm = torch.rand(1, 1, DEMO_SIZE, DEMO_SIZE) - 0.5
    if name == REFERENCE:
        def call():
            with torch.no_grad():
                return pristine(l_norm)
    else:
        def call():
            return inference.predict(net, l_norm, name.split()[-1])
    return time_it(call, repeats=repeats, warmup=1)


def child(name: str, height: int, width: int, quick: bool) -> None:
    """Subprocess side: one colorization, then a JSON line with wall time and peak RSS (MB)."""
    torch.set_num_threads(THREADS)
    net = build_net(quick)  # one contender per process: no second copy
    photo = make_photo(height, width)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    started = time.perf_counter()
    out = run_contender(name, photo, net, net)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"wall_s": wall, "peak_rss_mb": peak, "base_rss_mb": base, "shape": list(np.shape(out))}))


def in_subprocess(name: str, height: int, width: int, quick: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, str(height), str(width)]
    proc = subprocess.run(command + (["--quick"] if quick else []), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} at {height}x{width} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, repeats=7)
    parser.add_argument("--child", nargs=3, metavar=("NAME", "H", "W"), help=argparse.SUPPRESS)
    parser.add_argument("--no-large", action="store_true", help="skip the 24-megapixel subprocess runs")
    return parse_common_args(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]), args.quick)
        return 0
    (height, width), (large_h, large_w) = ((96, 128), (480, 640)) if args.quick else ((768, 1024), (4000, 6000))
    info = start("bench_colorize", args.repeats)
    contenders = [c for c in CONTENDERS if c != "colorlab fast" or inference.fast_dtype("cpu") is not None]
    pristine = build_net(args.quick)
    net = copy.deepcopy(pristine)
    photo = make_photo(height, width)

    rows: dict[str, dict[str, Any]] = {}
    for name in contenders:
        rows[name] = dict(time_it(lambda: run_contender(name, photo, pristine, net), repeats=args.repeats, warmup=1))
        rows[name]["model_ms"] = model_only(name, pristine, net, args.repeats)["median"]
        rows[name]["prepost"] = max(0.0, 1.0 - rows[name]["model_ms"] / rows[name]["median"])
    for stats in rows.values():
        stats["speedup"] = speedup(stats, rows[REFERENCE])
    case = f"{width}x{height}"
    print_table(rows, REFERENCE, title=f"photo {case} (ECCV16 architecture{', small' if args.quick else ''})",
                extra=[("model ms", "model_ms", ".1f"), ("pre/post", "prepost", ".1%")])

    large: dict[str, dict[str, Any]] = {}
    if not args.no_large:
        print(f"\nphoto {large_w}x{large_h} ({large_w * large_h / 1e6:.0f} MP), one run per subprocess")
        print(f"{'name':<16}  {'wall s':>8}  {'peak RSS MB':>12}  {'base MB':>8}")
        for name in contenders if not args.quick else ["colorlab exact"]:
            large[name] = in_subprocess(name, large_h, large_w, args.quick)
            print(f"{name:<16}  {large[name]['wall_s']:>8.2f}  {large[name]['peak_rss_mb']:>12.0f}  {large[name]['base_rss_mb']:>8.0f}")

    exact = rows["colorlab exact"]
    targets = [at_least(f"colorize {case}: exact vs reference demo", exact["speedup"], TARGET_EXACT, "x"),
               at_most(f"colorize {case}: exact pre/post share of the total", exact["prepost"], TARGET_PREPOST)]
    if "colorlab fast" in rows:
        targets.append(at_least(f"colorize {case}: fast vs reference demo", rows["colorlab fast"]["speedup"], TARGET_FAST, "x"))
    if "colorlab exact" in large:
        targets.append(at_most(f"colorize {large_w}x{large_h}: exact peak RSS", large["colorlab exact"]["peak_rss_mb"],
                               TARGET_RSS_MB, " MB"))

    summary = {
        "benchmark": "bench_colorize",
        "machine": info,
        "config": {"quick": args.quick, "repeats": args.repeats, "warmup": 1, "threads": THREADS,
                   "model": "eccv16_small" if args.quick else "eccv16", "photo": case,
                   "large": f"{large_w}x{large_h}", "reference": REFERENCE},
        "results": {case: rows, f"{large_w}x{large_h}": large},
    }
    return finish("bench_colorize", args, summary, targets)


if __name__ == "__main__":
    sys.exit(main())

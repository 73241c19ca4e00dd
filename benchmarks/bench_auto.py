"""Benchmark what ``model="auto"`` costs: the released SIGGRAPH17 and ECCV16 against the bundled default.

Run from the repository root::

    python benchmarks/bench_auto.py            # a 1024x768 photo, 5 repeats per model
    python benchmarks/bench_auto.py --quick    # a 128x96 photo, 2 repeats (smoke test)

``auto`` picks the released SIGGRAPH17 when its weights are cached, else the released ECCV16, else
the bundled default (``colorlab.pipeline.resolve_model``). The released files cannot be
downloaded here, so each child process writes random weights **in the released layout** (what
``colorlab.models.load(name)`` builds, saved as the released files are: a float32 state_dict) under
the official file name into a temporary ``TORCH_HOME``, and loads them through the same code path
as the real files (``get_model("siggraph17:official")``). Random weights take the same time and
memory as trained ones.

Each model runs in a fresh subprocess (so peak memory is its own), which reports:

- ``load s``: ``colorlab.get_model(key)`` from disk (read the file, build the network);
- ``first ms``: the first ``colorlab.colorize(photo, key)`` after loading;
- median / min / max ms of the next ``--repeats`` calls (the reference: the bundled default);
- ``peak RSS MB``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end (torch, the model, the
  photo, the work), and ``base MB`` before the model was loaded.

No targets: the numbers tell a user what ``auto`` costs on their machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from PIL import Image

from _common import THREADS, add_common_args, finish, import_colorlab, parse_common_args, print_table, speedup, start, time_it

import_colorlab()
from colorlab.models.registry import DEFAULT_MODEL  # noqa: E402

REFERENCE = "bundled default"
#: row name -> model key; the reference first.
CONTENDERS = {REFERENCE: DEFAULT_MODEL, "released eccv16": "eccv16:official", "released siggraph17": "siggraph17:official"}


def make_photo(height: int, width: int) -> np.ndarray:
    return np.asarray(Image.fromarray(skimage.data.astronaut()).resize((width, height), Image.BICUBIC))


def prepare(key: str) -> None:
    """Subprocess side: write random weights in the released layout under the official name (TORCH_HOME)."""
    import torch

    import colorlab
    from colorlab.models.released import official_file

    name = key.partition(":")[0]
    torch.manual_seed(0)
    path = official_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(colorlab.models.load(name).state_dict(), path)  # the released layout, float32


def child(key: str, height: int, width: int, repeats: int) -> None:
    """Subprocess side: load, colorize, then one JSON line (the modules are imported before timing)."""
    import importlib

    import torch

    import colorlab
    from colorlab.models.registry import CATALOGUE

    torch.set_num_threads(THREADS)
    importlib.import_module(f"colorlab.models.{CATALOGUE[key.partition(':')[0]].family}")
    assert colorlab.resolve_model("auto") == key  # the stand-in is what auto would pick here
    photo = make_photo(height, width)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    started = time.perf_counter()
    colorlab.get_model(key)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    out = colorlab.colorize(photo, key)
    first_ms = (time.perf_counter() - started) * 1000
    stats = time_it(lambda: colorlab.colorize(photo, key), repeats=repeats, warmup=0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({**stats, "load_s": load_s, "first_ms": first_ms, "peak_rss_mb": peak, "base_rss_mb": base,
                      "shape": list(out.shape)}))


def in_subprocess(key: str, height: int, width: int, repeats: int) -> dict[str, Any]:
    """Prepare the stand-in weights (one process), then measure in a fresh one."""
    with tempfile.TemporaryDirectory() as torch_home:
        env = {**os.environ, "TORCH_HOME": torch_home}
        env.pop("COLORLAB_WEIGHTS_MIRROR", None)
        script = [sys.executable, str(Path(__file__).resolve())]
        steps = ([[*script, "--prepare", key]] if ":" in key else []) + [[*script, "--child", key, str(height), str(width), str(repeats)]]
        for command in steps:
            proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                raise RuntimeError(f"{key} at {width}x{height} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, repeats=5)
    parser.add_argument("--child", nargs=4, metavar=("KEY", "H", "W", "REPEATS"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", metavar="KEY", help=argparse.SUPPRESS)
    return parse_common_args(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.prepare:
        prepare(args.prepare)
        return 0
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]), int(args.child[3]))
        return 0
    height, width = (96, 128) if args.quick else (768, 1024)
    info = start("bench_auto", args.repeats)
    rows = {row: in_subprocess(key, height, width, args.repeats) for row, key in CONTENDERS.items()}
    for stats in rows.values():
        stats["speedup"] = speedup(stats, rows[REFERENCE])
    case = f"{width}x{height}"
    print_table(rows, REFERENCE, title=f"colorlab.colorize of a {case} photo, one fresh process per model (ratio > 1: faster)",
                extra=[("load s", "load_s", ".2f"), ("first ms", "first_ms", ".0f"), ("peak RSS MB", "peak_rss_mb", ".0f"),
                       ("base MB", "base_rss_mb", ".0f")])
    summary = {
        "benchmark": "bench_auto",
        "machine": info,
        "config": {"quick": args.quick, "repeats": args.repeats, "threads": THREADS, "photo": case,
                   "models": CONTENDERS, "reference": REFERENCE, "weights": "random, released layout"},
        "results": {case: rows},
    }
    return finish("bench_auto", args, summary, [])


if __name__ == "__main__":
    sys.exit(main())

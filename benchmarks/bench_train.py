"""Benchmark training: optimizer steps per second of each model family, as ``colorlab train`` runs them.

Run from the repository root::

    python benchmarks/bench_train.py             # 4 families at 64x64 and 128x128, batch 16
    python benchmarks/bench_train.py --quick     # 64x64, batch 2, 2 repeats (smoke test)

For each family (the networks ``colorlab train`` trains on a CPU: ``resnet18_regression``,
``eccv16_small``, ``siggraph17_small``, ``pix2pix_unet_small``) and size, one training step is
``task.training_step(l_norm, ab_norm)`` of the family's task (:func:`colorlab.train.task_for`,
default loss, inside a :class:`colorlab.train.Trainer` on the CPU), on a fixed random batch
(``l_norm`` uniform in ``[-0.5, 0.5]``, ``ab_norm`` in ``[-0.5, 0.5]``; a step's cost does not
depend on the values). Rows:

- ``fp32`` (the reference): the step exactly as the Trainer runs it on a CPU (float32, NCHW).
- ``channels_last``: the networks' weights and the batch in the channels_last memory format.
- ``bf16 autocast``: the step under ``torch.autocast("cpu", torch.bfloat16)`` (only on CPUs with
  bf16 instructions; no gradient scaler is needed for bf16).

The variants are measurements for deciding what training should use; the Trainer does not use
them (yet). There are no targets: the issue asks for the steps/s.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

import torch
from torch.utils.data import TensorDataset

from _common import THREADS, add_common_args, finish, import_colorlab, parse_common_args, print_table, speedup, start, time_it

import_colorlab()
from colorlab import inference, models  # noqa: E402
from colorlab.train import TrainConfig, Trainer, task_for  # noqa: E402

FAMILIES = ("resnet18_regression", "eccv16_small", "siggraph17_small", "pix2pix_unet_small")
REFERENCE = "fp32"


def make_step(name: str, size: int, batch: int, variant: str):
    """A no-argument callable running one training step of ``name`` in ``variant``."""
    torch.manual_seed(0)
    net = models.load(name, input_size=size) if name == "resnet18_regression" else models.load(name)
    l_norm = torch.rand(batch, 1, size, size) - 0.5
    ab_norm = torch.rand(batch, 2, size, size) - 0.5
    task = task_for(net)
    Trainer(task, TensorDataset(l_norm[:, 0:1], ab_norm), TrainConfig(device="cpu", progress=False))
    if variant == "channels_last":
        for module in task.nets.values():
            module.to(memory_format=torch.channels_last)
        l_norm = l_norm.contiguous(memory_format=torch.channels_last)
        ab_norm = ab_norm.contiguous(memory_format=torch.channels_last)
    precision = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if variant == "bf16 autocast" else contextlib.nullcontext

    def step() -> dict[str, float]:
        with precision():
            return task.training_step(l_norm, ab_norm)

    return step


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, repeats=5)
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated model names")
    parser.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    return parse_common_args(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes, batch = ((64,), 2) if args.quick else ((64, 128), args.batch)
    info = start("bench_train", args.repeats)
    variants = [REFERENCE, "channels_last"] + (["bf16 autocast"] if inference.fast_dtype("cpu") is not None else [])
    results: dict[str, dict[str, Any]] = {}
    for name in args.families.split(","):
        results[name] = {}
        for size in sizes:
            rows = {}
            for variant in variants:
                rows[variant] = dict(time_it(make_step(name, size, batch, variant), repeats=args.repeats, warmup=1))
                rows[variant]["steps_per_s"] = 1000.0 / rows[variant]["median"]
            for stats in rows.values():
                stats["speedup"] = speedup(stats, rows[REFERENCE])
            results[name][f"{batch}x{size}x{size}"] = rows
            print_table(rows, REFERENCE, title=f"{name}, batch {batch}x{size}x{size}, ms per step",
                        extra=[("steps/s", "steps_per_s", ".2f")])
    summary = {
        "benchmark": "bench_train",
        "machine": info,
        "config": {"quick": args.quick, "repeats": args.repeats, "warmup": 1, "threads": THREADS,
                   "sizes": list(sizes), "batch": batch, "reference": REFERENCE},
        "results": results,
    }
    return finish("bench_train", args, summary, [])


if __name__ == "__main__":
    sys.exit(main())

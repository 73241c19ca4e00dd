"""Time the notebook suite under nbval, notebook by notebook, in quick mode and in full mode.

Run from the repository root::

    python benchmarks/bench_notebooks.py                    # every notebooks/*.ipynb, quick then full
    python benchmarks/bench_notebooks.py --modes full       # full mode only (what students run)
    python benchmarks/bench_notebooks.py --only 04,05       # notebooks whose name starts with these
    python benchmarks/bench_notebooks.py --cpus 0           # pinned to CPU 0 (taskset): Binder's one core
    python benchmarks/bench_notebooks.py --dir some/folder  # another folder (the smoke test uses one)

Each notebook runs as ``COLORLAB_QUICK=1|0 python -m pytest --nbval-lax --nbval-current-env
NOTEBOOK`` in its own subprocess from the repository root, which is what ``make notebooks`` and
``make test-full`` run for the whole folder at once (one pytest start per notebook is added here,
about a second). The table gives each notebook's wall time per mode and whether it passed.
Targets: the quick suite <= 10 min; the full suite <= 25 min and every notebook <= 5 min in full
mode (a lab cannot wait longer for a cell). Run it on an otherwise idle machine: the notebooks
train small networks on the two cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import add_common_args, at_most, finish, parse_common_args, start, target

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_QUICK_TOTAL_S = 600.0
TARGET_FULL_TOTAL_S = 1500.0
TARGET_FULL_EACH_S = 300.0
MODES = ("quick", "full")


def run_notebook(path: Path, timeout_s: float, mode: str = "quick", cpus: str | None = None) -> dict[str, Any]:
    """Run one notebook under nbval in ``mode``: ``{"seconds", "passed", "summary"}``.

    ``cpus``: pin the run to these CPUs with ``taskset -c`` (e.g. ``"0"``), as a one-core machine would run it.
    """
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider", str(path)]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    env = {**os.environ, "COLORLAB_QUICK": "1" if mode == "quick" else "0"}
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        passed, lines = proc.returncode == 0, (proc.stdout + proc.stderr).strip().splitlines()
    except subprocess.TimeoutExpired:
        passed, lines = False, [f"timed out after {timeout_s:g} s"]
    return {"seconds": time.perf_counter() - started, "passed": passed, "summary": lines[-1] if lines else ""}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, repeats=1)
    parser.add_argument("--dir", type=Path, default=REPO_ROOT / "notebooks", help="folder of notebooks (default notebooks/)")
    parser.add_argument("--only", default=None, help="comma-separated name prefixes, e.g. 04,05")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per notebook before it counts as failed")
    parser.add_argument("--modes", default="quick,full", help="comma-separated: quick, full (default both)")
    parser.add_argument("--cpus", default=None, help="run pinned to these CPUs (taskset -c), e.g. 0 for one core")
    return parse_common_args(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.repeats = 1  # a notebook run is minutes long: one run each
    notebooks = sorted(args.dir.glob("*.ipynb"))
    if args.only:
        prefixes = tuple(args.only.split(","))
        notebooks = [path for path in notebooks if path.name.startswith(prefixes)]
    if not notebooks:
        print(f"no notebooks in {args.dir}", file=sys.stderr)
        return 2
    modes = [mode for mode in MODES if mode in args.modes.split(",")]
    if not modes:
        print(f"--modes must name quick and/or full, got {args.modes!r}", file=sys.stderr)
        return 2
    info = start("bench_notebooks", 1)
    pinned = f", pinned to CPU {args.cpus} (taskset)" if args.cpus is not None else ""
    print(f"\n{'notebook':<32}  " + "  ".join(f"{mode + ' s':>8}" for mode in modes) + f"  result{pinned}")
    results: dict[str, dict[str, Any]] = {}
    for path in notebooks:
        results[path.name] = {mode: run_notebook(path, args.timeout, mode, args.cpus) for mode in modes}
        rows = results[path.name]
        verdict = "; ".join(f"{mode}: {'pass' if row['passed'] else 'FAIL (' + row['summary'] + ')'}" for mode, row in rows.items())
        print(f"{path.name:<32}  " + "  ".join(f"{rows[mode]['seconds']:>8.1f}" for mode in modes) + f"  {verdict}", flush=True)
    totals = {mode: sum(row[mode]["seconds"] for row in results.values()) for mode in modes}
    print(f"{'total':<32}  " + "  ".join(f"{totals[mode]:>8.1f}" for mode in modes))
    targets = [target("every notebook passes", sum(row[mode]["passed"] for row in results.values() for mode in modes),
                      all(row[mode]["passed"] for row in results.values() for mode in modes))]
    if "quick" in modes:
        targets.append(at_most("notebook suite (quick mode)", totals["quick"], TARGET_QUICK_TOTAL_S, " s"))
    if "full" in modes:
        targets.append(at_most("notebook suite (full mode)", totals["full"], TARGET_FULL_TOTAL_S, " s"))
        slowest = max(results, key=lambda name: results[name]["full"]["seconds"])
        targets.append(at_most(f"slowest notebook in full mode ({slowest})", results[slowest]["full"]["seconds"], TARGET_FULL_EACH_S, " s"))
    summary = {
        "benchmark": "bench_notebooks",
        "machine": info,
        "config": {"modes": modes, "cpus": args.cpus, "dir": str(args.dir), "notebooks": [path.name for path in notebooks]},
        "results": results,
        "totals_s": totals,
    }
    return finish("bench_notebooks", args, summary, targets)


if __name__ == "__main__":
    sys.exit(main())

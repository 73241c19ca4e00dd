"""Time the notebook suite under nbval in quick mode, notebook by notebook.

Run from the repository root::

    python benchmarks/bench_notebooks.py                    # every notebooks/*.ipynb
    python benchmarks/bench_notebooks.py --only 04,05       # notebooks whose name starts with these
    python benchmarks/bench_notebooks.py --dir some/folder  # another folder (the smoke test uses one)

Each notebook runs as ``COLORLAB_QUICK=1 python -m pytest --nbval-lax --nbval-current-env
NOTEBOOK`` in its own subprocess from the repository root, which is what ``make test`` runs for
the whole folder at once (one pytest start per notebook is added here, about a second). The
table gives each notebook's wall time and whether it passed; the total is compared with the
issue's target of 10 minutes. Run it on an otherwise idle machine: the notebooks train small
networks on the two cores.
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
TARGET_TOTAL_S = 600.0


def run_notebook(path: Path, timeout_s: float) -> dict[str, Any]:
    """Run one notebook under nbval (quick mode): ``{"seconds", "passed", "summary"}``."""
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider", str(path)]
    env = {**os.environ, "COLORLAB_QUICK": "1"}
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
    info = start("bench_notebooks", 1)
    print(f"\n{'notebook':<40}  {'seconds':>8}  result")
    results: dict[str, dict[str, Any]] = {}
    for path in notebooks:
        results[path.name] = run_notebook(path, args.timeout)
        row = results[path.name]
        print(f"{path.name:<40}  {row['seconds']:>8.1f}  {'pass' if row['passed'] else 'FAIL'}  ({row['summary']})", flush=True)
    total = sum(row["seconds"] for row in results.values())
    print(f"{'total':<40}  {total:>8.1f}")
    targets = [
        at_most("notebook suite (quick mode)", total, TARGET_TOTAL_S, " s"),
        target("every notebook passes", sum(row["passed"] for row in results.values()),
               all(row["passed"] for row in results.values())),
    ]
    summary = {
        "benchmark": "bench_notebooks",
        "machine": info,
        "config": {"quick": args.quick, "dir": str(args.dir), "notebooks": [path.name for path in notebooks]},
        "results": results,
        "total_s": total,
    }
    return finish("bench_notebooks", args, summary, targets)


if __name__ == "__main__":
    sys.exit(main())

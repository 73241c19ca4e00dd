"""Small timing helpers shared by the scripts in ``benchmarks/``.

- :func:`time_it` runs a callable a few times and returns the median, min and max wall time in ms.
- :func:`print_table` prints one row per contender with the speed-up against a named reference.
- :func:`write_json` writes results to ``benchmarks/results/<name>.json`` (or a given path) atomically.
- :func:`machine_info` describes where the numbers were measured (date, CPU, versions, threads).
- :func:`add_common_args` / :func:`start` / :func:`target` / :func:`finish`: the command line,
  header, PASS/FAIL targets and JSON result that every script shares.
- :func:`import_colorlab` makes ``import colorlab`` work from a checkout that is not installed.

These are plain helpers for scripts run by hand; they are not part of the ``colorlab`` package.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def time_it(fn: Callable[[], Any], repeats: int = 7, warmup: int = 1) -> dict[str, float]:
    """Time ``fn()`` with :func:`time.perf_counter`.

    Args:
        fn: called with no arguments; its result is discarded.
        repeats: number of timed calls (>= 1).
        warmup: number of untimed calls made first (caches, allocators, lazy imports).

    Returns:
        ``{"median": ms, "min": ms, "max": ms}`` over the ``repeats`` timed calls, in milliseconds.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times_ms = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times_ms.append((time.perf_counter() - start) * 1000.0)
    return {"median": statistics.median(times_ms), "min": min(times_ms), "max": max(times_ms)}


def speedup(stats: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """How many times faster ``stats`` is than ``reference``: ``reference median / stats median``."""
    return reference["median"] / stats["median"]


def print_table(
    rows: Mapping[str, Mapping[str, Any]],
    reference: str,
    title: str = "",
    extra: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Print a timing table, one row per contender.

    Args:
        rows: name -> dict with ``median``, ``min``, ``max`` in ms (as from :func:`time_it`), plus
            any keys named in ``extra``.
        reference: the row name the ratio column compares against; the ratio is
            ``reference median / row median``, so ``3.0x`` means three times faster than the reference.
        title: printed above the table when given.
        extra: further columns as ``(header, key, format spec)``, e.g. ``("max err", "max_error", ".2e")``;
            a row without the key (or with ``None``) shows ``-``.
    """
    if reference not in rows:
        raise KeyError(f"reference row {reference!r} not in {list(rows)}")
    name_width = max(len("name"), *(len(name) for name in rows))
    headers = ["median ms", "min ms", "max ms", f"vs {reference}"] + [header for header, _, _ in extra]
    widths = [max(10, len(h)) for h in headers]
    if title:
        print(f"\n{title}")
    print(f"{'name':<{name_width}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(headers, widths)))
    print("-" * (name_width + 2 + sum(widths) + 2 * (len(widths) - 1)))
    for name, stats in rows.items():
        cells = [f"{stats['median']:.2f}", f"{stats['min']:.2f}", f"{stats['max']:.2f}"]
        cells.append(f"{speedup(stats, rows[reference]):.2f}x")
        for _, key, spec in extra:
            value = stats.get(key)
            cells.append("-" if value is None else format(value, spec))
        print(f"{name:<{name_width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))


def machine_info(torch_threads: int | None = None) -> dict[str, Any]:
    """Describe the machine and software the numbers come from.

    Args:
        torch_threads: the thread count used for torch; read from torch when ``None``.

    Returns:
        dict with ``date`` (ISO, local time), ``platform``, ``processor``, ``cpu_count``, ``python``,
        ``numpy``, ``torch``, ``torch_threads``, ``load_avg_1min`` (other work on the machine makes
        timings unreliable) and ``skimage`` / ``cv2`` versions where importable.
    """
    import numpy
    import torch

    info: dict[str, Any] = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads() if torch_threads is None else torch_threads,
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    for module in ("skimage", "cv2"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            info[module] = None
    return info


def warn_if_busy(info: Mapping[str, Any], fraction: float = 0.5) -> None:
    """Print a warning when the 1-minute load average exceeds ``fraction`` of the CPU count."""
    load, cpus = info.get("load_avg_1min"), info.get("cpu_count") or 1
    if load is not None and load > fraction * cpus:
        print(f"WARNING: load average {load:.2f} on {cpus} CPUs: other processes are running, "
              "timings (multi-threaded torch above all) will be slow and noisy")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(name: str, results: Mapping[str, Any], path: str | os.PathLike | None = None) -> Path:
    """Write ``results`` as indented JSON, atomically (temporary file + rename in the same folder).

    Args:
        name: benchmark name; the default file is ``benchmarks/results/<name>.json``.
        results: JSON-serialisable mapping.
        path: write here instead of the default file.

    Returns:
        The path written.
    """
    target = Path(path) if path is not None else RESULTS_DIR / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            json.dump(results, tmp, indent=2, sort_keys=False)
            tmp.write("\n")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


# --- what every benchmark script shares -------------------------------------------------------

THREADS = 2  # torch (and OpenCV) threads in every benchmark: the cores of the reference machine


def import_colorlab() -> None:
    """Make ``import colorlab`` work when the scripts run from a checkout without an install."""
    try:
        import colorlab  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def add_common_args(parser: argparse.ArgumentParser, repeats: int) -> None:
    """``--repeats N``, ``--quick``, ``--json PATH`` and ``--strict``, the options of every script."""
    parser.add_argument("--repeats", type=int, default=repeats, help=f"timed calls per contender (default {repeats})")
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 repeats, for a smoke test")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="write results here (default benchmarks/results/<script>[_quick].json)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")


def parse_common_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; with ``--quick`` the repeats become 2."""
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.quick:
        args.repeats = 2
    return args


def start(name: str, repeats: int, threads: int = THREADS) -> dict[str, Any]:
    """Set torch's (and OpenCV's) thread count, print the header line and a busy warning.

    Returns:
        :func:`machine_info` for the results file.
    """
    import torch

    torch.set_num_threads(threads)
    try:
        import cv2

        cv2.setNumThreads(threads)
    except ImportError:
        pass
    info = machine_info(threads)
    print(f"{name}: {info['date']}, {info['processor']} ({info['cpu_count']} CPUs), torch {info['torch']} "
          f"({threads} threads), numpy {info['numpy']}, skimage {info['skimage']}, "
          f"cv2 {info['cv2'] or 'not installed'}; {repeats} repeats, median of wall time")
    warn_if_busy(info)
    return info


def target(name: str, value: float, passed: bool) -> dict[str, Any]:
    """One PASS/FAIL line of the results: ``{"name", "value", "passed"}``."""
    return {"name": name, "value": float(value), "passed": bool(passed)}


def at_least(label: str, value: float, minimum: float, unit: str = "") -> dict[str, Any]:
    """The target ``value >= minimum``, named ``"<label> >= <minimum><unit>"``."""
    return target(f"{label} >= {minimum:g}{unit}", value, value >= minimum)


def at_most(label: str, value: float, maximum: float, unit: str = "") -> dict[str, Any]:
    """The target ``value <= maximum``, named ``"<label> <= <maximum><unit>"``."""
    return target(f"{label} <= {maximum:g}{unit}", value, value <= maximum)


def finish(name: str, args: argparse.Namespace, summary: dict[str, Any], targets: Sequence[Mapping[str, Any]]) -> int:
    """Print the targets, write ``summary`` (plus the targets) as JSON, return the exit status.

    The JSON goes to ``args.json`` or ``benchmarks/results/<name>[_quick].json``. The status is 1
    only with ``--strict`` and a failed target.
    """
    if targets:
        print("\ntargets:")
        for item in targets:
            print(f"  {'PASS' if item['passed'] else 'FAIL'}  {item['name']}  (got {item['value']:.3g})")
    written = write_json(f"{name}_quick" if args.quick else name, {**summary, "targets": list(targets)}, args.json)
    print(f"results written to {written}")
    return 1 if (args.strict and any(not item["passed"] for item in targets)) else 0

"""Smoke test: the colour benchmark script runs end to end and writes its JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_bench_color_quick_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench_color.json"
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "bench_color.py"), "--quick", "--json", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "targets:" in proc.stdout

    results = json.loads(out.read_text())
    assert {"machine", "config", "results", "targets", "skipped"} <= results.keys()
    assert results["config"]["quick"] is True and results["config"]["repeats"] == 2
    assert results["machine"]["torch_threads"] == 2
    for direction in ("rgb_to_lab", "lab_to_rgb"):
        cases = results["results"][direction]
        assert list(cases) == ["image 128x128", "batch 4x64x64"]
        for rows in cases.values():
            expected = {"skimage f64", "skimage f32", "colorlab f32"}
            expected |= set() if "opencv f32" in results["skipped"] else {"opencv f32"}
            assert set(rows) == expected
            for stats in rows.values():
                assert 0 < stats["min"] <= stats["median"] <= stats["max"]
                assert stats["max_error"] >= 0
            assert rows["skimage f64"]["max_error"] == 0 and rows["skimage f64"]["speedup"] == 1
            # colorlab must agree with skimage f64 (this is a correctness check, not a timing one)
            assert rows["colorlab f32"]["max_error"] < 2e-3
    assert len(results["targets"]) == 8
    assert all(isinstance(t["passed"], bool) for t in results["targets"])

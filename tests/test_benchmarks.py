"""Smoke tests: every benchmark script runs end to end with tiny arguments and writes its JSON (no timing asserted)."""

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


def _run_script(name: str, *arguments: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / name), *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _check_rows(rows: dict, reference: str) -> None:
    for stats in rows.values():
        assert 0 < stats["min"] <= stats["median"] <= stats["max"]
    assert rows[reference]["speedup"] == 1


def test_bench_models_quick_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench_models.json"
    proc = _run_script("bench_models.py", "--quick", "--models", "eccv16_small", "--json", str(out))
    assert "targets:" in proc.stdout
    results = json.loads(out.read_text())
    assert results["config"]["quick"] is True and results["machine"]["torch_threads"] == 2
    cases = results["results"]["eccv16_small"]
    assert list(cases) == ["1x64x64", "2x64x64"]
    for rows in cases.values():
        _check_rows(rows, "eager")
        assert {"eager", "colorlab exact"} <= set(rows)
        # correctness, not timing: the exact mode computes what the eager module computes
        assert rows["colorlab exact"]["max_diff"] <= 1e-4
    if "opencv dnn (onnx)" in cases["1x64x64"]:
        assert cases["1x64x64"]["opencv dnn (onnx)"]["max_diff"] <= 1e-4
    assert all(isinstance(t["passed"], bool) for t in results["targets"])


def test_bench_colorize_quick_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench_colorize.json"
    _run_script("bench_colorize.py", "--quick", "--json", str(out))
    results = json.loads(out.read_text())
    rows = results["results"]["128x96"]
    _check_rows(rows, "reference demo")
    assert all(0 <= stats["prepost"] < 1 and stats["model_ms"] > 0 for stats in rows.values())
    large = results["results"]["640x480"]["colorlab exact"]
    assert large["shape"] == [480, 640, 3] and large["peak_rss_mb"] >= large["base_rss_mb"] > 0


def test_bench_auto_quick_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench_auto.json"
    _run_script("bench_auto.py", "--quick", "--json", str(out))
    rows = json.loads(out.read_text())["results"]["128x96"]
    assert list(rows) == ["bundled default", "released eccv16", "released siggraph17"]
    _check_rows(rows, "bundled default")
    for stats in rows.values():
        assert stats["shape"] == [96, 128, 3] and stats["load_s"] > 0 and stats["peak_rss_mb"] >= stats["base_rss_mb"] > 0


def test_bench_train_quick_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench_train.json"
    _run_script("bench_train.py", "--quick", "--families", "eccv16_small", "--json", str(out))
    rows = json.loads(out.read_text())["results"]["eccv16_small"]["2x64x64"]
    _check_rows(rows, "fp32")
    assert all(stats["steps_per_s"] > 0 for stats in rows.values())


def test_bench_notebooks_times_each_notebook(tmp_path):
    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    full_only = "import os\nassert os.environ['COLORLAB_QUICK'] == '0'"  # passes in full mode only
    for name, source in (("a_ok.ipynb", "import os\nprint(os.environ['COLORLAB_QUICK'])"), ("b_fails.ipynb", "raise ValueError('x')"),
                         ("c_full.ipynb", full_only)):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nbformat.write(notebook, folder / name)
    out = tmp_path / "bench_notebooks.json"
    _run_script("bench_notebooks.py", "--dir", str(folder), "--json", str(out))
    results = json.loads(out.read_text())
    rows = results["results"]
    assert list(rows) == ["a_ok.ipynb", "b_fails.ipynb", "c_full.ipynb"]
    assert [rows["a_ok.ipynb"][mode]["passed"] for mode in ("quick", "full")] == [True, True]
    assert [rows["b_fails.ipynb"][mode]["passed"] for mode in ("quick", "full")] == [False, False]
    assert [rows["c_full.ipynb"][mode]["passed"] for mode in ("quick", "full")] == [False, True]
    for mode in ("quick", "full"):
        assert results["totals_s"][mode] == sum(row[mode]["seconds"] for row in rows.values())

"""Command-line conventions: fast help without torch, results on stdout, diagnostics on stderr,
bars only on a terminal, documented exit codes, ``colorlab models``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from colorlab import cli
from colorlab.cli import main
from colorlab.models.registry import CATALOGUE, DEFAULT_MODEL

_NO_TORCH = "import sys; assert 'torch' not in sys.modules, 'torch was imported'"


def _python(code: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize(
    "command",
    [[], ["colorize"], ["data"], ["data", "download"], ["evaluate"], ["models"], ["train"], ["weights"], ["weights", "download"]],
)
def test_help_never_imports_torch(command):
    code = (
        "import sys\nfrom colorlab.cli import main\n"
        f"try:\n    main({command + ['--help']!r})\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        + _NO_TORCH
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert "usage: colorlab" in result.stdout and "exit status: 0 all done" in result.stdout


def test_model_help_lists_the_names():
    help_text = " ".join(cli.build_parser()._subparsers._group_actions[0].choices["colorize"].format_help().split())
    assert f"'default' (= {DEFAULT_MODEL})" in help_text and "'auto' (the strongest model" in help_text
    for name in ("resnet18_classifier", "resnet18_regression", "eccv16_small", "pix2pix_unet_small", "siggraph17:official"):
        assert name in help_text


def test_modes_agree_with_inference():
    from colorlab import inference

    assert cli.MODES == inference.MODES


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["colorize", "--intensity", "lots", "x.jpg", "-o", "out"])
    assert exit.value.code == 2
    assert main([]) == 2
    assert "usage: colorlab" in capsys.readouterr().err


def test_missing_input_is_reported_without_loading_a_model(tmp_path, monkeypatch, capsys):
    from colorlab import pipeline

    monkeypatch.setattr(pipeline, "get_model", lambda *args, **kwargs: pytest.fail("a model was loaded"))
    assert main(["colorize", str(tmp_path / "gone.jpg"), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"colorlab: model: {DEFAULT_MODEL} (auto)",
        f"colorlab: skipped: {tmp_path / 'gone.jpg'}: file not found",
        "colorlab: 1 of 1 input(s) failed",
    ]


def test_batch_streams_in_a_subprocess(tmp_path, bundled_dir):
    """stderr not a terminal: no bar, one line per bad file and the summary; stdout: the written files."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.jpg"):
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(inputs / name)
    (inputs / "bad.png").write_bytes(b"not an image")
    (inputs / "empty.jpg").write_bytes(b"")
    out = tmp_path / "out"
    code = (
        "import sys\nfrom colorlab.models import registry\n"
        f"registry.BUNDLED_DIR = registry.Path({str(bundled_dir)!r})\n"
        "from colorlab.cli import main\n"
        f"sys.exit(main(['colorize', {str(inputs)!r}, {str(tmp_path / 'missing.jpg')!r}, '-o', {str(out)!r}]))"
    )
    result = _python(code)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert "\r" not in result.stderr
    assert errors[0] == f"colorlab: model: {DEFAULT_MODEL} (auto)"  # once, not per file
    assert [line.split(": ")[2].rsplit("/", 1)[-1] for line in errors[1:-1]] == ["missing.jpg", "bad.png", "empty.jpg"]
    assert all(line.startswith("colorlab: skipped: ") for line in errors[1:-1])
    assert errors[-1] == "colorlab: 3 of 5 input(s) failed"
    assert sorted(result.stdout.splitlines()) == [str(out / "a_color.jpg"), str(out / "b_color.jpg")]


def test_all_good_prints_paths_and_a_summary(tmp_path, bundled_dir, capsys):
    photo = tmp_path / "p.png"
    Image.fromarray(np.full((20, 20, 3), 128, np.uint8)).save(photo)
    assert main(["colorize", str(photo), "-o", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [str(tmp_path / "o" / "p_color.jpg"), f"colorized 1 image(s) into {tmp_path / 'o'}"]
    assert captured.err == f"colorlab: model: {DEFAULT_MODEL} (auto)\n"  # the one line 'auto' owes the user
    assert main(["colorize", str(photo), "-o", str(tmp_path / "o2"), "--model", "default"]) == 0
    assert capsys.readouterr().err == ""  # a named model: nothing on stderr when all went well


def test_models_lists_every_model_and_its_weights_truthfully(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "siggraph17-df00044c.pth").write_bytes(b"x")
    assert main(["models"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:-1]}
    assert set(rows) == set(CATALOGUE)
    assert rows["siggraph17"].endswith("released, cached") and rows["eccv16"].endswith("released, downloadable")
    assert rows["resnet18_classifier"].endswith("bundled") and "(default)" in rows["resnet18_classifier"]
    assert rows["pix2pix_unet"].endswith("none")
    assert "3.7 M" in rows["resnet18_classifier"] and "64x64" in rows["resnet18_classifier"]


def test_models_runs_without_torch():
    result = _python("from colorlab.cli import main\nassert main(['models']) == 0\n" + _NO_TORCH)
    assert result.returncode == 0, result.stderr
    assert "resnet18_classifier (default)" in result.stdout


def test_only_missing_inputs_are_reported_without_importing_torch(tmp_path):
    code = (
        "import sys\nfrom colorlab.cli import main\n"
        f"status = main(['colorize', {str(tmp_path / 'gone.jpg')!r}, {str(tmp_path / 'nowhere')!r}, '-o', {str(tmp_path / 'out')!r}])\n"
        "assert status == 1, status\n" + _NO_TORCH
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[1:] == [
        f"colorlab: skipped: {tmp_path / 'gone.jpg'}: file not found",
        f"colorlab: skipped: {tmp_path / 'nowhere'}: file not found",
        "colorlab: 2 of 2 input(s) failed",
    ]
    assert not (tmp_path / "out").exists()

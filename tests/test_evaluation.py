"""Leaderboards: ``colorlab.evaluation`` and ``colorlab evaluate``."""

import csv

import numpy as np
import pytest
import skimage.color
import skimage.metrics

from colorlab.pipeline import DEFAULT_MODEL
from colorlab.cli import main
from colorlab.data import sample_images
from colorlab.evaluation import GREY, METRICS, evaluate_models, prepare_photo
from colorlab.io import ColorlabError, save_image
from fakes import ConstantAB  # tests/ is on sys.path (pytest rootdir import mode)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    for name in ("astronaut", "coffee", "chelsea"):
        save_image(folder / f"{name}.png", sample_images(size=40)[name])
    return sorted(folder.glob("*.png"))


def test_grey_baseline_and_models_scored_against_skimage(photos):
    board = evaluate_models({"cyan": ConstantAB(-40.0, -40.0), "zero": ConstantAB(0.0, 0.0)}, photos)
    assert set(board.scores) == {GREY, "cyan", "zero"}
    assert all(len(board.scores[m][k]) == 3 for m in board.scores for k in METRICS)
    for index, path in enumerate(photos):
        target = prepare_photo(path)
        lab = skimage.color.rgb2lab(target)
        lab[..., 1:] = 0
        grey = (skimage.color.lab2rgb(lab) * 255 + 0.5).astype(np.uint8) / 255.0
        expected = skimage.metrics.peak_signal_noise_ratio(target, grey, data_range=1)
        assert board.scores[GREY]["psnr"][index] == pytest.approx(expected, abs=0.05)
        assert board.scores[GREY]["colorfulness"][index] < 1.0  # grey has (almost) no colour
    means = board.means()
    # a model predicting ab = 0 is the grey baseline
    assert means["zero"]["psnr"] == pytest.approx(means[GREY]["psnr"], abs=0.05)
    # a vivid wrong colour is punished harder than grey
    assert means["cyan"]["psnr"] < means[GREY]["psnr"] - 3
    assert board.colorfulness_ratio("cyan") > board.colorfulness_ratio(GREY)


def test_csv_and_markdown(photos, tmp_path):
    board = evaluate_models({"zero": ConstantAB(0.0, 0.0)}, photos, size=32)
    csv_path, md_path = board.write(tmp_path / "out")
    rows = list(csv.DictReader(open(csv_path)))
    assert len(rows) == 2 * 3 and set(rows[0]) == {"model", "image", *METRICS}
    table = md_path.read_text()
    assert table.splitlines()[0].startswith("| model | PSNR") and "| grey |" in table and "| zero |" in table
    assert "+0.00" in table or "-0.00" in table


def test_images_in_memory_and_ranking(photos):
    in_memory = {path.stem: prepare_photo(path) for path in photos}
    board = evaluate_models({"cyan": ConstantAB(-40.0, -40.0)}, in_memory)
    from_files = evaluate_models({"cyan": ConstantAB(-40.0, -40.0)}, photos)
    assert board.images == ["astronaut", "chelsea", "coffee"]
    np.testing.assert_allclose(board.scores["cyan"]["psnr"], from_files.scores["cyan"]["psnr"], atol=1e-6)
    psnr = board.scores["cyan"]["psnr"]
    ranked = board.ranked("cyan")
    assert [psnr[board.images.index(name)] for name in ranked] == sorted(psnr, reverse=True)
    mse = board.scores["cyan"]["mse"]
    assert [mse[board.images.index(name)] for name in board.ranked("cyan", "mse")] == sorted(mse)
    gains = np.subtract(psnr, board.scores[GREY]["psnr"])
    assert [gains[board.images.index(name)] for name in board.ranked("cyan", baseline=GREY)] == sorted(gains, reverse=True)
    with pytest.raises(ColorlabError, match="no scores for model 'nope'"):
        board.ranked("nope")
    with pytest.raises(ColorlabError, match="no scores for model 'nope'"):
        board.ranked("cyan", baseline="nope")


def test_center_crop_size(photos):
    assert prepare_photo(photos[0], size=24).shape == (24, 24, 3)
    assert min(prepare_photo(photos[0]).shape[:2]) == 40  # full resolution: shorter side as saved


def test_too_small_photo_is_a_clear_error(tmp_path):
    save_image(tmp_path / "tiny.png", np.zeros((5, 5, 3)))
    with pytest.raises(ColorlabError, match="tiny.png: too small"):
        evaluate_models({"zero": ConstantAB(0, 0)}, [tmp_path / "tiny.png"])


def test_cli_evaluate(photos, tmp_path, bundled_dir, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", "--models", DEFAULT_MODEL, "--data", str(photos[0].parent), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"| {DEFAULT_MODEL} |" in printed and "| grey |" in printed and "3 photos" in printed
    assert (out / "scores.csv").exists() and (out / "leaderboard.md").exists()
    assert main(["evaluate", "--models", "nope", "--data", str(photos[0].parent), "--out", str(out), "--quiet"]) == 2

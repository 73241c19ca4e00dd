"""colorlab.colorize and ``colorlab colorize``: sizes, modes, intensity, batches with bad files, inputs untouched."""

import hashlib

import numpy as np
import pytest
import skimage.color
import torch
from PIL import Image

from colorlab import pipeline as colorize_module
from colorlab.cli import main
from colorlab.pipeline import colorize, output_paths
from colorlab.io import ColorlabError, load_image
from fakes import ConstantAB  # tests/ is on sys.path (pytest rootdir import mode)


def _photo(height=48, width=64) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((height, width, 3)).astype(np.float32)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (48, 64), (97, 31)])
def test_same_size_uint8_and_full_resolution_lightness(shape):
    photo = _photo(*shape)
    out = colorize(photo, ConstantAB(20.0, -30.0))
    assert out.shape == (*shape, 3) and out.dtype == np.uint8
    lab_out = skimage.color.rgb2lab(out / 255.0)
    lab_in = skimage.color.rgb2lab(photo)
    in_gamut = (np.abs(lab_out[..., 1] - 20.0) < 3) & (np.abs(lab_out[..., 2] + 30.0) < 3)
    # where the colour fits the gamut, L is the input's (8-bit rounding only) and ab the model's
    assert in_gamut.mean() > 0.5
    assert np.abs(lab_out[..., 0] - lab_in[..., 0])[in_gamut].max() < 1.0


def test_colour_input_is_greyed_first():
    photo = _photo()
    model = ConstantAB(0.0, 0.0)
    from_colour = colorize(photo, model)
    lab_in = skimage.color.rgb2lab(photo)
    assert np.abs(skimage.color.rgb2lab(from_colour / 255.0)[..., 0] - lab_in[..., 0]).max() < 1.0
    assert np.ptp(from_colour.astype(int), axis=-1).max() <= 1  # ab = 0: grey output


def test_intensity_scales_ab():
    photo = np.full((16, 16, 3), 0.5, dtype=np.float32)
    model = ConstantAB(10.0, 20.0)
    ab = {s: skimage.color.rgb2lab(colorize(photo, model, intensity=s) / 255.0)[..., 1:].mean(axis=(0, 1)) for s in (0, 1, 2)}
    np.testing.assert_allclose(ab[0], [0, 0], atol=1.0)  # 8-bit rounding of a grey
    np.testing.assert_allclose(ab[1], [10, 20], atol=1.0)
    np.testing.assert_allclose(ab[2], [20, 40], atol=1.5)
    strong = colorize(photo, model, intensity=50)  # far out of gamut: clipped, valid
    assert strong.dtype == np.uint8
    with pytest.raises(ColorlabError, match="intensity"):
        colorize(photo, model, intensity=-1)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16"])
def test_modes_and_sources(tmp_path, mode):
    image = Image.fromarray((_photo() * 255).astype(np.uint8)).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray((np.asarray(image).astype(np.uint16) * 257))
    path = tmp_path / "input.png"
    image.save(path)
    for source in (path, str(path), path.read_bytes(), image):
        assert colorize(source, ConstantAB(5.0, 5.0)).shape == (48, 64, 3)


def test_unreadable_and_unknown_model(tmp_path, bundled_dir):
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(ColorlabError, match="bad.jpg"):
        colorize(tmp_path / "bad.jpg", ConstantAB(0, 0))
    with pytest.raises(ColorlabError, match="no bundled weights for 'eccv16_nonexistent'|unknown model"):
        colorize(_photo(), "eccv16_nonexistent")


def test_default_model_uses_bundled_weights(bundled_dir):
    out = colorize(_photo(), "default")
    assert out.shape == (48, 64, 3)
    model = colorize_module.get_model("default")
    assert model.input_size == 64 and not model.training


def test_output_names_never_collide_or_hit_inputs(tmp_path):
    from pathlib import Path

    rels = [Path("a.jpg"), Path("a.png"), Path("sub/a.jpg"), Path("a_color.jpg")]
    protect = {(tmp_path / "a_color.jpg").resolve()}
    outs = output_paths(rels, tmp_path, "jpg", protect)
    assert len(set(outs)) == 4
    assert outs[0] != tmp_path / "a_color.jpg" and outs[2] == tmp_path / "sub" / "a_color.jpg"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_batch_with_a_bad_file_keeps_going_and_touches_no_input(tmp_path, bundled_dir, capsys):
    inputs = tmp_path / "in"
    (inputs / "nested").mkdir(parents=True)
    Image.fromarray((_photo() * 255).astype(np.uint8)).save(inputs / "one.jpg")
    Image.fromarray((_photo(20, 10) * 255).astype(np.uint8)).convert("L").save(inputs / "nested" / "two.png")
    Image.fromarray((_photo(1, 1) * 255).astype(np.uint8)).save(inputs / "one.png")  # same stem as one.jpg
    (inputs / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    before = {p: _digest(p) for p in inputs.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    code = main(["colorize", str(inputs), "-o", str(out), "--quiet", "--format", "png"])
    captured = capsys.readouterr()
    assert code == 1  # one input failed
    errors = captured.err.splitlines()
    assert len(errors) == 2 and "skipped" in errors[0] and "broken.jpg" in errors[0]
    assert errors[1] == "colorlab: 1 of 4 input(s) failed"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["nested/two_color.png", "one_color.png", "one_color_2.png"]
    assert sorted(captured.out.splitlines()) == sorted(str(out / name) for name in written)  # the results, no summary
    assert load_image(out / "nested" / "two_color.png").shape == (20, 10, 3)
    assert {p: _digest(p) for p in before} == before  # inputs untouched
    assert not list(out.rglob("*.part"))


def test_cli_into_the_input_folder_never_overwrites(tmp_path, bundled_dir):
    Image.fromarray((_photo() * 255).astype(np.uint8)).save(tmp_path / "x_color.jpg")  # looks like an output
    digest = _digest(tmp_path / "x_color.jpg")
    assert main(["colorize", str(tmp_path / "x_color.jpg"), "-o", str(tmp_path), "--quiet"]) == 0
    assert _digest(tmp_path / "x_color.jpg") == digest
    assert (tmp_path / "x_color_color.jpg").exists()


def test_cli_errors(tmp_path, bundled_dir, capsys):
    assert main(["colorize", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "o"), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "missing.jpg: file not found" in captured.err and captured.out == ""
    assert main(["colorize", str(tmp_path), "-o", str(tmp_path / "o"), "--quiet"]) == 2  # empty folder
    assert "no images found" in capsys.readouterr().err


@pytest.mark.slow
def test_24_megapixel_photo(bundled_dir):
    photo = np.full((4000, 6000, 3), 0.4, dtype=np.float32)
    out = colorize(photo, "default")
    assert out.shape == (4000, 6000, 3)


@pytest.mark.parametrize("mode", ["exact", "fast", "auto"])
def test_modes_give_the_same_photo_up_to_rounding(mode):
    photo = _photo()
    exact = colorize(photo, ConstantAB(20.0, -30.0), mode="exact")
    out = colorize(photo, ConstantAB(20.0, -30.0), mode=mode)
    assert out.shape == exact.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - exact).max() <= 1


def test_unknown_mode_is_a_colorlab_error():
    with pytest.raises(ColorlabError, match="mode"):
        colorize(_photo(), ConstantAB(0.0, 0.0), mode="turbo")

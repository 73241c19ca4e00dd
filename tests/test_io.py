"""colorlab.io: every way an image comes in and goes out, and every way that can fail.

Test images are made on the fly with Pillow in ``tmp_path``; expected values are computed from the
arrays the images were made from, not hard-coded.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, JpegImagePlugin, features

from colorlab.io import (
    LUMA_WEIGHTS,
    ColorlabError,
    load_gray,
    load_image,
    save_image,
    to_numpy,
    to_tensor,
)

RNG = np.random.default_rng(1234)
RGB8 = RNG.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)


def _smooth_rgb8(height: int = 48, width: int = 64) -> np.ndarray:
    """A smooth colour gradient (JPEG-friendly), uint8 (H, W, 3)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    rgb = np.stack([x / (width - 1), y / (height - 1), 1.0 - x / (width - 1) * 0.5], axis=2)
    return np.rint(rgb * 255).astype(np.uint8)


def _write(tmp_path: Path, name: str, image: Image.Image, **options) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


def _encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _mode(path: Path) -> str:
    with Image.open(path) as image:
        return image.mode


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_clean_error(excinfo: pytest.ExceptionInfo, name: str, *words: str) -> str:
    """The error is the project type, a ValueError, one line, naming the source and the reason."""
    error = excinfo.value
    assert type(error) is ColorlabError
    assert isinstance(error, ValueError)
    message = str(error)
    assert "\n" not in message and message.strip() == message
    assert name in message
    for word in words:
        assert word in message.lower(), message
    return message


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def test_png_path_loads_exact_rgb_float32(tmp_path):
    path = _write(tmp_path, "rgb.png", Image.fromarray(RGB8))
    for src in (path, str(path)):
        rgb = load_image(src)
        assert rgb.shape == (12, 16, 3) and rgb.dtype == np.float32
        np.testing.assert_array_equal(rgb, RGB8.astype(np.float32) / 255)


def test_bytes_file_objects_pil_and_array_sources_agree(tmp_path):
    data = _encoded(Image.fromarray(RGB8), "PNG")
    path = tmp_path / "rgb.png"
    path.write_bytes(data)
    expected = RGB8.astype(np.float32) / 255

    np.testing.assert_array_equal(load_image(data), expected)
    np.testing.assert_array_equal(load_image(bytearray(data)), expected)
    np.testing.assert_array_equal(load_image(memoryview(data)), expected)
    np.testing.assert_array_equal(load_image(io.BytesIO(data)), expected)
    with open(path, "rb") as file:
        np.testing.assert_array_equal(load_image(file), expected)
        assert not file.closed  # the caller's file object stays the caller's
    with Image.open(path) as image:
        np.testing.assert_array_equal(load_image(image), expected)
    np.testing.assert_array_equal(load_image(RGB8), expected)


def test_array_result_is_a_new_array_and_input_is_untouched():
    rgb = RGB8.astype(np.float32) / 255
    before = rgb.copy()
    out = load_image(rgb)
    out[:] = 0.0
    np.testing.assert_array_equal(rgb, before)


@pytest.mark.parametrize(
    "array, expected",
    [
        (RGB8[:, :, 0], np.repeat(RGB8[:, :, :1], 3, axis=2) / 255),
        (RGB8[:, :, :1], np.repeat(RGB8[:, :, :1], 3, axis=2) / 255),
        (RGB8, RGB8 / 255),
        (RGB8.astype(np.uint16) * 257, RGB8 / 255),  # 16-bit full scale: v * 257 / 65535 == v / 255
        (RGB8.astype(np.float64) / 255, RGB8 / 255),
        (RGB8.astype(np.float16) / 255, (RGB8.astype(np.float16) / 255).astype(np.float32)),
        (RGB8[:, :, 0] > 127, np.repeat(RGB8[:, :, :1] > 127, 3, axis=2)),
    ],
    ids=["u8-hw", "u8-hw1", "u8-hw3", "u16-hw3", "f64-hw3", "f16-hw3", "bool-hw"],
)
def test_numpy_arrays(array, expected):
    rgb = load_image(array)
    assert rgb.shape == (*array.shape[:2], 3) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb, expected, atol=1e-6)


def test_rgba_array_is_composited_on_white():
    rgba = RNG.integers(0, 256, size=(6, 5, 4), dtype=np.uint8)
    rgba[0, 0, 3] = 0  # fully transparent -> white
    alpha = rgba[:, :, 3:] / 255
    expected = rgba[:, :, :3] / 255 * alpha + (1 - alpha)
    rgb = load_image(rgba)
    np.testing.assert_allclose(rgb, expected, atol=1e-6)
    np.testing.assert_array_equal(rgb[0, 0], [1.0, 1.0, 1.0])


def test_float_array_slightly_out_of_range_is_clipped():
    rgb = np.full((2, 2, 3), 0.5, dtype=np.float32)
    rgb[0, 0] = [-1e-5, 1.0 + 1e-5, 0.5]
    out = load_image(rgb)
    assert out.min() == 0.0 and out.max() == 1.0


# ---------------------------------------------------------------------------------------------
# Pillow modes and formats
# ---------------------------------------------------------------------------------------------


def test_mode_1_bilevel(tmp_path):
    bits = RGB8[:, :, 0] > 127
    path = _write(tmp_path, "bits.png", Image.fromarray(bits))
    assert _mode(path) == "1"
    np.testing.assert_array_equal(load_image(path), np.repeat(bits[:, :, None], 3, axis=2).astype(np.float32))


def test_mode_L_grey(tmp_path):
    grey = RGB8[:, :, 1]
    path = _write(tmp_path, "grey.png", Image.fromarray(grey))
    assert _mode(path) == "L"
    rgb = load_image(path)
    np.testing.assert_array_equal(rgb, np.repeat(grey[:, :, None], 3, axis=2).astype(np.float32) / 255)
    np.testing.assert_array_equal(load_gray(path), grey.astype(np.float32) / 255)


def test_mode_LA_composited_on_white(tmp_path):
    grey, alpha = RGB8[:, :, 0], RGB8[:, :, 1]
    image = Image.merge("LA", [Image.fromarray(grey), Image.fromarray(alpha)])
    path = _write(tmp_path, "la.png", image)
    assert _mode(path) == "LA"
    a = alpha / 255
    expected = grey / 255 * a + (1 - a)
    np.testing.assert_allclose(load_gray(path), expected, atol=1e-6)
    np.testing.assert_allclose(load_image(path), np.repeat(expected[:, :, None], 3, axis=2), atol=1e-6)


def test_mode_RGBA_composited_on_white(tmp_path):
    rgba = RNG.integers(0, 256, size=(8, 9, 4), dtype=np.uint8)
    rgba[1, 2, 3] = 0
    path = _write(tmp_path, "rgba.png", Image.fromarray(rgba))
    assert _mode(path) == "RGBA"
    alpha = rgba[:, :, 3:] / 255
    np.testing.assert_allclose(load_image(path), rgba[:, :, :3] / 255 * alpha + (1 - alpha), atol=1e-6)
    np.testing.assert_array_equal(load_image(path)[1, 2], [1.0, 1.0, 1.0])


def _palette_image(transparent_index: int | None) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    palette = RNG.integers(0, 256, size=(4, 3), dtype=np.uint8)
    indices = RNG.integers(0, 4, size=(7, 10), dtype=np.uint8)
    indices[0, 0] = 0
    image = Image.new("P", (10, 7))
    image.putdata(indices.ravel().tolist())
    image.putpalette(palette.ravel().tolist())
    if transparent_index is not None:
        image.info["transparency"] = transparent_index
    return image, palette, indices


@pytest.mark.parametrize("image_format", ["PNG", "GIF"])
def test_mode_P_without_transparency(tmp_path, image_format):
    image, palette, indices = _palette_image(None)
    path = _write(tmp_path, f"p.{image_format.lower()}", image)
    assert _mode(path) == "P"
    np.testing.assert_array_equal(load_image(path), palette[indices].astype(np.float32) / 255)


@pytest.mark.parametrize("image_format", ["PNG", "GIF"])
def test_mode_P_with_transparency_is_white_there(tmp_path, image_format):
    image, palette, indices = _palette_image(0)
    path = _write(tmp_path, f"pt.{image_format.lower()}", image, transparency=0)
    with Image.open(path) as check:
        assert check.mode == "P" and check.info.get("transparency") == 0
    expected = palette[indices].astype(np.float32) / 255
    expected[indices == 0] = 1.0
    np.testing.assert_array_equal(load_image(path), expected)


def test_cmyk_jpeg(tmp_path):
    # pure cyan ink + pure yellow ink = green; no ink = white
    cmyk = np.zeros((16, 16, 4), dtype=np.uint8)
    cmyk[:, :8, 0] = 255
    cmyk[:, :8, 2] = 255
    path = _write(tmp_path, "cmyk.jpg", Image.fromarray(cmyk, mode="CMYK"), quality=100)
    assert _mode(path) == "CMYK"
    rgb = load_image(path)
    assert rgb.shape == (16, 16, 3)
    np.testing.assert_allclose(rgb[:, :6], np.broadcast_to([0.0, 1.0, 0.0], (16, 6, 3)), atol=0.03)
    np.testing.assert_allclose(rgb[:, 10:], 1.0, atol=0.03)


def test_16bit_png_uses_the_full_16bit_scale(tmp_path):
    values = np.array([[0, 32768, 65535], [257, 1000, 60000]], dtype=np.uint16)
    path = _write(tmp_path, "grey16.png", Image.fromarray(values))
    assert _mode(path).startswith("I;16")
    gray = load_gray(path)
    assert gray.dtype == np.float32
    assert gray[0, 0] == 0.0 and gray[0, 2] == 1.0
    assert gray[0, 1] == pytest.approx(0.5, abs=1e-4)
    np.testing.assert_allclose(gray, values / 65535, atol=1e-7)
    np.testing.assert_allclose(load_image(path)[:, :, 2], values / 65535, atol=1e-7)


def test_mode_I_read_on_16bit_scale_and_clipped(tmp_path):
    values = np.array([[0, 32768, 65535, 70000]], dtype=np.int32)
    path = _write(tmp_path, "int32.tif", Image.fromarray(values))
    assert _mode(path) == "I"
    np.testing.assert_allclose(load_gray(path), np.clip(values / 65535, 0, 1), atol=1e-7)


def test_mode_F_clipped_to_unit_range(tmp_path):
    values = np.array([[0.0, 0.25, 1.0, 1.5, -0.5]], dtype=np.float32)
    path = _write(tmp_path, "float.tif", Image.fromarray(values))
    assert _mode(path) == "F"
    np.testing.assert_array_equal(load_gray(path), np.clip(values, 0, 1))


def test_other_pillow_modes_via_pillow_rgb_conversion():
    ycbcr = Image.fromarray(RGB8).convert("YCbCr")
    np.testing.assert_array_equal(load_image(ycbcr), np.asarray(ycbcr.convert("RGB")) / np.float32(255))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_exif_orientation_6_is_applied(tmp_path, image_format):
    # 40 wide x 20 tall, white square top-left; orientation 6 = rotate 90 degrees clockwise to view
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:10, :10] = 255
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    path = _write(tmp_path, f"rotated.{image_format.lower()}", image, exif=exif, **({"quality": 100} if image_format == "JPEG" else {}))
    with Image.open(path) as check:
        assert check.size == (40, 20) and check.getexif().get(0x0112) == 6

    rgb = load_image(path)
    assert rgb.shape == (40, 20, 3)  # now 20 wide x 40 tall
    expected = np.rot90(pixels, k=-1) / 255  # clockwise: top-left goes to top-right
    assert expected[:10, 10:].min() == 1.0
    np.testing.assert_allclose(rgb, expected, atol=0.05)
    assert load_gray(path).shape == (40, 20)


def _animation_formats() -> list:
    params = ["GIF", "PNG"]
    params.append(pytest.param("WEBP", marks=pytest.mark.skipif(not features.check("webp"), reason="no WebP")))
    return params


@pytest.mark.parametrize("image_format", _animation_formats())
def test_animation_first_frame(tmp_path, image_format):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (8, 6), colour) for colour in colours]
    options = {"lossless": True} if image_format == "WEBP" else {}
    path = tmp_path / f"animated.{image_format.lower()}"
    frames[0].save(path, format=image_format, save_all=True, append_images=frames[1:], duration=100, loop=0, **options)
    with Image.open(path) as check:
        assert check.n_frames == 3
    rgb = load_image(path)
    assert rgb.shape == (6, 8, 3)
    np.testing.assert_allclose(rgb, np.broadcast_to(np.array(colours[0]) / 255, (6, 8, 3)), atol=1e-6)


def test_load_gray_of_colour_is_bt601_luma_like_pillow():
    gray = load_gray(RGB8)
    assert gray.shape == (12, 16) and gray.dtype == np.float32
    expected = RGB8.astype(np.float64) @ np.array(LUMA_WEIGHTS) / 255
    np.testing.assert_allclose(gray, expected, atol=1e-6)
    pillow_l = np.asarray(Image.fromarray(RGB8).convert("L")) / 255
    np.testing.assert_allclose(gray, pillow_l, atol=0.5 / 255 + 1e-6)  # Pillow rounds to 8 bits


# ---------------------------------------------------------------------------------------------
# Errors: one type, one line, naming the source
# ---------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    _assert_clean_error(excinfo, str(path), "not found")


def test_directory(tmp_path):
    with pytest.raises(ColorlabError) as excinfo:
        load_image(tmp_path)
    _assert_clean_error(excinfo, str(tmp_path), "directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    _assert_clean_error(excinfo, str(path), "empty")


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels\n" * 20)
    with pytest.raises(ColorlabError) as excinfo:
        load_gray(path)
    _assert_clean_error(excinfo, str(path), "not an image")


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_truncated_file(tmp_path, image_format):
    data = _encoded(Image.fromarray(_smooth_rgb8()), image_format)
    path = tmp_path / f"cut.{image_format.lower()}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    _assert_clean_error(excinfo, str(path), "truncated")


def test_corrupt_bytes_in_the_middle(tmp_path):
    data = bytearray(_encoded(Image.fromarray(RGB8), "PNG"))
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(16)
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    _assert_clean_error(excinfo, str(path), "corrupt")


@pytest.mark.parametrize("limit", [100, 150], ids=["bomb-error", "bomb-warning"])
def test_too_large_keeps_pillow_decompression_bomb_guard(tmp_path, monkeypatch, limit):
    # 12 x 16 = 192 pixels: over 2 * 100 Pillow raises, between 150 and 300 it only warns
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    path = _write(tmp_path, "big.png", Image.fromarray(RGB8))
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    _assert_clean_error(excinfo, str(path), "too large")
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path.read_bytes())
    _assert_clean_error(excinfo, "<bytes>", "too large")


def test_bomb_guard_does_not_change_global_warning_filters(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 150)
    path = _write(tmp_path, "big.png", Image.fromarray(RGB8))
    with pytest.raises(ColorlabError):
        load_image(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Image.open(path).close()  # outside load_image the warning is only a warning
    assert any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught)


@pytest.mark.parametrize(
    "src, name, reason",
    [
        (b"", "<bytes>", "empty"),
        (b"GIF89a but then nothing useful" * 3, "<bytes>", "image"),
        (io.BytesIO(b"plain text, no pixels"), "<file object>", "not an image"),
        (io.StringIO("text mode"), "<file object>", "text mode"),
        (12345, "<int>", "cannot load"),
        ([[0.5, 0.5]], "<list>", "cannot load"),
    ],
    ids=["empty-bytes", "bad-bytes", "bad-file-object", "text-file-object", "int", "list"],
)
def test_bad_in_memory_sources(src, name, reason):
    with pytest.raises(ColorlabError) as excinfo:
        load_image(src)
    _assert_clean_error(excinfo, name, reason)


def test_file_object_error_names_the_file(tmp_path):
    path = tmp_path / "text.jpg"
    path.write_text("hello")
    with open(path, "rb") as file, pytest.raises(ColorlabError) as excinfo:
        load_image(file)
    _assert_clean_error(excinfo, str(path), "not an image")


@pytest.mark.parametrize(
    "array, reason",
    [
        (np.zeros((4, 4, 2), np.uint8), "shape"),
        (np.zeros((4,), np.uint8), "shape"),
        (np.zeros((1, 4, 4, 3), np.uint8), "shape"),
        (np.zeros((0, 4, 3), np.uint8), "empty"),
        (np.zeros((4, 4, 3), np.int64), "dtype"),
        (np.zeros((4, 4, 3), np.complex64), "dtype"),
        (np.full((4, 4, 3), 200.0), "[0, 1]"),
        (np.full((4, 4, 3), np.nan, np.float32), "nan"),
    ],
    ids=["2-channels", "1-d", "4-d", "empty", "int64", "complex", "float-0-255", "nan"],
)
def test_bad_arrays(array, reason):
    with pytest.raises(ColorlabError) as excinfo:
        load_image(array)
    _assert_clean_error(excinfo, "<array>", reason.lower())


def test_errors_have_no_chained_traceback(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(_encoded(Image.fromarray(_smooth_rgb8()), "JPEG")[:300])
    with pytest.raises(ColorlabError) as excinfo:
        load_image(path)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to count open files")
def test_files_are_closed_after_success_and_failure(tmp_path):
    good = _write(tmp_path, "good.png", Image.fromarray(RGB8))
    animated = tmp_path / "animated.gif"
    frames = [Image.new("RGB", (4, 4), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    frames[0].save(animated, save_all=True, append_images=frames[1:])
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(_encoded(Image.fromarray(_smooth_rgb8()), "JPEG")[:500])
    text = tmp_path / "text.png"
    text.write_text("no")

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_fds()
    for _ in range(3):
        load_image(good)
        load_gray(animated)
        for bad in (cut, text):
            with pytest.raises(ColorlabError):
                load_image(bad)
    assert open_fds() == before


def test_loading_never_modifies_the_input_file(tmp_path):
    image = Image.fromarray(_smooth_rgb8())
    exif = image.getexif()
    exif[0x0112] = 6
    path = _write(tmp_path, "photo.jpg", image, exif=exif)
    digest, mtime = _sha256(path), path.stat().st_mtime_ns
    load_image(path)
    load_gray(str(path))
    with open(path, "rb") as file:
        load_image(file)
    assert _sha256(path) == digest and path.stat().st_mtime_ns == mtime


# ---------------------------------------------------------------------------------------------
# save_image
# ---------------------------------------------------------------------------------------------


def test_png_round_trip_is_exact_for_uint8_and_float(tmp_path):
    out = save_image(tmp_path / "a.png", RGB8)
    assert out == tmp_path / "a.png"
    np.testing.assert_array_equal(load_image(out), RGB8 / np.float32(255))
    save_image(tmp_path / "b.png", RGB8.astype(np.float32) / 255)
    np.testing.assert_array_equal(_pixels(tmp_path / "b.png"), RGB8)


def test_float_is_rounded_not_truncated(tmp_path):
    levels = np.arange(0, 255, dtype=np.float64)
    rgb = np.stack([(levels + 0.4) / 255, (levels + 0.6) / 255, levels / 255], axis=1)[None].astype(np.float32)
    save_image(tmp_path / "round.png", rgb)
    saved = _pixels(tmp_path / "round.png").astype(np.int64)
    np.testing.assert_array_equal(saved[0, :, 0], levels)
    np.testing.assert_array_equal(saved[0, :, 1], levels + 1)
    np.testing.assert_array_equal(saved[0, :, 2], levels)


def test_grey_round_trip(tmp_path):
    grey = RGB8[:, :, 2]
    path = save_image(tmp_path / "grey.png", grey.astype(np.float32) / 255)
    assert _mode(path) == "L"
    np.testing.assert_array_equal(load_gray(path), grey / np.float32(255))


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_jpeg_round_trip_is_close(tmp_path, suffix):
    rgb8 = _smooth_rgb8()
    path = save_image(tmp_path / f"photo{suffix}", rgb8.astype(np.float32) / 255)
    with Image.open(path) as check:
        assert check.format == "JPEG"
        assert JpegImagePlugin.get_sampling(check) == 0  # 4:4:4, colour at full resolution
    error = np.abs(load_image(path) - rgb8 / 255)
    assert error.mean() < 0.01 and error.max() < 0.06


def test_jpeg_quality_is_used(tmp_path):
    noisy = RNG.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    low = save_image(tmp_path / "low.jpg", noisy, quality=20)
    high = save_image(tmp_path / "high.jpg", noisy, quality=95)
    assert low.stat().st_size < high.stat().st_size


def test_save_creates_parent_directories(tmp_path):
    path = save_image(tmp_path / "a" / "b" / "out.png", RGB8)
    assert path.is_file()


@pytest.mark.parametrize("name", ["out.bmp", "out.tiff", "out", "out.png.txt"])
def test_save_rejects_unknown_extensions(tmp_path, name):
    with pytest.raises(ColorlabError) as excinfo:
        save_image(tmp_path / name, RGB8)
    _assert_clean_error(excinfo, name, ".png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "rgb, reason",
    [
        (np.zeros((4, 4, 4), np.uint8), "shape"),
        (np.zeros((4, 4, 3), np.int32), "dtype"),
        (np.full((4, 4, 3), 255.0), "[0, 1]"),
        (torch.zeros(3, 4, 4), "numpy"),
    ],
    ids=["rgba", "int32", "float-0-255", "tensor"],
)
def test_save_rejects_bad_arrays(tmp_path, rgb, reason):
    with pytest.raises(ColorlabError) as excinfo:
        save_image(tmp_path / "out.png", rgb)
    _assert_clean_error(excinfo, "out.png", reason)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("quality", [0, 101, 9.5, True])
def test_save_rejects_bad_quality(tmp_path, quality):
    with pytest.raises(ColorlabError) as excinfo:
        save_image(tmp_path / "out.jpg", RGB8, quality=quality)
    _assert_clean_error(excinfo, "out.jpg", "quality")


def test_save_onto_a_directory_fails(tmp_path):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ColorlabError) as excinfo:
        save_image(tmp_path / "dir.png", RGB8)
    _assert_clean_error(excinfo, "dir.png", "directory")


def test_overwrite_false_keeps_existing_file(tmp_path):
    path = save_image(tmp_path / "out.png", RGB8)
    digest = _sha256(path)
    with pytest.raises(ColorlabError) as excinfo:
        save_image(path, RGB8[::-1], overwrite=False)
    _assert_clean_error(excinfo, str(path), "exists")
    assert _sha256(path) == digest
    save_image(path, RGB8[::-1])  # the default replaces it
    assert _sha256(path) != digest


def test_refuses_to_overwrite_its_source(tmp_path, monkeypatch):
    source = save_image(tmp_path / "photo.png", RGB8)
    digest = _sha256(source)
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link.png"
    link.symlink_to(source)
    for target, given_source in [(source, source), ("photo.png", str(source)), (source, "./photo.png"), (link, source)]:
        with pytest.raises(ColorlabError) as excinfo:
            save_image(target, RGB8[::-1], source=given_source)
        _assert_clean_error(excinfo, os.fspath(target), "source")
        assert _sha256(source) == digest
    save_image(tmp_path / "other.png", RGB8[::-1], source=source)  # another path is fine
    save_image(source, RGB8[::-1], source=source, overwrite_source=True)  # when asked explicitly
    assert _sha256(source) != digest


def _failing_save(exception: BaseException):
    def save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half an image")
        raise exception

    return save


@pytest.mark.parametrize("exception", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_save_is_atomic(tmp_path, monkeypatch, exception):
    existing = save_image(tmp_path / "existing.png", RGB8)
    digest = _sha256(existing)
    monkeypatch.setattr(Image.Image, "save", _failing_save(exception))
    expected = ColorlabError if isinstance(exception, OSError) else KeyboardInterrupt

    with pytest.raises(expected) as excinfo:
        save_image(existing, RGB8[::-1])
    if expected is ColorlabError:
        _assert_clean_error(excinfo, str(existing), "no space left")
    with pytest.raises(expected):
        save_image(tmp_path / "new.jpg", RGB8)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.png"]  # no temp file, no new.jpg
    assert _sha256(existing) == digest


# ---------------------------------------------------------------------------------------------
# numpy <-> torch
# ---------------------------------------------------------------------------------------------


def test_to_tensor_is_channel_first_float32_copy():
    rgb = RGB8.astype(np.float32) / 255
    tensor = to_tensor(rgb)
    assert tensor.shape == (3, 12, 16) and tensor.dtype == torch.float32
    np.testing.assert_array_equal(tensor.numpy(), rgb.transpose(2, 0, 1))
    tensor.zero_()
    assert rgb.max() > 0  # no shared memory
    np.testing.assert_array_equal(to_tensor(RGB8).numpy(), rgb.transpose(2, 0, 1))
    assert to_tensor(rgb[:, :, 0]).shape == (1, 12, 16)


def test_to_numpy_round_trip_on_device(device):
    rgb = RGB8.astype(np.float32) / 255
    tensor = to_tensor(rgb).to(device)
    np.testing.assert_array_equal(to_numpy(tensor), rgb)
    np.testing.assert_array_equal(to_numpy(tensor[None]), rgb)
    grad = tensor.clone().double().requires_grad_(True)
    out = to_numpy(grad)
    assert out.dtype == np.float32 and out.shape == (12, 16, 3)
    assert to_numpy(tensor[:1]).shape == (12, 16)


def test_to_numpy_returns_a_copy():
    tensor = to_tensor(RGB8)
    array = to_numpy(tensor)
    array[:] = 0
    assert tensor.max() > 0


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (4, 4, 3), (4, 4), (2, 4, 4)])
def test_to_numpy_rejects_bad_shapes(shape):
    with pytest.raises(ColorlabError, match="tensor"):
        to_numpy(torch.zeros(shape))


def test_to_numpy_and_to_tensor_reject_wrong_types():
    with pytest.raises(TypeError):
        to_numpy(RGB8)
    with pytest.raises(TypeError):
        to_tensor(torch.zeros(3, 4, 4))
    with pytest.raises(ColorlabError):
        to_tensor(np.zeros((4, 4, 3), np.int64))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saved_file_has_normal_permissions(tmp_path):
    path = save_image(tmp_path / "perm.png", RGB8)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask

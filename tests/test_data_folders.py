"""Tests for colorlab.data.folders: ImageFolderLab (files, filters, cache, transforms) and KaggleLabNpy."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import skimage.color
import torch
from PIL import Image
from torch.utils.data import DataLoader

import colorlab.data.folders as folders
from colorlab.color import denormalize_lab, l_ab_to_rgb, normalize_lab, rgb_to_l_ab
from colorlab.data.folders import ImageFolderLab, KaggleLabNpy, find_images, image_stats, make_transform
from colorlab.io import ColorlabError

torch.set_num_threads(1)


def _colourful(height: int, width: int, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 of saturated random colour blocks (8 x 8 pixels)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(blocks.repeat(8, axis=0).repeat(8, axis=1)[:height, :width])


def _grey(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.repeat(_colourful(height, width, seed)[:, :, :1], 3, axis=2)


def _save(path: Path, rgb: np.ndarray, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, **options)
    return path


@pytest.fixture
def count_decodes(monkeypatch):
    """Count calls of the JPEG/PNG decoding function behind every ImageFolderLab."""
    calls = []
    original = folders._decode

    def counting(path, short_side):
        calls.append(Path(path).name)
        return original(path, short_side)

    monkeypatch.setattr(folders, "_decode", counting)
    return calls


# --- finding files -------------------------------------------------------------------------------


def test_finds_images_recursively_by_extension_case_insensitively(tmp_path):
    image = _colourful(40, 40)
    expected = ["a.jpg", "b.PNG", "c.bmp", "d.webp", "e.tif", "sub/f.JPEG", "sub/deeper/g.Jpg"]
    for name in expected:
        _save(tmp_path / name, image)
    (tmp_path / "notes.txt").write_text("not an image")
    _save(tmp_path / ".hidden.jpg", image)
    _save(tmp_path / ".cache" / "h.jpg", image)
    _save(tmp_path / "sub" / "i.gif", image)  # not in IMAGE_EXTENSIONS
    found = [path.relative_to(tmp_path).as_posix() for path in find_images(tmp_path)]
    assert found == sorted(expected)
    dataset = ImageFolderLab(tmp_path, size=32, progress=False)
    assert [path.relative_to(tmp_path).as_posix() for path in dataset.paths] == sorted(expected)
    assert len(dataset) == len(expected)
    for index in range(len(dataset)):
        l_norm, ab_norm = dataset[index]
        assert l_norm.shape == (1, 32, 32) and ab_norm.shape == (2, 32, 32)
        assert l_norm.dtype == ab_norm.dtype == torch.float32
    only_png = ImageFolderLab(tmp_path, size=32, extensions=(".png",), progress=False)
    assert [path.name for path in only_png.paths] == ["b.PNG"]


def test_missing_or_empty_folders_raise_colorlab_error(tmp_path):
    with pytest.raises(ColorlabError, match="not found"):
        ImageFolderLab(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ColorlabError, match="no usable images"):
        ImageFolderLab(tmp_path / "empty")
    with pytest.raises(ColorlabError):
        ImageFolderLab(tmp_path, check="full")
    with pytest.raises(ColorlabError):
        ImageFolderLab(tmp_path, scheme="lab")
    with pytest.raises(ColorlabError):
        ImageFolderLab(tmp_path, size=0)


# --- unreadable files ----------------------------------------------------------------------------


def _folder_with_broken_files(root: Path) -> None:
    for index in range(3):
        _save(root / f"good{index}.png", _colourful(40, 48, index))
    (root / "garbage.jpg").write_bytes(np.random.default_rng(0).integers(0, 256, 500, dtype=np.uint8).tobytes())
    (root / "empty.png").write_bytes(b"")
    (root / "sub").mkdir()
    (root / "sub" / "text.png").write_text("hello, I am not a PNG")


def test_unreadable_files_are_skipped_with_one_warning_line(tmp_path):
    _folder_with_broken_files(tmp_path)
    with pytest.warns(UserWarning) as record:
        dataset = ImageFolderLab(tmp_path, size=32, progress=False)
    messages = [str(item.message) for item in record]
    assert len(messages) == 1 and "\n" not in messages[0]
    for name in ("garbage.jpg", "empty.png", "sub/text.png"):
        assert name in messages[0]
    assert "good" not in messages[0]
    assert [path.name for path in dataset.paths] == ["good0.png", "good1.png", "good2.png"]
    assert dataset.dropped_counts["unreadable"] == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for index in range(len(dataset)):
            dataset[index]


def _folder_with_truncated_jpeg(root: Path) -> None:
    """0.jpg, 1.jpg, 2.jpg, where 1.jpg lost its last 30 % (headers intact, pixel data cut)."""
    for index in range(3):
        _save(root / f"{index}.jpg", _colourful(160, 160, index))
    data = (root / "1.jpg").read_bytes()
    (root / "1.jpg").write_bytes(data[: int(len(data) * 0.7)])


def test_truncated_file_passing_the_header_check_is_skipped_at_first_access(tmp_path):
    _folder_with_truncated_jpeg(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cheap check does not notice it
        dataset = ImageFolderLab(tmp_path, size=32, progress=False)
    assert len(dataset) == 3
    with pytest.warns(UserWarning, match="1.jpg") as record:
        l_norm, ab_norm = dataset[1]
    assert len(record) == 1
    # the next readable image takes its place
    assert torch.equal(l_norm, dataset[2][0]) and torch.equal(ab_norm, dataset[2][1])
    assert dataset.dropped["unreadable"] == [tmp_path / "1.jpg"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported once
        dataset[1]


def test_decode_check_finds_truncated_files_at_construction(tmp_path, count_decodes):
    _folder_with_truncated_jpeg(tmp_path)
    with pytest.warns(UserWarning, match="1.jpg"):
        dataset = ImageFolderLab(tmp_path, size=32, check="decode", progress=False)
    assert [path.name for path in dataset.paths] == ["0.jpg", "2.jpg"]
    assert len(count_decodes) == 3
    for index in range(len(dataset)):
        dataset[index]
    assert len(count_decodes) == 3  # the cache was filled while checking


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def mixed_folder(tmp_path):
    colourful = _colourful(48, 48, 1)
    _save(tmp_path / "colourful.png", colourful)
    _save(tmp_path / "grey.png", _grey(48, 48, 2))
    _save(tmp_path / "dark.png", (colourful // 6).astype(np.uint8))
    _save(tmp_path / "bright.png", (215 + colourful // 6).astype(np.uint8))
    tinted = _grey(48, 48, 3).astype(np.int16) // 2 + 64
    tinted += np.array([12, 0, -8], dtype=np.int16)  # a faint warm tint: not grey, but hardly colourful
    _save(tmp_path / "dull.png", tinted.astype(np.uint8))
    return tmp_path


def test_image_stats_measure_what_the_filters_compare(mixed_folder):
    def stats(name):
        rgb = torch.from_numpy(np.asarray(Image.open(mixed_folder / name), dtype=np.float32) / 255).permute(2, 0, 1)
        return image_stats(rgb)

    assert stats("grey.png")["max_chroma"] < 0.01
    assert stats("colourful.png")["max_chroma"] > 50
    assert stats("dark.png")["mean_l"] < 15 < stats("colourful.png")["mean_l"] < 85 < stats("bright.png")["mean_l"]
    assert stats("dull.png")["max_chroma"] > 5
    assert stats("dull.png")["colorfulness"] < 10 < stats("colourful.png")["colorfulness"]


@pytest.mark.parametrize(
    "thresholds, reason, dropped",
    [
        ({"grey_max_chroma": 5.0}, "grey", {"grey.png"}),
        ({"min_mean_l": 15.0}, "dark", {"dark.png"}),
        ({"max_mean_l": 85.0}, "bright", {"bright.png"}),
        ({"min_colorfulness": 10.0}, "dull", {"dull.png", "grey.png"}),
    ],
)
def test_each_filter_drops_the_right_images(mixed_folder, thresholds, reason, dropped):
    dataset = ImageFolderLab(mixed_folder, size=32, progress=False, **thresholds)
    assert {path.name for path in dataset.dropped[reason]} == dropped
    assert dataset.dropped_counts[reason] == len(dropped) == sum(dataset.dropped_counts.values())
    assert {path.name for path in dataset.paths} == {path.name for path in mixed_folder.iterdir()} - dropped


def test_filters_together_report_counts_by_reason(mixed_folder):
    dataset = ImageFolderLab(
        mixed_folder, size=32, grey_max_chroma=5, min_mean_l=15, max_mean_l=85, min_colorfulness=10, progress=False
    )
    assert [path.name for path in dataset.paths] == ["colourful.png"]
    assert dataset.dropped_counts == {"unreadable": 0, "grey": 1, "dark": 1, "bright": 1, "dull": 1}


def test_no_image_left_after_filtering_is_an_error(mixed_folder):
    with pytest.raises(ColorlabError, match="grey"):
        ImageFolderLab(mixed_folder, size=32, min_mean_l=99.0, grey_max_chroma=5.0, progress=False)


# --- cache -----------------------------------------------------------------------------------------


@pytest.fixture
def photo_folder(tmp_path):
    root = tmp_path / "photos"
    for index in range(4):
        _save(root / f"{index}.jpg", _colourful(72, 96, index), quality=90)
    return root


def test_second_epoch_reads_the_memory_cache(photo_folder, count_decodes):
    dataset = ImageFolderLab(photo_folder, size=48, progress=False)
    first = [dataset[index] for index in range(len(dataset))]
    assert sorted(count_decodes) == ["0.jpg", "1.jpg", "2.jpg", "3.jpg"]
    second = [dataset[index] for index in range(len(dataset))]
    assert len(count_decodes) == 4
    for (l1, ab1), (l2, ab2) in zip(first, second):
        assert torch.equal(l1, l2) and torch.equal(ab1, ab2)


def test_without_cache_every_access_decodes(photo_folder, count_decodes):
    dataset = ImageFolderLab(photo_folder, size=48, cache=False, progress=False)
    dataset[0], dataset[0]
    assert count_decodes == ["0.jpg", "0.jpg"]


def test_disk_cache_is_shared_between_instances(photo_folder, tmp_path, count_decodes):
    cache_dir = tmp_path / "cache"
    first = ImageFolderLab(photo_folder, size=48, cache_dir=cache_dir, cache=False, progress=False)
    expected = [first[index] for index in range(len(first))]
    assert len(count_decodes) == 4 and len(list(cache_dir.glob("*.npy"))) == 4
    second = ImageFolderLab(photo_folder, size=48, cache_dir=cache_dir, progress=False)
    for index in range(len(second)):
        assert all(torch.equal(a, b) for a, b in zip(second[index], expected[index]))
    assert len(count_decodes) == 4
    # a changed file gets a new cache entry, never the stale one
    _save(photo_folder / "0.jpg", _grey(72, 96), quality=90)
    third = ImageFolderLab(photo_folder, size=48, cache_dir=cache_dir, progress=False)
    assert third[0][1].abs().max() < 0.05 < expected[0][1].abs().max()
    assert len(count_decodes) == 5


def test_cache_keeps_images_shrunk_to_cache_size(tmp_path):
    _save(tmp_path / "photos" / "big.png", _colourful(300, 400))
    _save(tmp_path / "photos" / "small.png", _colourful(40, 50))
    dataset = ImageFolderLab(tmp_path / "photos", size=64, cache_size=100, cache_dir=tmp_path / "cache", progress=False)
    dataset[0], dataset[1]
    shapes = sorted(np.load(path).shape for path in (tmp_path / "cache").glob("*.npy"))
    assert shapes == [(3, 40, 50), (3, 100, 133)]  # shrunk, never enlarged
    assert ImageFolderLab(tmp_path / "photos", size=128, progress=False).cache_size == round(1.15 * 128)


# --- transforms and normalization -------------------------------------------------------------------


@pytest.mark.parametrize("train", [False, True])
def test_outputs_have_the_requested_size_for_any_input_shape(tmp_path, train):
    for index, shape in enumerate([(40, 90), (120, 50), (64, 64), (20, 30)]):
        _save(tmp_path / f"{index}.png", _colourful(*shape, seed=index))
    dataset = ImageFolderLab(tmp_path, size=56, train=train, progress=False)
    l_norm, ab_norm = next(iter(DataLoader(dataset, batch_size=4)))
    assert l_norm.shape == (4, 1, 56, 56) and ab_norm.shape == (4, 2, 56, 56)
    assert dataset.rgb(0).shape == (3, 56, 56)


def test_eval_transform_is_deterministic_and_train_transform_random(photo_folder):
    evaluation = ImageFolderLab(photo_folder, size=48, progress=False)
    assert torch.equal(evaluation[2][1], evaluation[2][1])
    training = ImageFolderLab(photo_folder, size=48, train=True, progress=False)
    torch.manual_seed(0)
    draws = [training[2][1] for _ in range(4)]
    assert not all(torch.equal(draws[0], draw) for draw in draws[1:])
    torch.manual_seed(0)
    assert torch.equal(training[2][1], draws[0])


def test_train_transform_with_full_crop_is_the_image_or_its_mirror(tmp_path):
    _save(tmp_path / "a.png", _colourful(48, 48, 3))
    dataset = ImageFolderLab(tmp_path, size=48, train=True, crop_scale=(1.0, 1.0), progress=False)
    image = ImageFolderLab(tmp_path, size=48, progress=False).rgb(0)
    torch.manual_seed(1)
    outcomes = set()
    for _ in range(12):
        rgb = dataset.rgb(0)
        if torch.allclose(rgb, image, atol=1e-6):
            outcomes.add("same")
        elif torch.allclose(rgb, image.flip(-1), atol=1e-6):
            outcomes.add("mirror")
        else:
            outcomes.add("other")
    assert outcomes == {"same", "mirror"}


def test_make_transform_shapes():
    image = torch.rand(3, 30, 70)
    assert make_transform(24, train=False)(image).shape == (3, 24, 24)
    assert make_transform(24, train=True)(image).shape == (3, 24, 24)
    # resize + centre crop of an image already at the size is the image itself
    square = torch.rand(3, 24, 24)
    torch.testing.assert_close(make_transform(24, train=False)(square), square)


@pytest.mark.parametrize("scheme", ["zhang", "pix2pix"])
def test_normalization_scheme_round_trips_to_the_file_pixels(tmp_path, scheme):
    pixels = _colourful(40, 40, 7)
    _save(tmp_path / "a.png", pixels)
    l_norm, ab_norm = ImageFolderLab(tmp_path, size=40, scheme=scheme, progress=False)[0]
    expected_rgb = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255
    expected = normalize_lab(*rgb_to_l_ab(expected_rgb), scheme)
    torch.testing.assert_close(l_norm, expected[0], atol=1e-4, rtol=0)
    torch.testing.assert_close(ab_norm, expected[1], atol=1e-4, rtol=0)
    low, high = (-0.5, 0.5) if scheme == "zhang" else (-1.0, 1.0)
    assert low <= l_norm.min() < high and low < l_norm.max() <= high
    rgb = l_ab_to_rgb(*denormalize_lab(l_norm, ab_norm, scheme))
    torch.testing.assert_close(rgb, expected_rgb, atol=1e-3, rtol=0)


def test_greyscale_files_give_zero_ab(tmp_path):
    Image.fromarray(_grey(40, 40)[:, :, 0]).save(tmp_path / "g.png")  # mode "L"
    l_norm, ab_norm = ImageFolderLab(tmp_path, size=32, progress=False)[0]
    assert ab_norm.abs().max() < 1e-3 and l_norm.std() > 0.05


# --- KaggleLabNpy ------------------------------------------------------------------------------------


def _opencv_lab_u8(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode (H, W, 3) float RGB like OpenCV's 8-bit Lab: L * 255 / 100, a + 128, b + 128 (rounded)."""
    lab = skimage.color.rgb2lab(rgb)
    l_u8 = np.clip(np.rint(lab[..., 0] * 255 / 100), 0, 255).astype(np.uint8)
    ab_u8 = np.clip(np.rint(lab[..., 1:] + 128), 0, 255).astype(np.uint8)
    return l_u8, ab_u8


def _write_kaggle(root: Path, l_u8: np.ndarray, ab_parts: list[np.ndarray], nested: bool = False) -> Path:
    (root / "l").mkdir(parents=True)
    ab_dir = root / "ab" / "ab" if nested else root / "ab"
    ab_dir.mkdir(parents=True)
    np.save(root / "l" / "gray_scale.npy", l_u8)
    for number, part in enumerate(ab_parts, start=1):
        np.save(ab_dir / f"ab{number}.npy", part)
    return root


def test_kaggle_arrays_decode_to_known_lab_values(tmp_path):
    l_u8 = np.zeros((3, 8, 8), dtype=np.uint8)
    l_u8[0], l_u8[1], l_u8[2] = 0, 255, 51
    ab_u8 = np.full((3, 8, 8, 2), 128, dtype=np.uint8)
    ab_u8[1, ..., 0], ab_u8[1, ..., 1] = 200, 28  # a = +72, b = -100
    ab_u8[2, ..., 0], ab_u8[2, ..., 1] = 0, 255  # a = -128, b = +127
    dataset = KaggleLabNpy(_write_kaggle(tmp_path, l_u8, [ab_u8[:2], ab_u8[2:]]))
    assert len(dataset) == 3
    expected = [(0.0, 0.0, 0.0), (100.0, 72.0, -100.0), (20.0, -128.0, 127.0)]
    for index, (lightness, a, b) in enumerate(expected):
        lab = dataset.lab(index)
        assert lab.shape == (3, 8, 8) and lab.dtype == torch.float32
        torch.testing.assert_close(lab[:, 0, 0], torch.tensor([lightness, a, b]))
        l_norm, ab_norm = dataset[index]
        torch.testing.assert_close(l_norm, torch.full((1, 8, 8), (lightness - 50) / 100))
        torch.testing.assert_close(ab_norm, torch.tensor([a, b]).view(2, 1, 1).expand(2, 8, 8) / 110)
    l_pix, _ = KaggleLabNpy(tmp_path, scheme="pix2pix")[1]
    torch.testing.assert_close(l_pix, torch.ones(1, 8, 8))


def test_kaggle_round_trips_an_opencv_encoded_photo(tmp_path):
    rgb = 0.2 + 0.6 * _colourful(32, 32, 5).astype(np.float64) / 255  # away from the gamut's edges
    rgb[:8, :8] = (1.0, 0.0, 0.0)  # pure red
    l_u8, ab_u8 = _opencv_lab_u8(rgb)
    root = _write_kaggle(tmp_path, l_u8[None], [ab_u8[None]], nested=True)  # Kaggle's ab/ab/ab1.npy
    decoded = KaggleLabNpy(root).rgb(0)
    expected = torch.from_numpy(rgb).permute(2, 0, 1).float()
    assert (decoded - expected).abs().max() < 0.015  # 8-bit quantization of Lab only
    torch.testing.assert_close(decoded[:, 0, 0], torch.tensor([1.0, 0.0, 0.0]), atol=0.02, rtol=0)


def test_kaggle_parts_are_concatenated_in_numeric_order(tmp_path):
    l_u8 = np.arange(12, dtype=np.uint8).repeat(16).reshape(12, 4, 4)
    parts = [np.full((1, 4, 4, 2), 100 + value, dtype=np.uint8) for value in range(12)]
    dataset = KaggleLabNpy(_write_kaggle(tmp_path, l_u8, parts))  # ab1 ... ab12: ab10 comes after ab9
    for index in range(12):
        lab = dataset.lab(index)
        assert lab[1, 0, 0] == 100 + index - 128
        torch.testing.assert_close(lab[0, 0, 0], torch.tensor(index * 100 / 255))
    assert torch.equal(dataset.lab(-1), dataset.lab(11))
    with pytest.raises(IndexError):
        dataset.lab(12)


@pytest.mark.parametrize("train", [False, True])
def test_kaggle_transforms_and_dataloader(tmp_path, train):
    rng = np.random.default_rng(0)
    l_u8 = rng.integers(0, 256, (5, 24, 24), dtype=np.uint8)
    ab_u8 = rng.integers(60, 200, (5, 24, 24, 2), dtype=np.uint8)
    root = _write_kaggle(tmp_path, l_u8, [ab_u8[:3], ab_u8[3:]])
    l_norm, ab_norm = next(iter(DataLoader(KaggleLabNpy(root, size=16, train=train), batch_size=5)))
    assert l_norm.shape == (5, 1, 16, 16) and ab_norm.shape == (5, 2, 16, 16)
    assert l_norm.dtype == torch.float32
    native = KaggleLabNpy(root, train=train)[0]
    assert native[0].shape == (1, 24, 24)


def test_kaggle_layout_errors(tmp_path):
    with pytest.raises(ColorlabError, match="not found"):
        KaggleLabNpy(tmp_path / "missing")
    with pytest.raises(ColorlabError, match="gray_scale"):
        KaggleLabNpy(tmp_path)
    l_u8 = np.zeros((3, 8, 8), dtype=np.uint8)
    root = _write_kaggle(tmp_path / "count", l_u8, [np.zeros((2, 8, 8, 2), dtype=np.uint8)])
    with pytest.raises(ColorlabError, match="3 images"):
        KaggleLabNpy(root)
    root = _write_kaggle(tmp_path / "shape", l_u8, [np.zeros((3, 8, 9, 2), dtype=np.uint8)])
    with pytest.raises(ColorlabError, match="shape"):
        KaggleLabNpy(root)
    root = _write_kaggle(tmp_path / "dtype", l_u8.astype(np.float32), [np.zeros((3, 8, 8, 2), dtype=np.uint8)])
    with pytest.raises(ColorlabError, match="uint8"):
        KaggleLabNpy(root)

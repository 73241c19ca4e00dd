"""Tests for the data that needs no files: colorlab.data.synthetic and colorlab.data.samples."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch
from torch.utils.data import DataLoader

from colorlab.color import denormalize_lab, rgb_to_lab
from colorlab.data.samples import SAMPLE_NAMES, sample_images
from colorlab.data.synthetic import SyntheticScenes
from colorlab.io import ColorlabError

torch.set_num_threads(1)


def _square_stats(dataset: SyntheticScenes, count: int) -> dict[str, object]:
    """Pixels and instances of squares over the first ``count`` scenes."""
    ab_pixels, yellow_images, blue_images = [], 0, 0
    for index in range(count):
        lab, masks = dataset.lab(index), dataset.masks(index)
        ab_pixels.append(lab[1:, masks["square"]])
        yellow_images += bool(masks["square_yellow"].any())
        blue_images += bool(masks["square_blue"].any())
    return {"ab": torch.cat(ab_pixels, dim=1), "yellow_images": yellow_images, "blue_images": blue_images}


# --- SyntheticScenes ------------------------------------------------------------------------------


def test_same_seed_and_index_give_identical_images_and_others_differ():
    first, second = SyntheticScenes(n=20, seed=3), SyntheticScenes(n=20, seed=3)
    for index in (0, 7, 19):
        l1, ab1 = first[index]
        l2, ab2 = second[index]
        assert torch.equal(l1, l2) and torch.equal(ab1, ab2)
        assert torch.equal(first.label_map(index), second.label_map(index))
    assert not torch.equal(first[0][0], first[1][0])
    assert not torch.equal(first[0][0], SyntheticScenes(n=20, seed=4)[0][0])
    assert torch.equal(first[-1][1], first[19][1])


@pytest.mark.parametrize("size, shape", [(32, (32, 32)), (64, (64, 64)), ((96, 128), (96, 128))])
@pytest.mark.parametrize("scheme", ["zhang", "pix2pix"])
def test_items_have_the_right_shape_dtype_and_range(size, shape, scheme):
    dataset = SyntheticScenes(n=5, size=size, scheme=scheme)
    l_low, l_high = (-0.5, 0.5) if scheme == "zhang" else (-1.0, 1.0)
    for index in range(len(dataset)):
        l_norm, ab_norm = dataset[index]
        assert l_norm.shape == (1, *shape) and ab_norm.shape == (2, *shape)
        assert l_norm.dtype == ab_norm.dtype == torch.float32
        assert l_low <= l_norm.min() and l_norm.max() <= l_high
        assert ab_norm.abs().max() <= 1.0
        # the normalization round trip gives back the painted Lab image
        l, ab = denormalize_lab(l_norm, ab_norm, scheme)
        torch.testing.assert_close(torch.cat((l, ab)), dataset.lab(index), atol=1e-4, rtol=0)
        rgb = dataset.rgb(index)
        assert rgb.shape == (3, *shape) and rgb.dtype == torch.float32
        assert 0.0 <= rgb.min() and rgb.max() <= 1.0


def test_every_painted_colour_is_inside_the_srgb_gamut():
    dataset = SyntheticScenes(n=60, seed=1)
    for index in range(len(dataset)):
        lab = dataset.lab(index)
        # an out-of-gamut Lab colour would be clipped by lab_to_rgb and not come back
        assert (rgb_to_lab(dataset.rgb(index).double()) - lab.double()).abs().max() < 0.01


def test_regions_follow_the_documented_rules():
    dataset = SyntheticScenes(n=40, size=(48, 80), ambiguity=0.0, seed=5)
    expected_ab = {name: lab[1:] for name, lab in SyntheticScenes.OBJECT_LAB.items()}
    seen = set()
    for index in range(len(dataset)):
        lab, masks = dataset.lab(index), dataset.masks(index)
        labels = dataset.label_map(index)
        assert labels.shape == (48, 80) and labels.dtype == torch.int64
        assert set(masks) == set(SyntheticScenes.LABELS) | {"square"}
        # every pixel belongs to exactly one region
        stack = torch.stack([masks[name] for name in SyntheticScenes.LABELS])
        assert torch.equal(stack.sum(dim=0), torch.ones(48, 80, dtype=torch.int64))
        assert torch.equal(masks["square"], masks["square_yellow"] | masks["square_blue"])
        # the sky is above the ground, blue (b < 0) and lighter towards the horizon
        sky_rows = masks["sky"].nonzero()[:, 0]
        ground_rows = masks["ground"].nonzero()[:, 0]
        assert sky_rows.max() < ground_rows.min()
        assert (lab[2][masks["sky"]] < -5).all()
        column = (masks["sky"].all(dim=0)).nonzero()
        if len(column):  # a column where no shape hides the sky
            sky_l = lab[0, masks["sky"][:, column[0, 0]], column[0, 0]]
            assert (sky_l[1:] > sky_l[:-1]).all()
        # the grass is green (a < 0 < b) with a textured lightness
        if masks["ground"].sum() > 20:
            assert (lab[1][masks["ground"]] < -20).all() and (lab[2][masks["ground"]] > 25).all()
            assert lab[0][masks["ground"]].std() > 2
        for name, ab in expected_ab.items():
            if masks[name].any():
                seen.add(name)
                pixels = lab[1:, masks[name]]
                torch.testing.assert_close(pixels, torch.tensor(ab).view(2, 1).expand_as(pixels))
    assert seen == {"circle", "triangle", "square_yellow"}


def test_ambiguous_colours_have_the_same_lightness_and_nearly_opposite_ab():
    yellow = torch.tensor(SyntheticScenes.OBJECT_LAB["square_yellow"])
    blue = torch.tensor(SyntheticScenes.OBJECT_LAB["square_blue"])
    assert abs(yellow[0] - blue[0]) < 3
    cosine = torch.dot(yellow[1:], blue[1:]) / (yellow[1:].norm() * blue[1:].norm())
    assert cosine < -0.95
    assert yellow[1:].norm() > 40 and blue[1:].norm() > 40
    assert (yellow[1:] + blue[1:]).norm() / 2 < 5  # their mean is nearly grey


def test_ambiguity_only_changes_square_colours_never_the_grey_image():
    certain, ambiguous = SyntheticScenes(n=30, ambiguity=0.0), SyntheticScenes(n=30, ambiguity=1.0)
    changed = 0
    for index in range(30):
        lab0, lab1 = certain.lab(index), ambiguous.lab(index)
        assert torch.equal(lab0[0], lab1[0])  # the same L: the input cannot reveal the colour
        assert torch.equal(certain.masks(index)["square"], ambiguous.masks(index)["square"])
        changed += int(not torch.equal(lab0[1:], lab1[1:]))
    assert changed > 0


def test_full_ambiguity_averages_square_colours_to_grey_while_each_is_vivid():
    stats = _square_stats(SyntheticScenes(n=300, ambiguity=1.0, seed=11), 300)
    yellow, blue = stats["yellow_images"], stats["blue_images"]
    assert yellow > 50 and blue > 50
    assert 0.4 < blue / (yellow + blue) < 0.6
    chroma = stats["ab"].norm(dim=0)
    assert chroma.min() > 50  # every square pixel is vivid...
    assert stats["ab"].mean(dim=1).norm() < 10  # ...but their mean, what L2 regression predicts, is near grey


def test_zero_ambiguity_paints_every_square_yellow():
    stats = _square_stats(SyntheticScenes(n=150, ambiguity=0.0, seed=11), 150)
    assert stats["blue_images"] == 0 and stats["yellow_images"] > 30
    torch.testing.assert_close(stats["ab"].mean(dim=1), torch.tensor(SyntheticScenes.OBJECT_LAB["square_yellow"][1:]))


def test_half_ambiguity_makes_blue_rarer():
    stats = _square_stats(SyntheticScenes(n=300, ambiguity=0.5, seed=11), 300)
    share = stats["blue_images"] / (stats["blue_images"] + stats["yellow_images"])
    assert 0.12 < share < 0.38  # probability 0.25 per square


def test_dataloader_batches_and_iteration_stops_at_the_end():
    dataset = SyntheticScenes(n=10, size=32)
    l_norm, ab_norm = next(iter(DataLoader(dataset, batch_size=4)))
    assert l_norm.shape == (4, 1, 32, 32) and ab_norm.shape == (4, 2, 32, 32)
    assert len(list(dataset)) == 10
    with pytest.raises(IndexError):
        dataset[10]


@pytest.mark.parametrize(
    "kwargs",
    [{"ambiguity": 1.5}, {"ambiguity": -0.1}, {"size": 4}, {"size": (32, 32, 3)}, {"n": -1}, {"scheme": "lab"}, {"max_objects": -1},
     {"labelled": True, "max_objects": 0}],
)
def test_bad_arguments_raise_colorlab_error(kwargs):
    with pytest.raises(ColorlabError):
        SyntheticScenes(**kwargs)


# --- the labelled mode (notebook 09's linear probes) -------------------------------------------


def test_labelled_mode_yields_the_same_grey_scene_and_the_kind_of_its_largest_shape():
    labelled, plain = SyntheticScenes(n=40, size=24, seed=6, labelled=True), SyntheticScenes(n=40, size=24, seed=6)
    assert "labelled=True" in repr(labelled) and "labelled" not in repr(plain)
    for index in range(40):
        l_norm, kind = labelled[index]
        assert torch.equal(l_norm, plain[index][0])
        assert kind.dtype == torch.int64 and kind.dim() == 0
        label_map = plain.label_map(index)
        pixels = [
            int((label_map == SyntheticScenes.LABELS.index("circle")).sum()),
            int((label_map == SyntheticScenes.LABELS.index("triangle")).sum()),
            int((label_map == SyntheticScenes.LABELS.index("square_yellow")).sum() + (label_map == SyntheticScenes.LABELS.index("square_blue")).sum()),
        ]
        assert pixels[int(kind)] == max(pixels) > 0
        assert plain.scene_kind(index) == int(kind)


def test_labelled_mode_with_one_shape_names_the_shape_and_is_balanced():
    scenes = SyntheticScenes(n=300, size=24, seed=2, max_objects=1, labelled=True)
    kinds = torch.stack([scenes[index][1] for index in range(300)])
    counts = torch.bincount(kinds, minlength=3)
    assert counts.sum() == 300 and (counts > 70).all() and (counts < 130).all()  # about 100 of each kind
    masks = scenes.masks(0)
    visible = [name for name in ("circle", "triangle", "square") if masks[name].any()]
    assert visible == [SyntheticScenes.KINDS[int(kinds[0])]]  # exactly one kind in the picture: the label


def test_scene_kind_is_minus_one_without_shapes():
    assert SyntheticScenes(n=2, size=16, max_objects=0).scene_kind(1) == -1


def test_no_objects_leaves_only_sky_and_ground():
    dataset = SyntheticScenes(n=5, max_objects=0)
    for index in range(5):
        assert set(dataset.label_map(index).unique().tolist()) == {0, 1}


# --- sample_images ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples():
    return sample_images()


def test_sample_images_are_colour_photos_in_unit_range(samples):
    assert tuple(samples) == SAMPLE_NAMES
    assert {"astronaut", "chelsea", "coffee", "rocket", "grace_hopper"} <= set(samples)
    for name, rgb in samples.items():
        assert rgb.ndim == 3 and rgb.shape[2] == 3 and min(rgb.shape[:2]) >= 256, name
        assert rgb.dtype == np.float32 and 0.0 <= rgb.min() and rgb.max() <= 1.0, name
        spread = np.abs(rgb[..., 0] - rgb[..., 1]).mean() + np.abs(rgb[..., 1] - rgb[..., 2]).mean()
        assert spread > 0.02, name  # colour, not grey
    np.testing.assert_allclose(samples["astronaut"], skimage.data.astronaut() / 255.0, atol=1e-6)


def test_sample_images_are_fresh_copies(samples):
    again = sample_images()
    again["chelsea"][:] = 0.0
    assert sample_images()["chelsea"].max() > 0.5
    np.testing.assert_array_equal(sample_images()["coffee"], samples["coffee"])


def test_sample_images_resize_the_shorter_side(samples):
    small = sample_images(size=48)
    for name, rgb in small.items():
        height, width = samples[name].shape[:2]
        assert min(rgb.shape[:2]) == 48, name
        assert abs(rgb.shape[0] / rgb.shape[1] - height / width) < 0.03, name
        assert rgb.dtype == np.float32 and 0.0 <= rgb.min() and rgb.max() <= 1.0
        # shrinking keeps the average colour
        np.testing.assert_allclose(rgb.mean(axis=(0, 1)), samples[name].mean(axis=(0, 1)), atol=0.01)


@pytest.mark.parametrize("size", [0, -3, 2.5, "64", True])
def test_sample_images_reject_bad_sizes(size):
    with pytest.raises(ColorlabError):
        sample_images(size=size)

"""Simulated hints (SIGGRAPH17 training) and user hints (clicks) in colorlab.hints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from colorlab import hints
from colorlab.pipeline import colorize_l
from colorlab.io import ColorlabError
from colorlab.models import zhang

torch.set_num_threads(1)


def test_hint_counts_are_geometric_from_zero_with_mean_seven():
    generator = torch.Generator().manual_seed(0)
    counts = hints.sample_hint_counts(40_000, generator=generator)
    assert counts.dtype == torch.long and counts.min() == 0
    p = 1 / 8
    # mean (1 - p) / p = 7, standard error 7.48 / sqrt(40000) = 0.04
    assert counts.float().mean().item() == pytest.approx(7.0, abs=0.2)
    # P(k) = p (1 - p)^k: one image in eight gets no hint at all
    for k in range(4):
        frequency = (counts == k).float().mean().item()
        assert frequency == pytest.approx(p * (1 - p) ** k, abs=0.01)
    assert hints.sample_hint_counts(5, p=1.0).tolist() == [0] * 5
    with pytest.raises(ColorlabError, match=r"p must be in \(0, 1\]"):
        hints.sample_hint_counts(3, p=0.0)


def _smooth_colours(n: int, size: int) -> torch.Tensor:
    """ab_norm images whose every pixel differs (ramps), so a patch mean identifies the patch."""
    rows = torch.linspace(-0.6, 0.6, size).view(1, size, 1)
    columns = torch.linspace(-0.4, 0.4, size).view(1, 1, size)
    offsets = torch.linspace(-0.1, 0.1, n).view(n, 1, 1, 1)
    return torch.stack((rows.expand(1, size, size), columns.expand(1, size, size)), dim=1) + offsets


def test_one_hint_is_a_square_patch_holding_its_mean_colour():
    generator = torch.Generator().manual_seed(1)
    ab_norm = _smooth_colours(300, 48)
    ab_hint_norm, mask = hints.sample_hints(ab_norm, generator=generator, num_hints=1)
    assert ab_hint_norm.shape == ab_norm.shape and mask.shape == (300, 1, 48, 48)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert (ab_hint_norm * (1 - mask)).abs().max() == 0  # no colour outside the mask
    sides, tops = [], []
    for image in range(300):
        ys, xs = torch.nonzero(mask[image, 0], as_tuple=True)
        top, left, side = ys.min().item(), xs.min().item(), ys.max().item() - ys.min().item() + 1
        assert xs.max().item() - left + 1 == side and len(ys) == side * side  # a full square
        patch = ab_norm[image, :, top:top + side, left:left + side]
        expected = patch.mean(dim=(1, 2))
        torch.testing.assert_close(ab_hint_norm[image, :, top, left], expected)
        torch.testing.assert_close(ab_hint_norm[image, :, top + side - 1, left + side - 1], expected)
        sides.append(side)
        tops.append(top + (side - 1) / 2)  # patch centre
    counts = np.bincount(sides, minlength=10)[1:]
    assert counts.sum() == 300 and (counts > 300 / 9 * 0.4).all()  # every side 1..9 occurs, roughly uniformly
    # centres: Gaussian around the image centre, standard deviation about a quarter of the side
    assert np.mean(tops) == pytest.approx(24, abs=2.0)
    assert 8 < np.std(tops) < 14


def test_number_of_hints_follows_the_geometric_law():
    # with 1-pixel patches on a large image, patches (almost) never overlap: mask pixels = hints
    generator = torch.Generator().manual_seed(2)
    totals = []
    for _ in range(4):
        _, mask = hints.sample_hints(torch.zeros(250, 2, 128, 128), generator=generator, max_patch=1)
        totals.append(mask.sum(dim=(1, 2, 3)))
    per_image = torch.cat(totals)
    assert per_image.mean().item() == pytest.approx(7.0, abs=0.8)  # standard error 0.24
    assert (per_image == 0).float().mean().item() == pytest.approx(1 / 8, abs=0.04)


def test_hints_are_reproducible_with_a_generator_and_fit_small_images():
    ab_norm = _smooth_colours(4, 6)
    first = hints.sample_hints(ab_norm, generator=torch.Generator().manual_seed(5), num_hints=3)
    second = hints.sample_hints(ab_norm, generator=torch.Generator().manual_seed(5), num_hints=3)
    torch.testing.assert_close(first, second)
    assert first[1].sum(dim=(1, 2, 3)).min() >= 1  # patches larger than 6 px are shrunk to fit
    uniform = hints.sample_hints(ab_norm, generator=torch.Generator().manual_seed(5), num_hints=2, location="uniform")
    assert uniform[1].sum() > 0
    with pytest.raises(ColorlabError, match=r"ab_norm must be a \(N, 2, H, W\) tensor"):
        hints.sample_hints(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ColorlabError, match="location must be"):
        hints.sample_hints(ab_norm, location="edges")


def test_hint_colours_from_ab_rgb_and_hex():
    assert hints.hint_colour_ab((20, -30)) == (20.0, -30.0)
    expected = skcolor.rgb2lab(np.array([[[1.0, 0.5, 0.0]]]))[0, 0, 1:]
    np.testing.assert_allclose(hints.hint_colour_ab((1.0, 0.5, 0.0)), expected, atol=1e-3)
    np.testing.assert_allclose(hints.hint_colour_ab("#FF8000"), skcolor.rgb2lab(np.array([[[1.0, 128 / 255, 0.0]]]))[0, 0, 1:], atol=1e-3)
    with pytest.raises(ColorlabError, match="divide 0-255 values by 255"):
        hints.hint_colour_ab((255, 128, 0))
    with pytest.raises(ColorlabError, match="not a '#rrggbb' hex colour"):
        hints.hint_colour_ab("red")
    with pytest.raises(ColorlabError, match="expected"):
        hints.hint_colour_ab((1, 2, 3, 4))


def test_user_hints_map_original_pixels_to_the_network_grid():
    ab_hint_norm, mask = hints.user_hints(
        [(100, 600, (22, -33)), (511, 0, (11, 0))], 256, image_size=(512, 1024), patch=3
    )
    assert ab_hint_norm.shape == (1, 2, 256, 256) and mask.shape == (1, 1, 256, 256)
    # (100, 600) in a 512 x 1024 image -> row 50, column 150 on the 256 x 256 grid, 3 x 3 around it
    assert mask[0, 0, 49:52, 149:152].sum() == 9 and mask[0, 0, 48, 150] == 0
    torch.testing.assert_close(ab_hint_norm[0, :, 50, 150], torch.tensor([0.2, -0.3]))
    # the bottom-left corner: the patch is kept inside the grid
    assert mask[0, 0, 253:256, 0:3].sum() == 9 and mask.sum() == 18
    torch.testing.assert_close(ab_hint_norm[0, :, 255, 0], torch.tensor([0.1, 0.0]))
    assert (ab_hint_norm * (1 - mask)).abs().max() == 0
    with pytest.raises(ColorlabError, match="outside the 512x1024 image"):
        hints.user_hints([(512, 0, (0, 0))], 256, image_size=(512, 1024))
    with pytest.raises(ColorlabError, match=r"hint point 0: expected \(y, x, colour\)"):
        hints.user_hints([(1, 2)], 16)


def test_colorize_with_hints_runs_the_reference_pipeline():
    torch.manual_seed(0)
    model = zhang.SIGGRAPH17(width=0.125).eval()
    model.input_size = 32
    l = torch.rand(1, 1, 48, 64) * 100  # noqa: E741
    points = [(10, 20, (40, 40)), (30, 50, "#3366ff")]
    ab = hints.colorize_with_hints(model, l, points)
    assert ab.shape == (1, 2, 48, 64)
    ab_hint_norm, mask = hints.user_hints(points, 32, image_size=(48, 64))
    expected = colorize_l(l, model, ab_hint_norm=ab_hint_norm, mask=mask)
    torch.testing.assert_close(ab, expected)
    automatic = hints.colorize_with_hints(model, l, [])
    torch.testing.assert_close(automatic, colorize_l(l, model))
    assert (ab - automatic).abs().max() > 1e-3


# --- measuring and showing what hints do (notebook 05) ------------------------------------------


class _CopyHints(torch.nn.Module):
    """A 'model' that returns the hint colour where there is one and grey elsewhere."""

    scheme = "zhang"
    input_size = 16

    def forward(self, l_norm, ab_hint_norm=None, mask=None):
        if ab_hint_norm is None:
            return torch.zeros(l_norm.shape[0], 2, *l_norm.shape[-2:])
        return ab_hint_norm * mask


def _scenes(n=6, size=16):
    from colorlab.data import SyntheticScenes

    scenes = SyntheticScenes(n=n, size=size, seed=3)
    return (torch.stack(items) for items in zip(*(scenes[i] for i in range(n))))


def test_psnr_by_hints_matches_metrics_psnr_and_grows_with_revealed_colours():
    from colorlab import color, metrics

    l_norm, ab_norm = _scenes()
    curve = hints.psnr_by_hints(_CopyHints(), l_norm, ab_norm, [0, 2, 10, 50], seed=1)
    assert list(curve) == [0, 2, 10, 50]
    target = color.l_ab_to_rgb(*color.denormalize_lab(l_norm, ab_norm, "zhang"))
    grey = color.l_ab_to_rgb(*color.denormalize_lab(l_norm, torch.zeros_like(ab_norm), "zhang"))
    assert curve[0] == pytest.approx(metrics.psnr(grey, target).mean().item(), abs=1e-4)
    generator = torch.Generator().manual_seed(int(np.random.SeedSequence([1, 10, 0]).generate_state(1)[0]))
    ab_hint_norm, mask = hints.sample_hints(ab_norm, generator, num_hints=10)
    copied = color.l_ab_to_rgb(*color.denormalize_lab(l_norm, ab_hint_norm * mask, "zhang"))
    assert curve[10] == pytest.approx(metrics.psnr(copied, target).mean().item(), abs=1e-4)
    assert curve[0] < curve[2] < curve[10] < curve[50]


def test_psnr_by_hints_is_reproducible_per_count_and_batch_independent():
    l_norm, ab_norm = _scenes()
    model = _CopyHints()
    one = hints.psnr_by_hints(model, l_norm, ab_norm, [5], seed=2)
    many = hints.psnr_by_hints(model, l_norm, ab_norm, [0, 5, 20], seed=2, batch_size=4)
    assert one[5] == pytest.approx(many[5], abs=1e-5)
    assert hints.psnr_by_hints(model, l_norm, ab_norm, [5], seed=3)[5] != pytest.approx(one[5], abs=1e-5)
    averaged = hints.psnr_by_hints(model, l_norm, ab_norm, [5], seed=2, repeats=3)[5]
    second_draw = 2 * hints.psnr_by_hints(model, l_norm, ab_norm, [5], seed=2, repeats=2)[5] - one[5]
    assert averaged != pytest.approx(one[5], abs=1e-5) and second_draw != pytest.approx(one[5], abs=1e-5)


def test_psnr_by_hints_rejects_bad_arguments():
    l_norm, ab_norm = _scenes(n=2)
    with pytest.raises(ColorlabError, match=r"l_norm must be a \(N, 1, H, W\)"):
        hints.psnr_by_hints(_CopyHints(), ab_norm, ab_norm, [0])
    with pytest.raises(ColorlabError, match="ab_norm must be a"):
        hints.psnr_by_hints(_CopyHints(), l_norm, ab_norm[:1], [0])
    with pytest.raises(ColorlabError, match="counts must hold integers >= 0"):
        hints.psnr_by_hints(_CopyHints(), l_norm, ab_norm, [-1])
    with pytest.raises(ColorlabError, match="repeats must be an integer >= 1"):
        hints.psnr_by_hints(_CopyHints(), l_norm, ab_norm, [0], repeats=0)


def test_colorize_image_with_hints_keeps_lightness_and_follows_the_hint():
    from colorlab import color

    rgb = torch.full((3, 24, 32), 0.5)  # mid grey: a strong blue hint stays inside the sRGB gamut
    result = hints.colorize_image_with_hints(_CopyHints(), rgb, [(12, 16, (0.0, -30.0))], patch=5)
    assert result.shape == (3, 24, 32) and 0 <= result.min() and result.max() <= 1
    lab = color.rgb_to_lab(result)
    torch.testing.assert_close(lab[0], color.rgb_to_lab(rgb)[0], atol=1e-3, rtol=0)
    assert lab[2, 12, 16] < -25 and lab[1:, 0, 0].abs().max() < 1e-3  # blue at the hint, grey far away
    l, _ = color.rgb_to_l_ab(rgb)  # noqa: E741
    expected = color.l_ab_to_rgb(l, hints.colorize_with_hints(_CopyHints(), l[None], [(12, 16, (0.0, -30.0))], patch=5)[0])
    torch.testing.assert_close(result, expected)
    torch.testing.assert_close(hints.colorize_image_with_hints(_CopyHints(), rgb[:1], []), rgb, atol=1e-4, rtol=0)  # grey (1, H, W)
    with pytest.raises(ColorlabError, match=r"rgb must be a \(3, H, W\)"):
        hints.colorize_image_with_hints(_CopyHints(), rgb[None], [])


def test_region_click_lands_in_the_middle_and_inside_the_region():
    square = torch.zeros(10, 12, dtype=torch.bool)
    square[2:7, 3:8] = True
    assert hints.region_click(square) == (4, 5)
    ring = torch.zeros(9, 9, dtype=torch.bool)
    ring[1:8, 1:8] = True
    ring[3:6, 3:6] = False  # the median point (4, 4) is outside the region
    y, x = hints.region_click(ring)
    assert ring[y, x] and max(abs(y - 4), abs(x - 4)) == 2
    with pytest.raises(ColorlabError, match="region is empty"):
        hints.region_click(torch.zeros(4, 4, dtype=torch.bool))
    with pytest.raises(ColorlabError, match=r"region must be an \(H, W\) bool tensor"):
        hints.region_click(torch.ones(1, 4, 4, dtype=torch.bool))

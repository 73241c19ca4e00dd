"""colorlab.color against skimage.color, plus round trips, gradients and normalization schemes."""

import warnings

import numpy as np
import pytest
import skimage.color
import skimage.data
import skimage.transform
import torch

from colorlab import color


def _reference_rgb() -> np.ndarray:
    """(H, W, 3) float64: random colours, a natural photo, and the corners of the RGB cube."""
    rng = np.random.default_rng(0)
    random = rng.random((32, 32, 3))
    photo = skimage.transform.resize(skimage.data.astronaut(), (32, 32), anti_aliasing=True)
    cube = np.array(np.meshgrid([0.0, 1.0], [0.0, 1.0], [0.0, 1.0], indexing="ij")).reshape(3, -1).T
    # values on both sides of the sRGB and Lab branch points
    thresholds = np.array([0.0, 1e-6, 0.003, 0.04045, 0.0405, 0.05, 0.5, 0.999999, 1.0])
    edges = np.stack(np.meshgrid(thresholds, thresholds, thresholds[:1], indexing="ij"), -1).reshape(-1, 3)
    pixels = np.concatenate([cube, edges, rng.random((96 - len(cube) - len(edges), 3))])  # 96 = 3 rows of 32
    return np.concatenate([random, photo, pixels.reshape(3, 32, 3)], axis=0)


def _chw(array: np.ndarray, dtype=torch.float64, device="cpu") -> torch.Tensor:
    return torch.from_numpy(array).permute(2, 0, 1).to(device=device, dtype=dtype)


def _hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).double().cpu().numpy()


def test_rgb_to_lab_matches_skimage(device):
    rgb = _reference_rgb()
    expected = skimage.color.rgb2lab(rgb)
    error64 = np.abs(_hwc(color.rgb_to_lab(_chw(rgb, torch.float64, device))) - expected).max()
    error32 = np.abs(_hwc(color.rgb_to_lab(_chw(rgb, torch.float32, device))) - expected).max()
    assert error64 <= 1e-4
    assert error32 <= 2e-3
    assert expected[..., 0].max() == pytest.approx(100.0, abs=1e-3)  # white is in the test set


def test_lab_to_rgb_matches_skimage_including_out_of_gamut(device):
    rng = np.random.default_rng(1)
    lab = np.stack(
        [rng.uniform(0, 100, (40, 40)), rng.uniform(-128, 127, (40, 40)), rng.uniform(-128, 127, (40, 40))], -1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns about negative Z values; we compare values only
        expected = skimage.color.lab2rgb(lab)
    error64 = np.abs(_hwc(color.lab_to_rgb(_chw(lab, torch.float64, device))) - expected).max()
    error32 = np.abs(_hwc(color.lab_to_rgb(_chw(lab, torch.float32, device))) - expected).max()
    assert error64 <= 1e-4
    assert error32 <= 2e-3


def test_lab_to_rgb_clips_silently_and_stays_finite(recwarn, capsys):
    lab = torch.tensor([[[0.0, 50.0, 100.0, 100.0, 0.0]], [[0.0, 300.0, -300.0, 0.0, 127.0]], [[0.0, -300.0, 300.0, 0.0, -128.0]]])
    rgb = color.lab_to_rgb(lab)
    assert torch.isfinite(rgb).all()
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    assert len(recwarn) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    # extreme values far outside the gamut are clipped, not NaN
    huge = color.lab_to_rgb(torch.full((3, 1, 1), 1e30))
    assert torch.isfinite(huge).all()


def test_round_trip_float64():
    rgb = _chw(_reference_rgb())
    assert (color.lab_to_rgb(color.rgb_to_lab(rgb)) - rgb).abs().max() <= 1e-5


@pytest.mark.parametrize("shape", [(3, 5, 7), (2, 3, 5, 7), (2, 4, 3, 5, 7)])
def test_any_leading_dims(shape):
    rgb = torch.rand(shape, dtype=torch.float64)
    lab = color.rgb_to_lab(rgb)
    assert lab.shape == rgb.shape and lab.dtype == rgb.dtype
    flat = rgb.reshape(-1, 3, 5, 7)
    expected = torch.stack([color.rgb_to_lab(image) for image in flat]).reshape(shape)
    torch.testing.assert_close(lab, expected)
    assert color.lab_to_rgb(lab).shape == shape


def test_rejects_bad_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, H, W\)"):
        color.rgb_to_lab(torch.rand(4, 5, 5))
    with pytest.raises(TypeError, match="float"):
        color.rgb_to_lab(torch.zeros(3, 2, 2, dtype=torch.uint8))


@pytest.mark.parametrize("value", [0.0, 1e-4, 0.04045, 0.5, 1.0])
def test_gradients_finite_everywhere(value):
    rgb = torch.full((1, 3, 2, 2), value, dtype=torch.float64, requires_grad=True)
    color.rgb_to_lab(rgb).sum().backward()
    assert torch.isfinite(rgb.grad).all()
    lab = color.rgb_to_lab(rgb.detach()).requires_grad_(True)
    color.lab_to_rgb(lab).sum().backward()
    assert torch.isfinite(lab.grad).all()


def test_gradients_correct():
    rgb = (torch.rand(1, 3, 3, 3, dtype=torch.float64) * 0.8 + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(color.rgb_to_lab, (rgb,))
    lab = color.rgb_to_lab(rgb.detach()).requires_grad_(True)
    assert torch.autograd.gradcheck(color.lab_to_rgb, (lab,))


def test_black_and_white_and_grey():
    greys = np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.5, 0.5]]])
    lab = color.rgb_to_lab(_chw(greys))
    expected = skimage.color.rgb2lab(greys)
    np.testing.assert_allclose(_hwc(lab), expected, atol=1e-6)
    assert lab[0, 0, 0] == pytest.approx(0.0) and lab[0, 0, 1] == pytest.approx(100.0, abs=1e-3)
    # greys have (almost) no colour: the 6-digit matrix rows do not sum exactly to D65 (skimage too)
    assert lab[1:].abs().max() < 1e-2


def test_split_and_merge():
    rgb = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    l, ab = color.rgb_to_l_ab(rgb)
    assert l.shape == (2, 1, 8, 8) and ab.shape == (2, 2, 8, 8)
    torch.testing.assert_close(torch.cat([l, ab], 1), color.rgb_to_lab(rgb))
    assert (color.l_ab_to_rgb(l, ab) - rgb).abs().max() < 1e-6
    with pytest.raises(ValueError):
        color.l_ab_to_rgb(ab, l)


@pytest.mark.parametrize(
    "scheme,l_values,l_expected",
    [("zhang", [0.0, 50.0, 100.0], [-0.5, 0.0, 0.5]), ("pix2pix", [0.0, 50.0, 100.0], [-1.0, 0.0, 1.0])],
)
def test_normalization_schemes(scheme, l_values, l_expected):
    l = torch.tensor(l_values).view(3, 1, 1, 1)
    ab = torch.tensor([-110.0, 0.0, 55.0]).view(3, 1, 1, 1).expand(3, 2, 1, 1)
    l_norm, ab_norm = color.normalize_lab(l, ab, scheme)
    torch.testing.assert_close(l_norm.flatten(), torch.tensor(l_expected))
    torch.testing.assert_close(ab_norm[:, 0].flatten(), torch.tensor([-1.0, 0.0, 0.5]))
    l_back, ab_back = color.denormalize_lab(l_norm, ab_norm, scheme)
    torch.testing.assert_close(l_back, l)
    torch.testing.assert_close(ab_back, ab)


@pytest.mark.parametrize(
    "forward,inverse",
    [
        (color.normalize_l_zhang, color.denormalize_l_zhang),
        (color.normalize_l_pix2pix, color.denormalize_l_pix2pix),
        (color.normalize_ab, color.denormalize_ab),
    ],
)
def test_named_normalizations_round_trip(forward, inverse):
    values = torch.linspace(-128, 128, 101, dtype=torch.float64)
    torch.testing.assert_close(inverse(forward(values)), values)


def test_unknown_scheme():
    with pytest.raises(ValueError, match="unknown normalization scheme"):
        color.normalize_lab(torch.zeros(1, 1, 1), torch.zeros(2, 1, 1), "lab255")


def test_transfer_function_round_trip_and_reference():
    values = torch.linspace(0, 1, 1001, dtype=torch.float64)
    torch.testing.assert_close(color.linear_to_srgb(color.srgb_to_linear(values)), values)
    # the IEC 61966-2-1 value of mid grey
    assert color.srgb_to_linear(torch.tensor(0.5, dtype=torch.float64)).item() == pytest.approx(0.214041, abs=1e-6)


@pytest.mark.parametrize("scheme", ["zhang", "pix2pix"])
def test_normalize_l_alone_matches_normalize_lab(scheme):
    l = torch.linspace(0, 100, 11).view(1, 1, 1, 11)
    torch.testing.assert_close(color.normalize_l(l, scheme), color.normalize_lab(l, torch.zeros(1, 2, 1, 11), scheme)[0])
    torch.testing.assert_close(color.denormalize_l(color.normalize_l(l, scheme), scheme), l)


def test_row_blocks_give_the_same_result_as_one_pass(monkeypatch):
    rgb = torch.rand(2, 3, 37, 53, dtype=torch.float64)
    whole_lab, whole_rgb = color.rgb_to_lab(rgb), color.lab_to_rgb(color.rgb_to_lab(rgb))
    monkeypatch.setattr(color, "_BLOCK_PIXELS", 2 * 53 * 5)  # blocks of 5 rows, the last one 2
    # equal up to float64 rounding (a matrix product may sum in another order per block)
    torch.testing.assert_close(color.rgb_to_lab(rgb), whole_lab, rtol=0, atol=1e-12)
    torch.testing.assert_close(color.lab_to_rgb(whole_lab), whole_rgb, rtol=0, atol=1e-12)
    permuted = rgb[0].permute(1, 2, 0).contiguous().permute(2, 0, 1)  # a channel-last view
    torch.testing.assert_close(color.rgb_to_lab(permuted), whole_lab[0], rtol=0, atol=1e-12)


def test_scale_ab_scales_around_each_images_mean_colour():
    ab = torch.tensor([[[[10.0, 30.0]], [[-20.0, 0.0]]]]).repeat(2, 1, 1, 1)  # (2, 2, 1, 2)
    ab[1] *= -1
    assert color.scale_ab(ab) is ab  # both factors 1: untouched
    torch.testing.assert_close(color.scale_ab(ab, scale=1.5), 1.5 * ab)
    spread = color.scale_ab(ab, spread=2.0)
    # image 0: mean a = 20, b = -10 -> a: 20 -/+ 2 * 10, b: -10 -/+ 2 * 10; image 1 is its negative
    expected0 = torch.tensor([[[0.0, 40.0]], [[-30.0, 10.0]]])
    torch.testing.assert_close(spread[0], expected0)
    torch.testing.assert_close(spread[1], -expected0)
    torch.testing.assert_close(spread.mean(dim=(-2, -1)), ab.mean(dim=(-2, -1)))  # the cast is kept
    torch.testing.assert_close(color.scale_ab(ab, scale=0.5, spread=2.0), 0.5 * spread)
    torch.testing.assert_close(color.scale_ab(ab, spread=0.0), ab.mean(dim=(-2, -1), keepdim=True).expand_as(ab))

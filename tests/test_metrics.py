"""colorlab.metrics against scikit-image and independent numpy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.color
import skimage.data
import skimage.metrics
import skimage.transform
import torch

from colorlab import metrics

torch.set_num_threads(1)

HEIGHT, WIDTH = 36, 44
DTYPES = [torch.float32, torch.float64]


def _natural_batch() -> np.ndarray:
    """astronaut, chelsea, coffee resized small: (3, H, W, 3) float64 in [0, 1]."""
    images = [getattr(skimage.data, name)() for name in ("astronaut", "chelsea", "coffee")]
    return np.stack([skimage.transform.resize(image, (HEIGHT, WIDTH), anti_aliasing=True) for image in images])


NATURAL = _natural_batch()


def _pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (pred, target) batches, numpy (N, H, W, 3) float64 in [0, 1]."""
    rng = np.random.default_rng(0)
    noisy = np.clip(NATURAL + rng.normal(0, 0.08, NATURAL.shape), 0, 1)
    grey = np.repeat(skimage.color.rgb2gray(NATURAL)[..., None], 3, axis=-1)
    washed = 0.5 * NATURAL + 0.5 * grey  # a typical "desaturated colorization"
    random_target = rng.uniform(0, 1, (2, HEIGHT, WIDTH, 3))
    random_pred = rng.uniform(0, 1, (2, HEIGHT, WIDTH, 3))
    return {
        "noisy": (noisy, NATURAL),
        "grey": (grey, NATURAL),
        "washed": (washed, NATURAL),
        "random": (random_pred, random_target),
        "random_vs_close": (np.clip(random_target + rng.normal(0, 0.02, random_target.shape), 0, 1), random_target),
    }


PAIRS = _pairs()


def _torch(images: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """numpy (N, H, W, C) -> torch (N, C, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).to(dtype)


def _numpy(images: torch.Tensor) -> np.ndarray:
    """torch (N, C, H, W) -> numpy (N, H, W, C) float64, exactly the values the metric sees."""
    return images.permute(0, 2, 3, 1).double().numpy()


@pytest.fixture(params=[(name, dtype) for name in PAIRS for dtype in DTYPES], ids=lambda p: f"{p[0]}-{str(p[1])[6:]}")
def pair(request) -> tuple[torch.Tensor, torch.Tensor]:
    name, dtype = request.param
    pred, target = PAIRS[name]
    return _torch(pred, dtype), _torch(target, dtype)


# --- agreement with skimage ------------------------------------------------------------------


def test_mse_matches_skimage(pair):
    pred, target = pair
    result = metrics.mse(pred, target)
    assert result.shape == (pred.shape[0],) and result.dtype == pred.dtype
    expected = [skimage.metrics.mean_squared_error(t, p) for p, t in zip(_numpy(pred), _numpy(target))]
    np.testing.assert_allclose(result.double().numpy(), expected, rtol=1e-5)


def test_psnr_matches_skimage(pair):
    pred, target = pair
    result = metrics.psnr(pred, target)
    assert result.shape == (pred.shape[0],) and result.dtype == pred.dtype
    expected = [
        skimage.metrics.peak_signal_noise_ratio(t, p, data_range=1.0) for p, t in zip(_numpy(pred), _numpy(target))
    ]
    np.testing.assert_allclose(result.double().numpy(), expected, rtol=1e-5)


def test_psnr_data_range_scales(pair):
    pred, target = pair
    scaled = metrics.psnr(pred * 255, target * 255, data_range=255.0)
    np.testing.assert_allclose(scaled.double().numpy(), metrics.psnr(pred, target).double().numpy(), rtol=1e-5)


def test_ssim_matches_skimage(pair):
    pred, target = pair
    result = metrics.ssim(pred, target)
    assert result.shape == (pred.shape[0],) and result.dtype == pred.dtype
    expected = [
        skimage.metrics.structural_similarity(
            p, t, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
        )
        for p, t in zip(_numpy(pred), _numpy(target))
    ]
    tolerance = 2e-3 if pred.dtype == torch.float32 else 1e-8
    np.testing.assert_allclose(result.double().numpy(), expected, rtol=0, atol=tolerance)


def test_ssim_at_minimum_size_matches_skimage():
    rng = np.random.default_rng(1)
    target = rng.uniform(0, 1, (1, 11, 13, 3))
    pred = np.clip(target + rng.normal(0, 0.1, target.shape), 0, 1)
    expected = skimage.metrics.structural_similarity(
        pred[0], target[0], gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1
    )
    result = metrics.ssim(_torch(pred, torch.float64), _torch(target, torch.float64))
    assert result.item() == pytest.approx(expected, abs=1e-8)


# --- independent numpy formulas ----------------------------------------------------------------


def _numpy_colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) for one (H, W, 3) image in [0, 1]."""
    r, g, b = (rgb * 255.0).reshape(-1, 3).T
    rg = r - g
    yb = 0.5 * (r + g) - b
    return math.sqrt(np.std(rg) ** 2 + np.std(yb) ** 2) + 0.3 * math.sqrt(np.mean(rg) ** 2 + np.mean(yb) ** 2)


def test_colorfulness_matches_numpy(pair):
    for images in pair:
        result = metrics.colorfulness(images)
        assert result.shape == (images.shape[0],) and result.dtype == images.dtype
        expected = [_numpy_colorfulness(image) for image in _numpy(images)]
        np.testing.assert_allclose(result.double().numpy(), expected, rtol=1e-4)


def _numpy_auc(pred_ab: np.ndarray, target_ab: np.ndarray) -> float:
    """Zhang et al. (2016) AUC for one (H, W, 2) pair, by looping over the thresholds."""
    error = np.sqrt(((pred_ab - target_ab) ** 2).sum(axis=-1))
    return float(np.mean([np.mean(error <= t) for t in range(151)]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_auc_matches_numpy_loop(dtype):
    rng = np.random.default_rng(2)
    target_ab = rng.uniform(-100, 100, (3, HEIGHT, WIDTH, 2))
    # errors spread over 0 .. ~200 so that every part of the curve (and errors past 150) is used
    pred_ab = target_ab + rng.normal(0, 1, target_ab.shape) * rng.uniform(0, 120, (3, HEIGHT, WIDTH, 1))
    pred, target = _torch(pred_ab, dtype), _torch(target_ab, dtype)
    result = metrics.auc(pred, target)
    assert result.shape == (3,) and result.dtype == dtype
    expected = [_numpy_auc(p, t) for p, t in zip(_numpy(pred), _numpy(target))]
    assert len(set(np.round(expected, 6))) == 3  # the three images differ, so the check is per image
    # one pixel passing one threshold more or less would move the AUC by 1 / (H * W * 151) = 4e-6
    np.testing.assert_allclose(result.double().numpy(), expected, rtol=0, atol=1e-6 if dtype == torch.float32 else 1e-12)


def test_auc_of_natural_images_matches_numpy_on_skimage_lab(pair):
    pred, target = pair
    pred_ab = skimage.color.rgb2lab(_numpy(pred), channel_axis=-1)[..., 1:]
    target_ab = skimage.color.rgb2lab(_numpy(target), channel_axis=-1)[..., 1:]
    expected = [_numpy_auc(p, t) for p, t in zip(pred_ab, target_ab)]
    result = metrics.evaluate(pred, target)["auc"]
    # float32 Lab values differ from skimage's float64 ones by ~1e-5, flipping a few threshold tests
    tolerance = 1e-4 if pred.dtype == torch.float32 else 1e-9
    np.testing.assert_allclose(result.double().numpy(), expected, rtol=0, atol=tolerance)


# --- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_identical_images_are_perfect(dtype):
    images = _torch(NATURAL, dtype)
    assert torch.equal(metrics.mse(images, images.clone()), torch.zeros(3, dtype=dtype))
    assert torch.isinf(metrics.psnr(images, images.clone())).all()
    torch.testing.assert_close(metrics.ssim(images, images.clone()), torch.ones(3, dtype=dtype))
    ab = images[:, :2] * 100
    assert torch.equal(metrics.auc(ab, ab.clone()), torch.ones(3, dtype=dtype))


def test_worse_predictions_score_worse():
    target = _torch(NATURAL, torch.float64)
    rng = np.random.default_rng(3)
    slightly = _torch(np.clip(NATURAL + rng.normal(0, 0.02, NATURAL.shape), 0, 1), torch.float64)
    badly = _torch(np.clip(NATURAL + rng.normal(0, 0.2, NATURAL.shape), 0, 1), torch.float64)
    assert (metrics.mse(slightly, target) < metrics.mse(badly, target)).all()
    assert (metrics.psnr(slightly, target) > metrics.psnr(badly, target)).all()
    assert (metrics.ssim(slightly, target) > metrics.ssim(badly, target)).all()


@pytest.mark.parametrize("error", [(10.0, 0.0), (6.0, 8.0), (0.0, -10.0)])
def test_auc_of_constant_error_of_10(error):
    target_ab = torch.zeros(2, 2, 8, 9, dtype=torch.float64)
    target_ab[1] = 20.0  # integer-valued, so the shifted errors are exactly 10
    pred_ab = target_ab + torch.tensor(error, dtype=torch.float64).view(1, 2, 1, 1)
    expected = (150 - 10 + 1) / 151
    torch.testing.assert_close(metrics.auc(pred_ab, target_ab), torch.full((2,), expected, dtype=torch.float64))


def test_auc_counts_thresholds_from_the_ceiling_and_stops_at_150():
    target_ab = torch.zeros(1, 2, 1, 4)
    pred_ab = torch.zeros(1, 2, 1, 4)
    pred_ab[0, 0, 0] = torch.tensor([0.5, 150.0, 150.5, 400.0])
    # 0.5 passes t = 1..150 (150 thresholds), 150 passes only t = 150, the last two pass none
    assert metrics.auc(pred_ab, target_ab).item() == pytest.approx((150 + 1 + 0 + 0) / 4 / 151)


def test_colorfulness_orders_grey_washed_and_colour():
    grey, _ = PAIRS["grey"]
    washed, _ = PAIRS["washed"]
    grey_score = metrics.colorfulness(_torch(grey, torch.float64))
    washed_score = metrics.colorfulness(_torch(washed, torch.float64))
    colour_score = metrics.colorfulness(_torch(NATURAL, torch.float64))
    torch.testing.assert_close(grey_score, torch.zeros(3, dtype=torch.float64), atol=1e-9, rtol=0)
    assert (grey_score < washed_score).all() and (washed_score < colour_score).all()


def test_colorfulness_of_pure_red_image():
    red = torch.zeros(1, 3, 4, 4)
    red[:, 0] = 1.0
    # rg = 255, yb = 127.5 everywhere: no spread, only the mean term
    assert metrics.colorfulness(red).item() == pytest.approx(0.3 * math.hypot(255.0, 127.5), rel=1e-6)


def test_ssim_is_differentiable():
    target = _torch(NATURAL[:1], torch.float64)
    pred = (target * 0.8 + 0.1).requires_grad_(True)
    metrics.ssim(pred, target).sum().backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


# --- evaluation table --------------------------------------------------------------------------


def test_evaluate_and_summarize():
    pred_np, target_np = PAIRS["washed"]
    pred, target = _torch(pred_np, torch.float32), _torch(target_np, torch.float32)
    results = metrics.evaluate(pred, target)
    assert list(results) == ["mse", "psnr", "ssim", "auc", "colorfulness", "colorfulness_target"]
    for values in results.values():
        assert values.shape == (3,) and values.dtype == torch.float32
    torch.testing.assert_close(results["mse"], metrics.mse(pred, target))
    torch.testing.assert_close(results["psnr"], metrics.psnr(pred, target))
    torch.testing.assert_close(results["ssim"], metrics.ssim(pred, target))
    torch.testing.assert_close(results["colorfulness"], metrics.colorfulness(pred))
    torch.testing.assert_close(results["colorfulness_target"], metrics.colorfulness(target))
    assert ((results["auc"] > 0.5) & (results["auc"] < 1)).all()

    summary = metrics.summarize(results)
    assert list(summary) == list(results)
    for name, value in summary.items():
        assert isinstance(value, float)
        assert value == pytest.approx(float(np.mean(results[name].double().numpy())), rel=1e-6)


def test_summarize_joins_batches_and_keeps_inf():
    summary = metrics.summarize({"psnr": torch.tensor([20.0, math.inf]), "mse": torch.tensor([0.5, 0.25, 0.0])})
    assert summary == {"psnr": math.inf, "mse": pytest.approx(0.25)}
    with pytest.raises(ValueError, match="mse"):
        metrics.summarize({"mse": torch.empty(0)})


# --- argument validation -----------------------------------------------------------------------

RGB = torch.rand(2, 3, 16, 16)


@pytest.mark.parametrize("metric", [metrics.mse, metrics.psnr, metrics.ssim, metrics.evaluate])
@pytest.mark.parametrize(
    ("pred", "target", "message"),
    [
        (RGB, RGB[:1], "same shape"),
        (RGB, RGB[..., :15], "same shape"),
        (RGB[0], RGB[0], r"\(N, 3, H, W\)"),
        (RGB[:, :2], RGB[:, :2], r"\(N, 3, H, W\)"),
    ],
    ids=["batch", "width", "no-batch-dim", "two-channels"],
)
def test_image_metrics_reject_bad_shapes(metric, pred, target, message):
    with pytest.raises(ValueError, match=message):
        metric(pred, target)


def test_ssim_rejects_images_smaller_than_its_window():
    small = torch.rand(1, 3, 10, 32)
    with pytest.raises(ValueError, match="at least 11x11.*10x32"):
        metrics.ssim(small, small)


def test_auc_and_colorfulness_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"pred_ab must have shape \(N, 2, H, W\)"):
        metrics.auc(RGB, RGB)
    with pytest.raises(ValueError, match="same shape"):
        metrics.auc(RGB[:, :2], RGB[:1, :2])
    with pytest.raises(ValueError, match=r"rgb must have shape \(N, 3, H, W\)"):
        metrics.colorfulness(RGB[0])


def test_integer_images_are_rejected():
    images = (RGB * 255).to(torch.uint8)
    with pytest.raises(TypeError, match="float32 or float64"):
        metrics.mse(images, images)

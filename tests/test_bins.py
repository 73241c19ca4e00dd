"""colorlab.bins: ab bin centres, soft encoding, prior, class rebalancing, loss and decoding.

Reference values come from brute-force numpy computations (per-pixel loops, np.bincount), from
torch's own cross-entropy, hand computations and colorlab.viz (gamut test, ab histogram), not
from the code under test.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorlab import bins, viz
from colorlab.data import SyntheticScenes
from colorlab.io import ColorlabError

#: The official pts_in_hull.npy: 313 centres spanning a in [-90, 100], b in [-110, 90].
OFFICIAL_BOX = ((-90.0, -110.0), (100.0, 90.0))


@pytest.fixture(scope="module")
def centres() -> torch.Tensor:
    return bins.gamut_bins()


def _random_ab(generator: torch.Generator, shape=(2, 2, 5, 7), dtype=torch.float64) -> torch.Tensor:
    return (torch.rand(shape, generator=generator, dtype=dtype) * 170 - 85)


# --- bin centres ------------------------------------------------------------------------------


def test_gamut_bins_count_against_the_papers_313(centres, capsys):
    q = centres.shape[0]
    q_coarse = bins.gamut_bins(l_values=torch.linspace(0, 100, 101)).shape[0]
    with capsys.disabled():
        print(f"\n[gamut_bins] centre rule: Q = {q} (L every 0.1), {q_coarse} (L every 1); paper: {bins.OFFICIAL_Q}")
    # A bin whose centre is displayable is also hit by some displayable colour, so the centre rule
    # keeps at most the bins of the data rule below, which itself stays inside the official box of
    # 313; more than 200 because the sRGB gamut covers well over half of that 20 x 21 box.
    assert 200 <= q <= bins.OFFICIAL_Q
    assert q_coarse <= q  # sampling fewer lightness values can only lose bins
    assert centres.dtype == torch.float32 and centres.shape == (q, 2)
    assert torch.equal(centres, torch.round(centres / 10) * 10)  # multiples of the grid step
    assert len({tuple(c) for c in centres.tolist()}) == q  # no duplicates
    assert torch.equal(centres, torch.tensor(sorted(centres.tolist())))  # sorted by a, then b
    assert [0.0, 0.0] in centres.tolist()  # the greys


def test_gamut_bins_agrees_with_viz_ab_gamut():
    l_values = [30.0, 50.0, 75.0]
    expected = set()
    for lightness in l_values:
        _, in_gamut = viz.ab_gamut(lightness, resolution=27, ab_max=130.0)  # grid -130, -120, ..., 130
        grid = np.linspace(-130, 130, 27)
        rows, cols = np.nonzero(in_gamut)  # row = b, column = a
        expected |= {(round(grid[c]), round(grid[r])) for r, c in zip(rows, cols)}
    got = {(round(a), round(b)) for a, b in bins.gamut_bins(l_values=torch.tensor(l_values)).tolist()}
    assert got == expected


def test_gamut_bins_other_step_and_bad_arguments():
    coarse = bins.gamut_bins(step=20, l_values=torch.linspace(0, 100, 101))
    assert torch.equal(coarse, torch.round(coarse / 20) * 20)
    assert 40 <= coarse.shape[0] <= 100  # about a quarter of the step-10 count
    for bad in (0, -10, 2.5):
        with pytest.raises(ColorlabError):
            bins.gamut_bins(step=bad)
    with pytest.raises(ColorlabError):
        bins.gamut_bins(l_values=torch.tensor([50.0, 120.0]))


def test_bins_from_data_on_all_srgb_colours(centres, capsys):
    data_bins = bins.bins_from_data(bins.srgb_ab_samples(32))
    q = data_bins.shape[0]
    with capsys.disabled():
        print(f"\n[bins_from_data] all sRGB colours (32^3 sample): Q = {q}; paper: {bins.OFFICIAL_Q}")
    assert 250 <= q <= bins.OFFICIAL_Q
    assert data_bins.min(dim=0).values.tolist() == list(OFFICIAL_BOX[0])
    assert data_bins.max(dim=0).values.tolist() == list(OFFICIAL_BOX[1])
    data_set = {tuple(c) for c in data_bins.tolist()}
    assert {tuple(c) for c in centres.tolist()} <= data_set  # the centre rule is the stricter one


def test_bins_from_data_counts_and_min_count():
    ab = torch.tensor([[4.9, 5.1, -14.0, 31.0], [0.0, -4.0, 26.0, 2.0]]).view(1, 2, 1, 4)
    # snapped: (0, 0), (10, 0), (-10, 30), (30, 0)
    assert bins.bins_from_data(ab).tolist() == [[-10, 30], [0, 0], [10, 0], [30, 0]]
    twice = [ab, ab[0, :, :, :2]]  # an iterable; a (2, H, W) item counts as one image
    assert bins.bins_from_data(twice, min_count=2).tolist() == [[0, 0], [10, 0]]
    assert bins.bins_from_data(ab, step=20).tolist() == [[-20, 20], [0, 0], [40, 0]]  # 5.1 -> 0, 31 -> 40
    with pytest.raises(ColorlabError):
        bins.bins_from_data(ab, min_count=0)
    with pytest.raises(ColorlabError):
        bins.bins_from_data(torch.zeros(1, 3, 2, 2))


def test_load_centres_round_trip_and_bad_inputs(tmp_path, centres):
    path = tmp_path / "pts_in_hull.npy"
    np.save(path, centres.numpy().astype(np.float64))  # the official file holds float64
    before = path.read_bytes()
    loaded = bins.load_centres(path)
    assert loaded.dtype == torch.float32 and torch.equal(loaded, centres)
    assert path.read_bytes() == before
    assert torch.equal(bins.load_centres(str(path)), centres)
    assert torch.equal(bins.load_centres(centres.tolist()), centres)
    assert torch.equal(bins.load_centres(centres.double()), centres)
    for bad in (np.zeros((313, 3)), np.zeros((2, 313)), np.zeros(626), np.zeros((0, 2)), [[0.0, math.nan]], "abc"):
        with pytest.raises(ColorlabError):
            bins.load_centres(bad)
    np.save(tmp_path / "wrong.npy", np.zeros((2, 313)))
    with pytest.raises(ColorlabError, match="wrong.npy"):
        bins.load_centres(tmp_path / "wrong.npy")
    with pytest.raises(ColorlabError, match="missing.npy"):
        bins.load_centres(tmp_path / "missing.npy")
    (tmp_path / "text.npy").write_text("not numpy")
    with pytest.raises(ColorlabError):
        bins.load_centres(tmp_path / "text.npy")


# --- soft encoding ----------------------------------------------------------------------------


def _soft_encode_numpy(ab: np.ndarray, centres: np.ndarray, k: int, sigma: float) -> np.ndarray:
    n, _, h, w = ab.shape
    out = np.zeros((n, len(centres), h, w))
    for i in range(n):
        for y in range(h):
            for x in range(w):
                d2 = ((centres - ab[i, :, y, x]) ** 2).sum(axis=1)
                nearest = np.argsort(d2, kind="stable")[:k]
                weight = np.exp(-d2[nearest] / (2 * sigma**2))
                out[i, nearest, y, x] = weight / weight.sum()
    return out


@pytest.mark.parametrize("k", [5, 10])
def test_soft_encode_matches_brute_force_numpy(centres, k):
    ab = _random_ab(torch.Generator().manual_seed(k))
    target = bins.soft_encode(ab, centres, k=k, sigma=5.0)
    assert target.shape == (2, centres.shape[0], 5, 7) and target.dtype == torch.float64
    expected = _soft_encode_numpy(ab.numpy(), centres.double().numpy(), k, 5.0)
    np.testing.assert_allclose(target.numpy(), expected, rtol=1e-9, atol=1e-12)


def test_soft_encode_is_a_k_sparse_distribution(centres, device):
    ab = _random_ab(torch.Generator().manual_seed(1), shape=(3, 2, 6, 4), dtype=torch.float32).to(device)
    target = bins.soft_encode(ab, centres, k=5)
    assert target.device.type == device.type and target.dtype == torch.float32
    torch.testing.assert_close(target.sum(dim=1), torch.ones(3, 6, 4, device=device))
    assert ((target > 0).sum(dim=1) == 5).all()
    assert (target >= 0).all()


def test_soft_encode_pixel_at_a_centre_weighs_that_bin_most(centres):
    chosen = torch.tensor([0, 57, 123, centres.shape[0] - 1])
    ab = centres[chosen].T.reshape(1, 2, 1, 4)  # four pixels, each exactly on a centre
    target = bins.soft_encode(ab, centres)
    assert torch.equal(target.argmax(dim=1).flatten(), chosen)
    # the neighbours 10 units away get exp(-100 / 50) = e^-2 of the centre's weight
    interior = target[0, :, 0, 1]
    top = interior.topk(2).values
    assert top[1] / top[0] == pytest.approx(math.exp(-2.0), rel=1e-5)


def test_soft_encode_far_outside_still_sums_to_one(centres):
    ab = torch.tensor([[500.0], [-500.0]]).view(1, 2, 1, 1)  # Gaussian weights would all underflow
    target = bins.soft_encode(ab, centres)
    assert torch.isfinite(target).all() and target.sum().item() == pytest.approx(1.0)


def test_soft_encode_bad_arguments(centres):
    ab = torch.zeros(1, 2, 2, 2)
    with pytest.raises(ColorlabError):
        bins.soft_encode(torch.zeros(1, 3, 2, 2), centres)
    with pytest.raises(ColorlabError):
        bins.soft_encode(ab, centres, k=0)
    with pytest.raises(ColorlabError):
        bins.soft_encode(ab, centres, k=centres.shape[0] + 1)
    with pytest.raises(ColorlabError):
        bins.soft_encode(ab, centres, sigma=0.0)
    with pytest.raises(ColorlabError):
        bins.soft_encode(ab, centres[:, :1])


# --- prior and rebalancing --------------------------------------------------------------------


def _nearest_numpy(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    pixels = ab.transpose(0, 2, 3, 1).reshape(-1, 2)
    return np.array([np.argmin(((centres - p) ** 2).sum(axis=1)) for p in pixels])


def test_empirical_prior_matches_numpy_bincount(centres):
    generator = torch.Generator().manual_seed(2)
    batches = [_random_ab(generator, shape=(2, 2, 4, 4)) * 0.5, _random_ab(generator, shape=(1, 2, 3, 5))]
    prior = bins.empirical_prior(batches, centres)
    assert prior.shape == (centres.shape[0],) and prior.dtype == torch.float32
    assert prior.sum().item() == pytest.approx(1.0)
    index = np.concatenate([_nearest_numpy(b.numpy(), centres.double().numpy()) for b in batches])
    expected = np.bincount(index, minlength=centres.shape[0]) / index.size
    np.testing.assert_allclose(prior.numpy(), expected, rtol=1e-6)
    assert np.array_equal(bins.nearest_bin(batches[1], centres).flatten().numpy(), index[32:])
    assert torch.equal(bins.empirical_prior(batches[0], centres), bins.empirical_prior(iter(batches[:1]), centres))
    with pytest.raises(ColorlabError):
        bins.empirical_prior([], centres)


def test_prior_from_dataset_denormalizes_ab(centres):
    for scheme in ("zhang", "pix2pix"):
        dataset = SyntheticScenes(n=3, size=16, seed=4, scheme=scheme)
        ab = torch.stack([dataset[i][1] for i in range(3)]) * 110  # both schemes store ab / 110
        expected = bins.empirical_prior([ab], centres)
        torch.testing.assert_close(bins.prior_from_dataset(dataset, centres, batch_size=2), expected)
    subset = bins.prior_from_dataset(SyntheticScenes(n=5, size=16, seed=4), centres, max_items=2)
    assert subset.sum().item() == pytest.approx(1.0)
    assert (subset > 0).sum() <= (bins.prior_from_dataset(SyntheticScenes(n=5, size=16, seed=4), centres) > 0).sum()


def _smooth_numpy(prior: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    q = len(centres)
    kernel = np.empty((q, q))
    for i in range(q):
        for j in range(q):
            kernel[i, j] = math.exp(-((centres[i] - centres[j]) ** 2).sum() / (2 * sigma**2))
    kernel /= kernel.sum(axis=0, keepdims=True)  # each bin spreads exactly its own mass
    return kernel @ prior


def test_rebalancing_weights_match_the_papers_formula():
    centres = bins.gamut_bins(step=20).double()
    q = centres.shape[0]
    generator = torch.Generator().manual_seed(3)
    prior = torch.rand(q, generator=generator, dtype=torch.float64) ** 4
    prior[::3] = 0.0  # bins never seen
    prior = prior / prior.sum()
    weights = bins.rebalancing_weights(prior, centres, lam=0.5, sigma=5.0)
    smooth = _smooth_numpy(prior.numpy(), centres.numpy(), 5.0)
    assert smooth.sum() == pytest.approx(1.0)
    assert float((smooth * weights.numpy()).sum()) == pytest.approx(1.0)  # E_{p_smooth}[w] = 1
    expected = 1.0 / (0.5 * smooth + 0.5 / q)
    np.testing.assert_allclose(weights.numpy(), expected / (smooth * expected).sum(), rtol=1e-10)
    # without smoothing the expectation is taken under the prior itself
    raw = bins.rebalancing_weights(prior, centres, lam=0.5, sigma=0.0)
    assert float((prior * raw).sum()) == pytest.approx(1.0)


def test_rebalancing_weights_favour_rare_bins_and_lam_one_is_uniform(centres):
    prior = bins.empirical_prior([bins.srgb_ab_samples(16)], centres)
    weights = bins.rebalancing_weights(prior, centres)
    assert weights.dtype == torch.float32 and (weights > 0).all()
    common, rare = prior.argmax(), prior.argmin()
    assert weights[rare] > 2 * weights[common]
    order = torch.argsort(prior)
    assert weights[order[0]] >= weights[order[-1]]
    torch.testing.assert_close(bins.rebalancing_weights(prior, centres, lam=1.0), torch.ones_like(prior))
    with pytest.raises(ColorlabError):
        bins.rebalancing_weights(prior[:-1], centres)
    with pytest.raises(ColorlabError):
        bins.rebalancing_weights(-prior, centres)
    with pytest.raises(ColorlabError):
        bins.rebalancing_weights(prior, centres, lam=1.5)


# --- loss -------------------------------------------------------------------------------------


def test_rebalanced_cross_entropy_plain_and_unit_weights_equal_torch():
    generator = torch.Generator().manual_seed(5)
    logits = torch.randn(2, 6, 3, 4, generator=generator, dtype=torch.float64)
    target = torch.softmax(3 * torch.randn(2, 6, 3, 4, generator=generator, dtype=torch.float64), dim=1)
    reference = F.cross_entropy(logits, target)  # torch's soft-label cross-entropy
    torch.testing.assert_close(bins.rebalanced_cross_entropy(logits, target, None), reference)
    torch.testing.assert_close(bins.rebalanced_cross_entropy(logits, target, torch.ones(6)), reference)
    hard = target.argmax(dim=1)
    torch.testing.assert_close(
        bins.rebalanced_cross_entropy(logits, hard, torch.ones(6)), F.cross_entropy(logits, hard)
    )


def test_rebalanced_cross_entropy_hand_computed():
    # one image, Q = 3, two pixels
    logits = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]]).view(1, 3, 1, 2)
    target = torch.tensor([[0.0, 0.2], [0.25, 0.8], [0.75, 0.0]]).view(1, 3, 1, 2)
    weights = torch.tensor([1.0, 3.0, 0.5])
    lse1 = math.log(1 + math.e + math.e**2)  # pixel 1: logits (0, 1, 2)
    lse2 = math.log(math.e + 2)  # pixel 2: logits (1, 0, 0)
    ce1 = -(0.25 * (1 - lse1) + 0.75 * (2 - lse1))  # most likely true bin: 2 -> weight 0.5
    ce2 = -(0.2 * (1 - lse2) + 0.8 * (0 - lse2))  # most likely true bin: 1 -> weight 3
    loss = bins.rebalanced_cross_entropy(logits, target, weights)
    assert loss.item() == pytest.approx((0.5 * ce1 + 3.0 * ce2) / 2, rel=1e-6)
    assert bins.rebalanced_cross_entropy(logits, target, None).item() == pytest.approx((ce1 + ce2) / 2, rel=1e-6)
    with pytest.raises(ColorlabError):
        bins.rebalanced_cross_entropy(logits, target[:, :2], weights)
    with pytest.raises(ColorlabError):
        bins.rebalanced_cross_entropy(logits, target, weights[:2])


def test_rebalanced_cross_entropy_trains_towards_the_target(centres):
    ab = _random_ab(torch.Generator().manual_seed(6), shape=(1, 2, 2, 2), dtype=torch.float32)
    target = bins.soft_encode(ab, centres)
    logits = torch.zeros_like(target, requires_grad=True)
    weights = torch.rand(centres.shape[0], generator=torch.Generator().manual_seed(7)) + 0.5
    optimizer = torch.optim.SGD([logits], lr=50.0)
    first = None
    for _ in range(20):
        loss = bins.rebalanced_cross_entropy(logits, target, weights)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first
    mass_on_target_bins = (torch.softmax(logits, dim=1) * (target > 0)).sum(dim=1)
    assert (mass_on_target_bins > 0.9).all()


# --- decoding ---------------------------------------------------------------------------------


def test_decode_mode_mean_and_temperature_limits(centres, device):
    generator = torch.Generator().manual_seed(8)
    q = centres.shape[0]
    # scores at least 0.05 apart, so that temperature 1e-3 leaves the runner-up a weight of e^-50
    logits = torch.stack([torch.randperm(q, generator=generator) for _ in range(24)], dim=1).double() * 0.05
    logits = logits.reshape(q, 2, 3, 4).transpose(0, 1).contiguous().to(device)
    c = centres.double().to(device)
    mode = bins.decode(logits, centres, "mode")
    assert mode.shape == (2, 2, 3, 4) and mode.dtype == torch.float64 and mode.device.type == device.type
    torch.testing.assert_close(mode, c[logits.argmax(dim=1)].permute(0, 3, 1, 2))
    mean = bins.decode(logits, centres, "mean")
    torch.testing.assert_close(mean, torch.einsum("nqhw,qc->nchw", torch.softmax(logits, 1), c))
    assert torch.equal(bins.decode(logits, centres, "annealed_mean", temperature=1.0), mean)
    torch.testing.assert_close(bins.decode(logits, centres, "annealed_mean", temperature=1e-3), mode)
    default = bins.annealed_mean(logits, centres)
    torch.testing.assert_close(default, bins.decode(logits, centres, "annealed_mean", temperature=0.38))
    # annealing moves the mean towards the mode: more saturated than the mean
    assert default.norm(dim=1).mean() > mean.norm(dim=1).mean()


def test_decode_one_hot_distribution_gives_its_centre(centres):
    chosen = torch.tensor([3, 100, 200]).view(1, 1, 3)
    one_hot = F.one_hot(chosen, centres.shape[0]).permute(0, 3, 1, 2).double()
    log_probabilities = torch.log(one_hot)  # -inf off the chosen bin
    expected = centres.double()[chosen.flatten()].T.reshape(1, 2, 1, 3)
    for method in bins.DECODE_METHODS:
        assert torch.equal(bins.decode(log_probabilities, centres, method), expected)


def test_decode_of_a_soft_encoding_recovers_interior_colours(centres):
    ab = torch.tensor([[12.0, -3.0, 41.0], [-7.0, 22.0, 5.0]]).view(1, 2, 1, 3)
    target = bins.soft_encode(ab, centres, k=10)
    recovered = bins.decode(torch.log(target), centres, "mean")
    assert (recovered - ab).abs().max() < 2.5  # the soft encoding keeps sub-bin information
    assert (bins.decode(torch.log(target), centres, "mode") - ab).abs().max() <= 5.0


def test_gradients_flow_through_annealed_mean(centres):
    logits = torch.randn(1, centres.shape[0], 2, 2, generator=torch.Generator().manual_seed(9), requires_grad=True)
    bins.annealed_mean(logits, centres).square().sum().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_decode_bad_arguments(centres):
    logits = torch.zeros(1, centres.shape[0], 2, 2)
    with pytest.raises(ColorlabError):
        bins.decode(logits, centres, "median")
    with pytest.raises(ColorlabError):
        bins.decode(logits, centres, temperature=0.0)
    with pytest.raises(ColorlabError):
        bins.decode(logits[:, :-1], centres)
    with pytest.raises(ColorlabError):
        bins.decode(logits[0], centres)


# --- agreement with viz.ab_histogram ---------------------------------------------------------


def test_bins_from_data_agrees_with_viz_ab_histogram():
    samples = bins.srgb_ab_samples(16)
    counts, edges = viz.ab_histogram(samples, bins=23, ab_max=115.0)  # 10-unit cells centred on multiples of 10
    assert counts.sum() == 16**3
    centre = (edges[:-1] + edges[1:]) / 2
    b_used, a_used = np.nonzero(counts)
    used = {(round(centre[j]), round(centre[i])) for i, j in zip(b_used, a_used)}
    assert used == {(round(a), round(b)) for a, b in bins.bins_from_data(samples).tolist()}
    # on its own bins the nearest-centre counts of the prior are the histogram's counts
    prior = bins.empirical_prior(samples, bins.bins_from_data(samples).double())
    expected = np.sort(counts[counts > 0]) / counts.sum()
    np.testing.assert_allclose(np.sort(prior.numpy()), expected, rtol=1e-9)

"""colorlab.viz: image conversion, figure helpers (Agg backend), the gamut test against skimage."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skimage.color  # noqa: E402
import torch  # noqa: E402

from colorlab import color, viz  # noqa: E402
from colorlab.io import ColorlabError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- to_display / show_images -----------------------------------------------------------------


def test_to_display_converts_channel_first_tensors_and_clips():
    rgb = torch.rand(3, 5, 7)
    rgb[0, 0, 0] = 1.5  # a model may overshoot
    array = viz.to_display(rgb)
    assert array.shape == (5, 7, 3)
    assert array[0, 0, 0] == 1.0
    np.testing.assert_allclose(array[1:, :, 1], rgb[1, 1:].numpy(), rtol=1e-6)
    assert viz.to_display(rgb[None]).shape == (5, 7, 3)  # a batch of one
    assert viz.to_display(rgb[:1]).shape == (5, 7)  # single channel
    lightness = torch.linspace(0, 100, 35).reshape(5, 7)
    np.testing.assert_allclose(viz.to_display(lightness), lightness.numpy(), rtol=1e-6)  # not clipped


def test_to_display_keeps_numpy_channel_last_and_uint8():
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    assert viz.to_display(image) is image
    assert viz.to_display(np.zeros((5, 7, 1), np.float32)).shape == (5, 7)


@pytest.mark.parametrize(
    "bad", [torch.zeros(4, 5, 5), torch.zeros(5), np.zeros((5, 5, 4)), np.zeros((2, 3, 5, 5)), [[0.0]]]
)
def test_to_display_rejects_other_shapes(bad):
    with pytest.raises(ColorlabError):
        viz.to_display(bad)


def test_show_images_layout_and_titles():
    images = {f"image {i}": torch.rand(3, 8, 8) for i in range(5)}
    images["L"] = torch.rand(8, 8) * 100
    fig = viz.show_images(images, ncols=4)
    assert len(fig.axes) == 8  # 2 rows x 4 columns, 2 left empty
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == list(images)
    shown = titled[0].get_images()[0].get_array()
    np.testing.assert_allclose(shown, images["image 0"].permute(1, 2, 0).numpy(), rtol=1e-6)
    assert titled[-1].get_images()[0].get_cmap().name == "gray"
    assert len(viz.show_images({"only": torch.rand(3, 4, 4)}, ncols=4).axes) == 1


def test_show_images_rejects_empty_input_and_bad_ncols():
    with pytest.raises(ColorlabError, match="at least one"):
        viz.show_images({})
    with pytest.raises(ColorlabError, match="ncols"):
        viz.show_images({"a": torch.rand(3, 4, 4)}, ncols=0)


# --- lab_channels_as_rgb ----------------------------------------------------------------------


def test_lab_channels_as_rgb_shows_each_channel_alone():
    generator = torch.Generator().manual_seed(0)
    rgb = torch.rand(3, 6, 6, generator=generator, dtype=torch.float64)
    l, ab = color.rgb_to_l_ab(rgb)
    channels = viz.lab_channels_as_rgb(rgb, lightness=70.0)
    assert set(channels) == {"L", "a", "b"}
    assert all(image.shape == rgb.shape and image.dtype == rgb.dtype for image in channels.values())
    # L panel: a grey with the photo's lightness
    l_panel, ab_panel = color.rgb_to_l_ab(channels["L"])
    torch.testing.assert_close(l_panel, l, atol=1e-3, rtol=0)
    assert ab_panel.abs().max() < 0.01
    # a panel: lightness 70, the photo's a (sign kept even where clipping changed it), b near 0
    lab_a = color.rgb_to_lab(channels["a"])
    strong = ab[0].abs() > 5
    assert torch.equal(torch.sign(lab_a[1][strong]), torch.sign(ab[0][strong]))
    in_range = ab[0].abs() < 40  # at L = 70, |a| < 40 with b = 0 is inside the gamut: exact
    torch.testing.assert_close(lab_a[1][in_range], ab[0][in_range], atol=0.01, rtol=0)
    torch.testing.assert_close(lab_a[0][in_range], torch.full_like(lab_a[0][in_range], 70.0), atol=0.01, rtol=0)
    lab_b = color.rgb_to_lab(channels["b"])
    strong = ab[1].abs() > 5
    assert torch.equal(torch.sign(lab_b[2][strong]), torch.sign(ab[1][strong]))


def test_lab_channels_as_rgb_rejects_batches():
    with pytest.raises(ColorlabError, match=r"\(3, H, W\)"):
        viz.lab_channels_as_rgb(torch.rand(1, 3, 4, 4))


# --- the gamut --------------------------------------------------------------------------------


def _unclipped_linear_rgb(lab: np.ndarray) -> np.ndarray:
    """Independent reference: skimage Lab -> XYZ, then the XYZ -> linear sRGB matrix, no clipping."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns about negative Z; we want the raw values
        xyz = skimage.color.lab2xyz(lab)
    return xyz @ skimage.color.colorconv.rgb_from_xyz.T


@pytest.mark.parametrize("lightness", [10.0, 35.0, 50.0, 80.0, 95.0])
def test_ab_gamut_agrees_with_unclipped_linear_rgb(lightness):
    resolution, ab_max = 81, 120.0
    rgb, in_gamut = viz.ab_gamut(lightness, resolution=resolution, ab_max=ab_max)
    assert rgb.shape == (resolution, resolution, 3) and in_gamut.shape == (resolution, resolution)
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    values = np.linspace(-ab_max, ab_max, resolution)
    b, a = np.meshgrid(values, values, indexing="ij")
    lab = np.stack([np.full_like(a, lightness), a, b], axis=-1)
    linear = _unclipped_linear_rgb(lab)
    z = (lightness + 16) / 116 - b / 200
    clearly_in = (linear > 1e-3).all(-1) & (linear < 1 - 1e-3).all(-1) & (z > 0)
    clearly_out = (linear < -1e-3).any(-1) | (linear > 1 + 1e-3).any(-1) | (z < 0)
    assert clearly_in.sum() > 100 and clearly_out.sum() > 100
    assert in_gamut[clearly_in].all()
    assert not in_gamut[clearly_out].any()
    # rows are b (increasing), columns are a (increasing): in-gamut pixels convert back to their grid point
    back = color.rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(back[in_gamut], lab[in_gamut], atol=0.011)


def test_ab_gamut_sizes_and_extremes():
    assert viz.ab_gamut(0.0)[1].sum() == 1  # black only
    assert viz.ab_gamut(100.0)[1].sum() == 1  # white only (within the tolerance of the rounded constants)
    _, mid = viz.ab_gamut(50.0, resolution=101)
    assert mid[50, 50]  # grey a = b = 0
    assert 0.15 < mid.mean() < 0.5
    # over all lightnesses the sRGB gamut reaches about a in [-86, 98] and b in [-108, 95]
    values = np.linspace(-128, 128, 257)
    union = np.zeros((257, 257), dtype=bool)
    for lightness in np.linspace(2, 98, 25):
        union |= viz.ab_gamut(lightness, resolution=257, ab_max=128)[1]
    b, a = np.meshgrid(values, values, indexing="ij")
    assert 75 <= a[union].max() <= 99 and -87 <= a[union].min() <= -75
    assert 85 <= b[union].max() <= 96 and -109 <= b[union].min() <= -95


@pytest.mark.parametrize("kwargs", [{"l": -1.0}, {"l": 101.0}, {"l": 50.0, "resolution": 1}])
def test_ab_gamut_rejects_bad_arguments(kwargs):
    with pytest.raises(ColorlabError):
        viz.ab_gamut(**kwargs)


def test_plot_ab_gamut_draws_one_panel_per_lightness():
    fig = viz.plot_ab_gamut([25, 75], resolution=41)
    assert len(fig.axes) == 2
    rgba = fig.axes[0].get_images()[0].get_array()
    rgb, in_gamut = viz.ab_gamut(25, resolution=41)
    assert rgba.shape == (41, 41, 4)
    np.testing.assert_array_equal(rgba[..., 3] == 1.0, in_gamut)  # out of gamut is transparent
    np.testing.assert_allclose(rgba[..., :3], rgb)
    assert fig.axes[0].get_title().startswith("L = 25")
    assert fig.axes[1].get_title().startswith("L = 75")


def test_plot_ab_gamut_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert viz.plot_ab_gamut(60, ax=axes[1], resolution=21) is fig
    assert axes[1].get_title().startswith("L = 60") and not axes[0].get_title()
    with pytest.raises(ColorlabError, match="one Axes per L value"):
        viz.plot_ab_gamut([20, 40], ax=axes[0])


# --- swatches ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rgb", [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.2, 0.5, 0.7), (1.0, 1.0, 1.0)])
def test_lab_swatch_round_trips_srgb_colours(rgb):
    lab = skimage.color.rgb2lab(np.array([[rgb]]))[0, 0]
    swatch, in_gamut = viz.lab_swatch(*lab)
    assert in_gamut is True
    assert swatch.shape == (3,)
    np.testing.assert_allclose(swatch, rgb, atol=1e-4)


def test_lab_swatch_flags_and_clips_out_of_gamut_colours():
    swatch, in_gamut = viz.lab_swatch(50.0, 100.0, -100.0)
    assert in_gamut is False
    assert swatch.min() >= 0.0 and swatch.max() <= 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(swatch, skimage.color.lab2rgb(np.array([[[50.0, 100.0, -100.0]]]))[0, 0], atol=1e-4)
    assert viz.lab_swatch(50.0, 0.0, 0.0)[1] is True
    assert viz.lab_swatch(95.0, 0.0, -60.0)[1] is False  # a light, saturated blue does not exist


def test_plot_lab_swatch_shows_colour_and_position():
    fig = viz.plot_lab_swatch(60.0, 40.0, -30.0)
    swatch_ax, plane_ax = fig.axes[:2]
    shown = swatch_ax.get_images()[0].get_array()
    np.testing.assert_allclose(shown[0, 0], viz.lab_swatch(60.0, 40.0, -30.0)[0])
    assert "in gamut" in swatch_ax.get_title() and "OUT" not in swatch_ax.get_title()
    marker = plane_ax.lines[-1]
    assert list(marker.get_xdata()) == [40.0] and list(marker.get_ydata()) == [-30.0]
    assert "OUT of gamut" in viz.plot_lab_swatch(50.0, 100.0, -100.0).axes[0].get_title()


def test_plot_history_draws_losses_and_metrics():
    from colorlab.train import History
    from colorlab.viz import plot_history

    history = History()
    for step in range(1, 31):
        history.log_step(step, {"loss": 1.0 / step, "l1": 0.5})
    history.log_epoch(1, {"psnr": 20.0, "auc": 0.9, "colorfulness": 10.0, "colorfulness_target": 30.0})
    history.log_epoch(2, {"psnr": 22.0, "auc": 0.92, "colorfulness": 15.0, "colorfulness_target": 30.0})
    fig = plot_history(history, smooth=10)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["training loss", "validation psnr", "validation auc", "validation colorfulness"]
    smoothed = fig.axes[0].lines[1]
    assert len(smoothed.get_xdata()) == 21 and smoothed.get_ydata()[-1] == pytest.approx(np.mean([1 / s for s in range(21, 31)]))
    assert list(fig.axes[1].lines[0].get_ydata()) == [20.0, 22.0]


# --- ab histograms ----------------------------------------------------------------------------


def test_ab_histogram_matches_numpy_and_puts_b_on_rows():
    generator = torch.Generator().manual_seed(0)
    ab = torch.randn(3, 2, 10, 12, generator=generator) * 40  # some pixels fall outside +-110
    counts, edges = viz.ab_histogram(ab, bins=22, ab_max=110)
    a, b = ab[:, 0].flatten().double().numpy(), ab[:, 1].flatten().double().numpy()
    expected, _, _ = np.histogram2d(b, a, bins=(edges, edges))
    assert counts.shape == (22, 22) and counts.dtype == np.int64
    np.testing.assert_array_equal(counts, expected)
    inside = (np.abs(a) <= 110) & (np.abs(b) <= 110)
    assert counts.sum() == inside.sum() < a.size
    np.testing.assert_allclose(edges, np.linspace(-110, 110, 23))
    # one pixel at a = 50, b = -30: row from b, column from a
    single = torch.tensor([50.0, -30.0]).view(2, 1, 1)
    counts, edges = viz.ab_histogram(single, bins=22, ab_max=110)
    row, col = np.argwhere(counts)[0]
    assert edges[row] <= -30 < edges[row + 1] and edges[col] <= 50 < edges[col + 1]


def test_ab_histogram_sums_an_iterable_of_differently_sized_images():
    generator = torch.Generator().manual_seed(1)
    images = [torch.randn(1, 2, h, w, generator=generator) * 30 for h, w in ((5, 7), (9, 4), (6, 6))]
    total, _ = viz.ab_histogram(iter(images), bins=16)  # a generator is consumed once
    separate = sum(viz.ab_histogram(image, bins=16)[0] for image in images)
    np.testing.assert_array_equal(total, separate)
    assert total.sum() == sum(image[0, 0].numel() for image in images)
    as_numpy, _ = viz.ab_histogram([image.numpy() for image in images], bins=16)
    np.testing.assert_array_equal(as_numpy, total)


@pytest.mark.parametrize(
    "bad, kwargs",
    [(torch.zeros(3, 4, 4), {}), (torch.zeros(2, 4), {}), (["not an image"], {}), (7, {}),
     (torch.zeros(2, 4, 4), {"bins": 0}), (torch.zeros(2, 4, 4), {"ab_max": 0})],
)
def test_ab_histogram_rejects_bad_input(bad, kwargs):
    with pytest.raises(ColorlabError):
        viz.ab_histogram(bad, **kwargs)


def test_plot_ab_histogram_draws_the_counts_log_or_linear():
    ab = torch.zeros(2, 2, 2, 2)
    ab[1] = 60.0  # image 0: 4 grey pixels, image 1: 4 vivid ones
    ab[0, :, 0, 0] = torch.tensor([-40.0, 20.0])
    fig = viz.plot_ab_histogram(ab, bins=11, ab_max=110)
    ax = fig.axes[0]
    shown = ax.get_images()[0].get_array()
    counts, _ = viz.ab_histogram(ab, bins=11, ab_max=110)
    np.testing.assert_array_equal(shown.filled(0), counts)
    assert shown.mask.sum() == counts.size - 3  # empty bins are masked (drawn white)
    assert isinstance(ax.get_images()[0].norm, matplotlib.colors.LogNorm)
    assert ax.get_title() == "8 pixels"
    assert len(fig.axes) == 2  # the panel and its colour bar
    linear = viz.plot_ab_histogram(ab, bins=11, log=False, title="linear").axes[0]
    assert not isinstance(linear.get_images()[0].norm, matplotlib.colors.LogNorm)
    assert linear.get_title() == "linear"


def test_plot_ab_histogram_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert viz.plot_ab_histogram(torch.zeros(2, 3, 3), ax=axes[1], bins=5) is fig
    assert axes[1].get_images() and not axes[0].get_images()


# --- colorization results -------------------------------------------------------------------------


def _lab_batch(n=3, height=6, width=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    rgb = torch.rand(n, 3, height, width, generator=generator)
    return color.rgb_to_l_ab(rgb)


def test_show_colorizations_rows_are_l_combined_with_each_ab():
    l, ab_true = _lab_batch()
    ab_pred = ab_true * 0.5
    fig = viz.show_colorizations(l, ab_pred, ab_true, titles=["x", "y", "z"])
    assert len(fig.axes) == 3 * 3  # rows: input, prediction, ground truth; one column per image
    labels = [fig.axes[row * 3].get_ylabel() for row in range(3)]
    assert labels == ["input (L)", "prediction", "ground truth"]
    assert [ax.get_title() for ax in fig.axes[:3]] == ["x", "y", "z"]
    shown = [ax.get_images()[0].get_array() for ax in fig.axes]
    for index in range(3):
        truth_rgb = skimage.color.lab2rgb(torch.cat((l, ab_true), 1)[index].permute(1, 2, 0).double().numpy())
        np.testing.assert_allclose(shown[6 + index], truth_rgb, atol=1e-4)
        grey = shown[index]
        assert np.abs(grey - grey.mean(axis=-1, keepdims=True)).max() < 2e-3  # a = b = 0: R = G = B
        half_rgb = viz.to_display(color.l_ab_to_rgb(l[index], ab_pred[index]))
        np.testing.assert_allclose(shown[3 + index], half_rgb, atol=1e-6)


def test_show_colorizations_compares_several_predictions_without_truth():
    l, ab = _lab_batch(n=4)
    fig = viz.show_colorizations(l, {"model A": ab, "model B": -ab}, n=2)
    assert len(fig.axes) == 3 * 2
    assert [fig.axes[row * 2].get_ylabel() for row in range(3)] == ["input (L)", "model A", "model B"]


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((torch.zeros(2, 3, 4, 4), torch.zeros(2, 2, 4, 4)), {}),  # l with 3 channels
        ((torch.zeros(2, 1, 4, 4), torch.zeros(2, 2, 4, 5)), {}),  # size mismatch
        ((torch.zeros(2, 1, 4, 4), torch.zeros(3, 2, 4, 4)), {}),  # batch mismatch
        ((torch.zeros(2, 1, 4, 4), torch.zeros(2, 2, 4, 4), torch.zeros(2, 3, 4, 4)), {}),  # bad truth
        ((torch.zeros(2, 1, 4, 4), {}), {}),  # no prediction
        ((torch.zeros(2, 1, 4, 4), torch.zeros(2, 2, 4, 4)), {"titles": ["only one"]}),
        ((torch.zeros(2, 1, 4, 4), torch.zeros(2, 2, 4, 4)), {"n": 0}),
    ],
)
def test_show_colorizations_rejects_mismatched_input(args, kwargs):
    with pytest.raises(ColorlabError):
        viz.show_colorizations(*args, **kwargs)


def test_plot_ab_histograms_one_panel_per_set_even_from_a_generator():
    _, ab = _lab_batch(n=2)
    masked = ab.permute(1, 0, 2, 3)[:, ab[:, 0] > 0].unsqueeze(-1)  # (2, P, 1): some pixels only
    fig = viz.plot_ab_histograms({"all": ab, "a > 0": masked, "generator": (image for image in ab)}, bins=10)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 3 and len(fig.axes) == 6  # each panel has its colour bar
    pixels = ab[:, 0].numel()
    assert [ax.get_title() for ax in panels] == [f"all: {pixels} pixels", f"a > 0: {masked.shape[1]} pixels",
                                                 f"generator: {pixels} pixels"]
    counts, _ = viz.ab_histogram(ab, bins=10)
    np.testing.assert_array_equal(panels[2].get_images()[0].get_array().filled(0), counts)
    with pytest.raises(ColorlabError):
        viz.plot_ab_histograms({})


# --- user hints (notebook 05) --------------------------------------------------------------------


def test_hint_display_colour_reads_hex_names_rgb_and_ab():
    assert viz.hint_display_colour("#3366ff") == pytest.approx((0x33 / 255, 0x66 / 255, 1.0))
    assert viz.hint_display_colour("red") == (1.0, 0.0, 0.0)
    assert viz.hint_display_colour((0.2, 0.4, 0.6)) == (0.2, 0.4, 0.6)
    blue = viz.hint_display_colour((5.0, -55.0))  # the light blue square's ab, drawn at L = 60
    expected = skimage.color.lab2rgb(np.array([[[60.0, 5.0, -55.0]]]))[0, 0]
    np.testing.assert_allclose(blue, expected, atol=2e-3)
    assert blue[2] > blue[0]
    for bad in ("nocolour", (1, 2, 3, 4), 7):
        with pytest.raises(ColorlabError, match="hint colour"):
            viz.hint_display_colour(bad)


def test_show_hints_marks_the_chosen_panels_and_the_cursor():
    grey, result = torch.full((3, 12, 16), 0.5), torch.rand(3, 12, 16)
    points = [(2, 3, "#ff0000"), (10, 14, (0.0, 0.0, 1.0))]
    fig = viz.show_hints({"grey": grey, "result": result}, points, cursor=(6, 8))
    marked, plain = fig.axes[:2]
    offsets = [collection.get_offsets()[0].tolist() for collection in marked.collections]
    assert offsets == [[3, 2], [3, 2], [14, 10], [14, 10], [8, 6], [8, 6]]  # (x, y): a black rim, the colour; the ring twice
    np.testing.assert_allclose(marked.collections[1].get_facecolor()[0][:3], (1.0, 0.0, 0.0))
    np.testing.assert_allclose(marked.collections[3].get_facecolor()[0][:3], (0.0, 0.0, 1.0))
    assert len(plain.collections) == 0
    both = viz.show_hints({"grey": grey, "result": result}, points[:1], panels=(0, 1))
    assert [len(ax.collections) for ax in both.axes[:2]] == [2, 2]
    with pytest.raises(ColorlabError, match="panel 2 does not exist"):
        viz.show_hints({"grey": grey}, points, panels=(2,))
    with pytest.raises(ColorlabError, match=r"hint point 0: expected \(y, x, colour\)"):
        viz.show_hints({"grey": grey}, [(1, 2)])


def test_plot_psnr_by_hints_draws_values_and_gains_over_zero_hints():
    ours = {0: 20.0, 1: 20.5, 10: 23.0}
    paper = {0: 24.4, 10: 28.4, 100: 31.1}
    fig = viz.plot_psnr_by_hints({"ours": ours, "paper": paper})
    psnr_ax, gain_ax = fig.axes
    np.testing.assert_allclose(psnr_ax.lines[0].get_ydata(), [20.0, 20.5, 23.0])
    np.testing.assert_allclose(gain_ax.lines[1].get_xdata(), [0, 10, 100])
    np.testing.assert_allclose(gain_ax.lines[1].get_ydata(), [0.0, 4.0, 6.7], atol=1e-9)
    assert psnr_ax.get_xscale() == "symlog"
    with pytest.raises(ColorlabError, match="no value for 0 hints"):
        viz.plot_psnr_by_hints({"ours": {1: 20.0}})
    with pytest.raises(ColorlabError, match="at least one curve"):
        viz.plot_psnr_by_hints({})


# --- ab bins and the annealed mean (notebook 04) ---------------------------------------------------


def _grid_centres() -> torch.Tensor:
    return torch.tensor([[-10.0, 20.0], [0.0, 0.0], [30.0, -40.0], [90.0, -100.0]])


def test_plot_ab_bins_paints_each_bin_in_its_own_colour():
    centres = _grid_centres()
    fig = viz.plot_ab_bins(centres, lightness=60.0)
    ax = fig.axes[0]
    image = ax.images[0].get_array()  # (rows b, cols a, RGBA), origin lower
    low = -100.0  # the smallest multiple of 10 among the centres (b = -100)
    for a, b in centres.tolist():
        row, col = int(round((b - low) / 10)), int(round((a - low) / 10))
        expected = color.lab_to_rgb(torch.tensor([60.0, a, b], dtype=torch.float64).view(3, 1, 1)).flatten().numpy()
        np.testing.assert_allclose(image[row, col, :3], expected, atol=1e-6)
        assert image[row, col, 3] == 1.0
    assert image[..., 3].sum() == len(centres)  # every other cell transparent
    assert ax.get_title() == "4 bins"
    left, right, bottom, top = ax.images[0].get_extent()
    assert (left, bottom) == (-105.0, -105.0) and right - left == 10.0 * image.shape[1]


def test_plot_ab_bins_colours_values_on_a_linear_or_log_scale():
    centres = _grid_centres()
    values = torch.tensor([0.5, 0.0, 0.25, 0.25])
    fig = viz.plot_ab_bins(centres, values, label="p", title="prior")
    image = fig.axes[0].images[0]
    grid = image.get_array()
    assert grid[12, 9] == 0.5 and grid[10, 10] == 0.0 and int(np.ma.count(grid)) == 4
    assert image.norm.vmin == 0.0 and image.norm.vmax == 0.5
    assert fig.axes[0].get_title() == "prior" and len(fig.axes) == 2  # the panel and its colour bar
    log_grid = viz.plot_ab_bins(centres, values, log=True).axes[0].images[0].get_array()
    assert int(np.ma.count(log_grid)) == 3  # the zero is left white on a log scale


def test_plot_ab_bins_on_given_axes_and_bad_input():
    fig, ax = plt.subplots()
    assert viz.plot_ab_bins(_grid_centres(), ax=ax) is fig
    with pytest.raises(ColorlabError, match="multiples of step=10"):
        viz.plot_ab_bins(torch.tensor([[1.0, 2.0]]))
    with pytest.raises(ColorlabError, match=r"values must have shape \(4,\)"):
        viz.plot_ab_bins(_grid_centres(), torch.ones(3))
    with pytest.raises(ColorlabError, match=r"shape \(Q, 2\)"):
        viz.plot_ab_bins(torch.zeros(4, 3))
    with pytest.raises(ColorlabError, match="positive value"):
        viz.plot_ab_bins(_grid_centres(), torch.zeros(4), log=True)


def _annealed_inputs():
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[-10.0, 50.0], [10.0, -50.0], [0.0, 0.0], [40.0, 30.0]])
    logits = torch.randn(2, 4, 2, 3, generator=generator) * 2
    lightness = 30 + 40 * torch.rand(2, 1, 8, 12, generator=generator)
    return lightness, logits, centres


@pytest.mark.parametrize("temperature", [1.0, 0.38, 0.05])
def test_show_annealed_mean_shows_l_with_the_decoded_ab(temperature):
    from colorlab import bins

    lightness, logits, centres = _annealed_inputs()
    fig = viz.show_annealed_mean(lightness, logits, centres, temperature)
    assert len(fig.axes) == 2
    ab = bins.decode(logits, centres, "annealed_mean", temperature)
    ab = torch.nn.functional.interpolate(ab, size=(8, 12), mode="bilinear", align_corners=False)
    expected = color.lab_to_rgb(torch.cat((lightness, ab), dim=1))
    for index, ax in enumerate(fig.axes):
        np.testing.assert_allclose(ax.images[0].get_array(), viz.to_display(expected[index]), atol=1e-6)
        assert ax.get_title().endswith(f"chroma {ab[index].norm(dim=0).mean().item():.0f}")
    assert fig.axes[0].get_title().startswith(f"T = {temperature:.2f}:")


def test_show_annealed_mean_colder_is_more_vivid_and_rejects_bad_input():
    lightness, logits, centres = _annealed_inputs()

    def chroma(fig):
        return [float(ax.get_title().rsplit(" ", 1)[1]) for ax in fig.axes]

    cold, warm = chroma(viz.show_annealed_mean(lightness, logits, centres, 0.05)), chroma(viz.show_annealed_mean(lightness, logits, centres, 1.0))
    assert all(c > w for c, w in zip(cold, warm))
    with pytest.raises(ColorlabError, match="temperature must be > 0"):
        viz.show_annealed_mean(lightness, logits, centres, 0.0)
    with pytest.raises(ColorlabError, match="logits must be an"):
        viz.show_annealed_mean(lightness, logits[:1], centres)
    with pytest.raises(ColorlabError, match="logits have 4 classes but there are 3 centres"):
        viz.show_annealed_mean(lightness, logits, centres[:3])

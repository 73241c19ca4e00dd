"""colorlab.film: emulsion responses against hand-computed values, the input mappings, the AuC table."""

import math

import numpy as np
import pytest
import torch

from colorlab import color, film
from colorlab.io import ColorlabError


def _pixels(*rgb_values, dtype=torch.float64) -> torch.Tensor:
    """sRGB triples -> a (1, 3, 1, K) image."""
    return torch.tensor(rgb_values, dtype=dtype).T.reshape(1, 3, 1, len(rgb_values))


# L = 116 Y^(1/3) - 16 above Y = 0.008856, computed by hand (calculator) for each primary:
#   red   (1, 0, 0): panchromatic Y = 0.212671 -> 53.24; orthochromatic Y = 0 -> 0;   blue Y = 0   -> 0
#   green (0, 1, 0): panchromatic Y = 0.715160 -> 87.74; orthochromatic Y = 0.4 -> 69.47; blue Y = 0.1 -> 37.84
#   blue  (0, 0, 1): panchromatic Y = 0.072169 -> 32.30; orthochromatic Y = 0.6 -> 81.84; blue Y = 0.9 -> 96.00
HAND_L = {
    "panchromatic": (53.24, 87.74, 32.30),
    "orthochromatic": (0.0, 69.47, 81.84),
    "blue": (0.0, 37.84, 96.00),
}


@pytest.mark.parametrize("emulsion", film.EMULSIONS)
def test_primaries_print_as_computed_by_hand(emulsion):
    lightness = film.film_l(_pixels((1, 0, 0), (0, 1, 0), (0, 0, 1)), emulsion)
    assert lightness.shape == (1, 1, 1, 3) and lightness.dtype == torch.float64
    assert lightness.flatten().tolist() == pytest.approx(HAND_L[emulsion], abs=0.01)


def test_weights_sum_to_one_so_greys_print_the_same_on_every_film():
    for weights in film.FILM_WEIGHTS.values():
        assert sum(weights) == pytest.approx(1.0, abs=1e-9)
    # sRGB 0.5 is linear ((0.5 + 0.055) / 1.055) ** 2.4 = 0.214041 -> L = 53.39 on every film; white 100, black 0
    greys = _pixels((0.5, 0.5, 0.5), (1, 1, 1), (0, 0, 0))
    for emulsion in film.EMULSIONS:
        assert film.film_l(greys, emulsion).flatten().tolist() == pytest.approx([53.39, 100.0, 0.0], abs=0.01)


def test_dark_values_use_the_linear_segment_of_the_lab_formula():
    # sRGB (0, 0, 0.1): linear blue 0.0100228; orthochromatic Y = 0.6 * 0.0100228 = 0.0060137 < 0.008856,
    # so L = 903.3 * Y = 5.43 (the cube root would give 116 * 0.1818 - 16 = 5.09)
    assert film.film_l(_pixels((0, 0, 0.1)), "orthochromatic").item() == pytest.approx(5.43, abs=0.01)


def test_panchromatic_is_the_kits_lightness_and_the_old_films_are_not():
    rgb = torch.rand((2, 3, 9, 7), generator=torch.Generator().manual_seed(0))
    assert torch.allclose(film.film_l(rgb, "panchromatic"), color.rgb_to_l(rgb), atol=1e-3)
    assert (film.film_l(rgb, "orthochromatic") - color.rgb_to_l(rgb)).abs().mean() > 3


def test_film_response_is_the_weighted_linear_light():
    rgb = _pixels((0.8, 0.2, 0.1))
    linear = color.srgb_to_linear(rgb)[0, :, 0, 0]
    expected = 0.4 * linear[1] + 0.6 * linear[2]
    assert film.film_response(rgb, "orthochromatic").item() == pytest.approx(expected.item(), abs=1e-12)


def test_fading_lifts_the_shadows_and_keeps_white():
    # a grey of linear 0.25 after losing half its density: Y = 0.25 ** 0.5 = 0.5 -> L = 116 * 0.7937 - 16 = 76.07
    grey = color.linear_to_srgb(torch.full((1, 3, 1, 1), 0.25, dtype=torch.float64))
    assert film.film_l(grey, "panchromatic", fade=0.5).item() == pytest.approx(76.07, abs=0.01)
    assert film.film_l(_pixels((1, 1, 1)), "blue", fade=0.5).item() == pytest.approx(100.0, abs=1e-3)


def test_grain_is_seeded_noise_of_the_given_size():
    rgb = torch.full((1, 3, 64, 64), 0.5, dtype=torch.float64)
    first = film.film_l(rgb, "orthochromatic", grain=3.0, generator=torch.Generator().manual_seed(1))
    again = film.film_l(rgb, "orthochromatic", grain=3.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    assert first.std().item() == pytest.approx(3.0, rel=0.1) and first.mean().item() == pytest.approx(53.39, abs=0.2)


def test_film_grey_is_a_grey_image_of_the_film_lightness():
    rgb = _pixels((0.8, 0.2, 0.1), (0.3, 0.5, 0.9), dtype=torch.float32)
    grey = film.film_grey(rgb, "blue")
    assert grey.shape == rgb.shape and grey.dtype == torch.float32
    assert torch.allclose(grey[:, 0], grey[:, 1], atol=1e-4) and torch.allclose(grey[:, 1], grey[:, 2], atol=1e-4)
    assert torch.allclose(color.rgb_to_l(grey), film.film_l(rgb, "blue"), atol=0.05)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: film.film_l(_pixels((1, 0, 0)), "sepia"), "unknown emulsion 'sepia'"),
        (lambda: film.film_l(_pixels((1, 0, 0)), "blue", fade=1.0), "fade must be in"),
        (lambda: film.film_l(_pixels((1, 0, 0)), "blue", grain=-1), "grain must be >= 0"),
        (lambda: film.film_response(torch.zeros(1, 4, 2, 2), "blue"), r"shape \(\.\.\., 3, H, W\)"),
    ],
)
def test_bad_arguments_raise_one_line_errors(call, message):
    with pytest.raises(ColorlabError, match=message):
        call()


# --- the remedies --------------------------------------------------------------------------------


def test_luminance_of_l_inverts_the_lab_formula():
    rgb = torch.rand((1, 3, 5, 5), generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    y = film.film_response(rgb, "orthochromatic")
    assert torch.allclose(film.luminance_of_l(film.film_l(rgb, "orthochromatic")), y, atol=1e-6)
    assert film.luminance_of_l(torch.tensor([[[[53.24]]]], dtype=torch.float64)).item() == pytest.approx(0.212671, abs=1e-4)


def test_recover_l_with_the_true_colour_gives_back_the_true_lightness():
    colours = _pixels((0.87, 0.67, 0.55), (0.45, 0.65, 0.95), (0.25, 0.55, 0.2), (0.6, 0.3, 0.5))  # skin, sky, leaves, mauve
    l_true, ab_true = color.rgb_to_l_ab(colours)
    for emulsion in ("orthochromatic", "blue"):
        l_film = film.film_l(colours, emulsion)
        assert (l_film - l_true).abs().max() > 5  # the film lies ...
        assert torch.allclose(film.recover_l(l_film, ab_true, emulsion), l_true, atol=0.02)  # ... the colour undoes it


def test_recover_l_of_a_grey_guess_changes_nothing():
    l_film = torch.tensor([[[[10.0, 50.0, 90.0]]]], dtype=torch.float64)
    assert torch.allclose(film.recover_l(l_film, torch.zeros(1, 2, 1, 3, dtype=torch.float64), "blue"), l_film, atol=0.01)


def test_restore_converges_to_the_true_lightness_with_a_perfect_colorizer():
    colours = _pixels((0.87, 0.67, 0.55), (0.45, 0.65, 0.95))
    l_true, ab_true = color.rgb_to_l_ab(colours)
    calls = []

    def oracle(lightness):  # always predicts the true colours
        calls.append(lightness)
        return ab_true

    l_film = film.film_l(colours, "orthochromatic")
    lightness, ab = film.restore(l_film, "orthochromatic", oracle, iterations=2)
    assert len(calls) == 3 and torch.equal(calls[0], l_film) and torch.equal(ab, ab_true)
    assert torch.allclose(lightness, l_true, atol=0.02)
    assert film.restore(l_film, "orthochromatic", oracle, iterations=0)[0] is l_film  # 0 rounds: the plain film grey
    assert film.restore(l_film, "panchromatic", oracle)[0] is l_film                   # nothing to undo
    with pytest.raises(ColorlabError, match="iterations must be >= 0"):
        film.restore(l_film, "blue", oracle, iterations=-1)


def test_tone_curve_knots_are_the_mean_true_l_per_film_grey_made_non_decreasing():
    # two colours: red (0.8, 0.15, 0.1) prints at ortho L 11.86 (Y = 0.4 * 0.01961 + 0.6 * 0.01002 = 0.01386) but
    # is L 44.68; a grey of sRGB 0.3 (linear 0.07324) prints at its own L 32.53 on every film.
    # Sorted by film grey the true L falls (44.68 -> 32.53), so the running maximum lifts the grey's knot to 44.68.
    photo = torch.cat([_pixels((0.8, 0.15, 0.1))] * 3 + [_pixels((0.3, 0.3, 0.3))], dim=-1)[0]  # (3, 1, 4)
    mapping = film.fit_input_mapping([photo], "orthochromatic")
    red_film, red_true = film.film_l(_pixels((0.8, 0.15, 0.1)), "orthochromatic").item(), color.rgb_to_l(_pixels((0.8, 0.15, 0.1))).item()
    grey_l = color.rgb_to_l(_pixels((0.3, 0.3, 0.3))).item()
    assert red_film == pytest.approx(11.86, abs=0.01) and red_true == pytest.approx(44.68, abs=0.01) and grey_l == pytest.approx(32.53, abs=0.01)
    assert mapping.film_knots.tolist() == pytest.approx([red_film, grey_l], abs=1e-6)
    assert mapping.pan_knots.tolist() == pytest.approx([red_true, red_true], abs=1e-6)
    mapped = mapping(torch.tensor([[[[0.0, red_film, 80.0]]]]))
    assert mapped.flatten().tolist() == pytest.approx([red_true] * 3, abs=1e-4) and mapped.dtype == torch.float32


def test_tone_curve_of_panchromatic_photos_is_the_identity():
    photo = np.random.default_rng(0).random((20, 30, 3)).astype(np.float32)  # a numpy (H, W, 3) photo
    mapping = film.fit_input_mapping([photo], "panchromatic", n_bins=10)
    assert np.allclose(mapping.film_knots, mapping.pan_knots, atol=1e-3)
    with pytest.raises(ColorlabError, match="at least two different grey levels"):
        film.fit_input_mapping([np.full((4, 4, 3), 0.5, dtype=np.float32)], "blue")


# --- measuring -------------------------------------------------------------------------------------


def _photos():
    rng = np.random.default_rng(3)
    return {f"photo{i}": rng.random((16, 24, 3)).astype(np.float32) for i in range(3)}


def test_film_auc_of_a_colourless_colorizer_equals_the_grey_row_for_every_emulsion():
    def no_colour(lightness):
        return torch.zeros(lightness.shape[0], 2, *lightness.shape[-2:])

    for remedy in film.REMEDIES:
        scores = film.film_auc(_photos(), no_colour, remedy=remedy)
        assert set(scores) == {"grey", *film.EMULSIONS} and set(scores["grey"]) == {"photo0", "photo1", "photo2"}
        for emulsion in film.EMULSIONS:
            assert scores[emulsion] == pytest.approx(scores["grey"], abs=1e-6)
    with pytest.raises(ColorlabError, match="remedy must be one of"):
        film.film_auc(_photos(), no_colour, remedy="magic")


def test_film_auc_scores_the_ab_the_colorizer_returns():
    photos = _photos()
    truth = {name: color.rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None])[:, 1:] for name, rgb in photos.items()}
    order = iter(list(truth.values()) * 3)

    def oracle(lightness):  # returns each photo's true ab, in the order film_auc asks
        return next(order)

    scores = film.film_auc(photos, oracle)
    assert all(value == pytest.approx(1.0) for emulsion in film.EMULSIONS for value in scores[emulsion].values())


def test_ab_error_by_hue_groups_pixels_by_their_true_hue():
    ab_true = torch.tensor([[50.0, 0.0, 3.0, -40.0], [0.0, 50.0, 3.0, -40.0]]).reshape(1, 2, 1, 4)  # red, yellow, grey, blue
    ab_pred = torch.tensor([[40.0, 0.0, 50.0, -40.0], [0.0, 50.0, 50.0, -34.0]]).reshape(1, 2, 1, 4)
    result = film.ab_error_by_hue(ab_pred, ab_true)
    assert result["red / skin"] == (pytest.approx(10.0), 1)
    assert result["yellow"] == (pytest.approx(0.0), 1)
    assert result["blue"] == (pytest.approx(6.0), 1)  # hue 225°
    assert math.isnan(result["green"][0]) and result["green"][1] == 0  # the near-grey pixel counts nowhere
    assert sum(count for _, count in result.values()) == 3


# --- the colorize path and the command line (--film) ---------------------------------------------


@pytest.fixture(scope="module")
def old_photo() -> np.ndarray:
    """The Grace Hopper portrait as an orthochromatic plate would have printed it: (H, W, 3) uint8 grey."""
    from colorlab.data import sample_images

    rgb = torch.from_numpy(sample_images(size=64)["grace_hopper"]).permute(2, 0, 1)
    grey = film.film_grey(rgb, "orthochromatic")
    return (grey.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def test_colorize_with_film_recovers_a_lightness_the_plate_would_have_recorded(old_photo):
    from colorlab import pipeline

    plain = pipeline.colorize(old_photo, "default")
    mapped = pipeline.colorize(old_photo, "default", film="orthochromatic")
    assert np.array_equal(pipeline.colorize(old_photo, "default", film="panchromatic"), plain)
    assert mapped.shape == plain.shape and np.abs(mapped.astype(int) - plain).mean() > 1
    l_plate = color.rgb_to_l(torch.from_numpy(old_photo).permute(2, 0, 1).float() / 255)
    seen_again = film.film_l(torch.from_numpy(mapped).permute(2, 0, 1).float() / 255, "orthochromatic")
    assert (seen_again - l_plate).abs().mean() < 0.5  # through the same film, the result prints as the plate
    with pytest.raises(ColorlabError, match="unknown film 'sepia'"):
        pipeline.colorize(old_photo, "default", film="sepia")


def test_cli_colorize_film_writes_the_film_aware_result(old_photo, tmp_path):
    from colorlab import pipeline
    from colorlab.cli import main
    from colorlab.io import load_image, save_image

    source = save_image(tmp_path / "plate.png", old_photo)
    assert main(["colorize", str(source), "-o", str(tmp_path / "out"), "--model", "default", "--film", "orthochromatic",
                 "--format", "png", "--quiet"]) == 0
    written = load_image(tmp_path / "out" / "plate_color.png")
    expected = pipeline.colorize(old_photo, "default", film="orthochromatic")
    assert np.abs((written * 255 + 0.5).astype(int) - expected).max() <= 1
    with pytest.raises(SystemExit):
        main(["colorize", str(source), "-o", str(tmp_path / "out2"), "--film", "sepia"])

"""The weights that ship inside the package: present, small, loadable, and used by colorize."""

import pytest
import torch

from colorlab import models
from colorlab.color import rgb_to_lab
from colorlab.pipeline import DEFAULT_MODEL, colorize
from colorlab.data import sample_images
from colorlab.metrics import colorfulness
from colorlab.models.registry import BUNDLED_DIR

CARD = (BUNDLED_DIR / "README.md").read_text()


def test_sizes_and_model_cards():
    files = sorted(BUNDLED_DIR.glob("*.pt"))
    assert len(files) >= 2
    assert all(path.stat().st_size <= 12 * 2**20 for path in files)
    assert sum(path.stat().st_size for path in files) <= 30 * 2**20
    for path in files:
        assert f"## `{path.name}`" in CARD, f"{path.name} has no model card"
    assert DEFAULT_MODEL in models.bundled()


@pytest.mark.parametrize("name", models.bundled())
def test_bundled_weights_load_and_differ_from_random_init(name):
    model = models.load(name, weights="bundled").eval()
    torch.manual_seed(0)
    fresh = models.load(name)
    first = next(iter(model.state_dict()))
    assert not torch.equal(model.state_dict()[first], fresh.state_dict()[first])
    assert isinstance(model.input_size, int) and model.scheme in ("zhang", "pix2pix")


def test_default_model_colorizes_a_sample_photo_with_colour_and_the_same_lightness():
    photo = sample_images(size=96)["astronaut"]
    out = colorize(photo)
    assert out.shape == photo.shape
    rgb = torch.from_numpy(out).permute(2, 0, 1)[None].float() / 255
    assert colorfulness(rgb).item() > 5  # not grey
    l_out = rgb_to_lab(rgb)[0, 0]
    l_in = rgb_to_lab(torch.from_numpy(photo).permute(2, 0, 1))[0]
    assert (l_out - l_in).abs().mean() < 1.5  # the photo's own lightness, at full resolution

"""colorlab.widgets: the hint editor only wires controls to colorlab.hints and colorlab.viz."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from colorlab import color, hints, widgets  # noqa: E402
from colorlab.io import ColorlabError  # noqa: E402
from colorlab.models import zhang  # noqa: E402

torch.set_num_threads(1)


class CountingModel(nn.Module):
    """A tiny SIGGRAPH17 that counts its forward passes."""

    scheme = "zhang"
    input_size = 16

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = zhang.SIGGRAPH17(width=0.125).eval()
        self.calls = 0

    def forward(self, l_norm, ab_hint_norm=None, mask=None):
        self.calls += 1
        return self.net(l_norm, ab_hint_norm, mask)


@pytest.fixture
def editor(capsys):
    rgb = torch.rand(3, 24, 32, generator=torch.Generator().manual_seed(1))
    made = widgets.HintEditor(CountingModel(), rgb, patch=3, size=1.0)
    yield made
    capsys.readouterr()  # outside a notebook, display() prints the figure's repr


def test_editor_starts_with_the_automatic_colorization(editor):
    assert editor.points == []
    assert (editor.y_slider.max, editor.x_slider.max) == (23, 31)
    assert (editor.y_slider.value, editor.x_slider.value) == (12, 16)
    torch.testing.assert_close(editor.result, hints.colorize_image_with_hints(editor.model, editor.rgb, []))
    assert editor.model.calls == 2  # the editor's run and the reference's
    assert "0 hints" in editor.message.value
    assert [len(ax.collections) for ax in editor.figure.axes] == [2, 0]  # the cursor ring only


def test_add_undo_clear_change_the_points_and_rerun_the_model(editor):
    editor.y_slider.value, editor.x_slider.value = 5, 30
    editor.picker.value = "#ff0000"
    editor.add_button.click()
    assert editor.points == [(5, 30, "#ff0000")]
    expected = hints.colorize_image_with_hints(editor.model, editor.rgb, [(5, 30, "#ff0000")], patch=3)
    torch.testing.assert_close(editor.result, expected)
    assert "1 hint" in editor.message.value
    assert len(editor.figure.axes[0].collections) == 4  # one hint (rim + colour) and the ring
    editor.picker.value = "blue"  # a colour name is stored as hex
    editor.add_button.click()
    assert editor.points[-1] == (5, 30, "#0000ff")
    editor.undo_button.click()
    assert editor.points == [(5, 30, "#ff0000")]
    torch.testing.assert_close(editor.result, expected)
    editor.clear_button.click()
    assert editor.points == []
    torch.testing.assert_close(editor.result, hints.colorize_image_with_hints(editor.model, editor.rgb, []))
    editor.undo_button.click()  # nothing to undo: no error
    assert editor.points == []


def test_moving_a_slider_redraws_without_running_the_model(editor):
    calls = editor.model.calls
    editor.y_slider.value = 3
    editor.x_slider.value = 7
    assert editor.model.calls == calls
    ring = editor.figure.axes[0].collections[-1]
    assert ring.get_offsets()[0].tolist() == [7, 3]


def test_the_grey_panel_is_the_lightness_the_model_sees(editor):
    grey = torch.from_numpy(editor.figure.axes[0].get_images()[0].get_array()).permute(2, 0, 1)
    lab = color.rgb_to_lab(grey.double())
    assert lab[1:].abs().max() < 0.5  # no colour
    torch.testing.assert_close(lab[0], color.rgb_to_lab(editor.rgb.double())[0], atol=0.05, rtol=0)


def test_editor_rejects_a_non_image():
    with pytest.raises(ColorlabError, match=r"rgb must be a \(3, H, W\)"):
        widgets.HintEditor(CountingModel(), torch.rand(24, 32))

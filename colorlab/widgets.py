"""Jupyter widgets of the notebooks: controls only, wired to plain (tested) colorlab functions.

A widget here holds no colorization logic. It keeps the user's choices (sliders, colour picker,
buttons), calls a plain function of the package when they change and shows what comes back:

* :class:`HintEditor` (notebook 05): place colour hints on a grey image and see the SIGGRAPH17
  result; the callback is :func:`colorlab.hints.colorize_image_with_hints`, the figure is
  :func:`colorlab.viz.show_hints`.

ipywidgets is imported with this module, not with ``import colorlab``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.colors import to_hex
from torch import nn

from colorlab import color, hints, viz
from colorlab.io import ColorlabError

__all__ = ["HintEditor"]


class HintEditor(widgets.VBox):
    """Place hints with two sliders and a colour picker; see the grey image, the hints and the result.

    Controls: ``y`` (row) and ``x`` (column) sliders in pixels of the image, a colour picker, and
    the buttons *add hint* (adds ``(y, x, colour)`` at the sliders' position), *undo* (removes
    the last hint) and *clear* (removes all). The model runs only when the hints change; moving a
    slider just redraws the ring that shows where the next hint goes.

    Args:
        model: a hint-taking network in eval mode (``model(l_norm, ab_hint_norm, mask)``, e.g.
            ``models.load("siggraph17", weights="official").eval()``).
        rgb: ``(3, H, W)`` float in ``[0, 1]``; only its lightness is used.
        patch: side of each painted hint in network pixels (see :func:`colorlab.hints.user_hints`).
        colour: the picker's starting colour, ``"#rrggbb"``.
        size: panel size of the figure, in inches.

    Attributes:
        points: the current hints, a list of ``(y, x, "#rrggbb")``.
        result: the last colorization, ``(3, H, W)`` float RGB in ``[0, 1]``.
        figure: the last figure drawn (already closed; shown in :attr:`output`).
    """

    def __init__(self, model: nn.Module, rgb: torch.Tensor, *, patch: int = 3, colour: str = "#3693f2", size: float = 3.0):
        if not isinstance(rgb, torch.Tensor) or rgb.dim() != 3 or rgb.shape[0] not in (1, 3):
            shape = tuple(rgb.shape) if hasattr(rgb, "shape") else type(rgb).__name__
            raise ColorlabError(f"rgb must be a (3, H, W) or (1, H, W) tensor, got {shape}")
        self.model = model
        self.rgb = rgb.detach().float().cpu().expand(3, -1, -1)
        l, ab = color.rgb_to_l_ab(self.rgb)  # noqa: E741
        self.grey = color.l_ab_to_rgb(l, torch.zeros_like(ab))  # what the model sees
        self.patch = patch
        self.size = size
        self.points: list[tuple[int, int, str]] = []
        self.result: torch.Tensor | None = None
        self.figure = None
        height, width = self.rgb.shape[-2:]
        layout = widgets.Layout(width="260px")
        self.y_slider = widgets.IntSlider(value=height // 2, min=0, max=height - 1, description="y (row)", continuous_update=False, layout=layout)
        self.x_slider = widgets.IntSlider(value=width // 2, min=0, max=width - 1, description="x (column)", continuous_update=False, layout=layout)
        self.picker = widgets.ColorPicker(value=colour, description="colour", concise=False, layout=widgets.Layout(width="220px"))
        self.add_button = widgets.Button(description="add hint", icon="plus", button_style="primary")
        self.undo_button = widgets.Button(description="undo", icon="undo")
        self.clear_button = widgets.Button(description="clear", icon="trash")
        self.message = widgets.HTML()
        self.output = widgets.Output()
        self.add_button.on_click(lambda _button: self.add())
        self.undo_button.on_click(lambda _button: self.undo())
        self.clear_button.on_click(lambda _button: self.clear())
        for slider in (self.y_slider, self.x_slider):
            slider.observe(lambda _change: self.redraw(), names="value")
        super().__init__(
            [
                widgets.HBox([self.y_slider, self.x_slider, self.picker]),
                widgets.HBox([self.add_button, self.undo_button, self.clear_button]),
                self.message,
                self.output,
            ]
        )
        self.refresh()

    def add(self) -> None:
        """Add a hint at the sliders' position with the picker's colour, then recolorize."""
        try:
            colour = to_hex(self.picker.value)
        except ValueError:
            self.message.value = f"<b>not a colour:</b> {self.picker.value!r}"
            return
        self.points.append((int(self.y_slider.value), int(self.x_slider.value), colour))
        self.refresh()

    def undo(self) -> None:
        """Remove the last hint, then recolorize."""
        if self.points:
            self.points.pop()
        self.refresh()

    def clear(self) -> None:
        """Remove every hint, then recolorize (the automatic result)."""
        self.points.clear()
        self.refresh()

    def refresh(self) -> None:
        """Run the model on the current hints and redraw."""
        try:
            self.result = hints.colorize_image_with_hints(self.model, self.rgb, self.points, patch=self.patch)
        except ColorlabError as error:
            self.message.value = f"<b>error:</b> {error}"
            return
        count = len(self.points)
        self.message.value = f"{count} hint{'s' if count != 1 else ''}" + (" (automatic colorization)" if count == 0 else "")
        self.redraw()

    def redraw(self) -> None:
        """Draw the grey image with the hints and the cursor ring, and the current result."""
        images = {"grey input + hints": self.grey, "result": self.result}
        self.figure = viz.show_hints(
            images, self.points, cursor=(self.y_slider.value, self.x_slider.value), ncols=2, size=self.size
        )
        with self.output:
            clear_output(wait=True)
            display(self.figure)
        plt.close(self.figure)

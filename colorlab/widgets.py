"""Jupyter widgets of the notebooks: controls only, wired to plain (tested) colorlab functions.

A widget here holds no colorization logic. It keeps the user's choices (sliders, colour picker,
buttons), calls a plain function of the package when they change and shows what comes back:

* :class:`HintEditor` (notebook 05): place colour hints on a grey image and see the SIGGRAPH17
  result; the callback is :func:`colorlab.hints.colorize_image_with_hints`, the figure is
  :func:`colorlab.viz.show_hints`.
* :class:`ColorizeApp` (notebook 08, and the Voila web app): upload photos, colorize them with a
  model and two sliders, download the result; every callback is a function of :mod:`colorlab.app`.
* :class:`TuringTest` (notebook 09): real or colorized? One photo at a time, for a few seconds;
  the trials and the score (fooling rate with its 95 % interval) come from :mod:`colorlab.turing`.

ipywidgets is imported with this module, not with ``import colorlab``. Both ipywidgets 8 and 7.7
(what Google Colab ships) work: the one difference that matters here, the ``FileUpload`` value,
is handled by :func:`colorlab.app.read_uploads` and :func:`clear_upload`.
"""

from __future__ import annotations

import html
import time
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import clear_output, display
from matplotlib.colors import to_hex
from torch import nn

from colorlab import app, color, hints, viz
from colorlab.io import ColorlabError

__all__ = ["HintEditor", "ColorizeApp", "TuringTest", "IPYWIDGETS_MAJOR", "clear_upload"]

#: The major version of the installed ipywidgets (7 on Colab, 8 elsewhere).
IPYWIDGETS_MAJOR = int(widgets.__version__.split(".")[0])


def clear_upload(upload: widgets.FileUpload) -> None:
    """Forget a ``FileUpload``'s files (frees their bytes; the same file can then be uploaded again).

    ipywidgets 8: ``value = ()``. ipywidgets 7: ``value`` is read-only, computed from ``data`` and
    ``metadata`` when the ``_counter`` changes, so those are emptied and the value set to ``{}``.
    """
    if IPYWIDGETS_MAJOR >= 8:
        upload.value = ()
    else:
        upload.metadata, upload.data = [], []
        upload.set_trait("value", {})


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


class ColorizeApp(widgets.VBox):
    """Upload photos, colorize one with a model and two sliders, see before/after, download it.

    Controls: a file upload (several files; each up to :data:`colorlab.app.MAX_UPLOAD_MB` MB), a
    *photo* dropdown (which upload is shown), a *model* dropdown (:func:`colorlab.app.model_choices`),
    the *intensity* slider, the *temperature* slider (enabled for the classification models
    only), the download *format* (JPEG or PNG) and the JPEG *quality*. The model runs when the
    photo, the model or a slider changes; format and quality only re-encode the download link.
    Every failure shows as one line in :attr:`status`, never a traceback.

    Args:
        online: also offer the official ECCV16 / SIGGRAPH17 weights when they are not cached but
            their server answers (a quick ``HEAD`` request at start).
        preview_side: longest side, in pixels, of the before/after images on screen (the download
            is always full size).

    Attributes:
        photos: ``{name: rgb (H, W, 3) uint8}``, the decoded uploads.
        result: the current colorization, ``(H, W, 3) uint8`` (None before the first upload).
        result_name: the name of the photo :attr:`result` was made from.
        download: the current download, ``(filename, bytes)`` (None before the first result).
        messages: one line for each file of the last upload that could not be read.
        seconds: how long the last colorization took (model + colour conversion), in seconds.
    """

    def __init__(self, *, online: bool = True, preview_side: int = 480):
        self.preview_side = preview_side
        self.photos: dict[str, object] = {}
        self.result = None
        self.download: tuple[str, bytes] | None = None
        self.seconds: float | None = None
        self.result_name: str | None = None
        self.messages: list[str] = []
        self._silent = False
        wide = widgets.Layout(width="420px")
        style = {"description_width": "90px"}
        self.upload = widgets.FileUpload(accept="image/*", multiple=True, description="upload photos")
        self.photo = widgets.Dropdown(options=[], description="photo", layout=wide, style=style)
        self.model = widgets.Dropdown(options=app.model_choices(online=online), description="model", layout=wide, style=style)
        low, high, step, value = app.INTENSITY_RANGE
        self.intensity = widgets.FloatSlider(value=value, min=low, max=high, step=step, description="intensity",
                                             continuous_update=False, layout=wide, style=style)
        low, high, step, value = app.TEMPERATURE_RANGE
        self.temperature = widgets.FloatSlider(value=value, min=low, max=high, step=step, description="temperature",
                                               continuous_update=False, layout=wide, style=style)
        self.format = widgets.ToggleButtons(options=[("JPEG", "jpeg"), ("PNG", "png")], value="jpeg",
                                            tooltips=["JPEG, with the quality on the right", "PNG, lossless"],
                                            style={"button_width": "64px"})
        low, high, step, value = app.QUALITY_RANGE
        self.quality = widgets.IntSlider(value=value, min=low, max=high, step=step, description="JPEG quality",
                                         continuous_update=False, layout=wide, style=style)
        self.status = widgets.HTML(f"Upload one or more photos (JPEG, PNG, ...; up to {app.MAX_UPLOAD_MB} MB each).")
        self.before = widgets.Image(format="jpeg", layout=widgets.Layout(max_width=f"{preview_side}px"))
        self.after = widgets.Image(format="jpeg", layout=widgets.Layout(max_width=f"{preview_side}px"))
        self.link = widgets.HTML()
        for widget, name in [(self.upload, "upload"), (self.photo, "photo"), (self.model, "model"),
                             (self.intensity, "intensity"), (self.temperature, "temperature"), (self.format, "format"),
                             (self.quality, "quality"), (self.status, "status"), (self.before, "before"),
                             (self.after, "after"), (self.link, "download")]:
            widget.add_class(f"colorlab-{name}")
        self.upload.observe(lambda _change: self.add_uploads(), names="value")
        for control in (self.photo, self.intensity, self.temperature):
            control.observe(lambda _change: self.refresh(), names="value")
        self.model.observe(lambda _change: self.model_changed(), names="value")
        for control in (self.format, self.quality):
            control.observe(lambda _change: self.update_download(), names="value")
        caption = widgets.Layout(width=f"{preview_side}px")
        self.results = widgets.VBox(  # shown once there is a result
            [
                widgets.HBox(
                    [
                        widgets.VBox([widgets.HTML("<b>before</b> (what the model sees)", layout=caption), self.before]),
                        widgets.VBox([widgets.HTML("<b>after</b>", layout=caption), self.after]),
                    ]
                ),
                widgets.HBox([widgets.Label("download as", layout=widgets.Layout(width="86px")), self.format, self.quality]),
                self.link,
            ],
            layout=widgets.Layout(display="none"),
        )
        super().__init__(
            [
                widgets.HBox([self.upload, self.photo]),
                self.model,
                self.intensity,
                self.temperature,
                self.status,
                self.results,
            ]
        )
        self.add_class("colorlab-app")  # CSS classes name every part (the browser test finds them so)
        self.model_changed(refresh=False)

    # -- callbacks ------------------------------------------------------------------------------

    def add_uploads(self) -> None:
        """Decode the files just uploaded (one line per unreadable one), show the first good one."""
        uploads = app.read_uploads(self.upload.value)
        if not uploads:
            return
        self.messages, first = [], None
        for upload in uploads:
            try:
                rgb = app.decode_upload(upload)
            except Exception as error:  # noqa: BLE001 - every failure is one line in the app
                self.messages.append(app.error_message(error, upload.name))
                continue
            name = self._unique(upload.name)
            self.photos[name] = rgb
            first = first or name
        with self._quiet():
            clear_upload(self.upload)  # frees the bytes; the same file can be uploaded again
            if first is not None:
                self.photo.options = list(self.photos)
                self.photo.value = first
        if first is None:
            self._show_status(css="colorlab-error")
        else:
            self.refresh()

    def model_changed(self, refresh: bool = True) -> None:
        """Enable the temperature slider for classification models (at the model's own default), recolorize."""
        key = str(self.model.value)
        if key.endswith(":official") and not app.official_cached(key.split(":")[0]):
            self._show_status(f"downloading the official {html.escape(key.split(':')[0])} weights (about 130 MB, once) ...",
                              css="colorlab-busy")
        try:
            classifier = bool(self.model.value) and app.uses_temperature(self.model.value)
            with self._quiet():
                if classifier:
                    value = app.default_temperature(self.model.value)
                    self.temperature.value = min(max(value, self.temperature.min), self.temperature.max)
                self.temperature.disabled = not classifier
        except Exception as error:  # noqa: BLE001 - e.g. official weights that cannot be downloaded
            self._show_status(error=app.error_message(error, str(self.model.value)))
            return
        if refresh:
            self.refresh()

    def refresh(self) -> None:
        """Colorize the selected photo with the current model and sliders, show it, update the link."""
        if self._silent:
            return
        name = self.photo.value
        if name is None or name not in self.photos:
            return
        rgb = self.photos[name]
        model = self.model.value
        temperature = None if self.temperature.disabled else float(self.temperature.value)
        self._show_status(f"colorizing {html.escape(name)} ...", css="colorlab-busy")
        start = time.perf_counter()
        try:
            result = app.colorize_photo(rgb, model, float(self.intensity.value), temperature)
            before, after = app.preview_jpeg(app.grey_version(rgb), self.preview_side), app.preview_jpeg(result, self.preview_side)
        except Exception as error:  # noqa: BLE001 - one line, never a traceback
            self._show_status(error=app.error_message(error, name))
            return
        self.seconds = time.perf_counter() - start
        self.result, self.result_name = result, name
        self.before.value, self.after.value = before, after
        self.results.layout.display = None
        self.update_download()
        height, width = result.shape[:2]
        settings = f"intensity {self.intensity.value:.2f}" + (f", temperature {temperature:.2f}" if temperature is not None else "")
        self._show_status(
            f"<b>{html.escape(name)}</b> ({width}&times;{height}) colorized with {html.escape(app.model_label(model) if isinstance(model, str) else type(model).__name__)}, "
            f"{settings}, in {self.seconds:.2f} s",
            css="colorlab-done",
        )

    def update_download(self) -> None:
        """Encode the current result in the chosen format and quality as a download link."""
        fmt = self.format.value
        self.quality.disabled = fmt != "jpeg"
        if self.result is None or self._silent:
            return
        try:
            data = app.encode_image(self.result, fmt, int(self.quality.value))
        except Exception as error:  # noqa: BLE001
            self._show_status(error=app.error_message(error, self.result_name))
            return
        filename = app.result_filename(self.result_name or "photo", fmt)
        self.download = (filename, data)
        href = app.data_url(data, app.FORMATS[fmt][0])
        self.link.value = (
            f'<a class="colorlab-download-link" download="{html.escape(filename)}" href="{href}">'
            f"&#11015; download {html.escape(filename)}</a> ({len(data) / 1024:.0f} KB)"
        )

    # -- helpers --------------------------------------------------------------------------------

    @contextmanager
    def _quiet(self):
        """Change controls without running the model for each change."""
        self._silent = True
        try:
            yield
        finally:
            self._silent = False

    def _unique(self, name: str) -> str:
        if name not in self.photos:
            return name
        counter = 2
        while f"{name} ({counter})" in self.photos:
            counter += 1
        return f"{name} ({counter})"

    def _show_status(self, text: str | None = None, css: str = "", error: str | None = None) -> None:
        """One line per unreadable upload, then ``text`` (HTML) or the one-line ``error``."""
        lines = [f"&#9888; {html.escape(message)}" for message in self.messages]
        if error:
            lines.append(f"&#9888; {html.escape(error)}")
            css = "colorlab-error"
        elif text:
            lines.append(text)
        if self.messages and not error:
            css = f"{css} colorlab-warning".strip()
        self.status.value = f'<div class="{css}">' + "<br>".join(lines) + "</div>"


class TuringTest(widgets.VBox):
    """The colorization Turing test: each photo shows for ``seconds``, then the judge answers "real" or "colorized".

    The photo is replaced by a grey placeholder when its time is up (the answer buttons stay), or as
    soon as an answer is given; the next photo follows. After the last one the widget shows
    :meth:`colorlab.turing.TuringResult.summary`: the fooling rate with its 95 % interval, next to
    Zhang et al.'s 32 %. The scoring is :func:`colorlab.turing.score_answers`, so a scripted answer
    list gives the same report without a person (the static version in notebook 09).

    Args:
        trials: from :func:`colorlab.turing.make_trials` (real and colorized photos, shuffled).
        seconds: how long each photo shows (Zhang et al.: about 1 s per pair); None: until answered.
        side: longest side of the shown photo, in pixels.

    Attributes:
        answers: the answers so far, ``"real"`` / ``"colorized"``, one per trial shown.
        result: the :class:`colorlab.turing.TuringResult` once every trial is answered, else None.
    """

    def __init__(self, trials, *, seconds: float | None = 2.0, side: int = 320):
        from colorlab import turing

        if not trials:
            raise ColorlabError("the Turing test needs at least one trial")
        self._turing = turing
        self.trials = list(trials)
        self.seconds = seconds
        self.side = side
        self.answers: list[str] = []
        self.result = None
        self._timer = None
        self.progress = widgets.HTML()
        self.image = widgets.Image(format="jpeg", layout=widgets.Layout(max_width=f"{side}px"))
        self.buttons = [widgets.Button(description=answer, button_style="info") for answer in turing.ANSWERS]
        for button, answer in zip(self.buttons, turing.ANSWERS):
            button.on_click(lambda _button, answer=answer: self.answer(answer))
        self.report = widgets.HTML()
        super().__init__([self.progress, self.image, widgets.HBox(self.buttons), self.report])
        self._show()

    def _placeholder(self) -> bytes:
        return app.preview_jpeg(torch.full((self.side // 2, self.side // 2, 3), 128, dtype=torch.uint8).numpy(), self.side)

    def _show(self) -> None:
        index = len(self.answers)
        self.progress.value = f"photo {index + 1} of {len(self.trials)}: real or colorized?"
        self.image.value = app.preview_jpeg(self.trials[index].rgb, self.side)
        if self.seconds:
            import asyncio

            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._timer = loop.call_later(self.seconds, self.hide)

    def hide(self) -> None:
        """Time is up: replace the photo by a grey placeholder until the judge answers."""
        if self.result is None:
            self.image.value = self._placeholder()

    def answer(self, choice: str) -> None:
        """Record ``"real"`` or ``"colorized"`` for the current photo, then show the next one or the score."""
        if self.result is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.answers.append(choice)
        if len(self.answers) < len(self.trials):
            self._show()
            return
        self.result = self._turing.score_answers(self.trials, self.answers)
        self.image.value = self._placeholder()
        self.progress.value = "done"
        for button in self.buttons:
            button.disabled = True
        self.report.value = html.escape(self.result.summary())

"""colorlab.app (the colorize app's callbacks) and colorlab.widgets.ColorizeApp (their wiring).

The callbacks run with the real bundled models across the sliders' whole ranges; uploads are
real encoded files (PNG, JPEG, a truncated JPEG, text, oversize).
"""

import base64
import datetime
import io as pyio

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skimage.color  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from colorlab import app, pipeline as colorize_module, metrics  # noqa: E402
from colorlab.data import sample_images  # noqa: E402
from colorlab.io import ColorlabError, load_image, to_tensor  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photo, 64 x 95, uint8."""
    return (sample_images(size=64)["motorcycle"] * 255 + 0.5).astype(np.uint8)


def _encode(rgb: np.ndarray, fmt: str, **options) -> bytes:
    buffer = pyio.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _colourfulness(rgb: np.ndarray) -> float:
    return metrics.colorfulness(to_tensor(rgb)[None]).item()


def _lightness(rgb: np.ndarray) -> np.ndarray:
    return skimage.color.rgb2lab(rgb / 255.0)[..., 0]


# ----------------------------------------------------------------------------------------------
# Uploads
# ----------------------------------------------------------------------------------------------


def test_read_uploads_takes_both_ipywidgets_layouts():
    now = datetime.datetime.now(datetime.timezone.utc)
    v8 = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc"), "last_modified": now},
          {"name": "b.jpg", "type": "image/jpeg", "size": 2, "content": memoryview(b"de"), "last_modified": now})
    assert app.read_uploads(v8) == [app.Upload("a.png", b"abc"), app.Upload("b.jpg", b"de")]
    v7 = {"c.gif": {"metadata": {"name": "c.gif"}, "content": b"xyz"}}
    assert app.read_uploads(v7) == [app.Upload("c.gif", b"xyz")]
    assert app.read_uploads(()) == [] and app.read_uploads(None) == []
    assert app.Upload("a", b"1234").size == 4


@pytest.mark.parametrize("fmt, options, exact", [("PNG", {}, True), ("JPEG", {"quality": 95, "subsampling": 0}, False), ("WEBP", {"lossless": True}, True)])
def test_decode_upload_returns_the_pixels(photo, fmt, options, exact):
    rgb = app.decode_upload(app.Upload(f"photo.{fmt.lower()}", _encode(photo, fmt, **options)))
    assert rgb.shape == photo.shape and rgb.dtype == np.uint8
    difference = np.abs(rgb.astype(int) - photo.astype(int))
    assert difference.max() == 0 if exact else difference.mean() < 2.5, difference.mean()


def test_decode_upload_grey_and_transparent():
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    rgb = app.decode_upload(app.Upload("grey.png", _encode(grey, "PNG")))
    assert rgb.shape == (6, 8, 3) and (rgb == grey[..., None]).all()
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # fully transparent black -> white
    assert (app.decode_upload(_encode(rgba, "PNG")) == 255).all()


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"a shopping list", "notes.jpg: not an image"),
        (b"", "notes.jpg: empty"),
    ],
)
def test_unreadable_uploads_are_one_line_errors(content, expected):
    with pytest.raises(ColorlabError) as error:
        app.decode_upload(app.Upload("notes.jpg", content))
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)


def test_truncated_jpeg_is_reported(photo):
    data = _encode(photo, "JPEG", quality=95)
    with pytest.raises(ColorlabError, match=r"^cut\.jpg: truncated"):
        app.decode_upload(app.Upload("cut.jpg", data[: len(data) // 2]))


def test_size_caps(photo):
    data = _encode(photo, "PNG")
    with pytest.raises(ColorlabError, match=r"^big\.png: file is 0\.0 MB; the app takes photos up to 0\.0 MB") as error:
        app.decode_upload(app.Upload("big.png", data), max_bytes=len(data) - 1)
    assert "\n" not in str(error.value)
    assert app.decode_upload(app.Upload("ok.png", data), max_bytes=len(data)).shape == photo.shape
    pixels = photo.shape[0] * photo.shape[1]
    with pytest.raises(ColorlabError, match=r"^big\.png: photo is 95x64 = 0\.0 megapixels"):
        app.decode_upload(app.Upload("big.png", data), max_pixels=pixels - 1)
    # the default cap in bytes, with the real number in the message
    with pytest.raises(ColorlabError, match=rf"^huge\.jpg: file is 8\.0 MB; the app takes photos up to {app.MAX_UPLOAD_MB}\.0 MB"):
        app.decode_upload(app.Upload("huge.jpg", bytes(app.MAX_UPLOAD_BYTES + 1)))


def _png_header(width: int, height: int) -> bytes:
    """A PNG claiming ``width x height`` pixels but holding one: what a header-only check sees."""
    import zlib

    data = bytearray(_encode(np.zeros((1, 1), dtype=np.uint8), "PNG"))
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")  # IHDR width, height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # IHDR CRC
    return bytes(data)


@pytest.mark.parametrize(
    "width, height, expected",
    [(6000, 6000, "photo is 6000x6000 = 36.0 megapixels; the app takes up to 30"), (20000, 20000, "photo is 400.0 megapixels")],
)
def test_pixel_cap_reads_only_the_header(width, height, expected):
    with pytest.raises(ColorlabError) as error:
        app.decode_upload(app.Upload("big.png", _png_header(width, height)))
    assert str(error.value).startswith(f"big.png: {expected}") and "\n" not in str(error.value)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------


def test_model_choices_offline_lists_auto_then_the_bundled_models_default_first(monkeypatch):
    monkeypatch.setattr(app, "official_cached", lambda name: False)
    monkeypatch.setattr(app, "official_reachable", lambda name, timeout=3.0: pytest.fail("offline must not probe"))
    choices = app.model_choices(online=False)
    keys = [key for _, key in choices]
    default = colorize_module.DEFAULT_MODEL
    assert choices[0] == (f"auto: {default} (bundled default)", "auto")  # names what auto stands for here
    assert choices[1] == (f"{default} (bundled default)", default)
    from colorlab import models

    assert sorted(keys[1:]) == models.bundled()


def test_model_choices_offer_official_weights_when_cached_or_reachable(monkeypatch):
    monkeypatch.setattr(app, "official_cached", lambda name: name == "eccv16")
    monkeypatch.setattr(app, "official_reachable", lambda name, timeout=3.0: name == "siggraph17")
    labels = dict((key, label) for label, key in app.model_choices(online=True))
    assert labels["eccv16:official"] == "eccv16 (released weights)"
    assert "download" in labels["siggraph17:official"]
    monkeypatch.setattr(app, "official_reachable", lambda name, timeout=3.0: False)
    keys = [key for _, key in app.model_choices(online=True)]
    assert "eccv16:official" in keys and "siggraph17:official" not in keys


def test_official_reachable_is_false_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    assert app.official_reachable("eccv16") is False


def test_official_cached_looks_in_the_torch_hub_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert not app.official_cached("eccv16")
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "colorization_release_v2-9b330a0b.pth").write_bytes(b"x")
    assert app.official_cached("eccv16") and not app.official_cached("siggraph17")


def test_load_model_keys():
    assert app.load_model("default") is colorize_module.get_model("default")
    with pytest.raises(ColorlabError, match="no official weights for 'resnet18_regression'"):
        app.load_model("resnet18_regression:official")
    with pytest.raises(ColorlabError, match="unknown model"):
        app.load_model("no_such_model")
    assert app.uses_temperature("eccv16_small") and app.uses_temperature("resnet18_classifier")
    assert not app.uses_temperature("pix2pix_unet_small") and not app.uses_temperature("resnet18_regression")
    assert app.default_temperature("eccv16_small") == pytest.approx(0.38)
    assert app.default_temperature("resnet18_classifier") == pytest.approx(0.6)  # its calibrated T


# ----------------------------------------------------------------------------------------------
# Colorization across the slider ranges
# ----------------------------------------------------------------------------------------------

INTENSITIES = np.round(np.linspace(*app.INTENSITY_RANGE[:2], 5), 2).tolist()  # 0, 0.5, 1, 1.5, 2
TEMPERATURES = [app.TEMPERATURE_RANGE[0], 0.2, 0.38, 0.7, app.TEMPERATURE_RANGE[1]]


@pytest.mark.parametrize("model", ["default", "eccv16_small", "pix2pix_unet_small"])
def test_intensity_across_its_range(photo, model):
    results = [app.colorize_photo(photo, model, intensity) for intensity in INTENSITIES]
    for result in results:
        assert result.shape == photo.shape and result.dtype == np.uint8
        # only the colour changes: the lightness is the photo's (8-bit rounding, gamut clipping)
        assert np.abs(_lightness(result) - _lightness(photo)).mean() < 1.5
    assert np.ptp(results[0].astype(int), axis=-1).max() <= 1  # intensity 0: grey
    colourfulness = [_colourfulness(result) for result in results]
    assert colourfulness[0] < 1.0
    assert all(low < high for low, high in zip(colourfulness, colourfulness[1:])), colourfulness


def test_temperature_across_its_range_for_the_classifier(photo):
    results = {t: app.colorize_photo(photo, "eccv16_small", 1.0, t) for t in TEMPERATURES}
    for result in results.values():
        assert result.shape == photo.shape and result.dtype == np.uint8
        assert np.abs(_lightness(result) - _lightness(photo)).mean() < 1.5
    coldest, hottest = results[TEMPERATURES[0]].astype(int), results[TEMPERATURES[-1]].astype(int)
    assert np.abs(coldest - hottest).mean() > 0.5  # T changes the colours
    # None is the model's own temperature (0.38)
    np.testing.assert_array_equal(app.colorize_photo(photo, "eccv16_small", 1.0, None), results[0.38])


def test_temperature_is_ignored_by_regression(photo):
    reference = app.colorize_photo(photo, "resnet18_regression", 1.0)
    for temperature in TEMPERATURES:
        np.testing.assert_array_equal(app.colorize_photo(photo, "resnet18_regression", 1.0, temperature), reference)


@pytest.mark.parametrize("intensity", [-0.01, 2.01, float("nan"), float("inf"), "1", True])
def test_intensity_out_of_range(photo, intensity):
    with pytest.raises(ColorlabError, match="intensity must"):
        app.colorize_photo(photo, "default", intensity)


@pytest.mark.parametrize("temperature", [0.0, 0.04, 1.01, float("nan")])
def test_temperature_out_of_range(photo, temperature):
    with pytest.raises(ColorlabError, match="temperature must"):
        app.colorize_photo(photo, "eccv16_small", 1.0, temperature)


def test_grey_version_keeps_the_lightness(photo):
    grey = app.grey_version(photo)
    assert grey.shape == photo.shape and grey.dtype == np.uint8
    assert np.ptp(grey.astype(int), axis=-1).max() <= 1
    assert np.abs(_lightness(grey) - _lightness(photo)).max() < 1.0
    assert np.abs(app.grey_version(photo / 255.0).astype(int) - grey).max() <= 1  # float input too


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quality", [app.QUALITY_RANGE[0], app.QUALITY_RANGE[3], app.QUALITY_RANGE[1]])
def test_jpeg_bytes_decode_to_the_size_across_qualities(photo, quality):
    result = app.colorize_photo(photo, "default")
    data = app.encode_image(result, "jpeg", quality)
    with Image.open(pyio.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (photo.shape[1], photo.shape[0])
    assert np.abs(load_image(data) * 255 - result).mean() < (8 if quality < 70 else 3)


def test_jpeg_quality_sets_the_size_and_png_is_lossless(photo):
    result = app.colorize_photo(photo, "default", 1.5)
    assert len(app.encode_image(result, "jpeg", 50)) < len(app.encode_image(result, "jpeg", 100))
    png = app.encode_image(result, "png")
    with Image.open(pyio.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (photo.shape[1], photo.shape[0])
        np.testing.assert_array_equal(np.asarray(image), result)
    assert app.encode_image(result, "jpg")[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    "args, match",
    [
        (("gif", 90), "format must be one of jpeg, png"),
        (("jpeg", 0), "quality must be an integer in 1..100"),
        (("jpeg", 101), "quality must be an integer in 1..100"),
        (("jpeg", True), "quality must be an integer in 1..100"),
    ],
)
def test_encode_image_rejects_bad_arguments(photo, args, match):
    with pytest.raises(ColorlabError, match=match):
        app.encode_image(photo, *args)


def test_encode_image_needs_uint8_rgb(photo):
    with pytest.raises(ColorlabError, match=r"\(H, W, 3\) uint8"):
        app.encode_image(photo / 255.0)
    with pytest.raises(ColorlabError, match=r"\(H, W, 3\) uint8"):
        app.encode_image(photo[..., 0])


def test_preview_is_small_and_never_enlarged(photo):
    big = np.zeros((600, 900, 3), dtype=np.uint8)
    with Image.open(pyio.BytesIO(app.preview_jpeg(big, max_side=480))) as image:
        assert image.size == (480, 320)
    with Image.open(pyio.BytesIO(app.preview_jpeg(photo, max_side=480))) as image:
        assert image.size == (photo.shape[1], photo.shape[0])


@pytest.mark.parametrize(
    "name, fmt, expected",
    [("photo.png", "jpeg", "photo_color.jpg"), ("a.b.tiff", "png", "a.b_color.png"),
     ("C:\\scans\\old.JPG", "jpg", "old_color.jpg"), ("dir/sub/x", "png", "x_color.png"), ("", "jpeg", "photo_color.jpg")],
)
def test_result_filename(name, fmt, expected):
    assert app.result_filename(name, fmt) == expected


def test_data_url_round_trip():
    url = app.data_url(b"\x00\x01binary", "image/png")
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == b"\x00\x01binary"


def test_error_message_is_one_line():
    assert app.error_message(ColorlabError("x.jpg: not an image")) == "x.jpg: not an image"
    message = app.error_message(RuntimeError("out of memory\nsecond line\n  detail"), "big.tif")
    assert message == "big.tif: could not colorize (RuntimeError: out of memory)"
    assert app.error_message(MemoryError(), None) == "photo: could not colorize (MemoryError)"


def test_before_after_figure(photo):
    import matplotlib.pyplot as plt

    figure = app.before_after_figure({"a": photo, "b": photo[:32]}, intensity=1.5, size=1.0)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["a: before", "a: after (x1.5)", "b: before", "b: after (x1.5)"]
    plt.close(figure)


# ----------------------------------------------------------------------------------------------
# The widget: controls wired to the functions above
# ----------------------------------------------------------------------------------------------


def _file(name: str, data: bytes) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"name": name, "type": "", "size": len(data), "content": memoryview(data), "last_modified": now}


def _upload(colorize_app, *files: dict) -> None:
    """What the browser does when files are uploaded, in the installed ipywidgets' own way."""
    from colorlab import widgets

    upload = colorize_app.upload
    if widgets.IPYWIDGETS_MAJOR >= 8:
        upload.value = files
    else:  # ipywidgets 7 (Colab): metadata + data, then the counter the front end increments
        upload.metadata = [{"name": f["name"], "type": f["type"], "size": f["size"], "lastModified": 0} for f in files]
        upload.data = [bytes(f["content"]) for f in files]
        upload._counter += 1


@pytest.fixture
def colorize_app():
    from colorlab import widgets

    return widgets.ColorizeApp(online=False)


def test_app_uploads_colorizes_and_offers_the_download(colorize_app, photo):
    assert colorize_app.model.value == "auto"  # nothing cached in tests: auto is the bundled default
    assert colorize_app.temperature.disabled is not app.uses_temperature("default")
    _upload(colorize_app, _file("street.png", _encode(photo, "PNG")), _file("notes.jpg", b"not a photo"))
    assert not colorize_app.upload.value  # consumed
    assert list(colorize_app.photos) == ["street.png"] and colorize_app.photo.value == "street.png"
    np.testing.assert_array_equal(colorize_app.result, app.colorize_photo(photo, "default", 1.0))
    status = colorize_app.status.value
    assert "notes.jpg: not an image" in status and f"colorized with auto: {colorize_module.DEFAULT_MODEL} (bundled default)" in status
    assert status.count("<br>") == 1  # one line for the bad file, one for the result
    name, data = colorize_app.download
    assert name == "street_color.jpg" and load_image(data).shape == photo.shape
    assert 'download="street_color.jpg"' in colorize_app.link.value
    assert colorize_app.results.layout.display is None  # shown


def test_app_sliders_model_and_format(colorize_app, photo):
    _upload(colorize_app, _file("street.png", _encode(photo, "PNG")))
    colorize_app.intensity.value = 2.0
    np.testing.assert_array_equal(colorize_app.result, app.colorize_photo(photo, "default", 2.0))
    colorize_app.model.value = "eccv16_small"
    assert not colorize_app.temperature.disabled and colorize_app.temperature.value == pytest.approx(0.38)
    colorize_app.temperature.value = 0.1
    np.testing.assert_array_equal(colorize_app.result, app.colorize_photo(photo, "eccv16_small", 2.0, 0.1))
    assert "temperature 0.10" in colorize_app.status.value
    colorize_app.format.value = "png"
    name, data = colorize_app.download
    assert name == "street_color.png" and colorize_app.quality.disabled
    np.testing.assert_array_equal(np.asarray(Image.open(pyio.BytesIO(data))), colorize_app.result)
    colorize_app.model.value = "pix2pix_unet_small"
    assert colorize_app.temperature.disabled and "temperature" not in colorize_app.status.value.split("colorized")[1]


def test_app_shows_only_one_line_for_a_bad_or_oversize_upload(colorize_app, photo):
    _upload(colorize_app, _file("notes.txt", b"hello"))
    assert colorize_app.result is None and colorize_app.photos == {}
    assert 'class="colorlab-error' in colorize_app.status.value and "<br>" not in colorize_app.status.value
    _upload(colorize_app, _file("huge.jpg", bytes(app.MAX_UPLOAD_BYTES + 1)))
    assert f"huge.jpg: file is 8.0 MB; the app takes photos up to {app.MAX_UPLOAD_MB}.0 MB" in colorize_app.status.value
    assert "Traceback" not in colorize_app.status.value


def test_app_keeps_several_uploads_and_names_them_apart(colorize_app, photo):
    png = _encode(photo, "PNG")
    _upload(colorize_app, _file("a.png", png), _file("b.png", _encode(photo[:40], "PNG")))
    _upload(colorize_app, _file("a.png", png))
    assert list(colorize_app.photos) == ["a.png", "b.png", "a.png (2)"]
    assert colorize_app.photo.value == "a.png (2)"
    colorize_app.photo.value = "b.png"
    assert colorize_app.result.shape[0] == 40 and colorize_app.download[0] == "b_color.jpg"


def test_app_reports_a_failing_model_in_one_line(colorize_app, photo, monkeypatch):
    _upload(colorize_app, _file("a.png", _encode(photo, "PNG")))

    def broken(*args, **kwargs):
        raise RuntimeError("weights went missing\nstack")

    monkeypatch.setattr(app, "colorize_photo", broken)
    colorize_app.intensity.value = 0.5
    assert "a.png: could not colorize (RuntimeError: weights went missing)" in colorize_app.status.value
    assert "stack" not in colorize_app.status.value


# ----------------------------------------------------------------------------------------------
# The README gallery script
# ----------------------------------------------------------------------------------------------


def test_gallery_script_writes_before_after_jpegs_and_is_rerunnable(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    from colorlab.data import SAMPLE_NAMES

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_gallery.py"
    spec = importlib.util.spec_from_file_location("make_gallery", script)
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    assert gallery.main(["--out", str(tmp_path), "--size", "32"]) == 0
    first = {path.name: path.read_bytes() for path in sorted(tmp_path.iterdir())}
    assert sorted(first) == sorted(f"{name}.jpg" for name in SAMPLE_NAMES)  # nothing else (no .part files)
    photos = sample_images(size=32)
    for name, rgb in photos.items():
        with Image.open(tmp_path / f"{name}.jpg") as image:
            height, width = rgb.shape[:2]
            assert image.size == (2 * width + gallery.GAP, height)
            pixels = np.asarray(image).astype(int)
        left, right = pixels[:, :width], pixels[:, width + gallery.GAP:]
        assert np.ptp(left, axis=-1).mean() < 3 < np.ptp(right, axis=-1).mean()  # grey | coloured
    assert gallery.main(["--out", str(tmp_path), "--size", "32"]) == 0  # rerun: same files, overwritten
    assert {path.name: path.read_bytes() for path in sorted(tmp_path.iterdir())} == first
    assert f"gallery of model '{colorize_module.DEFAULT_MODEL}'" in capsys.readouterr().out


def test_app_says_when_official_weights_cannot_be_downloaded(colorize_app, photo, monkeypatch):
    _upload(colorize_app, _file("a.png", _encode(photo, "PNG")))
    monkeypatch.setattr(app, "official_cached", lambda name: False)

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)  # the real download path, offline
    colorize_app.model.options = [*colorize_app.model.options, ("eccv16 (released weights)", "eccv16:official")]
    colorize_app.model.value = "eccv16:official"
    assert "cannot download https://" in colorize_app.status.value and "network unreachable" in colorize_app.status.value
    assert "colorlab-error" in colorize_app.status.value
    assert colorize_app.status.value.count("&#9888;") == 1

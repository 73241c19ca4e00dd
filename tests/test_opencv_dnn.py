"""The OpenCV DNN path: the Caffe deploy net, the Caffe -> ECCV16 converter, and ONNX in cv2.dnn.

The released Caffe files cannot be downloaded here, so the tests write their own: the deploy
prototxt from :func:`deploy_prototxt` and a ``.caffemodel`` built with the ``protobuf`` package
from a minimal subset of Caffe's ``caffe.proto`` (message classes made at run time), holding the
weights of a known :class:`ECCV16` put through the inverse of the conversion rules. OpenCV reads
them back (``readNetFromCaffe``), and the converter must give the source weights again.

Most checks use a width-0.125 network at 64 x 64; one full-width network checks the built-in
prototxt against the released layout and is exported to ONNX once.
"""

from __future__ import annotations

import copy
import re
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

cv2 = pytest.importorskip("cv2", reason="OpenCV is not installed: pip install 'colorlab[opencv]'")

from colorlab.color import rgb_to_lab  # noqa: E402
from colorlab.io import ColorlabError  # noqa: E402
from colorlab.models.zhang import ECCV16, RELEASED_INVERSE_TEMPERATURE, siggraph_class_centres  # noqa: E402

from colorlab import opencv_dnn as od  # noqa: E402

torch.set_num_threads(1)

# ------------------------------------------------------------------------------------------
# The released deploy net (richzhang/colorization, models/colorization_deploy_v2.prototxt),
# written down layer by layer: name, type, num_output, kernel, pad, stride, dilation.

_C = "Convolution"
RELEASED_LAYERS = [
    ("data_l", "Input", None, None, None, None, None),
    ("bw_conv1_1", _C, 64, 3, 1, 1, 1), ("relu1_1", "ReLU", *[None] * 5),
    ("conv1_2", _C, 64, 3, 1, 2, 1), ("relu1_2", "ReLU", *[None] * 5),
    ("conv1_2norm", "BatchNorm", *[None] * 5),
    ("conv2_1", _C, 128, 3, 1, 1, 1), ("relu2_1", "ReLU", *[None] * 5),
    ("conv2_2", _C, 128, 3, 1, 2, 1), ("relu2_2", "ReLU", *[None] * 5),
    ("conv2_2norm", "BatchNorm", *[None] * 5),
    ("conv3_1", _C, 256, 3, 1, 1, 1), ("relu3_1", "ReLU", *[None] * 5),
    ("conv3_2", _C, 256, 3, 1, 1, 1), ("relu3_2", "ReLU", *[None] * 5),
    ("conv3_3", _C, 256, 3, 1, 2, 1), ("relu3_3", "ReLU", *[None] * 5),
    ("conv3_3norm", "BatchNorm", *[None] * 5),
    ("conv4_1", _C, 512, 3, 1, 1, 1), ("relu4_1", "ReLU", *[None] * 5),
    ("conv4_2", _C, 512, 3, 1, 1, 1), ("relu4_2", "ReLU", *[None] * 5),
    ("conv4_3", _C, 512, 3, 1, 1, 1), ("relu4_3", "ReLU", *[None] * 5),
    ("conv4_3norm", "BatchNorm", *[None] * 5),
    ("conv5_1", _C, 512, 3, 2, 1, 2), ("relu5_1", "ReLU", *[None] * 5),
    ("conv5_2", _C, 512, 3, 2, 1, 2), ("relu5_2", "ReLU", *[None] * 5),
    ("conv5_3", _C, 512, 3, 2, 1, 2), ("relu5_3", "ReLU", *[None] * 5),
    ("conv5_3norm", "BatchNorm", *[None] * 5),
    ("conv6_1", _C, 512, 3, 2, 1, 2), ("relu6_1", "ReLU", *[None] * 5),
    ("conv6_2", _C, 512, 3, 2, 1, 2), ("relu6_2", "ReLU", *[None] * 5),
    ("conv6_3", _C, 512, 3, 2, 1, 2), ("relu6_3", "ReLU", *[None] * 5),
    ("conv6_3norm", "BatchNorm", *[None] * 5),
    ("conv7_1", _C, 512, 3, 1, 1, 1), ("relu7_1", "ReLU", *[None] * 5),
    ("conv7_2", _C, 512, 3, 1, 1, 1), ("relu7_2", "ReLU", *[None] * 5),
    ("conv7_3", _C, 512, 3, 1, 1, 1), ("relu7_3", "ReLU", *[None] * 5),
    ("conv7_3norm", "BatchNorm", *[None] * 5),
    ("conv8_1", "Deconvolution", 256, 4, 1, 2, 1), ("relu8_1", "ReLU", *[None] * 5),
    ("conv8_2", _C, 256, 3, 1, 1, 1), ("relu8_2", "ReLU", *[None] * 5),
    ("conv8_3", _C, 256, 3, 1, 1, 1), ("relu8_3", "ReLU", *[None] * 5),
    ("conv8_313", _C, 313, 1, 0, 1, 1),
    ("conv8_313_rh", "Scale", *[None] * 5),
    ("class8_313_rh", "Softmax", *[None] * 5),
    ("class8_ab", _C, 2, 1, 0, 1, 1),
    ("Silence", "Silence", *[None] * 5),
]


def _field(block: str, key: str, default=None):
    match = re.search(rf"\b{key}:\s*\"?([^\s\"}}]+)", block)
    return match.group(1) if match else default


def _parse_prototxt(text: str) -> list[dict]:
    """The layers of a prototxt as dicts (top-level fields and convolution settings)."""
    layers = []
    for block in text.split("layer {")[1:]:
        conv = "convolution_param" in block
        number = (lambda key, default: int(_field(block, key, default))) if conv else (lambda key, default: None)
        layers.append({
            "name": _field(block, "name"), "type": _field(block, "type"),
            "bottom": _field(block, "bottom"), "top": _field(block, "top"),
            "spec": (number("num_output", 0), number("kernel_size", 0), number("pad", 0), number("stride", 1),
                     number("dilation", 1)),
            "text": block,
        })
    return layers


# ------------------------------------------------------------------------------------------
# Writing a .caffemodel: Caffe's NetParameter, the fields OpenCV reads, built with protobuf.


def _caffe_net_parameter_class():
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="colorlab_test_caffe.proto", package="caffe", syntax="proto2")

    def message(name, fields):
        described = proto.message_type.add(name=name)
        for field_name, number, kind, label, type_name, packed in fields:
            entry = described.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                entry.type_name = type_name
            if packed:
                entry.options.packed = True

    repeated, optional = field.LABEL_REPEATED, field.LABEL_OPTIONAL
    # field numbers of BVLC caffe.proto
    message("BlobShape", [("dim", 1, field.TYPE_INT64, repeated, None, True)])
    message("BlobProto", [("data", 5, field.TYPE_FLOAT, repeated, None, True),
                          ("shape", 7, field.TYPE_MESSAGE, optional, ".caffe.BlobShape", False)])
    message("LayerParameter", [("name", 1, field.TYPE_STRING, optional, None, False),
                               ("type", 2, field.TYPE_STRING, optional, None, False),
                               ("blobs", 7, field.TYPE_MESSAGE, repeated, ".caffe.BlobProto", False)])
    message("NetParameter", [("name", 1, field.TYPE_STRING, optional, None, False),
                             ("layer", 100, field.TYPE_MESSAGE, repeated, ".caffe.LayerParameter", False)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.NetParameter"))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _add_blob(layer, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype="<f4")
    blob = layer.blobs.add()
    blob.shape.dim.extend(array.shape)
    raw = array.tobytes()  # the packed "data" field (number 5, length-delimited): much faster than extend()
    blob.MergeFromString(bytes([5 << 3 | 2]) + _varint(len(raw)) + raw)


def write_caffemodel(path, model: ECCV16, bn_scale_factor: float = 1.0) -> None:
    """The weights of ``model`` as a Caffe deploy-net ``.caffemodel`` (the inverse conversion).

    ``class8_ab`` and ``conv8_313_rh`` get no blobs (the demos set them after loading).
    """
    state = model.state_dict()
    net = _caffe_net_parameter_class()(name="LtoAB")
    for entry in od.CAFFE_TO_TORCH:
        prefix = entry.module
        if entry.kind == "decode":
            continue
        if entry.kind == "bn":
            assert torch.all(state[f"{prefix}.weight"] == 1) and torch.all(state[f"{prefix}.bias"] == 0)
            layer = net.layer.add(name=entry.name, type="BatchNorm")
            _add_blob(layer, state[f"{prefix}.running_mean"].numpy() * bn_scale_factor)
            _add_blob(layer, state[f"{prefix}.running_var"].numpy() * bn_scale_factor)
            _add_blob(layer, np.array([bn_scale_factor]))
            continue
        weight, bias = state[f"{prefix}.weight"].numpy(), state[f"{prefix}.bias"].numpy()
        if entry.name == "bw_conv1_1":
            weight = weight / 100.0
        if entry.kind == "scores":
            weight, bias = weight / model.folded_inverse_temperature, bias / model.folded_inverse_temperature
        layer = net.layer.add(name=entry.name, type="Deconvolution" if entry.kind == "deconv" else "Convolution")
        _add_blob(layer, weight)
        _add_blob(layer, bias)
    with open(path, "wb") as file:
        file.write(net.SerializeToString())


def _released_like(width: float, seed: int, centres: torch.Tensor | None = None) -> ECCV16:
    """An ECCV16 with random weights and BatchNorm statistics, 2.606 folded in (as the release)."""
    torch.manual_seed(seed)
    model = ECCV16(width, centres, folded_inverse_temperature=RELEASED_INVERSE_TEMPERATURE).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model


def _caffe_ab(model: ECCV16, lightness: torch.Tensor) -> torch.Tensor:
    """What the Caffe net computes, with torch: ab in Lab units at 1/4 size for ``L (N, 1, h, w)``."""
    with torch.no_grad():
        scores = model.logits((lightness - 50.0) / 100.0)
        return model.model_out(torch.softmax(scores, dim=1)) * 110.0


def _lightness(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random ``L (H, W)`` float32 in [30, 70]."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 1, 6, 6, generator=generator)
    smooth = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False)[0, 0]
    return (30.0 + 40.0 * smooth.clamp(0, 1)).numpy().astype(np.float32)


# ------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A width-0.125 ECCV16, its Caffe files (BatchNorm scale factor 2.5) and the loaded net."""
    folder = tmp_path_factory.mktemp("caffe_small")
    model = _released_like(0.125, seed=0)
    prototxt, caffemodel = folder / "deploy.prototxt", folder / "release.caffemodel"
    prototxt.write_text(od.deploy_prototxt(0.125, model.num_classes))
    write_caffemodel(caffemodel, model, bn_scale_factor=2.5)
    centres = folder / "pts_in_hull.npy"
    np.save(centres, model.centres.numpy().astype(np.float64))
    net = od.load_caffe_net(prototxt, caffemodel, centres)
    return {"model": model, "prototxt": prototxt, "caffemodel": caffemodel, "centres": centres, "net": net}


@pytest.fixture(scope="module")
def full_model():
    """A full-width ECCV16 with random weights and 313 bins (10-unit grid points standing in for
    ``pts_in_hull.npy``): the size of the release."""
    return _released_like(1.0, seed=1, centres=siggraph_class_centres()[:313])


@pytest.fixture(scope="module")
def onnx_file(full_model, tmp_path_factory):
    """``full_model`` exported for 64 x 64 inputs (the model was in train mode during the export)."""
    path = tmp_path_factory.mktemp("onnx") / "eccv16.onnx"
    before = copy.deepcopy(full_model.state_dict())
    full_model.train()
    try:
        returned = od.export_onnx(full_model, path, size=64)
        assert full_model.training, "export_onnx must not change the model's mode"
    finally:
        full_model.eval()
    assert all(torch.equal(before[key], value) for key, value in full_model.state_dict().items())
    assert returned == path
    return path


# ------------------------------------------------------------------------------------------
# The deploy prototxt


def test_deploy_prototxt_is_the_released_net_layer_by_layer():
    text = od.deploy_prototxt()
    layers = _parse_prototxt(text)
    assert [(layer["name"], layer["type"]) for layer in layers] == [row[:2] for row in RELEASED_LAYERS]
    for layer, row in zip(layers, RELEASED_LAYERS):
        if row[1] in ("Convolution", "Deconvolution"):
            assert layer["spec"] == row[2:], layer["name"]
    # a chain: every layer reads what the previous one wrote (ReLUs in place)
    for previous, layer in zip(layers[:-1], layers[1:]):
        assert layer["bottom"] == previous["top"], layer["name"]
    assert layers[1]["top"] == "conv1_1" and layers[-2]["top"] == "class8_ab"
    assert re.search(r"dim: 1 dim: 1 dim: 224 dim: 224", layers[0]["text"])
    scale = layers[[layer["name"] for layer in layers].index("conv8_313_rh")]["text"]
    assert "bias_term: false" in scale and re.search(r"value: 2\.606\b", scale)


def test_deploy_prototxt_scales_with_width_and_bins_like_eccv16():
    model = ECCV16(0.25, torch.zeros(100, 2))
    layers = {layer["name"]: layer["spec"] for layer in _parse_prototxt(od.deploy_prototxt(0.25, 100, size=64))}
    state = model.state_dict()
    for entry in od.CAFFE_TO_TORCH:
        if entry.kind == "bn":
            continue
        weight = state[f"{entry.module}.weight"]
        out_channels = weight.shape[1] if entry.kind == "deconv" else weight.shape[0]
        assert layers[entry.name][0] == out_channels, entry.name
    assert layers["class8_ab"][0] == 2 and layers["conv8_313"][0] == 100
    with pytest.raises(ColorlabError, match="width"):
        od.deploy_prototxt(0)
    with pytest.raises(ColorlabError, match="num_classes"):
        od.deploy_prototxt(1.0, 0)


def test_opencv_reads_the_prototxt_with_its_layer_names(tmp_path):
    path = tmp_path / "deploy.prototxt"
    path.write_text(od.deploy_prototxt())
    net = cv2.dnn.readNetFromCaffe(str(path))
    names = list(net.getLayerNames())
    # OpenCV names the first layer after its output blob, as it does for the released file
    expected = ["conv1_1" if row[0] == "bw_conv1_1" else row[0] for row in RELEASED_LAYERS[1:]]
    assert names == expected
    assert net.getLayer(net.getLayerId("conv8_1")).type == "Deconvolution"


# ------------------------------------------------------------------------------------------
# Caffe weights -> ECCV16


def test_converter_gives_back_the_source_weights(small):
    state = od.caffe_state_dict(small["net"])
    source = small["model"].state_dict()
    assert list(state) == list(source)
    for key, value in source.items():
        assert state[key].shape == value.shape, key
        assert state[key].dtype == value.dtype, key
        torch.testing.assert_close(state[key], value, rtol=2e-6, atol=1e-7, msg=key)


def test_eccv16_from_caffe_matches_the_caffe_net_and_the_source(small):
    model = od.eccv16_from_caffe(small["net"], input_size=128)
    assert not model.training and model.width == 0.125 and model.input_size == 128
    assert model.num_classes == small["model"].num_classes
    assert model.folded_inverse_temperature == pytest.approx(2.606)
    assert model.temperature == pytest.approx(1 / 2.606)
    torch.testing.assert_close(model.centres, small["model"].centres, rtol=0, atol=1e-4)

    lightness = torch.from_numpy(_lightness(64, 64, seed=1))[None, None]
    ab_caffe = od.caffe_forward(small["net"], (lightness - 50.0).numpy())
    assert ab_caffe.shape == (1, 2, 16, 16)
    # the Caffe net's result in ab / 110 units, against the source network's computation
    expected = _caffe_ab(small["model"], lightness)
    assert expected.abs().max() > 1.0  # not trivially near zero
    np.testing.assert_allclose(ab_caffe / 110.0, expected.numpy() / 110.0, rtol=0, atol=1e-4)
    # the converted model's forward pass: the Caffe result upsampled x 4
    with torch.no_grad():
        ab_norm = model((lightness - 50.0) / 100.0)
    upsampled = F.interpolate(torch.from_numpy(ab_caffe), scale_factor=4, mode="bilinear", align_corners=False)
    torch.testing.assert_close(ab_norm, upsampled / 110.0, rtol=0, atol=1e-4)


def test_full_width_round_trip_with_the_builtin_prototxt(full_model, tmp_path):
    caffemodel = tmp_path / "colorization_release_v2.caffemodel"
    write_caffemodel(caffemodel, full_model)
    net = od.load_caffe_net(None, caffemodel, full_model.centres)
    model = od.eccv16_from_caffe(net)
    assert sum(parameter.numel() for parameter in model.parameters()) == 32_236_011
    source = full_model.state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, source[key], rtol=2e-6, atol=1e-7, msg=key)
    lightness = torch.from_numpy(_lightness(32, 32, seed=2))[None, None]
    ab_caffe = od.caffe_forward(net, (lightness - 50.0).numpy())
    np.testing.assert_allclose(ab_caffe / 110.0, _caffe_ab(full_model, lightness).numpy() / 110.0, rtol=0, atol=1e-4)


def test_converter_needs_the_decoding_blobs(small):
    raw = cv2.dnn.readNetFromCaffe(str(small["prototxt"]), str(small["caffemodel"]))
    with pytest.raises(ColorlabError, match="conv8_313_rh.*load_caffe_net"):
        od.caffe_state_dict(raw)
    od.set_decoding_blobs(raw, small["centres"])
    torch.testing.assert_close(od.caffe_state_dict(raw)["model_out.weight"], small["model"].model_out.weight,
                               rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------------
# The demos' pre- and post-processing


def test_predict_ab_caffe_resizes_centres_and_resizes_back(small):
    lightness = _lightness(48, 80, seed=3)
    l_out, ab = od.predict_ab_caffe(lightness, small["net"], size=64)
    np.testing.assert_array_equal(l_out, lightness)
    assert ab.shape == (48, 80, 2) and ab.dtype == np.float32
    # the same steps with torch: bilinear resize to 64 x 64, the network, bilinear resize back
    small_l = F.interpolate(torch.from_numpy(lightness)[None, None], size=(64, 64), mode="bilinear", align_corners=False)
    ab_small = _caffe_ab(small["model"], small_l)
    expected = F.interpolate(ab_small, size=(48, 80), mode="bilinear", align_corners=False)[0].permute(1, 2, 0)
    np.testing.assert_allclose(ab, expected.numpy(), rtol=0, atol=0.02)


def test_colorize_caffe_keeps_the_lightness_and_adds_the_predicted_ab(small):
    lightness = _lightness(40, 56, seed=4)
    rgb = od.colorize_caffe(lightness, small["net"], size=64)
    assert rgb.shape == (40, 56, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    _, ab = od.predict_ab_caffe(lightness, small["net"], size=64)
    assert np.abs(ab).max() > 1.0  # some colour, so the check below is not about grey only
    lab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    inside = ((rgb > 0.002) & (rgb < 0.998)).all(axis=2)  # not clipped to the sRGB cube
    assert inside.mean() > 0.9
    np.testing.assert_allclose(lab[inside][:, 0], lightness[inside], atol=0.05)
    np.testing.assert_allclose(lab[inside][:, 1:], ab[inside], atol=0.2)


def test_colorize_caffe_takes_images_and_sets_the_blobs_of_a_raw_net(small):
    generator = torch.Generator().manual_seed(5)
    rgb_in = F.interpolate(torch.rand(1, 3, 4, 4, generator=generator), size=(32, 48), mode="bilinear")[0]
    image = rgb_in.permute(1, 2, 0).numpy().astype(np.float32)
    lightness, _ = od.predict_ab_caffe(image, small["net"], size=64)
    # the lightness comes from the image: OpenCV's float RGB -> Lab agrees with the kit's
    # (skimage-convention) conversion to about 0.2 L units
    np.testing.assert_allclose(lightness, rgb_to_lab(rgb_in)[0].numpy(), atol=0.25)
    raw = cv2.dnn.readNetFromCaffe(str(small["prototxt"]), str(small["caffemodel"]))
    np.testing.assert_allclose(od.colorize_caffe(image, raw, small["centres"], size=64),
                               od.colorize_caffe(image, small["net"], size=64), rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------------
# Errors


def test_load_caffe_net_errors_name_the_file(small, tmp_path):
    with pytest.raises(ColorlabError, match="missing.caffemodel: caffemodel not found"):
        od.load_caffe_net(small["prototxt"], tmp_path / "missing.caffemodel", small["centres"])
    with pytest.raises(ColorlabError, match="missing.prototxt: prototxt not found"):
        od.load_caffe_net(tmp_path / "missing.prototxt", small["caffemodel"], small["centres"])
    garbage = tmp_path / "garbage.caffemodel"
    garbage.write_bytes(b"this is not a caffemodel")
    with pytest.raises(ColorlabError, match="garbage.caffemodel: no weights for layer bw_conv1_1") as error:
        od.load_caffe_net(small["prototxt"], garbage, small["centres"])
    assert "\n" not in str(error.value)
    truncated = tmp_path / "truncated.caffemodel"  # e.g. an interrupted download
    truncated.write_bytes(small["caffemodel"].read_bytes()[:20_000])
    with pytest.raises(ColorlabError, match="truncated.caffemodel: OpenCV cannot read the Caffe net") as error:
        od.load_caffe_net(small["prototxt"], truncated, small["centres"])
    assert "\n" not in str(error.value)
    with pytest.raises(ColorlabError, match="release.caffemodel: OpenCV cannot read the Caffe net"):
        od.load_caffe_net(small["caffemodel"], small["caffemodel"], small["centres"])  # swapped arguments
    other = tmp_path / "other.prototxt"
    other.write_text('name: "x"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
                     "  input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } }\n}\n"
                     'layer {\n  name: "relu"\n  type: "ReLU"\n  bottom: "data"\n  top: "relu"\n}\n')
    with pytest.raises(ColorlabError, match="not an ECCV16"):
        od.load_caffe_net(other, small["caffemodel"], small["centres"])
    classes = small["model"].num_classes
    with pytest.raises(ColorlabError, match=f"pts_in_hull holds 313 bin centres but the net's conv8_313 scores {classes}"):
        od.load_caffe_net(small["prototxt"], small["caffemodel"], np.zeros((313, 2)))
    with pytest.raises(ColorlabError, match="transpose"):
        od.load_caffe_net(small["prototxt"], small["caffemodel"], np.zeros((2, 313)))


def test_caffe_errors_at_run_time(small, tmp_path):
    with pytest.raises(ColorlabError, match=r"\(N, 1, H, W\)"):
        od.caffe_forward(small["net"], np.zeros((1, 3, 64, 64), np.float32))
    # weights of another width under the built-in (full-width) prototxt
    net = od.load_caffe_net(None, small["caffemodel"], small["centres"])
    with pytest.raises(ColorlabError, match="cannot run") as error:
        od.caffe_forward(net, np.zeros((1, 1, 64, 64), np.float32))
    assert "\n" not in str(error.value)
    with pytest.raises(ColorlabError, match="finite"):
        od.predict_ab_caffe(np.full((8, 8), np.nan, np.float32), small["net"])


def test_opencv_5_without_the_caffe_reader_is_explained(small, monkeypatch):
    monkeypatch.delattr(cv2.dnn, "readNetFromCaffe")
    with pytest.raises(ColorlabError, match=r"removed in OpenCV 5.*<5") as error:
        od.load_caffe_net(small["prototxt"], small["caffemodel"], small["centres"])
    assert "\n" not in str(error.value)


def test_import_without_opencv_says_what_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorlab.opencv_dnn")
    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` fail
    with pytest.raises(ColorlabError, match=r"pip install 'colorlab\[opencv\]'") as error:
        import colorlab.opencv_dnn  # noqa: F401
    assert "\n" not in str(error.value)


# ------------------------------------------------------------------------------------------
# ONNX


def test_onnx_export_runs_in_opencv_like_torch(full_model, onnx_file):
    l_norm = torch.from_numpy(np.stack([_lightness(64, 64, seed=6), _lightness(64, 64, seed=7)]))[:, None]
    l_norm = (l_norm - 50.0) / 100.0
    with torch.no_grad():
        expected = full_model(l_norm)
    ab_norm = od.run_onnx_with_cv2(onnx_file, l_norm)
    assert isinstance(ab_norm, torch.Tensor) and ab_norm.shape == (2, 2, 64, 64)
    assert expected.abs().max() > 0.01
    torch.testing.assert_close(ab_norm, expected, rtol=0, atol=1e-4)
    # a net read once, a numpy batch of one
    net = od.load_onnx_net(onnx_file)
    from_numpy = od.run_onnx_with_cv2(net, l_norm[1:].numpy())
    assert isinstance(from_numpy, np.ndarray)
    np.testing.assert_allclose(from_numpy, expected[1:].numpy(), rtol=0, atol=1e-4)


def test_onnx_errors(full_model, onnx_file, tmp_path):
    with pytest.raises(ColorlabError, match="does not exist"):
        od.export_onnx(full_model, tmp_path / "no" / "such" / "model.onnx")
    with pytest.raises(ColorlabError, match=r"\(N, 1, H, W\)"):
        od.run_onnx_with_cv2(onnx_file, torch.zeros(1, 3, 64, 64))
    with pytest.raises(ColorlabError, match="not found"):
        od.load_onnx_net(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ColorlabError, match="bad.onnx: OpenCV cannot read"):
        od.load_onnx_net(bad)

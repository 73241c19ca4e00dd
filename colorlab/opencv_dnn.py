"""ECCV16 through OpenCV's DNN module: the Caffe release files, a converter, and an ONNX path.

Many colorization demos run Zhang et al.'s released *Caffe* model with ``cv2.dnn`` and no deep
learning framework at all. Three files make that model:

* ``colorization_deploy_v2.prototxt``: the network as text (layer names, types, sizes);
* ``colorization_release_v2.caffemodel``: the trained weights (a binary protobuf message);
* ``pts_in_hull.npy``: the ``(313, 2)`` ab bin centres in Lab units.

The demos load the first two with ``cv2.dnn.readNetFromCaffe`` and then put two blobs into the
net by hand, because OpenCV does not run Caffe's "fillers" (initial values written in the
prototxt): the bin centres, transposed to ``(2, 313, 1, 1)``, become the weights of the 1x1
convolution ``class8_ab`` (the expected ab colour of the predicted distribution), and the
constant 2.606 becomes the ``(1, 313)`` blob of the Scale layer ``conv8_313_rh`` (``1 / T`` of
the annealed mean, applied to the scores before the softmax). :func:`load_caffe_net` does the
same, and :func:`colorize_caffe` repeats the demos' pre- and post-processing.

**Caffe net versus** :class:`colorlab.models.zhang.ECCV16`. The layers are the same, with
other names (:data:`CAFFE_TO_TORCH`), and a few constants sit in different places:

=====================  =================================  ====================================
                       Caffe deploy net                   ECCV16 (released PyTorch layout)
=====================  =================================  ====================================
input                  ``L - 50``                         ``l_norm = (L - 50) / 100``
first conv weights     ``W``                              ``100 W`` (``model1.0``)
class scores           ``conv8_313``, then x 2.606        2.606 folded into ``model8.6``
BatchNorm              mean, variance, scale factor s     ``running_mean = mean / s``,
                       (statistics are ``blob / s``)      ``running_var = var / s``, weight 1,
                                                          bias 0 (Caffe has no Scale after BN)
decoding               ``class8_ab``: centres (Lab)       ``model_out``: centres / 110
output                 ab at 1/4 size, Lab units          ab / 110, upsampled x4 (bilinear)
=====================  =================================  ====================================

:func:`eccv16_from_caffe` reads the weights through ``cv2.dnn`` (``net.getParam(layer, i)``)
and applies these rules, so a released ``.caffemodel`` becomes an ECCV16 whose state_dict has
the official PyTorch layout and whose forward pass gives the Caffe result. Without the
prototxt, :func:`deploy_prototxt` writes the same deploy net as text (any width, any number of
bins); the kit's tests use it with a ``.caffemodel`` they write themselves.

**ONNX.** :func:`export_onnx` writes any ``l_norm -> ab_norm`` network to ONNX with
``torch.onnx.export(..., dynamo=False)``: the TorchScript-based exporter, which needs only the
``onnx`` package (the newer ``dynamo=True`` exporter also needs ``onnxscript``).
:func:`run_onnx_with_cv2` runs such a file with ``cv2.dnn.readNetFromONNX``.

OpenCV is an optional dependency: ``pip install colorlab[opencv]`` (OpenCV 4.x, plus ``onnx``
for the export). OpenCV 5 dropped ``readNetFromCaffe``: the Caffe functions then raise a
:class:`~colorlab.io.ColorlabError` saying so (the ONNX functions do not need it).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from colorlab import bins
from colorlab.io import ColorlabError, load_image

try:
    import cv2
except ImportError:  # pragma: no cover - depends on the environment
    raise ColorlabError("colorlab.opencv_dnn needs OpenCV: pip install 'colorlab[opencv]'") from None

from colorlab.models.zhang import ECCV16, RELEASED_INVERSE_TEMPERATURE

__all__ = [
    "CAFFE_INPUT_SIZE",
    "CAFFE_L_CENTRE",
    "CAFFE_TO_TORCH",
    "CaffeLayer",
    "deploy_prototxt",
    "load_caffe_net",
    "set_decoding_blobs",
    "caffe_forward",
    "predict_ab_caffe",
    "colorize_caffe",
    "caffe_state_dict",
    "eccv16_from_caffe",
    "export_onnx",
    "load_onnx_net",
    "run_onnx_with_cv2",
]

#: Side of the square the demos resize the lightness to (the prototxt's input shape).
CAFFE_INPUT_SIZE = 224
#: The Caffe net takes ``L - 50`` (ECCV16 takes ``(L - 50) / 100``).
CAFFE_L_CENTRE = 50.0
#: ``L`` scale between the two inputs: the first convolution's weights differ by this factor.
_L_SCALE = 100.0
#: ``ab / 110`` is the kit's normalized ab (``model_out`` holds the centres / 110).
_AB_SCALE = 110.0


@dataclass(frozen=True)
class CaffeLayer:
    """One layer of the Caffe deploy net that has weights, and where they go in :class:`ECCV16`.

    Attributes:
        name: the Caffe layer name (``"bw_conv1_1"``, ``"conv1_2norm"``, ...).
        kind: ``"conv"``, ``"deconv"``, ``"bn"``, ``"scores"`` (``conv8_313``) or ``"decode"``
            (``class8_ab``).
        module: the ECCV16 module name (``"model1.0"``, ..., ``"model_out"``).
        channels: output channels at width 1 (None: the number of bins, or 2).
        dilation: of a 3x3 convolution.
        stride: of a 3x3 convolution.
    """

    name: str
    kind: str
    module: str
    channels: int | None = None
    dilation: int = 1
    stride: int = 1


def _layer_table() -> tuple[CaffeLayer, ...]:
    """The weighted layers in network order (blocks of the official deploy net)."""
    # block, channels, number of convs, dilation, stride of the last conv
    blocks = [(1, 64, 2, 1, 2), (2, 128, 2, 1, 2), (3, 256, 3, 1, 2), (4, 512, 3, 1, 1),
              (5, 512, 3, 2, 1), (6, 512, 3, 2, 1), (7, 512, 3, 1, 1)]
    layers = []
    for block, channels, convs, dilation, last_stride in blocks:
        for index in range(convs):
            name = "bw_conv1_1" if (block, index) == (1, 0) else f"conv{block}_{index + 1}"
            stride = last_stride if index == convs - 1 else 1
            layers.append(CaffeLayer(name, "conv", f"model{block}.{2 * index}", channels, dilation, stride))
        layers.append(CaffeLayer(f"conv{block}_{convs}norm", "bn", f"model{block}.{2 * convs}", channels))
    layers += [
        CaffeLayer("conv8_1", "deconv", "model8.0", 256, 1, 2),
        CaffeLayer("conv8_2", "conv", "model8.2", 256),
        CaffeLayer("conv8_3", "conv", "model8.4", 256),
        CaffeLayer("conv8_313", "scores", "model8.6"),
        CaffeLayer("class8_ab", "decode", "model_out"),
    ]
    return tuple(layers)


#: The weighted Caffe layers of the deploy net, in order, with their ECCV16 module names.
CAFFE_TO_TORCH: tuple[CaffeLayer, ...] = _layer_table()


# ----------------------------------------------------------------------------------------------
# The deploy prototxt
# ----------------------------------------------------------------------------------------------


def _hidden(channels: int, width: float) -> int:
    return max(1, round(channels * width))  # as ECCV16 scales its channels


def _prototxt_layer(name: str, kind: str, bottom: str, top: str, params: str = "") -> str:
    body = f'  name: "{name}"\n  type: "{kind}"\n  bottom: "{bottom}"\n  top: "{top}"\n'
    return "layer {\n" + body + params + "}\n"


def deploy_prototxt(width: float = 1.0, num_classes: int = bins.OFFICIAL_Q, size: int = CAFFE_INPUT_SIZE) -> str:
    """The text of the ECCV16 Caffe deploy net (``colorization_deploy_v2.prototxt``'s layers).

    Same layer names, types, order and settings as the released file: 3x3 convolutions with
    ReLUs, a ``BatchNorm`` layer (statistics only, no ``Scale``) after each of blocks 1-7, the
    ``Deconvolution`` ``conv8_1``, the scores ``conv8_313``, the Scale ``conv8_313_rh`` (filler
    2.606), the ``Softmax`` ``class8_313_rh`` and the 1x1 convolution ``class8_ab``, whose output
    is the net's result.

    Args:
        width: multiplier of the hidden channel counts, as :class:`ECCV16`'s ``width`` (1: the
            released net).
        num_classes: ``Q``, the number of ab bins (313 in the release).
        size: the side of the declared input shape (224 in the release; ``cv2.dnn`` reshapes
            the net to whatever input it is given).

    Returns:
        The prototxt text (write it to a file, or give it to :func:`load_caffe_net`).
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
        raise ColorlabError(f"width must be a number > 0, got {width!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ColorlabError(f"num_classes must be an int >= 1, got {num_classes!r}")
    parts = [
        'name: "LtoAB"\n',
        'layer {\n  name: "data_l"\n  type: "Input"\n  top: "data_l"\n'
        f"  input_param {{ shape {{ dim: 1 dim: 1 dim: {int(size)} dim: {int(size)} }} }}\n}}\n",
    ]
    bottom = "data_l"
    for layer in CAFFE_TO_TORCH:
        top = "conv1_1" if layer.name == "bw_conv1_1" else layer.name
        if layer.kind in ("conv", "deconv"):
            kind = "Convolution" if layer.kind == "conv" else "Deconvolution"
            kernel, pad = (4, 1) if layer.kind == "deconv" else (3, layer.dilation)
            conv = (f"  convolution_param {{ num_output: {_hidden(layer.channels, width)} kernel_size: {kernel} "
                    f"pad: {pad} stride: {layer.stride} dilation: {layer.dilation} }}\n")
            parts.append(_prototxt_layer(layer.name, kind, bottom, top, conv))
            relu = "relu" + top[len("conv"):]
            parts.append(_prototxt_layer(relu, "ReLU", top, top))
        elif layer.kind == "bn":
            parts.append(_prototxt_layer(layer.name, "BatchNorm", bottom, top, "  batch_norm_param { }\n"))
        elif layer.kind == "scores":
            scores = f"  convolution_param {{ num_output: {num_classes} kernel_size: 1 stride: 1 dilation: 1 }}\n"
            parts.append(_prototxt_layer(layer.name, "Convolution", bottom, top, scores))
            scale = (f"  scale_param {{ bias_term: false filler {{ type: 'constant' "
                     f"value: {RELEASED_INVERSE_TEMPERATURE} }} }}\n")
            parts.append(_prototxt_layer("conv8_313_rh", "Scale", top, "conv8_313_rh", scale))
            parts.append(_prototxt_layer("class8_313_rh", "Softmax", "conv8_313_rh", "class8_313_rh"))
            top = "class8_313_rh"
        else:  # decode
            decode = "  convolution_param { num_output: 2 kernel_size: 1 stride: 1 dilation: 1 }\n"
            parts.append(_prototxt_layer(layer.name, "Convolution", bottom, top, decode))
        bottom = top
    parts.append('layer {\n  name: "Silence"\n  type: "Silence"\n  bottom: "class8_ab"\n}\n')
    return "".join(parts)


# ----------------------------------------------------------------------------------------------
# Loading and running the Caffe net
# ----------------------------------------------------------------------------------------------


def _require_caffe() -> None:
    if not hasattr(cv2.dnn, "readNetFromCaffe"):
        raise ColorlabError(
            f"OpenCV {cv2.__version__} has no cv2.dnn.readNetFromCaffe (removed in OpenCV 5): "
            "pip install 'opencv-python-headless>=4.8,<5'"
        )


def _existing_file(path: str | os.PathLike, what: str) -> str:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ColorlabError(f"{path}: {what} not found")
    return path


def _centres_array(pts_in_hull) -> np.ndarray:
    """``(Q, 2)`` float32 centres from a path, array or tensor (checked by :func:`bins.load_centres`)."""
    return bins.load_centres(pts_in_hull).numpy().astype(np.float32)


def _first_line(error: BaseException) -> str:
    """The informative line of an error (for OpenCV: the part after ``error:``)."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    line = text.splitlines()[-1].strip().split(" error: ", 1)[-1]
    line = re.sub(r"^\(-?\d+:[^)]*\)\s*", "", line)  # OpenCV's "(-215:Assertion failed)"
    return re.sub(r"\s+in function '[^']*'$", "", line)


def set_decoding_blobs(net: cv2.dnn.Net, pts_in_hull, inverse_temperature: float = RELEASED_INVERSE_TEMPERATURE) -> None:
    """Put the bin centres and ``1 / T`` into a Caffe ECCV16 net, as the OpenCV demos do.

    Args:
        net: a net read from the deploy prototxt.
        pts_in_hull: ``(Q, 2)`` ab centres in Lab units: a ``.npy`` path, an array or a tensor.
            They are transposed to ``(2, Q, 1, 1)`` into ``class8_ab``.
        inverse_temperature: the ``(1, Q)`` constant put into ``conv8_313_rh`` (2.606).
    """
    centres = _centres_array(pts_in_hull)
    q = centres.shape[0]
    for name in ("class8_ab", "conv8_313_rh"):
        if net.getLayerId(name) < 0:
            raise ColorlabError(f"the Caffe net has no layer {name!r}: is it the ECCV16 deploy net?")
    scores = _params(net, "conv8_313")
    if scores and scores[0].shape[0] != q:
        raise ColorlabError(f"pts_in_hull holds {q} bin centres but the net's conv8_313 scores {scores[0].shape[0]} bins")
    net.getLayer(net.getLayerId("class8_ab")).blobs = [np.ascontiguousarray(centres.T.reshape(2, q, 1, 1))]
    net.getLayer(net.getLayerId("conv8_313_rh")).blobs = [np.full((1, q), inverse_temperature, np.float32)]


def load_caffe_net(
    prototxt: str | os.PathLike | None,
    caffemodel: str | os.PathLike,
    pts_in_hull,
    inverse_temperature: float = RELEASED_INVERSE_TEMPERATURE,
) -> cv2.dnn.Net:
    """Read the Caffe ECCV16 with ``cv2.dnn.readNetFromCaffe`` and set its decoding blobs.

    Args:
        prototxt: path of ``colorization_deploy_v2.prototxt``; None: :func:`deploy_prototxt`'s
            text for the released net (width 1, 313 bins).
        caffemodel: path of ``colorization_release_v2.caffemodel``.
        pts_in_hull: path of ``pts_in_hull.npy`` (or a ``(Q, 2)`` array).
        inverse_temperature: see :func:`set_decoding_blobs`.

    Returns:
        A ``cv2.dnn.Net`` whose output layer ``class8_ab`` gives ab in Lab units at 1/4 of the
        input size, for an input ``L - 50``.

    Raises:
        ColorlabError: a missing file, files OpenCV cannot read or that do not fit together, or
            OpenCV 5 (no Caffe reader).
    """
    _require_caffe()
    model_path = _existing_file(caffemodel, "caffemodel")
    try:
        if prototxt is None:
            text = np.frombuffer(deploy_prototxt().encode(), dtype=np.uint8)
            with open(model_path, "rb") as file:
                weights = np.frombuffer(file.read(), dtype=np.uint8)
            net = cv2.dnn.readNetFromCaffe(text, weights)
        else:
            net = cv2.dnn.readNetFromCaffe(_existing_file(prototxt, "prototxt"), model_path)
    except cv2.error as error:
        culprit = os.fspath(prototxt) if prototxt is not None and "TextFile" in str(error) else model_path
        raise ColorlabError(f"{culprit}: OpenCV cannot read the Caffe net ({_first_line(error)})") from None
    if net.empty() or "class8_ab" not in net.getLayerNames():
        raise ColorlabError(f"{model_path}: not an ECCV16 colorization net (no layer class8_ab)")
    for layer in CAFFE_TO_TORCH:
        if layer.kind != "decode" and not _params(net, layer.name):
            raise ColorlabError(f"{model_path}: no weights for layer {layer.name} (not the caffemodel of this prototxt?)")
    set_decoding_blobs(net, pts_in_hull, inverse_temperature)
    return net


def caffe_forward(net: cv2.dnn.Net, l_centred: np.ndarray) -> np.ndarray:
    """Run a Caffe ECCV16 net: ``l_centred (N, 1, h, w)`` float32 ``L - 50`` -> ``ab (N, 2, h/4, w/4)``.

    ``ab`` is in Lab units (the output of ``class8_ab``); ``h`` and ``w``: multiples of 8.
    """
    blob = np.ascontiguousarray(l_centred, dtype=np.float32)
    if blob.ndim != 4 or blob.shape[1] != 1:
        raise ColorlabError(f"l_centred must be an (N, 1, H, W) array, got shape {blob.shape}")
    try:
        net.setInput(blob)
        return np.asarray(net.forward("class8_ab"), dtype=np.float32)
    except cv2.error as error:
        raise ColorlabError(f"the Caffe net cannot run on an input of shape {blob.shape} ({_first_line(error)})") from None


def _lightness(image) -> np.ndarray:
    """``L (H, W) float32 in [0, 100]`` from a 2-D lightness array or anything :func:`load_image` reads."""
    if isinstance(image, np.ndarray) and image.ndim == 2 and np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise ColorlabError("l: lightness must be finite")
        return image.astype(np.float32)
    rgb = load_image(image)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)[:, :, 0]


def predict_ab_caffe(image, net: cv2.dnn.Net, size: int = CAFFE_INPUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The demos' colorization, up to the colour: ``(L (H, W), ab (H, W, 2))`` float32 in Lab units.

    The lightness is resized to ``size x size`` (``cv2.resize``, bilinear), centred (``- 50``),
    run through the net, and the 1/4-size ab is resized (bilinear) back to ``H x W``.

    Args:
        image: a 2-D float array is taken as lightness ``L (H, W)`` in ``[0, 100]``; anything
            else (a path, bytes, a PIL image, an ``(H, W, 3)`` RGB array in ``[0, 1]``) is read by
            :func:`colorlab.io.load_image` and its ``L`` taken with ``cv2.cvtColor(..., COLOR_RGB2Lab)``.
        net: from :func:`load_caffe_net`.
        size: the side the lightness is resized to (224 in the demos).
    """
    lightness = _lightness(image)
    height, width = lightness.shape
    small = cv2.resize(lightness, (size, size), interpolation=cv2.INTER_LINEAR)
    ab_small = caffe_forward(net, (small - CAFFE_L_CENTRE)[None, None])[0].transpose(1, 2, 0)
    ab = cv2.resize(ab_small, (width, height), interpolation=cv2.INTER_LINEAR)
    return lightness, ab


def colorize_caffe(image, net: cv2.dnn.Net, pts_in_hull=None, size: int = CAFFE_INPUT_SIZE) -> np.ndarray:
    """Colorize an image with the Caffe ECCV16 exactly as the OpenCV demos do.

    :func:`predict_ab_caffe`, then the original lightness and the predicted ab are merged and
    converted with ``cv2.cvtColor(..., COLOR_Lab2RGB)``, clipped to ``[0, 1]``.

    Args:
        image: lightness ``(H, W)`` float in ``[0, 100]``, or an image (see :func:`predict_ab_caffe`).
        net: from :func:`load_caffe_net` (or ``readNetFromCaffe``).
        pts_in_hull: if given, the bin centres are (re)set in the net first
            (:func:`set_decoding_blobs`), for a net read with ``cv2.dnn.readNetFromCaffe`` directly.
        size: network input side (224).

    Returns:
        ``rgb (H, W, 3) float32 in [0, 1]``.
    """
    if pts_in_hull is not None:
        set_decoding_blobs(net, pts_in_hull)
    lightness, ab = predict_ab_caffe(image, net, size)
    lab = np.concatenate([lightness[:, :, None], ab], axis=2).astype(np.float32)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)


# ----------------------------------------------------------------------------------------------
# Caffe weights -> ECCV16
# ----------------------------------------------------------------------------------------------


#: Layers that OpenCV's Caffe reader names after their output blob instead.
_OPENCV_NAMES = {"bw_conv1_1": "conv1_1"}


def _params(net: cv2.dnn.Net, name: str) -> list[np.ndarray]:
    """All blobs of a layer, read with ``net.getParam(layer_id, i)``."""
    layer_id = net.getLayerId(name)
    if layer_id < 0 and name in _OPENCV_NAMES:
        layer_id = net.getLayerId(_OPENCV_NAMES[name])
    if layer_id < 0:
        raise ColorlabError(f"the Caffe net has no layer {name!r}: is it the ECCV16 deploy net?")
    count = len(net.getLayer(layer_id).blobs)
    return [np.array(net.getParam(layer_id, index), dtype=np.float32) for index in range(count)]


def _need(blobs: list[np.ndarray], count: int, name: str) -> None:
    if len(blobs) < count:
        hint = " (set it with set_decoding_blobs or load_caffe_net)" if name in ("class8_ab", "conv8_313_rh") else ""
        raise ColorlabError(f"Caffe layer {name!r} has {len(blobs)} weight blobs, expected {count}{hint}")


def caffe_state_dict(net: cv2.dnn.Net) -> dict[str, torch.Tensor]:
    """The weights of a Caffe ECCV16 net as an ECCV16 state_dict (official PyTorch layout).

    Reads every weighted layer with ``net.getParam`` and applies the rules of the module
    docstring: ``model1.0.weight = 100 x bw_conv1_1``; ``model8.6 = conv8_313 x`` the
    ``conv8_313_rh`` scale (one value for all bins, 2.606); BatchNorm statistics divided by the
    Caffe scale-factor blob (0 means "no statistics": mean 0, variance 0), weight 1, bias 0;
    ``model_out.weight = class8_ab / 110``.

    Args:
        net: a net from :func:`load_caffe_net` (``class8_ab`` and ``conv8_313_rh`` set).

    Returns:
        ``{name: float32 tensor}`` with ``model1.0.weight`` ... ``model_out.weight`` (BatchNorm's
        ``num_batches_tracked`` is 0).
    """
    state: dict[str, torch.Tensor] = {}
    scale_blobs = _params(net, "conv8_313_rh")
    _need(scale_blobs, 1, "conv8_313_rh")
    scales = scale_blobs[0].reshape(-1)
    if not np.allclose(scales, scales[0]):
        raise ColorlabError("conv8_313_rh must scale every bin by the same factor to fold it into model8.6")
    for layer in CAFFE_TO_TORCH:
        blobs = _params(net, layer.name)
        if layer.kind == "bn":
            _need(blobs, 3, layer.name)
            factor = float(blobs[2].reshape(-1)[0])
            factor = 0.0 if factor == 0 else 1.0 / factor
            mean, var = blobs[0].reshape(-1) * factor, blobs[1].reshape(-1) * factor
            state[f"{layer.module}.weight"] = torch.ones(mean.size)
            state[f"{layer.module}.bias"] = torch.zeros(mean.size)
            state[f"{layer.module}.running_mean"] = torch.from_numpy(mean.astype(np.float32))
            state[f"{layer.module}.running_var"] = torch.from_numpy(var.astype(np.float32))
            state[f"{layer.module}.num_batches_tracked"] = torch.tensor(0)
            continue
        if layer.kind == "decode":
            _need(blobs, 1, layer.name)
            state["model_out.weight"] = torch.from_numpy(blobs[0] / _AB_SCALE)
            continue
        _need(blobs, 2, layer.name)
        weight, bias = blobs[0], blobs[1].reshape(-1)
        if layer.name == "bw_conv1_1":
            weight = weight * _L_SCALE
        elif layer.kind == "scores":
            weight, bias = weight * scales[0], bias * scales[0]
        state[f"{layer.module}.weight"] = torch.from_numpy(np.ascontiguousarray(weight, dtype=np.float32))
        state[f"{layer.module}.bias"] = torch.from_numpy(np.ascontiguousarray(bias, dtype=np.float32))
    return state


def eccv16_from_caffe(net: cv2.dnn.Net, input_size: int = 256) -> ECCV16:
    """An :class:`ECCV16` (eval mode) holding the weights of a Caffe ECCV16 net.

    The width comes from the first convolution (64 channels: width 1), the number of bins from
    ``conv8_313``, the centres from ``class8_ab``, and ``folded_inverse_temperature`` from
    ``conv8_313_rh`` (2.606), so that ``forward`` is exactly the Caffe computation: for ``L`` at
    a size that is a multiple of 8, ``110 x forward((L - 50) / 100)`` equals the Caffe output
    upsampled x4.

    Args:
        net: from :func:`load_caffe_net`.
        input_size: the model's ``input_size`` attribute (the kit resizes L to it).
    """
    state = caffe_state_dict(net)
    width = state["model1.0.weight"].shape[0] / 64
    classes = state["model8.6.weight"].shape[0]
    inverse_temperature = float(_params(net, "conv8_313_rh")[0].reshape(-1)[0])
    model = ECCV16(width, torch.zeros(classes, 2), input_size=input_size, folded_inverse_temperature=inverse_temperature)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise ColorlabError(f"the Caffe weights do not fit ECCV16(width={width:g}): {_first_line(error)}") from None
    return model.eval()


# ----------------------------------------------------------------------------------------------
# ONNX export, run with cv2.dnn
# ----------------------------------------------------------------------------------------------


def export_onnx(model: nn.Module, path: str | os.PathLike, size: int | Sequence[int] = 256, opset: int = 17) -> Path:
    """Write an ``l_norm -> ab_norm`` network to ONNX for a fixed input size.

    Uses ``torch.onnx.export(..., dynamo=False)`` (the TorchScript exporter; needs the ``onnx``
    package) on a CPU copy of the model in eval mode; the model itself is not changed. The
    graph takes ``"l_norm"`` ``(1, 1, h, w)`` float32 and returns ``"ab_norm"`` ``(1, 2, h, w)``.

    Args:
        model: e.g. :class:`ECCV16` (any width).
        path: the ``.onnx`` file to write (its folder must exist; an existing file is replaced).
        size: the input side (square) or ``(h, w)``; multiples of 8 for ECCV16.
        opset: the ONNX opset version.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    import copy

    try:
        import onnx  # noqa: F401  (the exporter needs it; say so in one line)
    except ImportError:
        raise ColorlabError("export_onnx needs the onnx package: pip install 'colorlab[opencv]'") from None
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    path = Path(path)
    if not path.parent.is_dir():
        raise ColorlabError(f"{path}: folder {path.parent} does not exist")
    exported = copy.deepcopy(model).to("cpu").float().eval()
    example = torch.zeros(1, 1, height, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notices about its own deprecation and tracing
        torch.onnx.export(exported, (example,), str(path), dynamo=False, opset_version=opset,
                          input_names=["l_norm"], output_names=["ab_norm"])
    return path


def load_onnx_net(path: str | os.PathLike) -> cv2.dnn.Net:
    """Read an ONNX file with ``cv2.dnn.readNetFromONNX`` (ColorlabError if it cannot)."""
    path = _existing_file(path, "ONNX file")
    try:
        net = cv2.dnn.readNetFromONNX(path)
    except cv2.error as error:
        raise ColorlabError(f"{path}: OpenCV cannot read the ONNX file ({_first_line(error)})") from None
    if net.empty():
        raise ColorlabError(f"{path}: OpenCV read an empty net")
    return net


def run_onnx_with_cv2(net_or_path: cv2.dnn.Net | str | os.PathLike, l_norm: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """Run an exported network with OpenCV: ``l_norm (N, 1, h, w)`` -> ``ab_norm (N, 2, h, w)``.

    Args:
        net_or_path: an ``.onnx`` path (read every call) or a net from :func:`load_onnx_net`
            (read once, for repeated runs as in a benchmark).
        l_norm: float tensor or array, the size the file was exported for; a batch is run one
            image at a time (the export has batch size 1).

    Returns:
        ``ab_norm`` float32: a CPU tensor for a tensor input, else a numpy array.
    """
    net = net_or_path if isinstance(net_or_path, cv2.dnn.Net) else load_onnx_net(net_or_path)
    as_tensor = isinstance(l_norm, torch.Tensor)
    array = l_norm.detach().cpu().float().numpy() if as_tensor else np.asarray(l_norm, dtype=np.float32)
    if array.ndim != 4 or array.shape[1] != 1:
        raise ColorlabError(f"l_norm must be an (N, 1, H, W) array, got shape {array.shape}")
    outputs = []
    for item in array:
        try:
            net.setInput(np.ascontiguousarray(item[None]))
            outputs.append(np.array(net.forward(), dtype=np.float32))
        except cv2.error as error:
            raise ColorlabError(f"the ONNX net cannot run on an input of shape {item[None].shape} ({_first_line(error)})") from None
    ab_norm = np.concatenate(outputs, axis=0)
    return torch.from_numpy(ab_norm) if as_tensor else ab_norm

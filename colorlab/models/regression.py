"""The ResNet-18 regression colorizer of the classic "colorize MIT Places with ResNet-18" recipe.

torchvision's ResNet-18 up to ``layer2`` (128 channels at 1/8 of the input size) as the encoder,
its first convolution reduced to one input channel (L), then a head of conv + BatchNorm + ReLU
blocks with three ×2 upsamplings back to full size and 2 output channels (ab). Trained with MSE
(or L1) on ``ab / 110``: a regression model predicts the *mean* of the colours it cannot tell
apart, which is why its results look desaturated (notebook 03).
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

from colorlab import bins
from colorlab.color import scale_ab
from colorlab.io import ColorlabError
from colorlab.models.registry import apply_state_dict, load_state_dict_file, read_weights_file, register
from colorlab.models.zhang import PAPER_TEMPERATURE, BinClassifier

__all__ = ["ResNet18Regression", "ResNet18Classifier", "imagenet_resnet18_state", "imagenet_encoder_state"]

IMAGENET_WEIGHTS = torchvision.models.ResNet18_Weights.IMAGENET1K_V1


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class _SkipDecoder(nn.Module):
    """U-Net style decoder: upsample ×2, concatenate the encoder feature of that size, convolve.

    ``features`` are the encoder outputs from fine to coarse; the coarsest one is the start.
    The output (at the finest feature's size) has ``out_channels`` channels (2: ab; Q: class
    scores), upsampled bilinearly by the caller.
    """

    def __init__(self, skip_channels: list[int], stage_channels: list[int], out_channels: int = 2):
        super().__init__()
        # skip_channels: fine -> coarse, e.g. [64 (1/2), 64 (1/4), 128 (1/8), 256 (1/16)]
        # stage_channels: coarse -> fine output channels of each stage, one per skip but the last
        self.stages = nn.ModuleList()
        channels = skip_channels[-1]
        for index, stage_out in enumerate(stage_channels):
            skip = skip_channels[-2 - index]
            layers = _conv_bn_relu(channels + skip, stage_out)
            if index < 2:  # the coarse stages are cheap: give them a second convolution
                layers += _conv_bn_relu(stage_out, stage_out)
            self.stages.append(nn.Sequential(*layers))
            channels = stage_out
        self.out = nn.Conv2d(channels, out_channels, 3, padding=1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = features[-1]
        for stage, skip in zip(self.stages, reversed(features[:-1])):
            x = nn.functional.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = stage(torch.cat([x, skip], dim=1))
        return self.out(x)


class ResNet18Regression(nn.Module):
    """ResNet-18 encoder + upsampling head: ``l_norm`` -> ``ab_norm``.

    Input ``l_norm (N, 1, H, W)`` float, ``(L - 50) / 100`` (the ``"zhang"`` scheme), H and W
    multiples of 8 (of 16 with ``depth=3``). Output ``ab_norm (N, 2, H, W)``, ``ab / 110``.

    Args:
        width: channels of the head's first block (the later blocks scale with it).
        input_size: the side length the kit resizes L to before running the model.
        depth: the last ResNet stage used: 2 (``layer2``, 128 channels at 1/8) or 3 (``layer3``,
            256 channels at 1/16).
        skips: False: a plain upsampling head on the last stage (the classic recipe, ``depth=2``
            only). True: a U-Net style head that also sees the encoder's 1/2, 1/4 (and 1/8)
            features (the bundled model), which keeps colour edges on object edges.
        ab_scale: a fixed factor on the output ab (1: the trained network as it is). The bundled
            model stores the factor chosen on held-out photos (its model card says how): an MSE
            regressor predicts the mean colour, which is duller than any real photo.
        ab_spread: a fixed factor on each image's ab *around its mean ab* (its colour cast kept);
            see :func:`colorlab.color.scale_ab`.
    """

    scheme = "zhang"

    def __init__(
        self,
        width: int = 128,
        input_size: int = 128,
        depth: int = 2,
        skips: bool = False,
        ab_scale: float = 1.0,
        out_channels: int = 2,
        ab_spread: float = 1.0,
    ):
        super().__init__()
        self.ab_scale = float(ab_scale)
        self.ab_spread = float(ab_spread)
        if depth not in (2, 3) or (depth == 3 and not skips):
            raise ColorlabError(f"depth={depth}, skips={skips}: use depth 2, or depth 3 with skips=True")
        self.input_size = input_size
        self.skips = skips
        resnet = torchvision.models.resnet18(weights=None)
        resnet.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        # conv1, bn1, relu, maxpool, layer1 (64 ch, 1/4), layer2 (128 ch, 1/8)[, layer3 (256 ch, 1/16)]
        self.encoder = nn.Sequential(*list(resnet.children())[: 4 + depth])
        if skips:
            skip_channels = [64, 64, 128, 256][: depth + 1]
            stage_channels = [width, width // 2, width * 3 // 8][-depth:]
            self.head = _SkipDecoder(skip_channels, stage_channels, out_channels)
            return
        self.head = nn.Sequential(
            *_conv_bn_relu(128, width),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_bn_relu(width, width // 2),
            *_conv_bn_relu(width // 2, width // 2),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_bn_relu(width // 2, width // 4),
            nn.Conv2d(width // 4, 2, 3, padding=1),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        )

    def _skip_head(self, l_norm: torch.Tensor) -> torch.Tensor:
        """The U-Net path: encoder features -> head output at 1/2 of the input size."""
        features = []
        x = l_norm
        for index, layer in enumerate(self.encoder):
            x = layer(x)
            if index in (2, 4, 5, 6):  # relu (1/2), layer1 (1/4), layer2 (1/8), layer3 (1/16)
                features.append(x)
        return self.head(features)

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        if not self.skips:
            return scale_ab(self.head(self.encoder(l_norm)), self.ab_scale, self.ab_spread)
        ab_half = scale_ab(self._skip_head(l_norm), self.ab_scale, self.ab_spread)  # at 1/2 of the input size
        return nn.functional.interpolate(ab_half, size=l_norm.shape[-2:], mode="bilinear", align_corners=False)


class ResNet18Classifier(BinClassifier, ResNet18Regression):
    """The U-Net of :class:`ResNet18Regression` with Zhang et al.'s head: ab *classified* into bins.

    Same encoder and decoder (``depth`` 2 or 3, always with skips), but the last convolution
    gives ``Q`` class scores per pixel at 1/2 of the input size instead of 2 ab values; the
    distribution is decoded like ECCV16's (:class:`colorlab.models.zhang.BinClassifier`): softmax
    at ``temperature``, the expected bin centre, bilinear resize to the input size. Trained with
    (optionally rebalanced) cross-entropy on soft-encoded targets. ``temperature`` is the knob
    between the dull mean (``T = 1``) and the vivid, patchy mode (``T -> 0``).

    Input ``l_norm (N, 1, H, W)`` (``"zhang"`` scheme), H and W multiples of 16 (``depth=3``) or 8.
    Output ``ab_norm (N, 2, H, W)``, or with ``output="logits"`` the raw scores ``(N, Q, H/2, W/2)``.
    """

    scheme = "zhang"

    def __init__(
        self,
        width: int = 128,
        input_size: int = 64,
        depth: int = 3,
        centres: torch.Tensor | None = None,
        temperature: float = PAPER_TEMPERATURE,
        ab_scale: float = 1.0,
        ab_spread: float = 1.0,
    ):
        centres = bins.gamut_bins() if centres is None else bins.load_centres(centres)
        super().__init__(
            width=width,
            input_size=input_size,
            depth=depth,
            skips=True,
            ab_scale=ab_scale,
            out_channels=centres.shape[0],
            ab_spread=ab_spread,
        )
        if not temperature > 0:
            raise ColorlabError(f"temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        self.folded_inverse_temperature = 1.0
        self._set_centres(centres)

    def forward(self, l_norm: torch.Tensor, output: str = "ab") -> torch.Tensor:
        raw = self._skip_head(l_norm)  # (N, Q, H/2, W/2)
        if output == "logits":
            return raw
        if output != "ab":
            raise ColorlabError(f"output must be 'ab' or 'logits', got {output!r}")
        return self._annealed_mean(raw, l_norm.shape[-2:])


def imagenet_resnet18_state() -> dict[str, torch.Tensor]:
    """torchvision's ImageNet ResNet-18 weights for a one-channel network (no ``fc``; conv1 summed over RGB).

    Uses torchvision's download cache (``$TORCH_HOME/hub/checkpoints``); raises
    :class:`ColorlabError` in one line when the file is neither cached nor downloadable.
    """
    try:
        state = IMAGENET_WEIGHTS.get_state_dict(progress=False, check_hash=True)
    except Exception as error:  # noqa: BLE001 - URLError, hash mismatch, ... -> one line
        raise ColorlabError(
            f"cannot get torchvision's ImageNet ResNet-18 weights ({type(error).__name__}: {error}); "
            f"download {IMAGENET_WEIGHTS.url} into {torch.hub.get_dir()}/checkpoints/ or use weights=None"
        ) from None
    state = {key: value for key, value in state.items() if not key.startswith("fc.")}
    state["conv1.weight"] = state["conv1.weight"].sum(dim=1, keepdim=True)  # RGB filters -> one L filter
    return state


def imagenet_encoder_state() -> dict[str, torch.Tensor]:
    """:func:`imagenet_resnet18_state` renamed for :class:`ResNet18Regression`'s encoder (to ``layer3``)."""
    # the encoder's Sequential indices: 0 conv1, 1 bn1, (2 relu, 3 maxpool), 4 layer1, 5 layer2
    prefixes = {"conv1.": "0.", "bn1.": "1.", "layer1.": "4.", "layer2.": "5.", "layer3.": "6."}
    encoder = {}
    for key, value in imagenet_resnet18_state().items():
        for old, new in prefixes.items():
            if key.startswith(old):
                encoder[new + key[len(old):]] = value
    return encoder


@register("resnet18_regression", "ResNet-18 encoder + upsampling head, MSE on ab (regression)", weights=("imagenet",))
def build_resnet18_regression(
    weights: str | None = None,
    width: int = 128,
    input_size: int = 128,
    depth: int = 2,
    skips: bool = False,
    ab_scale: float = 1.0,
    ab_spread: float = 1.0,
) -> ResNet18Regression:
    """``weights``: None (random init), ``"imagenet"`` (pretrained encoder, random head) or a file path."""
    model = ResNet18Regression(
        width=width, input_size=input_size, depth=depth, skips=skips, ab_scale=ab_scale, ab_spread=ab_spread
    )
    if weights == "imagenet":
        wanted = model.encoder.state_dict()
        model.encoder.load_state_dict({key: value for key, value in imagenet_encoder_state().items() if key in wanted})
    elif weights is not None:
        load_state_dict_file(weights, model)
    return model


@register("resnet18_classifier", "ResNet-18 U-Net (as resnet18_regression) with ECCV16's head: ab classified into bins, annealed mean")
def build_resnet18_classifier(
    weights: str | None = None,
    width: int = 128,
    input_size: int = 64,
    depth: int = 3,
    temperature: float = PAPER_TEMPERATURE,
    ab_scale: float = 1.0,
    ab_spread: float = 1.0,
) -> ResNet18Classifier:
    """``weights``: None (random init), a classifier file, or a ``resnet18_regression`` file with
    ``skips=True`` and the same ``depth`` and ``width``: then everything but the last convolution
    (2 ab outputs there, ``Q`` class scores here) starts from the regression model."""
    model = ResNet18Classifier(
        width=width, input_size=input_size, depth=depth, temperature=temperature, ab_scale=ab_scale, ab_spread=ab_spread
    )
    if weights is None:
        return model
    state = read_weights_file(weights)["state_dict"]
    out_weight = state.get("head.out.weight")
    if out_weight is not None and out_weight.shape[0] == 2:  # a regression model: keep our class head
        own = model.state_dict()
        state = {**state, "head.out.weight": own["head.out.weight"], "head.out.bias": own["head.out.bias"]}
        state.setdefault("model_out.weight", own["model_out.weight"])
    return apply_state_dict(model, state, weights)

"""Richard Zhang et al.'s colorization networks, with the layout of their released PyTorch weights.

* :class:`ECCV16`: "Colorful Image Colorization" (Zhang, Isola, Efros, ECCV 2016). A VGG-like
  stack of 3x3 convolutions (dilated in the middle) predicts, at 1/4 of the input size, a
  distribution over ``Q`` quantized ab colours (313 in the release); a fixed 1x1 convolution
  (``model_out``, whose weights are the bin centres ``/ 110``) takes the expected colour, and a
  bilinear x4 upsampling brings it to full size. Trained with a class-rebalanced cross-entropy
  (:mod:`colorlab.bins`).
* :class:`SIGGRAPH17`: "Real-Time User-Guided Image Colorization with Learned Deep Priors"
  (Zhang, Zhu, Isola, Geng, Lin, Yu, Efros, SIGGRAPH 2017). The same trunk with a U-Net-like
  decoder (shortcuts from the 1/4, 1/2 and full-size features) that takes 4 input channels:
  ``L``, sparse ab hints and their mask (:mod:`colorlab.hints`). Two heads: a regression of ab
  (``model_out``: 1x1 conv + tanh, full size), which is the output, and a 529-way classification
  over the 23 x 23 grid of ab bins (``model_class``, 1/4 size) used as an auxiliary training loss.

Module names and tensor shapes are exactly those of the ``colorizers`` package of
richzhang/colorization (``model1.0.weight`` ... ``model_out.weight``), so the released files
load as they are: ``colorlab.models.load("eccv16", weights="official")`` (82 state_dict entries
counting the BatchNorm statistics, 32,236,011 parameters including the 626 fixed ones of
``model_out``) and ``load("siggraph17", weights="official")`` (107 entries, 34,187,027
parameters). A ``width`` multiplier scales every hidden channel count for small networks that
train from scratch on a CPU (``"eccv16_small"``, ``"siggraph17_small"``: width 1/4).

Conventions of this kit (they differ from the ``colorizers`` package in one point: our networks
take **normalized** lightness, ``l_norm = (L - 50) / 100``, and return normalized colour,
``ab_norm = ab / 110``, where the package normalizes inside ``forward``):

* ``scheme = "zhang"``; ``input_size = 256`` (the kit resizes L to 256 x 256, as the reference
  demo does, and upsamples the predicted ab back: :func:`colorlab.pipeline.colorize_l`).
* ``forward(l_norm (N, 1, H, W)) -> ab_norm (N, 2, H, W)``. H and W: any size for ECCV16 (the
  1/4-size result is resized to H x W; for multiples of 8 that is exactly the official x4
  upsampling); SIGGRAPH17 pads the input to multiples of 8 (replicating the border) and crops
  the result.

**The annealing temperature and the released ECCV16 weights.** The paper decodes a predicted
distribution with the *annealed mean* ``sum_q softmax(z / T)_q c_q`` at ``T = 0.38``. The
released Caffe model multiplies the 313 scores by ``2.606 = 1 / T`` before its softmax (its
``conv8_313_rh`` scale layer) and holds the bin centres in its last 1x1 convolution
(``class8_ab``). The PyTorch file converted from it has no scale layer: the factor is folded into
the last 313-way convolution (``model8.6``) and the centres ``/ 110`` into ``model_out``. So its
forward pass, a plain softmax then ``model_out``, *is* the annealed mean at
``T = 1 / 2.606 ≈ 0.3837``. To give
``temperature`` one meaning for every set of weights, :class:`ECCV16` keeps
``folded_inverse_temperature`` (2.606 for the released weights, 1 for weights trained here):
true logits are ``raw / folded_inverse_temperature``, and ``temperature=T`` always means
``softmax(true_logits / T)``. ``model.temperature`` is the ``T`` of ``forward()`` and of
``predict_ab(temperature=None)``: ``1 / 2.606`` with folded weights (so ``forward`` reproduces
the released model exactly), 0.38 (the paper's value) otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from colorlab import bins
from colorlab.color import denormalize_ab, normalize_ab, normalize_l, scale_ab
from colorlab.io import ColorlabError
from colorlab.models.registry import apply_state_dict, read_weights_file, register
from colorlab.models.released import OFFICIAL_WEIGHTS, OfficialWeights, official_weights_file
from colorlab.models.task import Task

__all__ = [
    "BinClassifier",
    "ECCV16",
    "SIGGRAPH17",
    "ECCV16Task",
    "SIGGRAPH17Task",
    "OfficialWeights",
    "OFFICIAL_WEIGHTS",
    "RELEASED_INVERSE_TEMPERATURE",
    "PAPER_TEMPERATURE",
    "siggraph_class_centres",
    "official_weights_file",
    "HINT_PROBABILITY",
    "MAX_PATCH",
    "sample_hint_counts",
    "sample_hints",
]

#: ``1 / T`` folded into the released ECCV16 weights (the Caffe model's "conv8_313_rh" scale).
RELEASED_INVERSE_TEMPERATURE = 2.606
#: The annealing temperature of the ECCV16 paper.
PAPER_TEMPERATURE = 0.38
#: Number of classes of the released ECCV16 model (the in-gamut bins of ``pts_in_hull.npy``).
ECCV16_OFFICIAL_CLASSES = bins.OFFICIAL_Q
#: SIGGRAPH17's classes: all ab grid points from -110 to 110 in steps of 10, 23 x 23 = 529.
SIGGRAPH17_GRID = 23


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------


def _hidden(channels: int, width: float) -> int:
    """A hidden channel count scaled by the width multiplier (at least 1)."""
    return max(1, round(channels * width))


def _check_width(width: float) -> float:
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
        raise ColorlabError(f"width must be a number > 0, got {width!r}")
    return float(width)


def _conv(in_channels: int, out_channels: int, *, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with bias that keeps the size (``padding = dilation``), or halves it (stride 2)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=dilation, dilation=dilation)


def _up(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """4x4 transposed convolution, stride 2: doubles the size."""
    return nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)


def _relu() -> nn.ReLU:
    return nn.ReLU(inplace=True)


def _block(in_channels: int, out_channels: int, convs: int, *, dilation: int = 1, last_stride: int = 1) -> nn.Sequential:
    """``convs`` x (3x3 conv, ReLU), then BatchNorm: indices 0, 2, ... are convs, the last is the BN."""
    layers: list[nn.Module] = []
    for index in range(convs):
        stride = last_stride if index == convs - 1 else 1
        layers += [_conv(in_channels if index == 0 else out_channels, out_channels, stride=stride, dilation=dilation), _relu()]
    return nn.Sequential(*layers, nn.BatchNorm2d(out_channels))


def _check_input(tensor: torch.Tensor, channels: int, name: str) -> None:
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 4 or tensor.shape[1] != channels:
        shape = tuple(tensor.shape) if hasattr(tensor, "shape") else type(tensor).__name__
        raise ColorlabError(f"{name} must be a (N, {channels}, H, W) tensor, got {shape}")


def _resize(image: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Bilinear resize to ``size`` (no-op when already that size); the x4 upsampling of the papers."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=tuple(size), mode="bilinear", align_corners=False)


# ----------------------------------------------------------------------------------------------
# ECCV16
# ----------------------------------------------------------------------------------------------


class BinClassifier(nn.Module):
    """What every network that classifies ab into bins shares: decoding and the training task.

    A subclass has ``model_out`` (the fixed 1x1 convolution ``Q -> 2`` whose weights are the bin
    centres ``/ 110``), ``folded_inverse_temperature``, ``temperature`` and a ``forward(l_norm,
    output="logits")`` that returns raw class scores ``(N, Q, h, w)``. :class:`ECCV16` is one;
    :class:`colorlab.models.regression.ResNet18Classifier` (the same head on a ResNet-18 U-Net)
    is another.

    ``ab_scale`` and ``ab_spread`` (default 1) act on the decoded ab as they do for the regression
    models (:func:`colorlab.color.scale_ab`): fixed factors, chosen on held-out photos and stored
    with bundled weights.
    """

    ab_scale: float = 1.0
    ab_spread: float = 1.0

    @property
    def num_classes(self) -> int:
        """``Q``, the number of ab bins."""
        return self.model_out.weight.shape[1]

    @property
    def centres(self) -> torch.Tensor:
        """``(Q, 2)`` bin centres in Lab units, read from ``model_out.weight`` (times 110)."""
        return denormalize_ab(self.model_out.weight.detach()[:, :, 0, 0].T)

    def _set_centres(self, centres: torch.Tensor) -> None:
        """Build the fixed ``model_out`` convolution from ``(Q, 2)`` centres in Lab units."""
        q = centres.shape[0]
        self.model_out = nn.Conv2d(q, 2, 1, bias=False)
        with torch.no_grad():
            self.model_out.weight.copy_(normalize_ab(centres).T.reshape(2, q, 1, 1))
        self.model_out.weight.requires_grad_(False)

    def _annealed_mean(self, raw: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Raw scores ``(N, Q, h, w)`` -> ``ab_norm (N, 2, *size)``: softmax at :attr:`temperature`,
        ``model_out`` (the expected centre), bilinear resize."""
        scale = 1.0 / (self.folded_inverse_temperature * self.temperature)
        if abs(scale - 1.0) > 1e-9:  # released weights at their own T: exactly the official pass
            raw = raw * scale
        return self._finish_ab(self.model_out(torch.softmax(raw, dim=1)), size)

    def _finish_ab(self, ab_norm: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Decoded ``ab_norm (N, 2, h, w)`` -> ``(N, 2, *size)``: :attr:`ab_scale` and
        :attr:`ab_spread` (:func:`colorlab.color.scale_ab`), then bilinear resize. Every decoding
        path ends here."""
        return _resize(scale_ab(ab_norm, self.ab_scale, self.ab_spread), size)

    def logits(self, l_norm: torch.Tensor) -> torch.Tensor:
        """Raw class scores ``(N, Q, h, w)`` (for the released ECCV16 weights: true logits x 2.606)."""
        return self(l_norm, output="logits")

    def true_logits(self, l_norm: torch.Tensor) -> torch.Tensor:
        """Class scores with the folded ``1 / T`` undone: ``logits / folded_inverse_temperature``."""
        return self.logits(l_norm) / self.folded_inverse_temperature

    def class_distribution(self, l_norm: torch.Tensor, temperature: float | None = None) -> torch.Tensor:
        """Per-pixel probabilities over the bins, ``(N, Q, h, w)``, summing to 1 over Q.

        ``temperature=None`` (or 1): the network's own distribution ``softmax(true_logits)``;
        ``T < 1`` sharpens it (the annealing of the paper), ``T > 1`` flattens it.
        """
        temperature = 1.0 if temperature is None else temperature
        if not temperature > 0:
            raise ColorlabError(f"temperature must be > 0, got {temperature}")
        return torch.softmax(self.true_logits(l_norm) / temperature, dim=1)

    def predict_ab(self, l_norm: torch.Tensor, temperature: float | None = None, method: str = "annealed_mean") -> torch.Tensor:
        """Decode the predicted distribution with :func:`colorlab.bins.decode`, upsampled to H x W.

        Args:
            l_norm: ``(N, 1, H, W)`` normalized lightness.
            temperature: annealing ``T`` (default :attr:`temperature`); only for ``"annealed_mean"``.
            method: ``"annealed_mean"``, ``"mean"`` (``T = 1``) or ``"mode"`` (the most likely bin,
                the limit ``T -> 0``).

        Returns:
            ``(N, 2, H, W)`` ``ab_norm`` (with :attr:`ab_scale` and :attr:`ab_spread` applied).
        """
        temperature = self.temperature if temperature is None else temperature
        ab = bins.decode(self.true_logits(l_norm), self.centres, method=method, temperature=temperature)
        return self._finish_ab(normalize_ab(ab), l_norm.shape[-2:])

    def training_task(self, lr: float = 1e-3, loss: str | None = None, data=None, **options) -> "ECCV16Task":
        """The paper's training: class-rebalanced cross-entropy on soft-encoded targets.

        Args:
            lr: Adam learning rate (the paper: 3e-5 with batches of 40 ImageNet images for
                450k steps; larger for small networks trained briefly).
            loss: ``"rebalanced"`` (default) or ``"cross_entropy"`` (no rebalancing).
            data: the training dataset; up to 500 items estimate the colour prior the
                rebalancing weights come from. Without data, every weight is 1.
            options: passed to :class:`ECCV16Task` (``prior_items``, ``lam``, ``betas``, ...).
        """
        return ECCV16Task(self, lr=lr, loss=loss or "rebalanced", data=data, **options)


class ECCV16(BinClassifier):
    """Zhang et al. 2016: per-pixel classification over ``Q`` ab bins, decoded by an annealed mean.

    Layout (channels for ``width = 1``; ``H`` a multiple of 8 for the sizes shown)::

        model1  conv 1->64, conv 64->64 stride 2, BN                      64 x H/2
        model2  conv 64->128, conv 128->128 stride 2, BN                 128 x H/4
        model3  conv 128->256, 2 x conv 256->256 (last stride 2), BN     256 x H/8
        model4  3 x conv ->512, BN                                       512 x H/8
        model5  3 x conv 512->512 dilation 2, BN                         512 x H/8
        model6  3 x conv 512->512 dilation 2, BN                         512 x H/8
        model7  3 x conv 512->512, BN                                    512 x H/8
        model8  transposed conv 512->256 (x2), 2 x conv 256->256,
                1x1 conv 256->Q ("model8.6": the class scores)             Q x H/4
        softmax over Q, model_out: 1x1 conv Q->2 without bias (the bin
        centres / 110), bilinear upsampling to H x W                       2 x H

    Every conv is 3x3 with bias and followed by a ReLU; BN is BatchNorm2d (affine, with running
    statistics) after the last ReLU of blocks 1-7.

    Args:
        width: multiplier of the hidden channel counts (1 = the official network; 0.25 or 0.125
            for small ones). ``Q`` and the 2 ab outputs do not scale.
        centres: ``(Q, 2)`` ab bin centres in Lab units; default :func:`colorlab.bins.gamut_bins`.
            They become ``model_out.weight = centres.T / 110`` (fixed, not trained), and
            :attr:`centres` reads them back from there, so weights loaded later (e.g. the
            official 313 bins) bring their own centres.
        input_size: the side the kit resizes L to before running the network.
        temperature: ``T`` of :meth:`forward` and of :meth:`predict_ab` by default; None: 0.38
            (the paper), or ``1 / folded_inverse_temperature`` when that is not 1.
        folded_inverse_temperature: the ``1 / T`` already multiplied into ``model8.6`` (2.606 for
            the released weights, 1 for weights trained here); see the module docstring.
    """

    scheme = "zhang"

    def __init__(
        self,
        width: float = 1.0,
        centres: torch.Tensor | None = None,
        input_size: int = 256,
        temperature: float | None = None,
        folded_inverse_temperature: float = 1.0,
    ):
        super().__init__()
        width = _check_width(width)
        centres = bins.gamut_bins() if centres is None else bins.load_centres(centres)
        if not folded_inverse_temperature > 0:
            raise ColorlabError(f"folded_inverse_temperature must be > 0, got {folded_inverse_temperature}")
        self.width = width
        self.input_size = input_size
        self.folded_inverse_temperature = float(folded_inverse_temperature)
        if temperature is None:
            temperature = PAPER_TEMPERATURE if self.folded_inverse_temperature == 1.0 else 1.0 / self.folded_inverse_temperature
        if not temperature > 0:
            raise ColorlabError(f"temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)
        c64, c128, c256, c512 = (_hidden(c, width) for c in (64, 128, 256, 512))
        q = centres.shape[0]

        self.model1 = _block(1, c64, 2, last_stride=2)
        self.model2 = _block(c64, c128, 2, last_stride=2)
        self.model3 = _block(c128, c256, 3, last_stride=2)
        self.model4 = _block(c256, c512, 3)
        self.model5 = _block(c512, c512, 3, dilation=2)
        self.model6 = _block(c512, c512, 3, dilation=2)
        self.model7 = _block(c512, c512, 3)
        self.model8 = nn.Sequential(
            _up(c512, c256), _relu(),
            _conv(c256, c256), _relu(),
            _conv(c256, c256), _relu(),
            nn.Conv2d(c256, q, 1),
        )
        self._set_centres(centres)

    def forward(self, l_norm: torch.Tensor, output: str = "ab") -> torch.Tensor:
        """``l_norm (N, 1, H, W)`` -> ``ab_norm (N, 2, H, W)``, the annealed mean at :attr:`temperature`.

        ``output="logits"`` returns the raw class scores instead (what :meth:`logits` returns; the
        training task calls the network this way so that DistributedDataParallel sees the call).
        """
        _check_input(l_norm, 1, "l_norm")
        features = l_norm
        for block in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
            features = block(features)
        raw = features  # (N, Q, H/4, W/4)
        if output == "logits":
            return raw
        if output != "ab":
            raise ColorlabError(f"output must be 'ab' or 'logits', got {output!r}")
        return self._annealed_mean(raw, l_norm.shape[-2:])


class ECCV16Task(Task):
    """Training of :class:`ECCV16`: rebalanced multinomial cross-entropy (Zhang et al. 2016, Sec. 2).

    For a batch ``(l_norm, ab_norm)``: the true ab is subsampled to the resolution of the class
    scores (1/4; the paper subsamples, it does not average), soft-encoded over the bins
    (:func:`colorlab.bins.soft_encode`, the 5 nearest centres with Gaussian weights,
    ``sigma = 5``), and compared with the scores by :func:`colorlab.bins.rebalanced_cross_entropy`,
    each pixel weighted by the rebalancing weight of its most likely true bin
    (:func:`colorlab.bins.rebalancing_weights`, ``lam = 0.5``, prior smoothed with ``sigma = 5``).
    The prior is estimated from up to ``prior_items`` items of ``data`` (none: no rebalancing).
    Validation decodes with the annealed mean at ``model.temperature``.

    Attributes:
        prior: ``(Q,)`` estimated bin frequencies, or None.
        class_weights: ``(Q,)`` rebalancing weights, or None (all 1).
    """

    def __init__(
        self,
        model: ECCV16,
        lr: float = 1e-3,
        loss: str = "rebalanced",
        data=None,
        *,
        prior_items: int = 500,
        lam: float = 0.5,
        sigma: float = 5.0,
        k: int = 5,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ):
        super().__init__()
        if loss not in ("rebalanced", "cross_entropy"):
            raise ColorlabError(f"unknown loss {loss!r} for ECCV16; choose 'rebalanced' or 'cross_entropy'")
        self.scheme = model.scheme
        self.k, self.sigma = k, sigma
        self.prior = None
        self.class_weights = None
        if loss == "rebalanced" and data is not None:
            centres = model.centres.cpu()
            scheme = getattr(data, "scheme", model.scheme)
            self.prior = bins.prior_from_dataset(data, centres, max_items=prior_items, scheme=scheme)
            self.class_weights = bins.rebalancing_weights(self.prior, centres, lam=lam, sigma=sigma).float()
        self.nets["model"] = model
        trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
        self.optimizers["model"] = torch.optim.Adam(trainable, lr=lr, betas=betas, weight_decay=weight_decay)

    def loss(self, raw_logits: torch.Tensor, ab_norm: torch.Tensor) -> torch.Tensor:
        """Rebalanced cross-entropy of raw class scores ``(N, Q, h, w)`` against ``ab_norm (N, 2, H, W)``."""
        model = self.nets["model"]
        logits = raw_logits.float() / model.folded_inverse_temperature
        ab_small = F.interpolate(denormalize_ab(ab_norm.float()), size=logits.shape[-2:], mode="nearest")
        target = bins.soft_encode(ab_small, model.centres, k=self.k, sigma=self.sigma)
        return bins.rebalanced_cross_entropy(logits, target, self.class_weights)

    def training_step(self, l_norm: torch.Tensor, ab_norm: torch.Tensor) -> dict[str, float]:
        with self.amp.autocast():
            raw = self.net("model")(l_norm, output="logits")
        loss = self.loss(raw, ab_norm)
        self.amp.step(loss, self.optimizers["model"])
        if "model" in self.schedulers:
            self.schedulers["model"].step()
        return {"loss": loss.item()}

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        return self.nets["model"].predict_ab(l_norm)


# ----------------------------------------------------------------------------------------------
# SIGGRAPH17
# ----------------------------------------------------------------------------------------------


def siggraph_class_centres() -> torch.Tensor:
    """The 529 ab centres of SIGGRAPH17's classes: class ``23 i + j`` is ``(a, b) = (10 i - 110, 10 j - 110)``.

    Returns:
        ``(529, 2)`` float32 in Lab units (the grid of the released training code: ``ab_max =
        110``, ``ab_quant = 10``, ``A = 23``, index ``a_index * 23 + b_index``).
    """
    steps = torch.arange(SIGGRAPH17_GRID, dtype=torch.float32) * bins.GRID_STEP - 110.0
    a, b = torch.meshgrid(steps, steps, indexing="ij")
    return torch.stack((a.flatten(), b.flatten()), dim=1)


class SIGGRAPH17(nn.Module):
    """Zhang et al. 2017: L + ab hints + mask -> ab, a U-Net-like network with two heads.

    Layout (channels for ``width = 1``; H a multiple of 8)::

        input   cat(l_norm, ab_hint_norm, mask)                            4 x H
        model1  conv 4->64, conv 64->64, BN               (conv1_2)       64 x H
        model2  conv 64->128, conv 128->128, BN on conv1_2[::2, ::2]     128 x H/2
        model3  3 convs ->256, BN on conv2_2[::2, ::2]    (conv3_3)      256 x H/4
        model4  3 convs ->512, BN on conv3_3[::2, ::2]                   512 x H/8
        model5, model6  3 convs 512->512 dilation 2, BN                  512 x H/8
        model7  3 convs 512->512, BN                                     512 x H/8
        model8up (transposed conv 512->256) + model3short8 (conv on conv3_3),
          model8: ReLU, 2 convs 256->256, BN              (conv8_3)      256 x H/4
        model9up (transposed conv 256->128) + model2short9 (conv on conv2_2),
          model9: ReLU, conv 128->128, BN                                128 x H/2
        model10up (transposed conv 128->128) + model1short10 (conv 64->128 on conv1_2),
          model10: ReLU, conv 128->128, LeakyReLU(0.2)                   128 x H
        model_out: 1x1 conv 128->2, tanh                  -> ab_norm       2 x H
        model_class: 1x1 conv 256->529 on conv8_3         -> class scores 529 x H/4

    Downsampling is plain subsampling (``[::2, ::2]``) between blocks, as in the release.

    The released weights were converted from the paper's Caffe model and take the mask as 0/1
    (no hints = all zeros, which is what the ``colorizers`` demo passes); the released
    re-implementation's own retrained weights instead centre the mask at 0.5
    (``--mask_cent``): not supported here.

    Args:
        width: multiplier of the hidden channel counts; the 4 inputs, 2 ab outputs and the class
            count do not scale.
        centres: ``(C, 2)`` ab centres of the classes of ``model_class``; default the 23 x 23 grid
            of the release (:func:`siggraph_class_centres`, C = 529).
        input_size: the side the kit resizes L to before running the network.
    """

    scheme = "zhang"

    def __init__(self, width: float = 1.0, centres: torch.Tensor | None = None, input_size: int = 256):
        super().__init__()
        width = _check_width(width)
        centres = siggraph_class_centres() if centres is None else bins.load_centres(centres)
        self.width = width
        self.input_size = input_size
        c64, c128, c256, c512 = (_hidden(c, width) for c in (64, 128, 256, 512))

        # encoder (the ECCV16 trunk without strides: downsampling is done by subsampling)
        self.model1 = _block(4, c64, 2)
        self.model2 = _block(c64, c128, 2)
        self.model3 = _block(c128, c256, 3)
        self.model4 = _block(c256, c512, 3)
        self.model5 = _block(c512, c512, 3, dilation=2)
        self.model6 = _block(c512, c512, 3, dilation=2)
        self.model7 = _block(c512, c512, 3)
        # decoder: upsample, add a shortcut from the encoder, convolve
        self.model8up = nn.Sequential(_up(c512, c256))
        self.model8 = nn.Sequential(_relu(), _conv(c256, c256), _relu(), _conv(c256, c256), _relu(), nn.BatchNorm2d(c256))
        self.model9up = nn.Sequential(_up(c256, c128))
        self.model9 = nn.Sequential(_relu(), _conv(c128, c128), _relu(), nn.BatchNorm2d(c128))
        self.model10up = nn.Sequential(_up(c128, c128))
        self.model10 = nn.Sequential(_relu(), _conv(c128, c128), nn.LeakyReLU(negative_slope=0.2))
        self.model3short8 = nn.Sequential(_conv(c256, c256))
        self.model2short9 = nn.Sequential(_conv(c128, c128))
        self.model1short10 = nn.Sequential(_conv(c64, c128))
        # heads
        self.model_class = nn.Sequential(nn.Conv2d(c256, centres.shape[0], 1))
        self.model_out = nn.Sequential(nn.Conv2d(c128, 2, 1), nn.Tanh())
        self.register_buffer("class_centres", centres, persistent=False)  # not in the state_dict

    @property
    def num_classes(self) -> int:
        return self.class_centres.shape[0]

    def forward(
        self,
        l_norm: torch.Tensor,
        ab_hint_norm: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        output: str = "ab",
    ):
        """``(l_norm (N, 1, H, W), ab_hint_norm (N, 2, H, W), mask (N, 1, H, W))`` -> ``ab_norm (N, 2, H, W)``.

        ``ab_hint_norm`` and ``mask`` default to zeros (no hints: automatic colorization).
        ``output="logits"`` returns the class scores ``(N, 529, H/4, W/4)``; ``output="both"``
        returns ``(ab_norm, class_scores)``.
        """
        _check_input(l_norm, 1, "l_norm")
        if output not in ("ab", "logits", "both"):
            raise ColorlabError(f"output must be 'ab', 'logits' or 'both', got {output!r}")
        height, width = l_norm.shape[-2:]
        ab_hint_norm = torch.zeros_like(l_norm).expand(-1, 2, -1, -1) if ab_hint_norm is None else ab_hint_norm
        mask = torch.zeros_like(l_norm) if mask is None else mask
        _check_input(ab_hint_norm, 2, "ab_hint_norm")
        _check_input(mask, 1, "mask")
        if ab_hint_norm.shape[-2:] != l_norm.shape[-2:] or mask.shape[-2:] != l_norm.shape[-2:]:
            raise ColorlabError(
                f"ab_hint_norm {tuple(ab_hint_norm.shape)} and mask {tuple(mask.shape)} must have the size of l_norm {tuple(l_norm.shape)}"
            )
        pad_h, pad_w = -height % 8, -width % 8
        if pad_h or pad_w:  # the shortcuts need sizes divisible by 8
            l_norm = F.pad(l_norm, (0, pad_w, 0, pad_h), mode="replicate")
            ab_hint_norm = F.pad(ab_hint_norm, (0, pad_w, 0, pad_h))
            mask = F.pad(mask, (0, pad_w, 0, pad_h))

        conv1_2 = self.model1(torch.cat((l_norm, ab_hint_norm, mask), dim=1))  # 64 x H
        conv2_2 = self.model2(conv1_2[:, :, ::2, ::2])  # 128 x H/2
        conv3_3 = self.model3(conv2_2[:, :, ::2, ::2])  # 256 x H/4
        conv4_3 = self.model4(conv3_3[:, :, ::2, ::2])  # 512 x H/8
        conv7_3 = self.model7(self.model6(self.model5(conv4_3)))  # 512 x H/8
        conv8_3 = self.model8(self.model8up(conv7_3) + self.model3short8(conv3_3))  # 256 x H/4
        class_scores = self.model_class(conv8_3)[:, :, : -(-height // 4), : -(-width // 4)]
        if output == "logits":
            return class_scores
        conv9_3 = self.model9(self.model9up(conv8_3) + self.model2short9(conv2_2))  # 128 x H/2
        conv10_2 = self.model10(self.model10up(conv9_3) + self.model1short10(conv1_2))  # 128 x H
        ab_norm = self.model_out(conv10_2)[:, :, :height, :width]
        return (ab_norm, class_scores) if output == "both" else ab_norm

    def logits(self, l_norm: torch.Tensor, ab_hint_norm: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores ``(N, 529, H/4, W/4)`` of the auxiliary classification head."""
        return self(l_norm, ab_hint_norm, mask, output="logits")

    def class_distribution(
        self,
        l_norm: torch.Tensor,
        ab_hint_norm: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        temperature: float | None = None,
    ) -> torch.Tensor:
        """``softmax(class scores / T)`` over the 529 classes (``T = 1`` when None)."""
        temperature = 1.0 if temperature is None else temperature
        if not temperature > 0:
            raise ColorlabError(f"temperature must be > 0, got {temperature}")
        return torch.softmax(self.logits(l_norm, ab_hint_norm, mask) / temperature, dim=1)

    def predict_ab(
        self,
        l_norm: torch.Tensor,
        ab_hint_norm: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        method: str = "regression",
        temperature: float = PAPER_TEMPERATURE,
    ) -> torch.Tensor:
        """``ab_norm (N, 2, H, W)``: the regression head (the network's output, default) or a decoding
        of the class head (``method`` ``"annealed_mean"``, ``"mean"`` or ``"mode"``, upsampled)."""
        if method == "regression":
            return self(l_norm, ab_hint_norm, mask)
        ab = bins.decode(self.logits(l_norm, ab_hint_norm, mask), self.class_centres, method=method, temperature=temperature)
        return _resize(normalize_ab(ab), l_norm.shape[-2:])

    def training_task(self, lr: float = 1e-3, loss: str | None = None, data=None, **options) -> SIGGRAPH17Task:
        """Training with simulated hints and the paper's Huber loss (see :class:`SIGGRAPH17Task`).

        ``loss``: ``"huber"`` (default) or ``"huber+class"`` (adds the 529-way cross-entropy of
        the class head with weight 1). ``data`` is not needed.
        """
        losses = {"huber": 0.0, "huber+class": 1.0}
        loss = loss or "huber"
        if loss not in losses:
            raise ColorlabError(f"unknown loss {loss!r} for SIGGRAPH17; choose one of {', '.join(losses)}")
        options.setdefault("class_weight", losses[loss])
        return SIGGRAPH17Task(self, lr=lr, **options)


# ----------------------------------------------------------------------------------------------
# Simulated user hints (the SIGGRAPH17 training input; colorlab.hints re-exports them)
# ----------------------------------------------------------------------------------------------

#: ``p`` of the geometric number of hints (the paper's 1/8: 7 hints per image on average).
HINT_PROBABILITY = 1.0 / 8.0
#: Largest side of a simulated hint patch, in pixels (sides are uniform in ``1 ... 9``).
MAX_PATCH = 9


def sample_hint_counts(n: int, p: float = HINT_PROBABILITY, generator: torch.Generator | None = None) -> torch.Tensor:
    """Number of hints for each of ``n`` images: geometric with success probability ``p``, from 0.

    ``P(k) = p (1 - p)^k`` for ``k = 0, 1, 2, ...``; mean ``(1 - p) / p`` (7 for ``p = 1/8``).
    Drawn by inverting the distribution function: ``k = floor(log(U) / log(1 - p))`` with ``U``
    uniform in ``(0, 1]``.

    Args:
        n: number of images, ``>= 0``.
        p: probability of stopping after each hint, in ``(0, 1]`` (1: never any hint).
        generator: a CPU :class:`torch.Generator` for reproducible draws (default: torch's global one).

    Returns:
        ``(n,)`` int64 tensor on the CPU.
    """
    if not 0.0 < p <= 1.0:
        raise ColorlabError(f"p must be in (0, 1], got {p}")
    if p == 1.0:
        return torch.zeros(n, dtype=torch.long)
    uniform = 1.0 - torch.rand(n, generator=generator, dtype=torch.float64)  # in (0, 1]
    return torch.floor(torch.log(uniform) / math.log1p(-p)).long()


def sample_hints(
    ab_norm: torch.Tensor,
    generator: torch.Generator | None = None,
    p: float = HINT_PROBABILITY,
    max_patch: int = MAX_PATCH,
    num_hints: int | None = None,
    location: str = "normal",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulate user hints from the true colours, as in the SIGGRAPH17 paper (see the module doc).

    Args:
        ab_norm: ``(N, 2, H, W)`` float, the true colours (``ab / 110``), any device.
        generator: a CPU :class:`torch.Generator` for reproducible hints (default: torch's global
            one, so that :class:`colorlab.train.Trainer` checkpoints capture the state).
        p: geometric ``p`` of the number of hints (ignored when ``num_hints`` is given).
        max_patch: largest patch side in pixels (sides are uniform in ``1 ... max_patch``); a
            patch larger than the image is shrunk to fit.
        num_hints: a fixed number of hints per image instead of the geometric draw (for
            evaluation, e.g. "PSNR with 10 hints").
        location: ``"normal"`` (the paper: centred Gaussian) or ``"uniform"`` (anywhere).

    Returns:
        ``(ab_hint_norm, mask)``: ``(N, 2, H, W)`` mean ab of each patch (``ab / 110``) on the
        hinted pixels and 0 elsewhere, and ``(N, 1, H, W)`` 1 on hinted pixels and 0 elsewhere;
        dtype and device of ``ab_norm``. Where patches overlap, the later one wins.
    """
    if not isinstance(ab_norm, torch.Tensor) or ab_norm.dim() != 4 or ab_norm.shape[1] != 2:
        shape = tuple(ab_norm.shape) if hasattr(ab_norm, "shape") else type(ab_norm).__name__
        raise ColorlabError(f"ab_norm must be a (N, 2, H, W) tensor, got {shape}")
    if isinstance(max_patch, bool) or not isinstance(max_patch, int) or max_patch < 1:
        raise ColorlabError(f"max_patch must be an integer >= 1, got {max_patch!r}")
    if location not in ("normal", "uniform"):
        raise ColorlabError(f"location must be 'normal' or 'uniform', got {location!r}")
    n, _, height, width = ab_norm.shape
    if num_hints is None:
        counts = sample_hint_counts(n, p, generator).tolist()
    elif num_hints < 0:
        raise ColorlabError(f"num_hints must be >= 0, got {num_hints}")
    else:
        counts = [num_hints] * n
    ab_hint_norm = torch.zeros_like(ab_norm)
    mask = torch.zeros_like(ab_norm[:, :1])
    for image, count in enumerate(counts):
        if count == 0:
            continue
        sides = torch.randint(1, max_patch + 1, (count,), generator=generator).tolist()
        if location == "normal":
            draws = torch.randn(count, 2, generator=generator, dtype=torch.float64).tolist()
        else:
            draws = torch.rand(count, 2, generator=generator, dtype=torch.float64).tolist()
        for side, (draw_y, draw_x) in zip(sides, draws):
            side = min(side, height, width)
            top = _corner(draw_y, height - side + 1, location)
            left = _corner(draw_x, width - side + 1, location)
            patch = (image, slice(None), slice(top, top + side), slice(left, left + side))
            ab_hint_norm[patch] = ab_norm[patch].mean(dim=(1, 2), keepdim=True)
            mask[patch] = 1.0
    return ab_hint_norm, mask


def _corner(draw: float, positions: int, location: str) -> int:
    """Top (or left) corner in ``[0, positions - 1]`` from a standard normal or uniform draw."""
    if location == "normal":
        corner = positions / 2.0 + draw * positions / 4.0  # N(positions / 2, (positions / 4)^2)
    else:
        corner = draw * positions
    return int(min(max(corner, 0.0), positions - 1))


class SIGGRAPH17Task(Task):
    """Training of :class:`SIGGRAPH17` with simulated user hints (Zhang et al. 2017, Sec. 3).

    For every batch, hints are drawn from the true colours by :func:`sample_hints`
    (geometric number with ``p = 1/8``, patches of 1-9 px, Gaussian locations, mean patch colour);
    the network sees ``(l_norm, hints, mask)`` and its ab output is compared with the truth by a
    Huber (smooth-L1) loss with ``delta = 1`` Lab unit, computed in Lab units (the paper's
    regression loss; for errors above 1 unit it is the L1 error minus 0.5). Optionally
    (``class_weight > 0``) the cross-entropy of the 529-way class head against the nearest grid
    bin of the true ab (subsampled to 1/4) is added, as in the released code's first training
    stage (which trained the classification first, then fine-tuned the regression; here both at
    once). The class loss is always computed and logged, so that all parameters take part in
    every step. Validation predicts without hints.
    """

    def __init__(
        self,
        model: SIGGRAPH17,
        lr: float = 1e-3,
        *,
        class_weight: float = 0.0,
        p: float = HINT_PROBABILITY,
        max_patch: int = MAX_PATCH,
        betas: tuple[float, float] = (0.9, 0.999),
        weight_decay: float = 0.0,
    ):
        super().__init__()
        self.scheme = model.scheme
        self.class_weight = float(class_weight)
        self.p, self.max_patch = p, max_patch
        self.nets["model"] = model
        self.optimizers["model"] = torch.optim.Adam(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)

    def training_step(self, l_norm: torch.Tensor, ab_norm: torch.Tensor) -> dict[str, float]:
        ab_hint_norm, mask = sample_hints(ab_norm, p=self.p, max_patch=self.max_patch)
        with self.amp.autocast():
            ab_pred, class_scores = self.net("model")(l_norm, ab_hint_norm, mask, output="both")
        huber = F.huber_loss(denormalize_ab(ab_pred.float()), denormalize_ab(ab_norm.float()), delta=1.0)
        ab_small = F.interpolate(denormalize_ab(ab_norm.float()), size=class_scores.shape[-2:], mode="nearest")
        target = bins.nearest_bin(ab_small, self.nets["model"].class_centres)
        class_loss = F.cross_entropy(class_scores.float(), target)
        loss = huber + self.class_weight * class_loss
        self.amp.step(loss, self.optimizers["model"])
        if "model" in self.schedulers:
            self.schedulers["model"].step()
        return {"loss": loss.item(), "huber": huber.item(), "class": class_loss.item()}

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        return self.nets["model"](l_norm)


# ----------------------------------------------------------------------------------------------
# Weights and registry
# ----------------------------------------------------------------------------------------------


def _read_state(path: str) -> dict[str, torch.Tensor]:
    return read_weights_file(str(path))["state_dict"]


def _official_path(family: str, weights: str, width: float) -> str:
    if weights == "official":
        if width != 1.0:
            raise ColorlabError(f"the official {family} weights need width 1.0, got width={width}")
        return str(official_weights_file(family))
    return weights


def _build_eccv16(weights, width, centres, input_size, temperature, folded_inverse_temperature) -> ECCV16:
    if weights is None:
        return ECCV16(width, centres, input_size, temperature, folded_inverse_temperature or 1.0)
    released = weights == "official"
    path = _official_path("eccv16", weights, width)
    released = released or Path(path).name.startswith("colorization_release_v2")
    state = _read_state(path)
    classes = state["model_out.weight"].shape[1] if "model_out.weight" in state else ECCV16_OFFICIAL_CLASSES
    if folded_inverse_temperature is None:
        folded_inverse_temperature = RELEASED_INVERSE_TEMPERATURE if released else 1.0
    # the centres come with the weights (model_out.weight): build with placeholders of the right count
    model = ECCV16(width, torch.zeros(classes, 2), input_size, temperature, folded_inverse_temperature)
    return apply_state_dict(model, state, path)


def _build_siggraph17(weights, width, centres, input_size) -> SIGGRAPH17:
    model = SIGGRAPH17(width, centres, input_size)
    if weights is None:
        return model
    path = _official_path("siggraph17", weights, width)
    return apply_state_dict(model, _read_state(path), path)


@register(
    "eccv16",
    "Zhang et al. ECCV 2016: ab classification (313 bins in the release), rebalanced loss, annealed mean (32M parameters)",
    weights=("official",),
)
def build_eccv16(
    weights: str | None = None,
    width: float = 1.0,
    centres: torch.Tensor | None = None,
    input_size: int = 256,
    temperature: float | None = None,
    folded_inverse_temperature: float | None = None,
) -> ECCV16:
    """``weights``: None (random init, :func:`colorlab.bins.gamut_bins` centres unless ``centres``
    is given), ``"official"`` (the released file, downloaded once) or a local path. With weights,
    the bin centres come from the file. ``folded_inverse_temperature`` defaults to 2.606 for the
    released file (also for a local copy that keeps its name ``colorization_release_v2*``), else 1."""
    return _build_eccv16(weights, width, centres, input_size, temperature, folded_inverse_temperature)


@register("eccv16_small", "ECCV16 with 1/4 of the channels (2M parameters), to train from scratch on a CPU")
def build_eccv16_small(
    weights: str | None = None,
    width: float = 0.25,
    centres: torch.Tensor | None = None,
    input_size: int = 256,
    temperature: float | None = None,
) -> ECCV16:
    """``weights``: None (random init) or a local path (e.g. a ``colorlab train`` result)."""
    if weights == "official":
        raise ColorlabError("official weights exist only for 'eccv16' (width 1.0), not 'eccv16_small'")
    return _build_eccv16(weights, width, centres, input_size, temperature, None)


@register(
    "siggraph17",
    "Zhang et al. SIGGRAPH 2017: L + user ab hints -> ab (U-Net-like, Huber loss; 34M parameters)",
    weights=("official",),
)
def build_siggraph17(
    weights: str | None = None,
    width: float = 1.0,
    centres: torch.Tensor | None = None,
    input_size: int = 256,
) -> SIGGRAPH17:
    """``weights``: None (random init), ``"official"`` (the released file, downloaded once) or a local path."""
    return _build_siggraph17(weights, width, centres, input_size)


@register("siggraph17_small", "SIGGRAPH17 with 1/4 of the channels (2M parameters), to train from scratch on a CPU")
def build_siggraph17_small(
    weights: str | None = None,
    width: float = 0.25,
    centres: torch.Tensor | None = None,
    input_size: int = 256,
) -> SIGGRAPH17:
    """``weights``: None (random init) or a local path."""
    if weights == "official":
        raise ColorlabError("official weights exist only for 'siggraph17' (width 1.0), not 'siggraph17_small'")
    return _build_siggraph17(weights, width, centres, input_size)


# ----------------------------------------------------------------------------------------------
# Inference with the reference pre- and post-processing
# ----------------------------------------------------------------------------------------------

"""Pix2Pix for colorization: a U-Net generator, a PatchGAN discriminator and their GAN training task.

Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks* (CVPR 2017),
applied to colorization as in the official code's ``colorization`` mode: the generator maps
``L / 50 - 1`` (the ``"pix2pix"`` scheme of :mod:`colorlab.color`) to ``ab / 110`` through a Tanh,
so every prediction lies in ``[-1, 1]``. Pieces:

* :class:`UNetGenerator`: the pix2pix U-Net. ``num_downs`` stride-2 convolutions take the image
  down to a 1 x 1 bottleneck (``"unet_128"``: 7, ``"unet_256"``: 8), the decoder goes back up
  with transposed convolutions and concatenates, at every level, the encoder's features of the
  same size (the *skip connections* that carry the detail past the bottleneck). BatchNorm,
  LeakyReLU(0.2) down, ReLU up, dropout 0.5 in the inner decoder blocks (its only noise source).
* :class:`ResNetUNet`: a U-Net whose encoder is torchvision's ResNet-18 with a one-channel stem,
  optionally with ImageNet weights: the transfer-learning recipe of the well-known "U-Net +
  conditional GAN" colorization tutorial (there built with fastai's ``DynamicUnet``).
* :class:`PatchDiscriminator`: the 70 x 70 PatchGAN. It sees ``cat(L, ab)`` (it is *conditioned*
  on L) and outputs a grid of logits, one real/fake verdict per overlapping 70 x 70 patch;
  :func:`receptive_field` and :func:`input_gradient` compute what one verdict sees.
* :func:`gan_loss`, :func:`generator_loss`, :func:`discriminator_loss`: vanilla (BCE with
  logits) or least-squares GAN; ``G = GAN + lambda * L1`` with ``lambda = 100``; D's loss halved.
* :class:`Pix2PixTask`: the :class:`colorlab.models.task.Task` with two networks and two Adam optimizers
  (lr 2e-4, betas (0.5, 0.999)), weights initialised from N(0, 0.02), an optional linear lr decay,
  an optional L1-only first stage (the "NoGAN" idea: pretrain the generator, then fine-tune it
  adversarially) and the diagnostics students need: D's mean outputs on real and fake pairs, the
  colourfulness of the generated batch, and snapshots of a fixed batch every few steps.

Every generator has ``training_task(lr, loss, data)``, so ``colorlab train --model pix2pix_unet``
uses :class:`Pix2PixTask` through the kit's one training loop (:mod:`colorlab.train`).

Registered models (:func:`colorlab.models.load`):

==========================  ======================================================  ================
name                        network                                                 H, W multiples of
==========================  ======================================================  ================
``pix2pix_unet``            U-Net, ``ngf=64`` (official width), ``input_size=128``   ``2 ** num_downs``
                            -> ``unet_128`` (41.8 M parameters)                     (128)
``pix2pix_unet_small``      U-Net, ``ngf=16``, ``input_size=64`` -> 6 levels         64
                            (1.8 M), for CPU notebooks
``pix2pix_resnet18_unet``   :class:`ResNetUNet`, ``input_size=128``, weights          32
                            ``"imagenet"`` for the encoder (14.3 M)
==========================  ======================================================  ================

A U-Net's depth follows its ``input_size`` unless ``num_downs`` is given, so train it on images
of that size (``colorlab train --model pix2pix_unet --size 128 --lr 2e-4``); other sizes raise a
one-line :class:`ColorlabError` before training starts. No pretrained pix2pix colorization
weights exist for these layouts: ``weights`` is None or a local file (a ``state_dict`` or a
training checkpoint, whose ``nets["generator"]`` is used).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

from colorlab import color, metrics
from colorlab.io import ColorlabError
from colorlab.models.registry import load_state_dict_file, register
from colorlab.models.regression import imagenet_resnet18_state
from colorlab.models.task import Task

__all__ = [
    "UNET_DEPTHS",
    "UNetGenerator",
    "ResNetUNet",
    "PatchDiscriminator",
    "init_weights",
    "receptive_field",
    "conv_layers",
    "input_gradient",
    "support_box",
    "GAN_MODES",
    "gan_loss",
    "generator_loss",
    "discriminator_loss",
    "LinearDecay",
    "Pix2PixTask",
]

#: U-Net depths by name: stride-2 downsamplings, so that the bottleneck is 1 x 1 at that image size
#: (pix2pix's ``unet_128`` and ``unet_256``, and smaller ones for the small images of CPU notebooks).
UNET_DEPTHS = {"unet_32": 5, "unet_64": 6, "unet_128": 7, "unet_256": 8}
#: The two GAN objectives: ``"vanilla"`` (binary cross-entropy on logits) and ``"lsgan"`` (least squares).
GAN_MODES = ("vanilla", "lsgan")
#: Weight of the L1 term in the generator loss (pix2pix's lambda).
L1_WEIGHT = 100.0


def _check_l_norm(l_norm: torch.Tensor, multiple: int, name: str) -> None:
    if not isinstance(l_norm, torch.Tensor) or l_norm.dim() != 4 or l_norm.shape[1] != 1:
        shape = tuple(l_norm.shape) if hasattr(l_norm, "shape") else type(l_norm).__name__
        raise ColorlabError(f"{name} expects l_norm of shape (N, 1, H, W), got {shape}")
    height, width = l_norm.shape[-2:]
    if height % multiple or width % multiple:
        raise ColorlabError(
            f"{name} needs H and W multiples of {multiple}, got {height}x{width}: "
            f"resize the input (e.g. train with --size {max(multiple, 64)})"
        )


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """pix2pix initialisation, in place: conv weights from N(0, std), BatchNorm scales from N(1, std), biases 0.

    Returns ``module``.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)
    return module


# --- generators ---------------------------------------------------------------------------------


class _Pix2PixGenerator(nn.Module):
    """What every pix2pix generator shares: the scheme, ``predict_ab`` and ``training_task``."""

    scheme = "pix2pix"
    input_size: int
    #: H and W of the input must be multiples of this.
    size_multiple: int = 1

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        """``l_norm (N, 1, H, W)`` (``L / 50 - 1``) -> ``ab_norm (N, 2, H, W)`` in ``[-1, 1]`` (``ab / 110``)."""
        return self(l_norm)

    def training_task(
        self,
        lr: float = 2e-4,
        loss: str | None = None,
        data: Dataset | None = None,
        **options,
    ) -> Pix2PixTask:
        """The :class:`Pix2PixTask` that trains this generator (what ``colorlab train`` calls).

        Args:
            lr: Adam learning rate of both networks (the pix2pix recipe: ``2e-4``).
            loss: ``"vanilla"`` (default) or ``"lsgan"`` for L1 + GAN, or ``"l1"`` for the
                L1-only baseline (no discriminator).
            data: the training dataset; its first item is checked against the generator's size
                constraint so that a wrong ``--size`` fails before training starts.
            **options: passed on to :class:`Pix2PixTask` (``pretrain_steps``, ``lr_decay``, ...).
        """
        if data is not None and len(data) > 0:
            l_norm = data[0][0]
            _check_l_norm(l_norm[None], self.size_multiple, type(self).__name__)
        return Pix2PixTask(self, lr=lr, gan_mode=loss or "vanilla", **options)


class UNetGenerator(_Pix2PixGenerator):
    """The pix2pix U-Net: ``l_norm (N, 1, H, W)`` -> ``ab_norm (N, 2, H, W)`` in ``[-1, 1]``.

    Input ``L / 50 - 1`` in ``[-1, 1]``; output ``ab / 110`` through a Tanh (the ``"pix2pix"``
    scheme). H and W must be multiples of ``2 ** num_downs``; at ``H = W = 2 ** num_downs`` the
    bottleneck is 1 x 1.

    Level ``i`` (``0`` outermost) of the encoder is a 4 x 4 stride-2 convolution to
    ``ngf * min(2 ** i, 8)`` channels (LeakyReLU(0.2) before it except at level 0, BatchNorm after
    it except at the outermost and innermost levels). The decoder mirrors it with 4 x 4 stride-2
    transposed convolutions (ReLU before, BatchNorm after), and each decoder level except the
    innermost receives the concatenation of the encoder output of its level (skip connection)
    and the decoder output of the level below. Decoder levels ``4 .. num_downs - 2`` (the inner
    ones with ``8 * ngf`` channels) apply dropout. Convolutions followed by BatchNorm have no bias.

    Args:
        num_downs: number of downsamplings, or a name from :data:`UNET_DEPTHS` (``"unet_256"``: 8).
            ``None``: ``log2(input_size)``, so the bottleneck is 1 x 1 at ``input_size``.
        ngf: channels of the first level (64 in pix2pix).
        dropout: dropout probability of the inner decoder blocks (0.5 in pix2pix; 0 disables).
        input_size: the side length the kit resizes L to before running the model.

    Weights are initialised from N(0, 0.02) (:func:`init_weights`).
    """

    def __init__(self, num_downs: int | str | None = None, ngf: int = 64, dropout: float = 0.5, input_size: int = 256):
        super().__init__()
        if num_downs is None:
            num_downs = round(math.log2(input_size))
        if isinstance(num_downs, str):
            if num_downs not in UNET_DEPTHS:
                raise ColorlabError(f"unknown U-Net depth {num_downs!r}; choose one of {sorted(UNET_DEPTHS)} or an int")
            num_downs = UNET_DEPTHS[num_downs]
        if not isinstance(num_downs, int) or num_downs < 2:
            raise ColorlabError(f"num_downs must be an int >= 2, got {num_downs!r}")
        if not isinstance(ngf, int) or ngf < 1:
            raise ColorlabError(f"ngf must be a positive int, got {ngf!r}")
        self.num_downs = num_downs
        self.ngf = ngf
        self.input_size = input_size
        self.size_multiple = 2**num_downs
        channels = [ngf * min(2**level, 8) for level in range(num_downs)]
        innermost = num_downs - 1

        self.down = nn.ModuleList()
        for level in range(num_downs):
            in_channels = 1 if level == 0 else channels[level - 1]
            norm = 0 < level < innermost
            layers: list[nn.Module] = [] if level == 0 else [nn.LeakyReLU(0.2, inplace=True)]
            layers.append(nn.Conv2d(in_channels, channels[level], 4, stride=2, padding=1, bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(channels[level]))
            self.down.append(nn.Sequential(*layers))

        self.up = nn.ModuleList()
        for level in range(num_downs):
            in_channels = channels[level] if level == innermost else 2 * channels[level]
            outermost = level == 0
            out_channels = 2 if outermost else channels[level - 1]
            layers = [nn.ReLU(inplace=True), nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=outermost)]
            if outermost:
                layers.append(nn.Tanh())
            else:
                layers.append(nn.BatchNorm2d(out_channels))
                if dropout > 0 and 4 <= level <= num_downs - 2:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_weights(self)

    def encode(self, l_norm: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's output at every level: ``num_downs`` tensors, level ``i`` of size ``H / 2 ** (i + 1)``."""
        _check_l_norm(l_norm, self.size_multiple, f"UNetGenerator(num_downs={self.num_downs})")
        features = []
        x = l_norm
        for block in self.down:
            x = block(x)
            features.append(x)
        return features

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        skips = self.encode(l_norm)
        x = self.up[-1](skips[-1])
        for level in reversed(range(self.num_downs - 1)):
            x = self.up[level](torch.cat((skips[level], x), dim=1))
        return x


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class _UpBlock(nn.Module):
    """x2 transposed convolution of the deeper features, concatenation with the skip, two conv-BN-ReLU."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
        self.conv = nn.Sequential(
            *_conv_bn_relu(in_channels // 2 + skip_channels, out_channels), *_conv_bn_relu(out_channels, out_channels)
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat((self.up(x), skip), dim=1))


class ResNetUNet(_Pix2PixGenerator):
    """U-Net with a ResNet-18 encoder: ``l_norm (N, 1, H, W)`` -> ``ab_norm (N, 2, H, W)`` in ``[-1, 1]``.

    The encoder is torchvision's ResNet-18 (``encoder``, without ``avgpool`` / ``fc``) with a
    one-channel first convolution; its features at 1/2 (after ``relu``, 64 channels), 1/4
    (``layer1``, 64), 1/8 (``layer2``, 128), 1/16 (``layer3``, 256) and 1/32 (``layer4``, 512) of
    the input size are the skip connections. Five up blocks (x2 transposed convolution, concat the
    skip, two 3 x 3 conv-BN-ReLU) return to full size, the last one with the input L itself as its
    skip, then a 1 x 1 convolution to 2 channels and a Tanh. H and W must be multiples of 32.

    The decoder is initialised from N(0, 0.02); the encoder keeps torchvision's initialisation or
    takes ImageNet weights (``build_pix2pix_resnet18_unet(weights="imagenet")``).

    Args:
        input_size: the side length the kit resizes L to before running the model.
    """

    size_multiple = 32

    def __init__(self, input_size: int = 256):
        super().__init__()
        self.input_size = input_size
        encoder = torchvision.models.resnet18(weights=None)
        encoder.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        del encoder.fc, encoder.avgpool
        self.encoder = encoder
        self.decoder = nn.ModuleList(
            [_UpBlock(512, 256, 256), _UpBlock(256, 128, 128), _UpBlock(128, 64, 64), _UpBlock(64, 64, 64), _UpBlock(64, 1, 32)]
        )
        self.head = nn.Sequential(nn.Conv2d(32, 2, 1), nn.Tanh())
        init_weights(self.decoder)
        init_weights(self.head)

    def encode(self, l_norm: torch.Tensor) -> list[torch.Tensor]:
        """The skips, shallow to deep: ``[l_norm, 1/2, 1/4, 1/8, 1/16, 1/32]`` resolution features."""
        _check_l_norm(l_norm, self.size_multiple, "ResNetUNet")
        e = self.encoder
        half = e.relu(e.bn1(e.conv1(l_norm)))
        quarter = e.layer1(e.maxpool(half))
        eighth = e.layer2(quarter)
        sixteenth = e.layer3(eighth)
        return [l_norm, half, quarter, eighth, sixteenth, e.layer4(sixteenth)]

    def forward(self, l_norm: torch.Tensor) -> torch.Tensor:
        *skips, x = self.encode(l_norm)
        for block, skip in zip(self.decoder, reversed(skips)):
            x = block(x, skip)
        return self.head(x)


# --- discriminator and receptive fields ---------------------------------------------------------


class PatchDiscriminator(nn.Module):
    """The PatchGAN discriminator: ``cat(l_norm, ab_norm) (N, 3, H, W)`` -> logits ``(N, 1, H', W')``.

    A 4 x 4 stride-2 convolution with ``ndf`` channels and LeakyReLU(0.2), ``n_layers - 1`` more
    stride-2 convolutions doubling the channels (at most ``8 * ndf``), one stride-1 convolution, each
    with BatchNorm and LeakyReLU, and a final stride-1 convolution to one channel: one logit ("real"
    when positive) per position. With ``n_layers=3`` each logit sees a 70 x 70 patch of the input
    (:func:`receptive_field`); a 256 x 256 input gives a 30 x 30 grid of verdicts. The input holds L
    *and* ab, so D judges whether the colours fit this grey image (a conditional GAN).

    Weights are initialised from N(0, 0.02) (:func:`init_weights`).
    """

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        if not isinstance(n_layers, int) or n_layers < 0:
            raise ColorlabError(f"n_layers must be a non-negative int, got {n_layers!r}")
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        channels = ndf
        for n in range(1, n_layers + 1):
            out_channels = ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(channels, out_channels, 4, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            channels = out_channels
        layers.append(nn.Conv2d(channels, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        self.n_layers = n_layers
        init_weights(self)

    def forward(self, lab_norm: torch.Tensor) -> torch.Tensor:
        return self.model(lab_norm)


def conv_layers(net: nn.Module) -> list[tuple[int, int]]:
    """``(kernel, stride)`` of every ``Conv2d`` / ``MaxPool2d`` / ``AvgPool2d`` of ``net``, in module order.

    Meant for plain chains of layers (like :class:`PatchDiscriminator`); square kernels only.
    """
    layers = []
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel, stride = module.kernel_size, module.stride
            kernel = kernel if isinstance(kernel, int) else kernel[0]
            stride = stride if isinstance(stride, int) else stride[0]
            dilation = getattr(module, "dilation", 1)
            if (dilation if isinstance(dilation, int) else dilation[0]) != 1:
                raise ColorlabError(f"conv_layers: dilated layer {module} is not supported")
            layers.append((int(kernel), int(stride)))
    return layers


def receptive_field(layers: nn.Module | Iterable[tuple[int, int]]) -> int:
    """Side of the input patch that one output unit of a chain of convolutions sees.

    Walking back from one output unit: a layer with kernel ``k`` and stride ``s`` turns a patch of
    ``r`` of its outputs into ``(r - 1) * s + k`` of its inputs. For the PatchGAN's
    ``[(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]``: 1 -> 4 -> 7 -> 16 -> 34 -> 70.

    Args:
        layers: ``(kernel, stride)`` pairs in forward order, or a network (see :func:`conv_layers`).

    Returns:
        The receptive field in input pixels (an int >= 1).
    """
    if isinstance(layers, nn.Module):
        layers = conv_layers(layers)
    size = 1
    for kernel, stride in reversed(list(layers)):
        size = (size - 1) * stride + kernel
    return size


def input_gradient(
    net: nn.Module,
    size: int | tuple[int, int] = 128,
    *,
    in_channels: int = 3,
    unit: tuple[int, int] | None = None,
    image: torch.Tensor | None = None,
) -> torch.Tensor:
    """How strongly each input pixel affects one output unit: ``|d out[unit] / d input|`` summed over channels.

    Measures the receptive field empirically: the result is nonzero exactly on the pixels the
    unit sees. Runs a float64 copy of ``net`` in eval mode (BatchNorm with running statistics, so
    the unit does not depend on other images or positions through batch statistics).

    Args:
        net: maps ``(1, in_channels, H, W)`` to ``(1, C, H', W')``.
        size: input side ``S`` or ``(H, W)`` (ignored when ``image`` is given).
        in_channels: input channels (ignored when ``image`` is given).
        unit: ``(row, col)`` of the output unit; ``None``: the centre of the output grid.
        image: optional input ``(in_channels, H, W)``; default random normal values.

    Returns:
        ``(H, W)`` float64, ``>= 0``.
    """
    import copy

    probe = copy.deepcopy(net).double().eval()
    if image is None:
        height, width = (size, size) if isinstance(size, int) else size
        generator = torch.Generator().manual_seed(0)
        image = torch.randn(in_channels, height, width, generator=generator, dtype=torch.float64)
    device = next(probe.parameters()).device
    x = image.detach().to(device, torch.float64)[None].clone().requires_grad_(True)
    out = probe(x)
    if unit is None:
        unit = (out.shape[-2] // 2, out.shape[-1] // 2)
    out[0, 0, unit[0], unit[1]].backward()
    return x.grad[0].abs().sum(dim=0).cpu()


def support_box(grad: torch.Tensor) -> tuple[int, int, int, int]:
    """Bounding box of the nonzero entries of a 2-D map, e.g. of :func:`input_gradient`.

    Args:
        grad: ``(H, W)`` float, with at least one nonzero entry.

    Returns:
        ``(top, left, height, width)`` in pixels: for a PatchGAN unit, ``height = width = 70``.
    """
    rows = torch.nonzero(grad.sum(dim=1)).flatten()
    cols = torch.nonzero(grad.sum(dim=0)).flatten()
    top, left = int(rows.min()), int(cols.min())
    return top, left, int(rows.max()) - top + 1, int(cols.max()) - left + 1


# --- losses -------------------------------------------------------------------------------------


def _check_mode(mode: str) -> None:
    if mode not in GAN_MODES:
        raise ColorlabError(f"unknown GAN loss {mode!r}; choose one of {', '.join(GAN_MODES)} (or 'l1' for no GAN)")


def gan_loss(logits: torch.Tensor, real: bool, mode: str = "vanilla") -> torch.Tensor:
    """The GAN loss of discriminator outputs against the label "real" (1) or "fake" (0).

    ``"vanilla"``: binary cross-entropy of ``sigmoid(logits)``, i.e. ``mean(-log sigmoid(x))`` for
    real and ``mean(-log(1 - sigmoid(x)))`` for fake (``F.binary_cross_entropy_with_logits``).
    ``"lsgan"``: ``mean((x - 1) ** 2)`` for real and ``mean(x ** 2)`` for fake.

    Args:
        logits: D's raw outputs, any shape (e.g. ``(N, 1, H', W')``), float.
        real: the target label.
        mode: ``"vanilla"`` or ``"lsgan"``.

    Returns:
        A scalar tensor (mean over all elements), ``>= 0``.
    """
    _check_mode(mode)
    logits = logits.float()
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.mse_loss(logits, target)


def generator_loss(
    d_fake: torch.Tensor,
    ab_fake: torch.Tensor,
    ab_real: torch.Tensor,
    mode: str = "vanilla",
    l1_weight: float = L1_WEIGHT,
) -> dict[str, torch.Tensor]:
    """The generator's loss: fool D (``gan_loss(d_fake, real=True)``) and stay close to the truth.

    Args:
        d_fake: D's logits on ``cat(l_norm, ab_fake)``, any shape.
        ab_fake, ab_real: ``(N, 2, H, W)`` float, ``ab / 110``.
        mode: ``"vanilla"`` or ``"lsgan"``.
        l1_weight: lambda (100 in pix2pix).

    Returns:
        ``{"gan": ..., "l1": ..., "total": gan + l1_weight * l1}``, scalar tensors (``"l1"`` unweighted).
    """
    gan = gan_loss(d_fake, True, mode)
    l1 = F.l1_loss(ab_fake.float(), ab_real.float())
    return {"gan": gan, "l1": l1, "total": gan + l1_weight * l1}


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor, mode: str = "vanilla") -> dict[str, torch.Tensor]:
    """The discriminator's loss: real pairs labelled 1, fake pairs 0, the sum halved.

    Halving slows D down relative to G (pix2pix: "we divide the objective by 2 while optimizing D").

    Returns:
        ``{"real": gan_loss(d_real, True), "fake": gan_loss(d_fake, False), "total": (real + fake) / 2}``.
    """
    real = gan_loss(d_real, True, mode)
    fake = gan_loss(d_fake, False, mode)
    return {"real": real, "fake": fake, "total": 0.5 * (real + fake)}


# --- the training task --------------------------------------------------------------------------


class LinearDecay:
    """Learning-rate factor for :class:`torch.optim.lr_scheduler.LambdaLR`: constant, then linear to zero.

    ``factor(s) = 1 - max(0, s + offset - constant_steps + 1) / (decay_steps + 1)``, clamped at 0,
    where ``s`` counts the optimizer steps already taken. So the first ``constant_steps`` steps use
    the full learning rate and the next ``decay_steps`` use ``d / (d + 1), ..., 1 / (d + 1)`` of it
    (pix2pix's ``n_epochs`` / ``n_epochs_decay``, counted in steps). ``offset`` shifts the count,
    for an optimizer that starts stepping later (the discriminator after an L1-only stage).
    """

    def __init__(self, constant_steps: int, decay_steps: int, offset: int = 0):
        if constant_steps < 0 or decay_steps < 0 or offset < 0:
            raise ColorlabError(f"lr_decay steps must be >= 0, got constant {constant_steps}, decay {decay_steps}")
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)
        self.offset = int(offset)

    def __call__(self, steps_done: int) -> float:
        passed = max(0, steps_done + self.offset - self.constant_steps + 1)
        return max(0.0, 1.0 - passed / (self.decay_steps + 1))


def _constant(steps_done: int) -> float:
    return 1.0


class Pix2PixTask(Task):
    """Trains a pix2pix generator with a PatchGAN (or with L1 alone) in :class:`colorlab.train.Trainer`.

    One training step, as in pix2pix (``ab_fake = G(l_norm)``, pairs ``cat(l_norm, ab)``):

    1. D step: ``discriminator_loss(D(l, ab_real), D(l, ab_fake.detach()))``, Adam on D;
    2. G step: ``generator_loss(D(l, ab_fake), ab_fake, ab_real)`` = GAN + 100 * L1, Adam on G
       (D's weights frozen for it).

    During the first ``pretrain_steps`` steps (the optional L1-only stage) only G learns, from
    ``100 * L1``; D is not updated (its outputs are still logged). With ``gan_mode="l1"`` the whole
    run is L1-only and there is no discriminator at all: the baseline to compare against.

    Logged per step (the keys of :meth:`training_step`'s result, drawn by the history plot):
    ``G_GAN`` (generator's GAN loss), ``G_L1`` (``l1_weight * L1``, the term as it enters G's loss),
    ``D_real`` and ``D_fake`` (D's two loss terms), ``D(real)`` and ``D(fake)`` (D's mean output
    on real and fake pairs: the mean probability ``sigmoid(logit)`` for ``"vanilla"``, the raw mean
    for ``"lsgan"``, whose targets are 1 and 0 too) and ``colorfulness`` (mean
    :func:`colorlab.metrics.colorfulness` of the generated batch, 0-255 scale). The L1-only task
    logs ``G_L1`` and ``colorfulness``.

    Args:
        generator: maps ``l_norm`` to ``ab_norm`` in ``[-1, 1]`` (scheme ``"pix2pix"``).
        discriminator: default ``PatchDiscriminator(ndf=generator.ngf)`` (70 x 70 patches; ``ndf=64``
            when the generator has no ``ngf``, as for :class:`ResNetUNet`).
        lr, betas: Adam settings of both networks (pix2pix: ``2e-4``, ``(0.5, 0.999)``).
        lr_d: the discriminator's own learning rate (default ``lr``), e.g. to show D winning.
        gan_mode: ``"vanilla"``, ``"lsgan"`` or ``"l1"`` (no GAN).
        l1_weight: lambda of ``GAN + lambda * L1``.
        pretrain_steps: length of the L1-only first stage, in steps (0: adversarial from the start).
        lr_decay: ``None`` (constant lr) or ``(constant_steps, decay_steps)``: :class:`LinearDecay`.
        snapshot_l_norm: a fixed batch ``(n, 1, H, W)`` to render every ``snapshot_every`` steps
            into :attr:`snapshots`, a list of ``(step, ab_norm (n, 2, H, W) on the CPU)`` (not saved
            in checkpoints: after a resume it holds the snapshots taken since).

    The generator's scheduler (a ``LambdaLR``, constant when ``lr_decay`` is None) also counts the
    steps done (:attr:`steps_done`), so the stage and the schedule survive a checkpoint/resume.
    """

    scheme = "pix2pix"

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module | None = None,
        *,
        lr: float = 2e-4,
        lr_d: float | None = None,
        betas: tuple[float, float] = (0.5, 0.999),
        gan_mode: str = "vanilla",
        l1_weight: float = L1_WEIGHT,
        pretrain_steps: int = 0,
        lr_decay: Sequence[int] | None = None,
        snapshot_every: int = 0,
        snapshot_l_norm: torch.Tensor | None = None,
    ):
        super().__init__()
        if gan_mode != "l1":
            _check_mode(gan_mode)
        if pretrain_steps < 0:
            raise ColorlabError(f"pretrain_steps must be >= 0, got {pretrain_steps}")
        self.gan_mode = gan_mode
        self.l1_weight = float(l1_weight)
        self.pretrain_steps = int(pretrain_steps)
        self.nets["generator"] = generator
        self.optimizers["generator"] = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
        if lr_decay is not None:
            if len(lr_decay) != 2:
                raise ColorlabError(f"lr_decay must be (constant_steps, decay_steps), got {lr_decay!r}")
            constant_steps, decay_steps = lr_decay
        if gan_mode != "l1":
            if discriminator is None:  # as wide as the generator (pix2pix: ngf = ndf = 64)
                discriminator = PatchDiscriminator(ndf=getattr(generator, "ngf", 64))
            self.nets["discriminator"] = discriminator
            lr_d = lr if lr_d is None else lr_d
            self.optimizers["discriminator"] = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
            d_factor = LinearDecay(constant_steps, decay_steps, offset=self.pretrain_steps) if lr_decay is not None else _constant
            self.schedulers["discriminator"] = torch.optim.lr_scheduler.LambdaLR(self.optimizers["discriminator"], d_factor)
        g_factor = LinearDecay(constant_steps, decay_steps) if lr_decay is not None else _constant
        self.schedulers["generator"] = torch.optim.lr_scheduler.LambdaLR(self.optimizers["generator"], g_factor)
        self.snapshot_every = int(snapshot_every)
        self.snapshot_l_norm = snapshot_l_norm
        self.snapshots: list[tuple[int, torch.Tensor]] = []

    @property
    def steps_done(self) -> int:
        """Training steps taken so far (restored with the schedulers on resume)."""
        return self.schedulers["generator"].last_epoch

    @property
    def adversarial(self) -> bool:
        """True when the next step trains with the GAN loss (after the L1-only stage)."""
        return self.gan_mode != "l1" and self.steps_done >= self.pretrain_steps

    def _d_output(self, logits: torch.Tensor) -> float:
        logits = logits.detach().float()
        return (torch.sigmoid(logits) if self.gan_mode == "vanilla" else logits).mean().item()

    def training_step(self, l_norm: torch.Tensor, ab_norm: torch.Tensor) -> dict[str, float]:
        amp = self.amp
        adversarial = self.adversarial
        with amp.autocast():
            ab_fake = self.net("generator")(l_norm)
        logs: dict[str, float] = {}
        if self.gan_mode != "l1":
            real_pair = torch.cat((l_norm, ab_norm), dim=1)
            fake_pair = torch.cat((l_norm, ab_fake.detach()), dim=1)
            discriminator = self.net("discriminator")
            with amp.autocast(), torch.set_grad_enabled(adversarial):
                d_fake, d_real = discriminator(fake_pair), discriminator(real_pair)
                d_losses = discriminator_loss(d_real, d_fake, self.gan_mode)
            if adversarial:
                amp.step(d_losses["total"], self.optimizers["discriminator"])
                self.schedulers["discriminator"].step()
            logs.update({"D_real": d_losses["real"].item(), "D_fake": d_losses["fake"].item()})
            logs.update({"D(real)": self._d_output(d_real), "D(fake)": self._d_output(d_fake)})

        # G step. D is called unwrapped (no DDP) with frozen weights: the gradient only reaches G.
        discriminator = self.nets.get("discriminator")
        if discriminator is not None:
            discriminator.requires_grad_(False)
        try:
            with amp.autocast():
                if discriminator is not None:
                    with torch.set_grad_enabled(adversarial):  # L1-only stage: D's verdict is only logged
                        d_fake_for_g = discriminator(torch.cat((l_norm, ab_fake), dim=1))
                    g_losses = generator_loss(d_fake_for_g, ab_fake, ab_norm, self.gan_mode, self.l1_weight)
                    loss = g_losses["total"] if adversarial else self.l1_weight * g_losses["l1"]
                else:
                    g_losses = {"l1": F.l1_loss(ab_fake.float(), ab_norm)}
                    loss = self.l1_weight * g_losses["l1"]
            amp.step(loss, self.optimizers["generator"])
        finally:
            if discriminator is not None:
                discriminator.requires_grad_(True)
        self.schedulers["generator"].step()

        if discriminator is not None:
            logs = {"G_GAN": g_losses["gan"].item(), "G_L1": self.l1_weight * g_losses["l1"].item(), **logs}
        else:
            logs = {"G_L1": self.l1_weight * g_losses["l1"].item()}
        logs["colorfulness"] = self._colorfulness(l_norm, ab_fake.detach())
        if self.snapshot_every and self.snapshot_l_norm is not None and self.steps_done % self.snapshot_every == 0:
            self.take_snapshot()
        return logs

    @staticmethod
    def _colorfulness(l_norm: torch.Tensor, ab_norm: torch.Tensor) -> float:
        with torch.no_grad():
            l, ab = color.denormalize_lab(l_norm.float(), ab_norm.float(), "pix2pix")  # noqa: E741
            return metrics.colorfulness(color.l_ab_to_rgb(l, ab).clamp(0, 1)).mean().item()

    @torch.no_grad()
    def take_snapshot(self) -> torch.Tensor:
        """Render :attr:`snapshot_l_norm` with the generator in eval mode; append ``(step, ab_norm)`` to :attr:`snapshots`."""
        generator = self.nets["generator"]
        was_training = generator.training
        device = next(generator.parameters()).device
        generator.eval()
        ab_norm = generator(self.snapshot_l_norm.to(device)).float().cpu()
        generator.train(was_training)
        self.snapshots.append((self.steps_done, ab_norm))
        return ab_norm

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        return self.nets["generator"](l_norm).float()


# --- registered models ----------------------------------------------------------------------------


def _load_weights(model: nn.Module, weights: str | None, name: str) -> nn.Module:
    if weights is not None:
        if weights in ("imagenet", "official"):
            raise ColorlabError(f"{name} has no {weights!r} weights; use weights=None or a file path")
        load_state_dict_file(weights, model)
    return model


@register("pix2pix_unet", "pix2pix U-Net generator (ngf=64, unet_128 at 128 x 128), trained with a 70x70 PatchGAN + L1")
def build_pix2pix_unet(
    weights: str | None = None, num_downs: int | str | None = None, ngf: int = 64, dropout: float = 0.5, input_size: int = 128
) -> UNetGenerator:
    """The official-width pix2pix U-Net. ``weights``: None (N(0, 0.02) init) or a file (state_dict or checkpoint).

    ``num_downs`` defaults to ``log2(input_size)`` (``"unet_128"`` at 128, ``"unet_256"`` at 256).
    """
    model = UNetGenerator(num_downs=num_downs, ngf=ngf, dropout=dropout, input_size=input_size)
    return _load_weights(model, weights, "pix2pix_unet")


@register("pix2pix_unet_small", "narrow pix2pix U-Net (ngf=16, unet_64 at 64 x 64) for CPU notebooks, + PatchGAN")
def build_pix2pix_unet_small(
    weights: str | None = None, num_downs: int | str | None = None, ngf: int = 16, dropout: float = 0.5, input_size: int = 64
) -> UNetGenerator:
    """A 16x narrower pix2pix U-Net that trains on a CPU in minutes. ``weights``: None or a file."""
    model = UNetGenerator(num_downs=num_downs, ngf=ngf, dropout=dropout, input_size=input_size)
    return _load_weights(model, weights, "pix2pix_unet_small")


@register(
    "pix2pix_resnet18_unet",
    "U-Net with a ResNet-18 encoder (1-channel stem) + PatchGAN, the transfer-learning pix2pix recipe",
    weights=("imagenet",),
)
def build_pix2pix_resnet18_unet(weights: str | None = None, input_size: int = 128) -> ResNetUNet:
    """``weights``: None (random init), ``"imagenet"`` (pretrained encoder, N(0, 0.02) decoder) or a file path."""
    model = ResNetUNet(input_size=input_size)
    if weights == "imagenet":
        model.encoder.load_state_dict(imagenet_resnet18_state())
    elif weights is not None:
        load_state_dict_file(weights, model)
    return model

"""What a model family tells the training loop: :class:`Task` and the one-network :class:`SupervisedTask`.

These sit below the model families (which subclass :class:`Task` for their own losses) and below
:mod:`colorlab.train` (whose :class:`~colorlab.train.Trainer` runs any task), so that the families
never import the training loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from colorlab.io import ColorlabError

__all__ = ["Task", "SupervisedTask"]


class _Amp:
    """Autocast + gradient scaling on CUDA; plain float32 elsewhere."""

    def __init__(self, device: torch.device, enabled: bool):
        self.enabled = enabled and device.type == "cuda"
        self.device_type = device.type
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.enabled)

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=torch.float16)

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Zero the gradients, backpropagate ``loss`` (scaled under AMP) and step ``optimizer``."""
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        self.scaler.update()


class Task:
    """What a model family tells the training loop.

    Subclasses fill :attr:`nets` (name -> network), :attr:`optimizers` and optionally
    :attr:`schedulers` (stepped once per optimizer step), set :attr:`scheme` (the normalization
    of their data, ``"zhang"`` or ``"pix2pix"``), and implement :meth:`training_step` and
    :meth:`predict_ab`. Inside them, call networks through :meth:`net` so that the trainer's
    DistributedDataParallel wrappers are used when there are several processes.
    """

    scheme: str = "zhang"

    def __init__(self) -> None:
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, Any] = {}
        self._wrapped: dict[str, nn.Module] = {}
        self.amp: _Amp | None = None

    def net(self, name: str) -> nn.Module:
        """The network ``name`` as the forward pass should call it (the DDP wrapper when distributed)."""
        return self._wrapped.get(name, self.nets[name])

    def training_step(self, l_norm: torch.Tensor, ab_norm: torch.Tensor) -> dict[str, float]:
        """One optimization step on a batch; returns the losses to log (plain floats)."""
        raise NotImplementedError

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        """``l_norm (N, 1, H, W)`` -> ``ab_norm (N, 2, H, W)`` for validation."""
        raise NotImplementedError


class SupervisedTask(Task):
    """One network trained with one loss on ``(l_norm, ab_norm)``: regression and classification.

    Args:
        model: maps ``l_norm (N, 1, H, W)`` to an output the loss understands.
        loss: ``"mse"``, ``"l1"``, ``"smooth_l1"`` or a callable ``loss(output, ab_norm) -> scalar``.
        lr, weight_decay, betas: Adam settings.
        scheme: the normalization of the data; defaults to ``model.scheme`` or ``"zhang"``.
        decode: maps the model output to ``ab_norm`` for validation (default: identity, for
            regression models that output ``ab_norm``).
    """

    LOSSES = {"mse": nn.functional.mse_loss, "l1": nn.functional.l1_loss, "smooth_l1": nn.functional.smooth_l1_loss}

    def __init__(
        self,
        model: nn.Module,
        loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "mse",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        scheme: str | None = None,
        decode: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        super().__init__()
        if isinstance(loss, str):
            if loss not in self.LOSSES:
                raise ColorlabError(f"unknown loss {loss!r}; choose one of {sorted(self.LOSSES)}")
            loss = self.LOSSES[loss]
        self.loss_fn = loss
        self.decode = decode or (lambda output: output)
        self.scheme = scheme or getattr(model, "scheme", "zhang")
        self.nets["model"] = model
        self.optimizers["model"] = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, betas=betas)

    def training_step(self, l_norm: torch.Tensor, ab_norm: torch.Tensor) -> dict[str, float]:
        with self.amp.autocast():
            loss = self.loss_fn(self.net("model")(l_norm).float(), ab_norm)
        self.amp.step(loss, self.optimizers["model"])
        if "model" in self.schedulers:
            self.schedulers["model"].step()
        return {"loss": loss.item()}

    @torch.no_grad()
    def predict_ab(self, l_norm: torch.Tensor) -> torch.Tensor:
        return self.decode(self.nets["model"](l_norm).float())

"""One training loop for every model family: device, AMP, progress, history, checkpoints, resume, DDP.

The loop is deliberately small. What differs between model families (one network and a
regression loss, a classifier with a rebalanced loss, a generator and a discriminator with two
optimizers) lives in a :class:`Task`; the :class:`Trainer` only feeds it batches of normalized
``(l_norm, ab_norm)`` pairs and takes care of everything around:

* the device (GPU when present, :func:`colorlab.device.get_device`), AMP (float16 autocast and a
  gradient scaler) on CUDA only;
* a deterministic data order: :class:`torch.utils.data.DistributedSampler` shuffles with
  ``seed + epoch`` (also with a single process), so a run is reproducible and resumable;
* a tqdm progress bar with the losses, and a :class:`History` of per-step losses and per-epoch
  validation metrics (:mod:`colorlab.metrics`);
* checkpoints written atomically every ``checkpoint_every`` steps and at the end of each epoch:
  networks, optimizers, schedulers, gradient scaler, RNG states (Python, NumPy, torch, CUDA),
  epoch and position in the epoch, history;
* **exact resume**: training restarted from a checkpoint ends with the same weights as an
  uninterrupted run (with ``num_workers=0``: worker processes draw their own random numbers);
* data-parallel training under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, gloo on
  CPU, nccl on CUDA); every rank sees ``batch_size / N`` samples of each global batch.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from colorlab import color, metrics
from colorlab.device import get_device
from colorlab.io import ColorlabError
from colorlab.models.task import SupervisedTask, Task, _Amp

__all__ = ["Task", "SupervisedTask", "TrainConfig", "History", "Trainer", "seed_everything", "task_for", "run_training", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    """RNG states as tensors and plain values only, so checkpoints load with ``weights_only=True``."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    numpy_state = [kind, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(cached)]
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class TrainConfig:
    """Settings of a training run (all plain values, saved in every checkpoint)."""

    epochs: int = 1
    batch_size: int = 32  # global batch: split over the processes under torchrun
    max_steps: int | None = None  # stop early after this many optimizer steps in total
    checkpoint_every: int = 200  # steps; 0 = only at the end of each epoch
    seed: int = 0
    num_workers: int = 0
    device: str | None = None  # None: colorlab.device.get_device()
    amp: bool = True  # used only on CUDA
    progress: bool | None = True
    val_batches: int | None = None  # limit validation to this many batches


@dataclass
class History:
    """Per-step losses and per-epoch validation metrics of a run; :func:`colorlab.viz.plot_history` draws them."""

    steps: list[int] = field(default_factory=list)
    losses: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    val: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def log_step(self, step: int, losses: dict[str, float]) -> None:
        self.steps.append(step)
        for name, value in losses.items():
            self.losses.setdefault(name, []).append(value)

    def log_epoch(self, epoch: int, values: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for name, value in values.items():
            self.val.setdefault(name, []).append(value)


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from the torchrun environment; (0, 1, 0) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


class _ResumableSampler(DistributedSampler):
    """PyTorch's DistributedSampler that can start in the middle of an epoch (after ``skip`` samples)."""

    skip: int = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.skip :])

    def __len__(self) -> int:
        return self.num_samples - self.skip


def _save_atomically(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Trainer:
    """Runs a :class:`Task` over a dataset of ``(l_norm, ab_norm)`` pairs.

    Args:
        task: the model family's networks, optimizers and step.
        train_data: a ``Dataset`` yielding ``(l_norm (1, H, W), ab_norm (2, H, W))`` float32
            tensors in the task's normalization scheme.
        config: :class:`TrainConfig`.
        val_data: optional dataset of the same kind, scored after every epoch with
            :func:`colorlab.metrics.evaluate` (on RGB rebuilt from the true L and predicted ab).
        out_dir: where ``checkpoint.pt`` is written; when it already holds one, training resumes.
    """

    def __init__(
        self,
        task: Task,
        train_data: Dataset,
        config: TrainConfig | None = None,
        val_data: Dataset | None = None,
        out_dir: str | os.PathLike | None = None,
    ):
        self.task = task
        self.train_data = train_data
        self.val_data = val_data
        self.config = config or TrainConfig()
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.history = History()
        self.step = 0
        self.epoch = 0
        self.samples_done_in_epoch = 0  # per process
        self.rank, self.world, local_rank = _distributed()
        if self.config.batch_size % self.world:
            raise ColorlabError(f"batch size {self.config.batch_size} is not divisible by {self.world} processes")
        if self.world > 1 and not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
        if self.world > 1 and torch.cuda.is_available():
            self.device = torch.device("cuda", local_rank)
            torch.cuda.set_device(self.device)
        else:
            self.device = torch.device(self.config.device) if self.config.device else get_device()
        seed_everything(self.config.seed)
        for net in task.nets.values():
            net.to(self.device)
        if self.world > 1:
            task._wrapped = {
                name: nn.parallel.DistributedDataParallel(net, device_ids=[local_rank] if self.device.type == "cuda" else None)
                for name, net in task.nets.items()
                if any(p.requires_grad for p in net.parameters())
            }
        task.amp = _Amp(self.device, self.config.amp)
        if self.checkpoint_path is not None and self.checkpoint_path.exists():
            self.load_checkpoint(self.checkpoint_path)

    # --- checkpoints -----------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path | None:
        return self.out_dir / CHECKPOINT_NAME if self.out_dir is not None else None

    def state_dict(self) -> dict[str, Any]:
        task = self.task
        return {
            "nets": {name: net.state_dict() for name, net in task.nets.items()},
            "optimizers": {name: opt.state_dict() for name, opt in task.optimizers.items()},
            "schedulers": {name: sched.state_dict() for name, sched in task.schedulers.items()},
            "scaler": task.amp.scaler.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "samples_done_in_epoch": self.samples_done_in_epoch,
            "rng": _rng_state(),
            "history": asdict(self.history),
            "config": asdict(self.config),
            "scheme": task.scheme,
        }

    def save_checkpoint(self) -> None:
        """Write ``checkpoint.pt`` atomically (rank 0 only; the others wait)."""
        if self.checkpoint_path is None:
            return
        if self.rank == 0:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            _save_atomically(self.state_dict(), self.checkpoint_path)
        if self.world > 1:
            dist.barrier()

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore everything :meth:`state_dict` saved, to continue exactly where it stopped."""
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is a user-facing error
            raise ColorlabError(f"{path}: cannot read checkpoint ({type(error).__name__}: {error})") from None
        task = self.task
        for name, net in task.nets.items():
            net.load_state_dict(state["nets"][name])
        for name, opt in task.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        for name, sched in task.schedulers.items():
            sched.load_state_dict(state["schedulers"][name])
        task.amp.scaler.load_state_dict(state["scaler"])
        self.step, self.epoch = state["step"], state["epoch"]
        self.samples_done_in_epoch = state["samples_done_in_epoch"]
        self.history = History(**state["history"])
        _set_rng_state(state["rng"])

    # --- the loop --------------------------------------------------------------------------
    def _loader(self, epoch: int, skip: int) -> DataLoader:
        sampler = _ResumableSampler(
            self.train_data, num_replicas=self.world, rank=self.rank, shuffle=True, seed=self.config.seed, drop_last=True
        )
        sampler.set_epoch(epoch)
        sampler.skip = skip
        return DataLoader(
            self.train_data,
            batch_size=self.config.batch_size // self.world,
            sampler=sampler,
            num_workers=self.config.num_workers,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            # its own generator: creating the iterator must not draw from the global RNG (exact resume)
            generator=torch.Generator().manual_seed(self.config.seed * 1000 + epoch),
        )

    def steps_per_epoch(self) -> int:
        return (len(self.train_data) // self.world) // (self.config.batch_size // self.world)

    def total_steps(self) -> int:
        total = self.config.epochs * self.steps_per_epoch()
        return min(total, self.config.max_steps) if self.config.max_steps else total

    def fit(self) -> History:
        """Train until ``epochs`` (or ``max_steps``) are done; returns the :class:`History`."""
        import time

        total = self.total_steps()
        if total == 0:
            raise ColorlabError(f"no training step: {len(self.train_data)} samples < batch size {self.config.batch_size}")
        start = time.perf_counter()
        bar = tqdm(total=total, initial=self.step, disable=True if self.rank != 0 else (None if self.config.progress is None else not self.config.progress), desc="train")
        per_rank_batch = self.config.batch_size // self.world
        while self.step < total and self.epoch < self.config.epochs:
            for net in self.task.nets.values():
                net.train()
            for l_norm, ab_norm in self._loader(self.epoch, self.samples_done_in_epoch):
                losses = self.task.training_step(l_norm.to(self.device), ab_norm.to(self.device))
                self.step += 1
                self.samples_done_in_epoch += per_rank_batch
                self.history.log_step(self.step, losses)
                bar.update(1)
                bar.set_postfix({name: f"{value:.4f}" for name, value in losses.items()}, refresh=False)
                if not all(math.isfinite(value) for value in losses.values()):
                    raise ColorlabError(f"training diverged at step {self.step}: losses {losses}")
                if self.config.checkpoint_every and self.step % self.config.checkpoint_every == 0:
                    self.save_checkpoint()
                if self.step >= total:
                    break
            if self.samples_done_in_epoch >= self.steps_per_epoch() * per_rank_batch:  # the epoch is complete
                self.epoch += 1
                self.samples_done_in_epoch = 0
                if self.val_data is not None:
                    self.history.log_epoch(self.epoch, self.validate())
                self.save_checkpoint()
        bar.close()
        self.history.seconds += time.perf_counter() - start
        self.save_checkpoint()
        return self.history

    @torch.no_grad()
    def validate(self, data: Dataset | None = None) -> dict[str, float]:
        """Mean :func:`colorlab.metrics.evaluate` scores of the task's predictions on ``data``."""
        data = data if data is not None else self.val_data
        for net in self.task.nets.values():
            net.eval()
        loader = DataLoader(data, batch_size=max(1, self.config.batch_size // self.world), shuffle=False)
        sums: dict[str, float] = {}
        count = 0
        for index, (l_norm, ab_norm) in enumerate(loader):
            if self.config.val_batches is not None and index >= self.config.val_batches:
                break
            l_norm = l_norm.to(self.device)
            ab_pred = self.task.predict_ab(l_norm)
            l, ab_true = color.denormalize_lab(l_norm, ab_norm.to(self.device), self.task.scheme)
            ab_pred = color.denormalize_ab(ab_pred)
            scores = metrics.evaluate(color.l_ab_to_rgb(l, ab_pred), color.l_ab_to_rgb(l, ab_true))
            for name, values in scores.items():
                sums[name] = sums.get(name, 0.0) + values.float().clamp(max=100.0).sum().item()
            count += l_norm.shape[0]
        for net in self.task.nets.values():
            net.train()
        return {name: total / max(count, 1) for name, total in sums.items()}


def task_for(model: nn.Module, *, lr: float | None = None, loss: str | None = None, data: Dataset | None = None) -> Task:
    """The training :class:`Task` of a registered model.

    A model family that needs more than one loss on one network (a rebalanced classifier, a
    GAN) gives its networks a ``training_task(lr=..., loss=..., data=...)`` method (``data``: the
    training dataset, e.g. to estimate a colour prior); everything else is a
    :class:`SupervisedTask` with ``loss`` (default ``"mse"``).
    """
    options = {"lr": lr} if lr is not None else {}  # None: the family's own default
    factory = getattr(model, "training_task", None)
    if factory is not None:
        return factory(loss=loss, data=data, **options)
    return SupervisedTask(model, loss=loss or "mse", **options)


def run_training(
    model: str,
    data: str | list[str],
    out: str | os.PathLike,
    *,
    val: str | list[str] | None = None,
    epochs: int = 1,
    max_steps: int | None = None,
    batch_size: int = 32,
    lr: float | None = None,
    size: int = 64,
    limit: int | None = None,
    weights: str | None = None,
    loss: str | None = None,
    checkpoint_every: int = 200,
    num_workers: int = 0,
    seed: int = 0,
    device: str | None = None,
    progress: bool | None = True,
    model_options: dict | None = None,
    schedule: str = "constant",
) -> str:
    """What ``colorlab train`` does: build model, data and task, train (resuming), save the weights.

    Writes ``out/checkpoint.pt`` (for resuming), ``out/model.pt`` (the trained network's
    ``state_dict``, for ``colorlab.models.load(name, weights=path)``) and ``out/history.json``.
    Returns a one-line summary.
    """
    import json

    from colorlab import data as data_module
    from colorlab import models

    torch.manual_seed(seed)  # the same initial weights on every rank
    net = models.load(model, weights=weights, **(model_options or {}))
    scheme = getattr(net, "scheme", "zhang")
    train_data = data_module.open_dataset(data, size=size, scheme=scheme, train=True, limit=limit, seed=seed)
    val_data = None
    if val is not None:
        val_data = data_module.open_dataset(val, size=size, scheme=scheme, train=False, limit=256, seed=seed + 1)
    task = task_for(net, lr=lr, loss=loss, data=train_data)
    if schedule not in ("constant", "cosine"):
        raise ColorlabError(f"unknown schedule {schedule!r}; choose 'constant' or 'cosine'")
    if schedule == "cosine":
        if set(task.optimizers) != {"model"}:
            raise ColorlabError(f"schedule 'cosine' is for one-network models; {model} trains {len(task.optimizers)} networks")
        total = epochs * (len(train_data) // batch_size)
        total = min(total, max_steps) if max_steps else total
        task.schedulers["model"] = torch.optim.lr_scheduler.CosineAnnealingLR(task.optimizers["model"], T_max=max(total, 1))
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        max_steps=max_steps,
        checkpoint_every=checkpoint_every,
        seed=seed,
        num_workers=num_workers,
        device=device,
        progress=progress,
    )
    trainer = Trainer(task, train_data, config, val_data=val_data, out_dir=out)
    if schedule == "cosine":
        # resumed with other --epochs / --max-steps: the decay re-targets the new end smoothly
        # (CosineAnnealingLR steps recursively from the current learning rate)
        task.schedulers["model"].T_max = max(trainer.total_steps(), trainer.step + 1)
    history = trainer.fit()
    out_dir = Path(out)
    if trainer.rank == 0:
        main_net = "model" if "model" in task.nets else next(iter(task.nets))
        _save_atomically(task.nets[main_net].state_dict(), out_dir / "model.pt")
        tmp = out_dir / "history.json.tmp"
        tmp.write_text(json.dumps(asdict(history)))
        os.replace(tmp, out_dir / "history.json")
    if trainer.world > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    last = {name: values[-1] for name, values in history.losses.items() if values}
    return (
        f"trained {model} for {trainer.step} steps ({trainer.epoch} epochs) in {history.seconds:.0f} s; "
        f"last losses {', '.join(f'{k}={v:.4f}' for k, v in last.items())}; weights in {out_dir / 'model.pt'}"
    )

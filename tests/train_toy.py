"""A tiny training run for the resume and DDP tests (run as a script, also under torchrun).

Usage: python tests/train_toy.py --out DIR [--epochs 2] [--batch 8] [--slow SECONDS] [--dropout] [--no-flip]
Writes DIR/final_rank<R>.pt with the model's state_dict when done.
"""

import argparse
import os
import sys
import time

import torch
from torch import nn
from torch.utils.data import Dataset

from colorlab.train import SupervisedTask, TrainConfig, Trainer


class ToyPairs(Dataset):
    """64 fixed random (l_norm, ab_norm) pairs; a random horizontal flip uses torch's global RNG."""

    def __init__(self, n: int = 64, size: int = 16, flip: bool = True):
        self.flip = flip
        generator = torch.Generator().manual_seed(123)
        self.l_norm = torch.rand(n, 1, size, size, generator=generator) - 0.5
        self.ab_norm = torch.tanh(self.l_norm.repeat(1, 2, 1, 1) * torch.tensor([2.0, -1.0]).view(1, 2, 1, 1))

    def __len__(self) -> int:
        return len(self.l_norm)

    def __getitem__(self, index: int):
        l_norm, ab_norm = self.l_norm[index], self.ab_norm[index]
        if self.flip and torch.rand(()) < 0.5:
            l_norm, ab_norm = l_norm.flip(-1), ab_norm.flip(-1)
        return l_norm, ab_norm


def toy_model(dropout: bool) -> nn.Module:
    layers = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout2d(0.2))
    layers.append(nn.Conv2d(8, 2, 3, padding=1))
    return nn.Sequential(*layers)


class SlowTask(SupervisedTask):
    delay = 0.0

    def training_step(self, l_norm, ab_norm):
        time.sleep(self.delay)
        return super().training_step(l_norm, ab_norm)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--dropout", action="store_true")
    parser.add_argument("--no-flip", action="store_true", help="no random augmentation (each rank has its own RNG)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)  # identical initial weights on every rank
    task = SlowTask(toy_model(args.dropout), loss="mse", lr=1e-2)
    task.delay = args.slow
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch, checkpoint_every=3, seed=7, device="cpu", progress=False)
    trainer = Trainer(task, ToyPairs(flip=not args.no_flip), config, out_dir=args.out)
    print(f"start step {trainer.step} epoch {trainer.epoch}", flush=True)
    trainer.fit()
    rank = int(os.environ.get("RANK", "0"))
    torch.save(task.nets["model"].state_dict(), os.path.join(args.out, f"final_rank{rank}.pt"))
    print(f"done step {trainer.step}", flush=True)
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""``colorlab train`` and the data specs it accepts."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset

from colorlab import models
from colorlab.cli import main, parse_options
from colorlab.data import ImageFolderLab, SyntheticScenes, open_dataset
from colorlab.io import ColorlabError


def test_train_then_resume_then_load_weights(tmp_path, capsys):
    args = ["train", "--model", "resnet18_regression", "--data", "synthetic", "--limit", "32", "--size", "32",
            "--batch-size", "16", "--out", str(tmp_path), "--quiet", "--checkpoint-every", "1"]
    assert main([*args, "--epochs", "1"]) == 0
    assert "for 2 steps (1 epochs)" in capsys.readouterr().out
    assert main([*args, "--epochs", "2"]) == 0  # resumes from checkpoint.pt: 2 more steps, not 4
    assert "for 4 steps (2 epochs)" in capsys.readouterr().out
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["steps"] == [1, 2, 3, 4]
    model = models.load("resnet18_regression", weights=str(tmp_path / "model.pt"))
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    torch.testing.assert_close(model.state_dict()["head.0.weight"], checkpoint["nets"]["model"]["head.0.weight"])
    from_checkpoint = models.load("resnet18_regression", weights=str(tmp_path / "checkpoint.pt"))
    torch.testing.assert_close(from_checkpoint.state_dict()["head.0.weight"], checkpoint["nets"]["model"]["head.0.weight"])


def test_train_with_model_options_and_cosine_schedule(tmp_path, capsys):
    args = ["train", "--model", "resnet18_regression", "--data", "synthetic", "--limit", "32", "--size", "32",
            "--batch-size", "8", "--epochs", "2", "--out", str(tmp_path), "--quiet", "--schedule", "cosine",
            "--option", "depth=3", "--option", "skips=True", "--option", "input_size=32"]
    assert main(args) == 0
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    scheduler = checkpoint["schedulers"]["model"]
    assert scheduler["last_epoch"] == 8 and scheduler["T_max"] == 8  # 2 epochs x 4 steps, decayed to 0
    assert checkpoint["optimizers"]["model"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)
    model = models.load("resnet18_regression", weights=str(tmp_path / "model.pt"), depth=3, skips=True)
    assert len(model.encoder) == 7


def test_parse_options():
    assert parse_options(["depth=3", "skips=True", "name=abc", "scale=0.5"]) == {"depth": 3, "skips": True, "name": "abc", "scale": 0.5}
    with pytest.raises(ColorlabError, match="KEY=VALUE"):
        parse_options(["depth"])


def test_train_user_errors_are_one_line(tmp_path, capsys):
    assert main(["train", "--model", "nope", "--data", "synthetic", "--out", str(tmp_path)]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["train", "--model", "resnet18_regression", "--data", "folder", str(tmp_path / "missing"),
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing" in err


def test_open_dataset_specs(tmp_path):
    synthetic = open_dataset("synthetic", size=32, limit=10)
    assert isinstance(synthetic, SyntheticScenes) and len(synthetic) == 10
    l_norm, ab_norm = synthetic[0]
    assert l_norm.shape == (1, 32, 32) and ab_norm.shape == (2, 32, 32)
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path / f"{index}.png")
    folder = open_dataset(["folder", str(tmp_path)], size=32, scheme="pix2pix")
    assert isinstance(folder, ImageFolderLab) and len(folder) == 3 and folder.scheme == "pix2pix"
    assert isinstance(open_dataset(str(tmp_path), size=32), ImageFolderLab)
    limited = open_dataset(["folder", str(tmp_path)], size=32, limit=2)
    assert isinstance(limited, Subset) and len(limited) == 2
    for bad in ("", "synthetic 5", "folder", "nonsense-name"):
        with pytest.raises(ColorlabError):
            open_dataset(bad)


def test_cosine_schedule_retargets_when_resumed_with_fewer_epochs(tmp_path, monkeypatch):
    from colorlab.train import SupervisedTask

    args = ["train", "--model", "resnet18_regression", "--data", "synthetic", "--limit", "32", "--size", "32",
            "--batch-size", "8", "--out", str(tmp_path), "--quiet", "--schedule", "cosine", "--checkpoint-every", "2",
            "--option", "width=32"]
    real_step, calls = SupervisedTask.training_step, []

    def interrupted_at_step_7(self, l_norm, ab_norm):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return real_step(self, l_norm, ab_norm)

    monkeypatch.setattr(SupervisedTask, "training_step", interrupted_at_step_7)
    assert main([*args, "--epochs", "4"]) == 130  # a 16-step plan, stopped after step 6
    monkeypatch.setattr(SupervisedTask, "training_step", real_step)
    stopped = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    lr_at_6 = stopped["optimizers"]["model"]["param_groups"][0]["lr"]
    assert stopped["step"] == 6 and stopped["schedulers"]["model"]["T_max"] == 16
    assert lr_at_6 == pytest.approx(1e-3 * (1 + math.cos(math.pi * 6 / 16)) / 2, rel=1e-6)
    assert main([*args, "--epochs", "2"]) == 0  # resumed: the plan is now 8 steps, the lr must reach 0 there
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["step"] == 8 and checkpoint["schedulers"]["model"]["T_max"] == 8
    assert checkpoint["optimizers"]["model"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-9)


def test_classifier_trains_with_cross_entropy_and_cosine(tmp_path, capsys):
    args = ["train", "--model", "resnet18_classifier", "--data", "synthetic", "--limit", "32", "--size", "32",
            "--batch-size", "8", "--epochs", "1", "--out", str(tmp_path), "--quiet", "--schedule", "cosine",
            "--loss", "cross_entropy", "--option", "input_size=32", "--lr", "1e-3"]
    assert main(args) == 0
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["schedulers"]["model"]["last_epoch"] == 4 and checkpoint["schedulers"]["model"]["T_max"] == 4
    assert checkpoint["optimizers"]["model"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)
    model = models.load("resnet18_classifier", weights=str(tmp_path / "model.pt"))
    assert model.num_classes == checkpoint["nets"]["model"]["head.out.weight"].shape[0]
    # GANs have two optimizers: no single cosine schedule for them
    assert main(["train", "--model", "pix2pix_unet_small", "--data", "synthetic", "--limit", "8", "--size", "64",
                 "--batch-size", "8", "--out", str(tmp_path / "gan"), "--quiet", "--schedule", "cosine"]) == 2
    assert "one-network models" in capsys.readouterr().err

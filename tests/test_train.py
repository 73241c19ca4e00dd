"""The training loop: learning, exact resume after a killed process, 2-process DDP equality."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from colorlab.io import ColorlabError
from colorlab.train import CHECKPOINT_NAME, SupervisedTask, TrainConfig, Trainer

sys.path.insert(0, str(Path(__file__).parent))
from train_toy import ToyPairs, toy_model  # noqa: E402

TOY = Path(__file__).parent / "train_toy.py"


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo", PYTHONUNBUFFERED="1")
    env.pop("COLORLAB_DEVICE", None)
    return env


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TOY), "--out", str(out), *extra], env=_env(), capture_output=True, text=True, timeout=120
    )


def _assert_same_weights(path_a: Path, path_b: Path, atol: float = 0.0) -> None:
    a, b = torch.load(path_a, weights_only=True), torch.load(path_b, weights_only=True)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=atol, msg=key)


def test_loss_decreases_and_history(tmp_path):
    torch.manual_seed(0)
    task = SupervisedTask(toy_model(dropout=False), loss="mse", lr=1e-2)
    data = ToyPairs()
    trainer = Trainer(task, data, TrainConfig(epochs=6, batch_size=8, progress=False, device="cpu"), val_data=data)
    history = trainer.fit()
    losses = history.losses["loss"]
    assert len(losses) == 6 * 8 == len(history.steps)
    assert sum(losses[-8:]) / 8 < 0.5 * sum(losses[:8]) / 8
    assert history.epochs == [1, 2, 3, 4, 5, 6]
    assert {"psnr", "ssim", "auc", "colorfulness"} <= set(history.val)
    assert history.val["psnr"][-1] > history.val["psnr"][0]


def test_checkpoint_contents_and_resume_in_process(tmp_path):
    torch.manual_seed(0)
    config = TrainConfig(epochs=1, batch_size=8, checkpoint_every=3, progress=False, device="cpu", max_steps=5)
    Trainer(SupervisedTask(toy_model(False)), ToyPairs(), config, out_dir=tmp_path).fit()
    state = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=True)
    assert state["step"] == 5 and state["samples_done_in_epoch"] == 40 and state["epoch"] == 0
    assert {"nets", "optimizers", "schedulers", "scaler", "rng", "history", "config"} <= set(state)
    assert not list(tmp_path.glob("*.tmp"))
    resumed = Trainer(SupervisedTask(toy_model(False)), ToyPairs(), TrainConfig(epochs=1, batch_size=8, progress=False), out_dir=tmp_path)
    assert resumed.step == 5 and len(resumed.history.steps) == 5


def test_killed_run_resumes_to_identical_weights(tmp_path):
    reference = _run(tmp_path / "reference", "--dropout")
    assert reference.returncode == 0, reference.stderr[-2000:]

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, str(TOY), "--out", str(out), "--dropout", "--slow", "0.25"],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    checkpoint = out / CHECKPOINT_NAME
    deadline = time.time() + 90
    killed_at = None
    while time.time() < deadline and process.poll() is None:
        if checkpoint.exists():
            step = torch.load(checkpoint, weights_only=True)["step"]
            if step >= 3:
                process.send_signal(signal.SIGKILL)
                killed_at = step
                break
        time.sleep(0.05)
    process.wait(timeout=30)
    assert killed_at is not None and killed_at < 16, "the run was not killed mid-training"

    resumed = _run(out, "--dropout")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    start_step = int(resumed.stdout.split("start step ")[1].split()[0])
    assert killed_at <= start_step < 16  # resumed from its last checkpoint, not from scratch
    _assert_same_weights(tmp_path / "reference" / "final_rank0.pt", out / "final_rank0.pt")


def test_two_process_ddp_matches_single_process(tmp_path):
    # no random augmentation: each process has its own RNG stream, so flips would differ
    single = _run(tmp_path / "single", "--epochs", "1", "--no-flip")
    assert single.returncode == 0, single.stderr[-2000:]
    ddp = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(TOY),
         "--out", str(tmp_path / "ddp"), "--epochs", "1", "--no-flip"],
        env=_env(), capture_output=True, text=True, timeout=180,
    )
    assert ddp.returncode == 0, ddp.stdout[-2000:] + ddp.stderr[-3000:]
    _assert_same_weights(tmp_path / "ddp" / "final_rank0.pt", tmp_path / "ddp" / "final_rank1.pt")
    _assert_same_weights(tmp_path / "ddp" / "final_rank0.pt", tmp_path / "single" / "final_rank0.pt", atol=1e-5)
    # and training did change the weights
    torch.manual_seed(0)  # as train_toy.py does before building the model
    initial = toy_model(False).state_dict()
    final = torch.load(tmp_path / "single" / "final_rank0.pt", weights_only=True)
    assert not torch.equal(initial["0.weight"], final["0.weight"])


def test_errors_are_one_line(tmp_path):
    with pytest.raises(ColorlabError, match="no training step"):
        Trainer(SupervisedTask(toy_model(False)), ToyPairs(n=4), TrainConfig(batch_size=8, progress=False)).fit()
    with pytest.raises(ColorlabError, match="unknown loss"):
        SupervisedTask(toy_model(False), loss="hinge")
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    with pytest.raises(ColorlabError, match="cannot read checkpoint"):
        Trainer(SupervisedTask(toy_model(False)), ToyPairs(), TrainConfig(progress=False), out_dir=tmp_path)

"""colorlab.device.get_device: automatic choice, the COLORLAB_DEVICE override, and clear errors.

Accelerators are simulated by patching torch's availability checks, so every branch runs on a
CPU-only machine; the tests at the end use the real machine.
"""

from __future__ import annotations

import pytest
import torch

from colorlab.device import DEVICE_ENV_VAR, get_device
from colorlab.io import ColorlabError


@pytest.fixture
def machine(monkeypatch):
    """Simulate a machine: ``machine(cuda=N, mps=bool)``; COLORLAB_DEVICE starts unset."""
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)

    def simulate(cuda: int = 0, mps: bool = False) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return simulate


def _assert_one_line(excinfo: pytest.ExceptionInfo, *words: str) -> None:
    assert type(excinfo.value) is ColorlabError and isinstance(excinfo.value, ValueError)
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [(0, False, "cpu"), (0, True, "mps"), (1, False, "cuda"), (2, True, "cuda")],
    ids=["cpu-only", "mps", "cuda", "cuda-over-mps"],
)
def test_automatic_choice_is_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert get_device() == torch.device(expected)
    assert get_device("auto") == torch.device(expected)


@pytest.mark.parametrize(
    "value, expected",
    [("cpu", "cpu"), ("CUDA", "cuda"), (" cuda:1 ", "cuda:1"), ("mps", "mps"), ("", "cuda"), ("auto", "cuda")],
)
def test_environment_override(machine, monkeypatch, value, expected):
    machine(cuda=2, mps=True)
    monkeypatch.setenv(DEVICE_ENV_VAR, value)
    assert get_device() == torch.device(expected)


def test_argument_wins_over_environment(machine, monkeypatch):
    machine(cuda=1)
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    assert get_device("auto") == torch.device("cuda")  # "auto" defers to the environment
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device(None) == torch.device("cpu")


@pytest.mark.parametrize(
    "value, words",
    [
        ("cuda", ["COLORLAB_DEVICE='cuda'", "CUDA is not available"]),
        ("cuda:0", ["COLORLAB_DEVICE='cuda:0'", "CUDA is not available"]),
        ("mps", ["COLORLAB_DEVICE='mps'", "MPS"]),
        ("gpu", ["COLORLAB_DEVICE='gpu'", "not a device name", "'cuda:N'"]),
        ("meta", ["COLORLAB_DEVICE='meta'", "'meta'"]),
    ],
)
def test_environment_naming_a_missing_device_is_an_error(machine, monkeypatch, value, words):
    machine(cuda=0, mps=False)
    monkeypatch.setenv(DEVICE_ENV_VAR, value)
    with pytest.raises(ColorlabError) as excinfo:
        get_device()
    _assert_one_line(excinfo, *words)


def test_cuda_index_beyond_the_device_count(machine, monkeypatch):
    machine(cuda=2)
    assert get_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ColorlabError) as excinfo:
        get_device("cuda:2")
    _assert_one_line(excinfo, "device 'cuda:2'", "no CUDA device 2", "has 2")
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda:5")
    with pytest.raises(ColorlabError) as excinfo:
        get_device()
    _assert_one_line(excinfo, "COLORLAB_DEVICE='cuda:5'")


def test_argument_naming_a_missing_device_is_an_error(machine):
    machine(cuda=0)
    with pytest.raises(ColorlabError) as excinfo:
        get_device(torch.device("cuda"))
    _assert_one_line(excinfo, "device 'cuda'", "CUDA is not available")
    with pytest.raises(ColorlabError) as excinfo:
        get_device("tpu please")
    _assert_one_line(excinfo, "device 'tpu please'", "not a device name")


def test_real_machine_default_device_works(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    device = get_device()
    assert isinstance(device, torch.device)
    assert torch.ones(3, device=device).sum().item() == 3.0
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert device.type == "cpu"


def test_each_test_device_can_be_requested_by_name(device, monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    chosen = get_device(str(device))
    assert chosen.type == device.type
    assert (torch.arange(4, device=chosen) * 2).tolist() == [0, 2, 4, 6]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_real_cuda_is_picked_first(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    assert get_device().type == "cuda"
    with pytest.raises(ColorlabError):
        get_device(f"cuda:{torch.cuda.device_count()}")


def test_single_thread_is_scoped():
    import torch

    from colorlab.device import single_thread

    before = torch.get_num_threads()
    with single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    try:
        with single_thread():
            raise KeyError("boom")
    except KeyError:
        pass
    assert torch.get_num_threads() == before

"""Shared test fixtures.

``device``: tests that take it run once per selected torch device. By default that is CPU and
CUDA, the CUDA run skipped where CUDA is absent. Choose with ``pytest --device cpu|cuda|mps|all``
or the environment variable ``COLORLAB_TEST_DEVICE``; naming a device this machine lacks fails
the run rather than skipping everything silently.
"""

from __future__ import annotations

import os

import pytest

_CHOICES = ("all", "cpu", "cuda", "mps")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        default=os.environ.get("COLORLAB_TEST_DEVICE", "all"),
        help="torch device for tests using the `device` fixture: all (cpu + cuda if present), cpu, cuda, mps "
        "(default: $COLORLAB_TEST_DEVICE or all)",
    )


def _available(name: str) -> bool:
    import torch

    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return True


def pytest_configure(config: pytest.Config) -> None:
    choice = config.getoption("--device").strip().lower()
    if choice not in _CHOICES:
        raise pytest.UsageError(f"--device / COLORLAB_TEST_DEVICE: {choice!r} is not one of {', '.join(_CHOICES)}")
    if choice != "all" and not _available(choice):
        raise pytest.UsageError(f"--device / COLORLAB_TEST_DEVICE: {choice!r} is not available on this machine")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" not in metafunc.fixturenames:
        return
    choice = metafunc.config.getoption("--device").strip().lower()
    names = ["cpu", "cuda"] if choice == "all" else [choice]
    params = [
        pytest.param(name, id=name, marks=pytest.mark.skipif(not _available(name), reason=f"{name} not available"))
        for name in names
    ]
    metafunc.parametrize("device", params, indirect=True)


@pytest.fixture
def device(request: pytest.FixtureRequest):
    """The ``torch.device`` this test runs on (see the module docstring)."""
    import torch

    return torch.device(request.param)


@pytest.fixture
def bundled_dir(tmp_path, monkeypatch):
    """A bundled-weights folder holding a random ``DEFAULT_MODEL`` (fp16, input_size 64)."""
    import torch

    from colorlab import pipeline as colorize_module
    from colorlab import models
    from colorlab.models import registry

    folder = tmp_path / "weights"
    folder.mkdir()
    torch.manual_seed(0)
    model = models.load(colorize_module.DEFAULT_MODEL)
    state = {key: value.half() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    torch.save({"state_dict": state, "options": {"input_size": 64}}, folder / f"{colorize_module.DEFAULT_MODEL}.pt")
    monkeypatch.setattr(registry, "BUNDLED_DIR", folder)
    colorize_module._cached_model.cache_clear()
    yield folder
    colorize_module._cached_model.cache_clear()


@pytest.fixture(scope="session")
def _empty_torch_home(tmp_path_factory):
    return tmp_path_factory.mktemp("torch_home")


@pytest.fixture(autouse=True)
def _no_released_weights(_empty_torch_home, monkeypatch):
    """Every test starts with no released weights cached and no mirror, whatever this machine has:
    ``model="auto"`` is the bundled default unless a test caches files itself."""
    monkeypatch.setenv("TORCH_HOME", str(_empty_torch_home))
    monkeypatch.delenv("COLORLAB_WEIGHTS_MIRROR", raising=False)

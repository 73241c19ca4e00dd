"""The README's main job on a headless machine: ``make lab LAB_ARGS=...`` (as root: --allow-root is
added by the Makefile) and ``make app APP_ARGS=...`` answer on their port and stop by their pid.

The servers run from this test environment's venv (``VENV=`` the running interpreter's prefix);
``make -o`` skips the install step, which ``make test`` has just done.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).resolve().parent.parent if (Path(sys.prefix) / "pyvenv.cfg").is_file() else None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(VENV is None, reason="the tests are not running inside a venv"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make(*arguments: str, **kwargs) -> subprocess.Popen:
    venv = Path(sys.prefix)
    command = ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.colorlab-lab", *arguments]
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True, **kwargs)


def test_make_lab_adds_allow_root_only_as_root():
    dry = subprocess.run(["make", "-n", f"VENV={sys.prefix}", "-o", f"{sys.prefix}/.colorlab-lab", "lab", "LAB_ARGS=--no-browser"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "jupyter lab" in dry and "--no-browser notebooks/" in dry
    assert ("--allow-root" in dry) == (os.geteuid() == 0)


@pytest.mark.parametrize(
    "target, arguments, path",
    [
        ("lab", "LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token=", "/api"),
        ("app", "APP_ARGS=--no-browser --Voila.ip=127.0.0.1 --port={port}", "/"),
    ],
)
def test_make_target_answers_on_its_port_and_stops_by_its_pid(target, arguments, path, tmp_path):
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "COLORLAB_QUICK": "1"}
    server = _make(target, arguments.format(port=port), stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:  # first the port, then one request
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        try:  # Voila runs notebook 08 to answer "/": give it time
            with urllib.request.urlopen(url, timeout=180) as response:
                answer = (response.status, response.read())
        except OSError:
            pass
        output = (tmp_path / "server.log").read_bytes().decode(errors="replace")
        assert answer is not None, f"make {target} did not answer on {url}:\n{output[-3000:]}"
        assert answer[0] == 200
        if target == "lab":
            assert "version" in json.loads(answer[1])  # JupyterLab's server API
            assert "Running as root is not recommended" not in output or "--allow-root" in output
        else:
            assert b"jupyter-widgets" in answer[1] or b"widget" in answer[1]  # the rendered app
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and the server it started, by make's pid
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)

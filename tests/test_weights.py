"""The released weights as a first-class choice: ``colorlab weights``, a mirror, ``model="auto"``.

No internet: the "released" files are stand-ins made here (random weights in the released layout,
or a few bytes where only the file's presence matters), registered under a test-only hash
registry (``OFFICIAL_WEIGHTS`` patched with their real sha256 prefixes), and served from a mirror
folder or from an HTTP server on 127.0.0.1 (tests/servers.py). TORCH_HOME points into tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import colorlab
from colorlab import app, pipeline
from colorlab.cli import main
from colorlab.evaluation import leaderboard_models
from colorlab.io import ColorlabError
from colorlab.models import released
from colorlab.models.registry import DEFAULT_MODEL
from servers import server  # noqa: F401 - a fixture; tests/ is on sys.path

PROBE = (np.random.default_rng(0).random((40, 56, 3)) * 255).astype(np.uint8)


def _register(monkeypatch, name: str, content: bytes, folder: Path, base_url: str = "https://example.invalid/w") -> Path:
    """Write ``content`` as the "released" file of ``name`` in ``folder`` (a mirror) and register
    its real sha256 prefix, torch.hub style (``<stem>-<8 hex>.pth``)."""
    prefix = hashlib.sha256(content).hexdigest()[:8]
    filename = f"{name}-test-{prefix}.pth"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(content)
    monkeypatch.setitem(released.OFFICIAL_WEIGHTS, name, released.OfficialWeights(f"{base_url}/{filename}", prefix))
    return folder / filename


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty torch.hub cache in tmp_path (TORCH_HOME); returns its checkpoints folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture(scope="module")
def released_layout() -> dict[str, bytes]:
    """Random float16 weights in the released ECCV16 and SIGGRAPH17 layouts, as file bytes."""
    import io

    files = {}
    for name in ("eccv16", "siggraph17"):
        torch.manual_seed(0)
        state = {key: value.half() if value.is_floating_point() else value for key, value in colorlab.models.load(name).state_dict().items()}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        files[name] = buffer.getvalue()
    return files


def _listing(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.iterdir()) if cache.is_dir() else []


# ----------------------------------------------------------------------------------------------
# model="auto"


def test_auto_is_the_bundled_default_when_nothing_is_cached(cache):
    assert pipeline.resolve_model("auto") == DEFAULT_MODEL
    assert pipeline.resolve_model("default") == DEFAULT_MODEL and pipeline.resolve_model("eccv16_small") == "eccv16_small"
    np.testing.assert_array_equal(colorlab.colorize(PROBE), colorlab.colorize(PROBE, model=DEFAULT_MODEL))


def test_auto_prefers_siggraph17_then_eccv16_and_never_downloads(cache, monkeypatch, tmp_path):
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: pytest.fail("auto must not touch the network"))
    mirror = tmp_path / "mirror"
    for name in ("eccv16", "siggraph17"):
        _register(monkeypatch, name, f"{name} bytes".encode(), mirror)
    cache.mkdir(parents=True)
    assert pipeline.resolve_model("auto") == DEFAULT_MODEL
    os.link(mirror / released.OFFICIAL_WEIGHTS["eccv16"].filename, cache / released.OFFICIAL_WEIGHTS["eccv16"].filename)
    assert pipeline.resolve_model("auto") == "eccv16:official"
    os.link(mirror / released.OFFICIAL_WEIGHTS["siggraph17"].filename, cache / released.OFFICIAL_WEIGHTS["siggraph17"].filename)
    assert pipeline.resolve_model("auto") == "siggraph17:official"
    assert leaderboard_models()[-2:] == ["eccv16:official", "siggraph17:official"]
    assert app.model_choices()[0] == ("auto: siggraph17 (released weights)", "auto")


def test_a_cached_released_layout_file_is_what_auto_colorizes_with(cache, monkeypatch, tmp_path, released_layout):
    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", str(tmp_path / "mirror"))
    _register(monkeypatch, "siggraph17", released_layout["siggraph17"], tmp_path / "mirror")
    assert main(["weights", "download", "siggraph17", "--quiet"]) == 0
    assert pipeline.resolve_model() == "siggraph17:official"
    network = colorlab.get_model("siggraph17:official")
    assert colorlab.get_model("auto") is network and type(network).__name__ == "SIGGRAPH17"
    result = colorlab.colorize(PROBE)  # random weights: some colour, the input's size, uint8
    assert result.shape == PROBE.shape and result.dtype == np.uint8
    np.testing.assert_array_equal(result, colorlab.colorize(PROBE, model=network))
    assert not np.array_equal(result, colorlab.colorize(PROBE, model=DEFAULT_MODEL))


def test_plain_released_name_asks_for_the_official_key(cache):
    with pytest.raises(ColorlabError, match="'eccv16' has no bundled weights: use 'eccv16:official'"):
        colorlab.get_model("eccv16")
    with pytest.raises(ColorlabError, match="unknown model 'resnet18_regression:official'"):
        colorlab.get_model("resnet18_regression:official")


# ----------------------------------------------------------------------------------------------
# a mirror folder, end to end through the command line


def test_mirror_folder_download_makes_auto_siggraph17_and_the_cli_and_app_say_so(
    cache, monkeypatch, tmp_path, capsys, released_layout
):
    mirror = tmp_path / "usb"
    for name in ("eccv16", "siggraph17"):
        _register(monkeypatch, name, released_layout[name], mirror)
    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", str(mirror))
    assert main(["weights", "download", "eccv16", "siggraph17", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [str(released.official_file("eccv16")), str(released.official_file("siggraph17"))]
    assert _listing(cache) == sorted(info.filename for info in released.OFFICIAL_WEIGHTS.values())  # no .part left
    for name in ("eccv16", "siggraph17"):
        assert released.official_file(name).read_bytes() == released_layout[name]

    photo = tmp_path / "p.png"
    Image.fromarray(PROBE).save(photo)
    assert main(["colorize", str(photo), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == "colorlab: model: siggraph17:official (auto)\n"
    assert app.model_choices()[0][0] == "auto: siggraph17 (released weights)"


def test_a_wrong_file_in_the_mirror_is_refused_and_nothing_stays_in_the_cache(cache, monkeypatch, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    path = _register(monkeypatch, "eccv16", b"the real released bytes", mirror)
    path.write_bytes(b"something else, same name")
    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", str(mirror))
    with pytest.raises(ColorlabError) as error:
        released.official_weights_file("eccv16", progress=False)
    message = str(error.value)
    assert "\n" not in message and "is not the released file" in message and "checksum mismatch" in message
    assert _listing(cache) == []
    assert main(["weights", "download", "eccv16"]) == 1
    assert "is not the released file" in capsys.readouterr().err
    assert _listing(cache) == [] and pipeline.resolve_model() == DEFAULT_MODEL


def test_an_interrupted_copy_from_a_mirror_folder_resumes(cache, monkeypatch, tmp_path):
    content = os.urandom(200_000)
    path = _register(monkeypatch, "siggraph17", content, tmp_path / "mirror")
    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", (tmp_path / "mirror").as_uri())  # a file:// URL reads the folder
    cache.mkdir(parents=True)
    part = cache / (path.name + ".part")
    part.write_bytes(content[:70_000])
    assert released.official_weights_file("siggraph17", progress=False).read_bytes() == content
    assert _listing(cache) == [path.name]


def test_http_mirror_download_resumes_after_a_cut(cache, monkeypatch, server):
    content = os.urandom(300_000)
    prefix = hashlib.sha256(content).hexdigest()[:8]
    server.files[f"/mirror/eccv16-{prefix}.pth"] = content
    server.cuts_left = 1
    monkeypatch.setitem(released.OFFICIAL_WEIGHTS, "eccv16", released.OfficialWeights(f"https://example.invalid/eccv16-{prefix}.pth", prefix))
    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", server.url("/mirror/"))
    assert released.official_weights_file("eccv16", progress=False).read_bytes() == content
    assert [request["range"] for request in server.requests] == [None, f"bytes={server.cut_after}-"]
    assert _listing(cache) == [f"eccv16-{prefix}.pth"]


def test_each_mirror_problem_has_its_own_one_line_message(cache, monkeypatch, tmp_path, server):
    _register(monkeypatch, "eccv16", b"released", tmp_path / "elsewhere")
    filename = released.OFFICIAL_WEIGHTS["eccv16"].filename

    def message(mirror: str) -> str:
        monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", mirror)
        with pytest.raises(ColorlabError) as error:
            released.official_weights_file("eccv16", progress=False, timeout=2)
        assert "\n" not in str(error.value) and _listing(cache) == []
        return str(error.value)

    assert message(str(tmp_path / "nowhere")) == f"weights mirror folder {tmp_path / 'nowhere'} does not exist"
    (tmp_path / "empty").mkdir()
    assert message(str(tmp_path / "empty")) == f"weights mirror folder {tmp_path / 'empty'} has no {filename}"
    assert message((tmp_path / "nowhere").as_uri()).startswith(
        f"weights mirror folder {tmp_path / 'nowhere'} does not exist (a file:// URL is read as that folder"
    )
    assert message(server.url("/mirror")) == f"weights mirror {server.url('/mirror')} has no {filename} (HTTP 404)"
    with socket_closed() as port:
        assert message(f"http://127.0.0.1:{port}/w").startswith(f"weights mirror http://127.0.0.1:{port}/w cannot be reached (")
    assert "expected an http(s):// URL, a file:// URL or a folder" in message("ftp://lab/weights")


class socket_closed:  # noqa: N801 - used as a context manager: a port on 127.0.0.1 nobody listens on
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


# ----------------------------------------------------------------------------------------------
# colorlab weights list / verify / path


def test_list_and_verify_report_the_cache_truthfully(cache, monkeypatch, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    good = _register(monkeypatch, "eccv16", os.urandom(1_500_000), mirror)
    sig = _register(monkeypatch, "siggraph17", os.urandom(10_000), mirror)
    assert main(["weights", "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(rf"^eccv16 +{good.name} +not cached$", listing, re.M) and f"cache: {cache} (TORCH_HOME moves it)" in listing
    assert main(["weights", "verify"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"eccv16: not cached ({cache / good.name})",
        f"siggraph17: not cached ({cache / sig.name})",
    ]

    monkeypatch.setenv("COLORLAB_WEIGHTS_MIRROR", str(mirror))
    assert main(["weights", "download", "eccv16", "--quiet"]) == 0
    cache.joinpath(sig.name + ".part").write_bytes(b"x" * 4_000_000)
    capsys.readouterr()
    assert main(["weights", "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(rf"^eccv16 +{good.name} +cached, 1.5 MB$", listing, re.M)
    assert "partial download, 4.0 MB (download again to resume)" in listing and f"mirror: {mirror}" in listing
    assert main(["weights", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"eccv16: ok ({cache / good.name})"

    corrupted = bytearray(good.read_bytes())
    corrupted[100] ^= 0xFF
    (cache / good.name).write_bytes(bytes(corrupted))
    assert main(["weights", "verify"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("eccv16: MISMATCH: sha256 ")
    assert "1 cached file(s) do not match their hash" in captured.err
    assert (cache / good.name).is_file()  # reported, never deleted behind the user's back

    assert main(["weights", "path"]) == 0 and capsys.readouterr().out.strip() == str(cache)
    assert main(["weights", "path", "siggraph17"]) == 0 and capsys.readouterr().out.strip() == str(cache / sig.name)


def test_a_read_only_shared_cache_is_used_as_it_is(cache, monkeypatch, tmp_path):
    """TORCH_HOME on a read-only lab share: cached files are found and nothing is written."""
    _register(monkeypatch, "eccv16", b"released", tmp_path / "mirror")
    cache.mkdir(parents=True)
    (cache / released.OFFICIAL_WEIGHTS["eccv16"].filename).write_bytes(b"released")
    cache.chmod(0o555)
    try:
        assert released.official_weights_file("eccv16", progress=False) == cache / released.OFFICIAL_WEIGHTS["eccv16"].filename
        assert pipeline.resolve_model() == "eccv16:official"
    finally:
        cache.chmod(0o755)


# ----------------------------------------------------------------------------------------------
# Binder


def _postbuild_download_line() -> str:
    postbuild = (Path(__file__).resolve().parents[1] / "binder" / "postBuild").read_text()
    assert "set -euo pipefail" in postbuild
    lines = [line for line in postbuild.splitlines() if line.startswith("colorlab weights download")]
    assert len(lines) == 1 and lines[0].split()[3:5] == ["eccv16", "siggraph17"]
    return lines[0]


def test_binder_postbuild_fetches_the_released_weights_and_fails_the_build_on_a_bad_file(tmp_path):
    """postBuild's own download line, run as Binder runs it (bash -e), against a mirror with the
    right file for ECCV16 and a wrong one for SIGGRAPH17: the build fails with the message."""
    import subprocess
    import sys

    line = _postbuild_download_line()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    good = b"released eccv16 stand-in"
    prefix = hashlib.sha256(good).hexdigest()[:8]
    registry = (
        "from colorlab.models import released as r; "
        f"r.OFFICIAL_WEIGHTS['eccv16'] = r.OfficialWeights('https://x.invalid/eccv16-{prefix}.pth', '{prefix}'); "
        "r.OFFICIAL_WEIGHTS['siggraph17'] = r.OfficialWeights('https://x.invalid/siggraph17-00000000.pth', '00000000'); "
        "from colorlab.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    )
    (mirror / f"eccv16-{prefix}.pth").write_bytes(good)
    (mirror / "siggraph17-00000000.pth").write_bytes(b"not the released file")
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), "COLORLAB_WEIGHTS_MIRROR": str(mirror)}
    # `colorlab` is the test-registry entry point here: a function named like the command
    script = f"set -euo pipefail\ncolorlab() {{ {sys.executable} -c \"{registry}\" \"$@\"; }}\n{line}\necho built\n"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "built" not in result.stdout
    assert "colorlab: siggraph17: the mirror's siggraph17-00000000.pth is not the released file" in result.stderr
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    assert _listing(cache) == [f"eccv16-{prefix}.pth"]  # the good file stays; no half file

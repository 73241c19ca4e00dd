"""colorlab.data.download against a real HTTP server on 127.0.0.1 (no internet needed).

The server is the standard library's ThreadingHTTPServer with a handler that understands
``Range: bytes=N-`` and can be told to cut the connection after K bytes, to ignore ``Range`` or
to answer with an error status; it records every request so the tests can assert what the
client asked for.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
import socket
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from colorlab import cli
from colorlab.io import ColorlabError
from servers import CUT_AFTER, PAYLOAD, server  # noqa: F401 - tests/ is on sys.path; server is a fixture

dl = importlib.import_module("colorlab.data.download")  # the module: colorlab.data.download is also the function

PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()
README = Path(__file__).resolve().parents[1] / "data" / "README.md"


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _assert_one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------------------
# download


def test_full_download_verifies_size_sha256_and_md5(server, tmp_path):
    path = dl.download(
        server.url(), tmp_path, PAYLOAD_SHA256, size=len(PAYLOAD), md5=PAYLOAD_MD5, progress=False
    )
    assert path == tmp_path / "payload.bin"
    assert path.read_bytes() == PAYLOAD
    assert _leftovers(tmp_path) == ["payload.bin"]
    assert server.requests == [{"path": "/files/payload.bin", "range": None}]


def test_cut_connection_is_resumed_with_a_range_request(server, tmp_path):
    server.cuts_left = 1
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert [request["range"] for request in server.requests] == [None, f"bytes={CUT_AFTER}-"]
    assert _leftovers(tmp_path) == ["payload.bin"]


def test_cut_connection_without_retries_keeps_the_part_and_the_next_call_resumes(server, tmp_path):
    server.cuts_left = 1
    with pytest.raises(ColorlabError, match="cut off after 123457 bytes") as error:
        dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False, retries=0)
    message = _assert_one_line(error)
    assert "run the same command again to resume" in message and str(tmp_path / "payload.bin") in message
    part = tmp_path / "payload.bin.part"
    assert part.read_bytes() == PAYLOAD[:CUT_AFTER]
    assert not (tmp_path / "payload.bin").exists()

    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False, retries=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests[-1]["range"] == f"bytes={CUT_AFTER}-"
    assert _leftovers(tmp_path) == ["payload.bin"]


def test_server_that_ignores_range_restarts_from_zero(server, tmp_path):
    # The .part holds junk: appending the 200 answer to it would give a wrong file.
    (tmp_path / "payload.bin.part").write_bytes(b"\0" * 5000)
    server.ignore_range = True
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [{"path": "/files/payload.bin", "range": "bytes=5000-"}]


def test_416_with_a_complete_part_finishes_without_downloading_again(server, tmp_path):
    (tmp_path / "payload.bin.part").write_bytes(PAYLOAD)
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False)  # size unknown
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [{"path": "/files/payload.bin", "range": f"bytes={len(PAYLOAD)}-"}]


def test_416_with_a_part_longer_than_the_file_starts_over(server, tmp_path):
    (tmp_path / "payload.bin.part").write_bytes(PAYLOAD + b"stale tail")
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, progress=False)  # size unknown
    assert path.read_bytes() == PAYLOAD
    assert [request["range"] for request in server.requests] == [f"bytes={len(PAYLOAD) + 10}-", None]


def test_part_already_complete_for_a_known_size_needs_no_request(server, tmp_path):
    (tmp_path / "payload.bin.part").write_bytes(PAYLOAD)
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, size=len(PAYLOAD), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == []


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_checksum_mismatch_removes_the_part_and_names_both_digests(server, tmp_path, algorithm):
    wrong = getattr(hashlib, algorithm)(b"something else").hexdigest()
    actual = getattr(hashlib, algorithm)(PAYLOAD).hexdigest()
    with pytest.raises(ColorlabError) as error:
        dl.download(server.url(), tmp_path, progress=False, **{algorithm: wrong})
    message = _assert_one_line(error)
    assert message == (
        f"checksum mismatch for payload.bin: expected {algorithm} {wrong}, got {actual}; "
        "the partial file was removed"
    )
    assert _leftovers(tmp_path) == []


def test_sha256_prefix_is_checked_like_torch_hub_file_names(server, tmp_path):
    prefix = PAYLOAD_SHA256[:8]
    path = dl.download(server.url(), tmp_path, sha256_prefix=prefix.upper(), progress=False)
    assert path.read_bytes() == PAYLOAD
    # a cached file is rechecked against the prefix only when asked
    wrong = "0" * 8 if not PAYLOAD_SHA256.startswith("0" * 8) else "1" * 8
    assert dl.download(server.url(), tmp_path, sha256_prefix=wrong, progress=False) == path
    with pytest.raises(ColorlabError, match=f"checksum mismatch for {path}: expected sha256 prefix {wrong}"):
        dl.download(server.url(), tmp_path, sha256_prefix=wrong, progress=False, recheck=True)
    assert path.read_bytes() == PAYLOAD


def test_sha256_prefix_mismatch_removes_the_part(server, tmp_path):
    wrong = "f" * 8 if not PAYLOAD_SHA256.startswith("f" * 8) else "e" * 8
    with pytest.raises(ColorlabError) as error:
        dl.download(server.url(), tmp_path, sha256_prefix=wrong, progress=False)
    message = _assert_one_line(error)
    assert message == (
        f"checksum mismatch for payload.bin: expected sha256 prefix {wrong}, got {PAYLOAD_SHA256}; "
        "the partial file was removed"
    )
    assert _leftovers(tmp_path) == []
    with pytest.raises(ColorlabError, match="sha256_prefix must be 1 to 64 hexadecimal digits"):
        dl.download(server.url(), tmp_path, sha256_prefix="9b33-0a0b", progress=False)
    assert server.requests == [{"path": "/files/payload.bin", "range": None}]


def test_size_mismatch_removes_the_part(server, tmp_path):
    with pytest.raises(ColorlabError, match=r"size mismatch for payload.bin: expected 299999 bytes, got 300000"):
        dl.download(server.url(), tmp_path, size=len(PAYLOAD) - 1, progress=False)
    assert _leftovers(tmp_path) == []


def test_http_404_is_a_one_line_error(server, tmp_path):
    url = server.url("/files/missing.tgz")
    with pytest.raises(ColorlabError, match="HTTP 404") as error:
        dl.download(url, tmp_path, progress=False)
    message = _assert_one_line(error)
    assert url in message and str(tmp_path / "missing.tgz") in message
    assert _leftovers(tmp_path) == []


def test_http_500_is_a_one_line_error(server, tmp_path):
    server.status = 500
    with pytest.raises(ColorlabError, match="HTTP 500") as error:
        dl.download(server.url(), tmp_path, progress=False)
    _assert_one_line(error)
    assert len(server.requests) == 1  # no retry storm


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_fails_at_once_naming_the_url_and_where_to_save_it(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/archives/photos.tar.gz"
    with pytest.raises(ColorlabError) as error:
        dl.download(url, tmp_path / "data", progress=False)
    message = _assert_one_line(error)
    assert message.startswith(f"cannot download {url} (")
    assert f"download it by hand and save it as {tmp_path / 'data' / 'photos.tar.gz'}" in message
    assert _leftovers(tmp_path / "data") == []


def test_silent_server_times_out_with_the_same_one_line_error(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/photos.zip"
        with pytest.raises(ColorlabError, match="timed out") as error:
            dl.download(url, tmp_path, progress=False, timeout=0.3)
    assert str(tmp_path / "photos.zip") in _assert_one_line(error)


def test_cached_file_is_returned_without_a_request(server, tmp_path):
    (tmp_path / "payload.bin").write_bytes(PAYLOAD)
    path = dl.download(server.url(), tmp_path, PAYLOAD_SHA256, size=len(PAYLOAD), progress=False)
    assert path == tmp_path / "payload.bin"
    assert server.requests == []


def test_cached_file_of_the_wrong_size_is_reported_and_left_alone(server, tmp_path):
    (tmp_path / "payload.bin").write_bytes(PAYLOAD[:1000])
    with pytest.raises(ColorlabError, match="exists but has 1000 bytes instead of 300000"):
        dl.download(server.url(), tmp_path, size=len(PAYLOAD), progress=False)
    assert (tmp_path / "payload.bin").read_bytes() == PAYLOAD[:1000]
    assert server.requests == []


def test_recheck_hashes_a_cached_file(server, tmp_path):
    tampered = bytearray(PAYLOAD)
    tampered[-1] ^= 0xFF
    (tmp_path / "payload.bin").write_bytes(bytes(tampered))
    # By size only (the default) the tampered file passes; with recheck=True the hash catches it.
    dl.download(server.url(), tmp_path, PAYLOAD_SHA256, size=len(PAYLOAD), progress=False)
    with pytest.raises(ColorlabError, match="checksum mismatch"):
        dl.download(server.url(), tmp_path, PAYLOAD_SHA256, size=len(PAYLOAD), progress=False, recheck=True)
    assert server.requests == []


def _register(monkeypatch, server, name: str, path: str, payload: bytes, **changes) -> dl.DatasetInfo:
    server.files[path] = payload
    info = dl.DatasetInfo(
        name=name,
        url=server.url(path),
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        md5=None,
        licence="test only",
        description="served by the test",
        num_images=2,
        resolution="8x8",
        extract=None,
        folder=Path(path).name,
    )
    info = replace(info, **changes)
    monkeypatch.setitem(dl.DATASETS, name, info)
    return info


def test_registry_name_uses_the_registered_checksum(monkeypatch, server, tmp_path):
    _register(monkeypatch, server, "local-bytes", "/files/local.bin", PAYLOAD, sha256="0" * 64)
    with pytest.raises(ColorlabError, match=f"checksum mismatch for local.bin: expected sha256 {'0' * 64}"):
        dl.download("local-bytes", tmp_path, progress=False)
    # an explicit checksum overrides the registry's
    path = dl.download("local-bytes", tmp_path, PAYLOAD_SHA256, progress=False)
    assert path.read_bytes() == PAYLOAD


def test_default_folder_comes_from_the_environment(monkeypatch, server, tmp_path):
    monkeypatch.setenv(dl.DATA_ENV_VAR, str(tmp_path / "from-env"))
    assert dl.default_data_dir() == tmp_path / "from-env"
    path = dl.download(server.url(), sha256=PAYLOAD_SHA256, progress=False)
    assert path == tmp_path / "from-env" / "payload.bin"
    monkeypatch.delenv(dl.DATA_ENV_VAR)
    assert dl.default_data_dir() == Path("~/.cache/colorlab/data").expanduser()


@pytest.mark.parametrize(
    "bad, match",
    [
        ("not-a-dataset", "unknown dataset 'not-a-dataset'"),
        ("ftp://example.org/file.tgz", "or an http\\(s\\) or file:// URL"),
        ("http://example.org/", "does not end with a file name"),
    ],
)
def test_bad_names_and_urls_are_refused_before_any_network_access(bad, match, tmp_path):
    with pytest.raises(ColorlabError, match=match):
        dl.download(bad, tmp_path, progress=False)


def test_malformed_checksum_is_refused(tmp_path):
    with pytest.raises(ColorlabError, match="sha256 must be 64 hexadecimal digits"):
        dl.download("http://127.0.0.1:9/x.bin", tmp_path, sha256="abc", progress=False)


# ------------------------------------------------------------------------------------------
# extraction


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in members.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


MEMBERS = {"pack/a.txt": b"alpha", "pack/sub/b.txt": b"beta"}


@pytest.mark.parametrize("filename, make", [("pack.tar.gz", _tar_gz), ("pack.tgz", _tar_gz), ("pack.zip", _zip)])
def test_extract_archive_unpacks_and_is_idempotent(tmp_path, filename, make):
    archive = tmp_path / filename
    archive.write_bytes(make(MEMBERS))
    folder = dl.extract_archive(archive, tmp_path / "out")
    assert folder == tmp_path / "out" / "pack"
    assert (folder / "a.txt").read_bytes() == b"alpha"
    assert (folder / "sub" / "b.txt").read_bytes() == b"beta"
    assert _leftovers(tmp_path / "out") == ["pack"]  # no temporary folder left

    (folder / "a.txt").write_bytes(b"edited")
    assert dl.extract_archive(archive, tmp_path / "out") == folder
    assert (folder / "a.txt").read_bytes() == b"edited"  # second call did not unpack again


def test_extract_archive_without_a_single_top_folder_gathers_the_members(tmp_path):
    archive = tmp_path / "loose.tar"
    with tarfile.open(archive, "w") as tar:
        for name, content in {"one.txt": b"1", "two/three.txt": b"3"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    folder = dl.extract_archive(archive)
    assert folder == tmp_path / "loose"
    assert (folder / "one.txt").read_bytes() == b"1" and (folder / "two" / "three.txt").read_bytes() == b"3"


@pytest.fixture(params=["data filter", "own checks"])
def tar_safety(request, monkeypatch):
    """Run a test with tarfile's "data" filter, then with the checks used where it is missing."""
    if request.param == "own checks":
        monkeypatch.delattr(tarfile, "data_filter")
    return request.param


@pytest.mark.parametrize("filename, make", [("evil.tar.gz", _tar_gz), ("evil.zip", _zip)])
def test_extract_archive_refuses_path_traversal(tmp_path, filename, make, tar_safety):
    root = tmp_path / "root"
    root.mkdir()
    archive = root / filename
    archive.write_bytes(make({"evil/ok.txt": b"fine", "../evil.txt": b"gotcha"}))
    with pytest.raises(ColorlabError, match="refusing to unpack .*'../evil.txt'") as error:
        dl.extract_archive(archive, root / "out")
    _assert_one_line(error)
    assert not (tmp_path / "evil.txt").exists() and not (root / "evil.txt").exists()
    assert _leftovers(root / "out") == []  # neither the result folder nor a temporary one


def test_extract_archive_refuses_a_link_out_of_the_folder(tmp_path, tar_safety):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("pack/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    archive = tmp_path / "links.tar.gz"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(ColorlabError, match="refusing to unpack .*'pack/passwd'"):
        dl.extract_archive(archive, tmp_path / "out")
    assert _leftovers(tmp_path / "out") == []


def test_extract_archive_rejects_unknown_kinds_and_broken_archives(tmp_path):
    with pytest.raises(ColorlabError, match="unknown archive kind"):
        dl.extract_archive(tmp_path / "photos.rar")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"this is not gzip data")
    with pytest.raises(ColorlabError, match="cannot unpack"):
        dl.extract_archive(broken)
    assert _leftovers(tmp_path) == ["broken.tar.gz"]


# ------------------------------------------------------------------------------------------
# fetch, registry, command line, README


def test_fetch_downloads_unpacks_then_works_offline(monkeypatch, server, tmp_path):
    _register(
        monkeypatch, server, "local-pack", "/files/pack.tar.gz", _tar_gz(MEMBERS), extract="tar.gz", folder="pack"
    )
    folder = dl.fetch("local-pack", tmp_path, progress=False)
    assert folder == tmp_path / "pack"
    assert (folder / "sub" / "b.txt").read_bytes() == b"beta"
    assert dl.dataset_status("local-pack", tmp_path) == "ready"
    assert len(server.requests) == 1
    assert dl.fetch("local-pack", tmp_path, progress=False) == folder
    assert len(server.requests) == 1  # the unpacked folder is reused without any request


def test_fetch_uses_an_archive_placed_by_hand_without_network(monkeypatch, server, tmp_path):
    packed = _tar_gz(MEMBERS)
    _register(monkeypatch, server, "local-pack", "/files/pack.tar.gz", packed, extract="tar.gz", folder="pack")
    info = dl.DATASETS["local-pack"]
    monkeypatch.setitem(dl.DATASETS, "local-pack", replace(info, url=f"http://127.0.0.1:{_closed_port()}/pack.tar.gz"))
    tampered = bytearray(packed)
    tampered[-1] ^= 0xFF
    (tmp_path / "pack.tar.gz").write_bytes(bytes(tampered))  # right size, wrong bytes
    with pytest.raises(ColorlabError, match="checksum mismatch for .*pack.tar.gz"):
        dl.fetch("local-pack", tmp_path, progress=False, recheck=True)
    (tmp_path / "pack.tar.gz").write_bytes(packed)
    folder = dl.fetch("local-pack", tmp_path, progress=False, recheck=True)
    assert (folder / "a.txt").read_bytes() == b"alpha"
    assert server.requests == []


def test_dataset_status_reports_what_is_on_disk(monkeypatch, server, tmp_path):
    _register(monkeypatch, server, "local-pack", "/files/pack.tar.gz", b"x", extract="tar.gz", folder="pack")
    assert dl.dataset_status("local-pack", tmp_path) == "no"
    (tmp_path / "pack.tar.gz.part").write_bytes(b"x")
    assert dl.dataset_status("local-pack", tmp_path) == "partial"
    (tmp_path / "pack.tar.gz").write_bytes(b"x")
    assert dl.dataset_status("local-pack", tmp_path) == "archive"
    (tmp_path / "pack").mkdir()
    assert dl.dataset_status("local-pack", tmp_path) == "ready"


def test_registry_entries_are_well_formed():
    assert {"places205-test", "imagenette-160", "imagewoof-160"} <= set(dl.DATASETS)
    for name, info in dl.DATASETS.items():
        assert info.name == name
        assert info.url.startswith(("http://", "https://"))
        assert info.extract in (None, "tar.gz", "tar", "zip")
        assert info.extract is None or dl._archive_kind(info.filename) == info.extract
        assert info.size is None or info.size > 0
        assert info.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", info.sha256)
        assert info.md5 is None or re.fullmatch(r"[0-9a-f]{32}", info.md5)
        assert info.sha256 or info.md5 or info.size, f"{name}: nothing to verify a download against"
        assert info.num_images > 0 and info.licence and info.folder
    places = dl.DATASETS["places205-test"]
    assert places.filename == "testSetPlaces205_resize.tar.gz"
    assert dl.DATASETS["imagenette-160"].filename == "imagenette2-160.tgz"
    assert dl.DATASETS["imagewoof-160"].filename == "imagewoof2-160.tgz"


def test_readme_lists_every_registered_dataset():
    text = README.read_text(encoding="utf-8")
    for name, info in dl.DATASETS.items():
        assert name in text, f"data/README.md does not mention {name}"
        assert f"colorlab data download {name}" in text
        assert info.url in text


def test_cli_data_list_shows_every_dataset(capsys, tmp_path):
    assert cli.main(["data", "list", "--dest", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name, info in dl.DATASETS.items():
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert f"{info.num_images:,}" in row and row.rstrip().endswith("no")


def test_cli_data_download_fetches_a_registered_dataset(monkeypatch, capsys, server, tmp_path):
    _register(
        monkeypatch, server, "local-pack", "/files/pack.tar.gz", _tar_gz(MEMBERS), extract="tar.gz", folder="pack"
    )
    assert cli.main(["data", "download", "local-pack", "--dest", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "pack")
    assert (tmp_path / "pack" / "a.txt").read_bytes() == b"alpha"

    assert cli.main(["data", "list", "--dest", str(tmp_path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("local-pack "))
    assert row.rstrip().endswith("ready")


def test_cli_data_download_errors_are_one_line(capsys, tmp_path):
    assert cli.main(["data", "download", "no-such-set", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown dataset 'no-such-set'" in err and "places205-test" in err

"""Verified downloads of the photo collections the kit knows, in the spirit of d2l's ``DATA_HUB``.

:data:`DATASETS` maps a short name to a :class:`DatasetInfo`: where the archive lives, its exact
size and checksums (where a published source states them), its terms of use and what is inside.
:func:`download` fetches one archive into the data folder, :func:`extract_archive` unpacks it and
:func:`fetch` does both. The data folder is ``~/.cache/colorlab/data`` unless the environment
variable ``COLORLAB_DATA`` names another one.

Guarantees:

* the bytes are streamed to ``<file>.part``; the final name appears only after the size and every
  known checksum matched (then :func:`os.replace`, an atomic rename), so a half file is never used;
* an interrupted download resumes with an HTTP ``Range`` request (``206``); a server that ignores
  ``Range`` (``200``) restarts the file from zero, and ``416`` is understood;
* a checksum mismatch removes the ``.part`` file and raises :class:`~colorlab.io.ColorlabError`;
* offline (no route, refused connection, timeout) fails within ``timeout`` seconds with a one-line
  error that says which URL to download by hand and the exact path to save it as;
* a ``file://`` URL (a mirror on a USB stick or a shared folder) is copied under the same rules:
  ``.part``, resume, checksums, atomic rename;
* every failure is a :class:`DownloadError` (a :class:`~colorlab.io.ColorlabError`) whose ``kind``
  says what went wrong, so a caller can word its own message (e.g. for a mirror);
* archives are unpacked safely (no member may land outside the destination) into a temporary
  folder that is renamed when complete, and unpacking is skipped when the folder already exists.

Nothing here runs at import time; no network access happens unless a function is called.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from colorlab import __version__
from colorlab.io import ColorlabError

__all__ = [
    "DatasetInfo",
    "DownloadError",
    "DATASETS",
    "DATA_ENV_VAR",
    "default_data_dir",
    "dataset_info",
    "download",
    "extract_archive",
    "fetch",
    "dataset_status",
    "datasets_table",
]

class DownloadError(ColorlabError):
    """A download that failed; ``kind`` says how.

    ``"unreachable"`` (no connection, timeout), ``"http"`` (an error status, in ``status``),
    ``"missing"`` (a ``file://`` source that does not exist), ``"cut"`` (a transfer cut off; the
    ``.part`` file is kept for resuming), ``"mismatch"`` (size or checksum; the ``.part`` file is
    removed), ``"write"`` (the destination cannot be written).
    """

    def __init__(self, message: str, kind: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.reason = reason


#: Environment variable that overrides the default data folder.
DATA_ENV_VAR = "COLORLAB_DATA"
_DEFAULT_DATA_DIR = "~/.cache/colorlab/data"
_CHUNK_BYTES = 1 << 20
_ARCHIVE_KINDS = ("tar.gz", "tar", "zip")


@dataclass(frozen=True)
class DatasetInfo:
    """One downloadable archive and what is known about it.

    ``size`` (bytes), ``sha256`` and ``md5`` are the values every download is checked against;
    each is ``None`` when no published source states it (it is never guessed). ``extract`` is the
    archive kind (``"tar.gz"``, ``"tar"`` or ``"zip"``) or ``None`` for a file used as is;
    ``folder`` is the name of the folder the archive unpacks to, inside the data folder.
    """

    name: str
    url: str
    size: int | None
    sha256: str | None
    md5: str | None
    licence: str
    description: str
    num_images: int
    resolution: str
    extract: str | None
    folder: str

    @property
    def filename(self) -> str:
        """The archive's file name: the last segment of the URL path."""
        return _filename_from_url(self.url)


#: The registry: short name -> :class:`DatasetInfo`. Every figure cites its source in a comment.
DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="places205-test",
            url="http://data.csail.mit.edu/places/places205/testSetPlaces205_resize.tar.gz",
            # Size: the "Length: 2341250899" line of a wget log of this URL (2021-02-28) found in
            # a public notebook. No sha256 or md5 is published for this archive: unknown offline,
            # so only the size is verified.
            size=2_341_250_899,
            sha256=None,
            md5=None,
            licence="Places terms: non-commercial research/education",
            description=(
                "MIT Places205 test set resized to 256x256 (scenes, landscapes, buildings); the "
                "images the ResNet-18 colorization tutorial trains on (40,000 train / 1,000 val)"
            ),
            # 41,000 files and the folder name testSet_resize: the tutorial's loader
            # (num_files = 41000, dir_name = 'testSet_resize'); 256x256: Places devkit README.
            num_images=41_000,
            resolution="256x256",
            extract="tar.gz",
            folder="testSet_resize",
        ),
        DatasetInfo(
            name="imagenette-160",
            url="https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
            # Size 99,003,388 bytes: fastai/fastai fastai/data/checks.txt (after the July 2021
            # re-upload, fastai issue #3369). sha256: FluxML/FastAI.jl's dataset registry (updated
            # after that re-upload) and several public projects that pin it, one of them together
            # with the same size. Not used: the md5 e793b78cc4c9e9a4ccc0c1155377a412 of
            # torchvision.datasets.Imagenette (sha256 is enough), and the md5 in fastai's
            # checks.txt, which hashes only the first MiB of the file.
            size=99_003_388,
            sha256="64d0c4859f35a461889e0147755a999a48b49bf38a7e0f9bd27003f10db02fe5",
            md5=None,
            licence="Apache-2.0 (fastai); ImageNet images: ImageNet terms",
            description=(
                "Imagenette v2: 10 easy ImageNet classes (tench, church, parachute, ...), "
                "train/val split, shorter side resized to 160 px"
            ),
            # 9,469 train + 3,925 val images (counts checked by public loaders of this archive).
            num_images=13_394,
            resolution="shorter side 160 px",
            extract="tar.gz",
            folder="imagenette2-160",
        ),
        DatasetInfo(
            name="imagewoof-160",
            url="https://s3.amazonaws.com/fast-ai-imageclas/imagewoof2-160.tgz",
            # Size 92,612,825 bytes: fastai/fastai fastai/data/checks.txt (same revision as above).
            # md5: catalyst's Imagewoof160 and a torchvision-style Imagewoof loader, both pairing
            # it with the current Imagenette md5. sha256 unknown offline: FastAI.jl lists
            # 663c22f6...39bf but kept it across the 2021 re-upload that changed Imagenette's, so
            # it cannot be tied to the current archive; not used.
            size=92_612_825,
            sha256=None,
            md5="3d200a7be99704a0d7509be2a9fbfe15",
            licence="Apache-2.0 (fastai); ImageNet images: ImageNet terms",
            description=(
                "Imagewoof v2: 10 hard-to-tell dog breeds from ImageNet, train/val split, "
                "shorter side resized to 160 px"
            ),
            # 9,025 train + 3,929 val images (counts checked by public loaders of this archive).
            num_images=12_954,
            resolution="shorter side 160 px",
            extract="tar.gz",
            folder="imagewoof2-160",
        ),
    )
}


def default_data_dir() -> Path:
    """The data folder: ``$COLORLAB_DATA`` when set and not empty, else ``~/.cache/colorlab/data``."""
    return Path(os.environ.get(DATA_ENV_VAR) or _DEFAULT_DATA_DIR).expanduser()


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry for ``name``; :class:`ColorlabError` naming the known ones otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise ColorlabError(f"unknown dataset {name!r}: expected one of {known}") from None


def download(
    name_or_url: str,
    dest_dir: str | os.PathLike[str] | None = None,
    sha256: str | None = None,
    *,
    size: int | None = None,
    md5: str | None = None,
    sha256_prefix: str | None = None,
    progress: bool | None = True,
    timeout: float = 10.0,
    retries: int = 2,
    recheck: bool = False,
) -> Path:
    """Download one file, verify it, and return its path inside ``dest_dir``.

    Args:
        name_or_url: a name from :data:`DATASETS` (its URL, size and checksums are used) or an
            ``http(s)://`` or ``file://`` URL (a local file, copied under the same rules). The
            file name is the last segment of the URL path.
        dest_dir: folder to save into (created if needed); default :func:`default_data_dir`.
        sha256, size, md5: expected SHA-256 (64 hex digits), size in bytes and MD5 (32 hex
            digits); each overrides the registry's value when given. Unknown values are skipped.
        sha256_prefix: the first hex digits of the expected SHA-256 (1 to 64 of them), checked
            like ``sha256``. This is torch.hub's convention for weight files, whose name ends with
            ``-<first 8 hex digits of the file's sha256>.pth``.
        progress: a tqdm progress bar on stderr (True), none (False), or only when stderr is a terminal (None).
        timeout: seconds to wait to connect and between two reads; past it the call fails.
        retries: how many times a transfer cut off after some bytes arrived is resumed (with an
            HTTP ``Range`` request) within this call. A server that cannot be reached at all is
            never retried: the call fails at once.
        recheck: also recompute the checksums of a file that is already downloaded (by default
            it is checked by size only, which is quick).

    Returns:
        The path of the verified file.

    Raises:
        ColorlabError: unknown name or malformed argument.
        DownloadError: (a ColorlabError, with ``kind``) unreachable server (the message names the
            URL to download by hand and the exact path to save it as), HTTP error, a missing
            ``file://`` source, a cut transfer that could not be resumed (the ``.part`` file is
            kept; call again to resume), or a size/checksum mismatch (the ``.part`` file is removed).
    """
    url, expected = _resolve(name_or_url, sha256=sha256, size=size, md5=md5)
    expected["sha256_prefix"] = _check_hex_prefix(sha256_prefix)
    filename = _filename_from_url(url)
    folder = Path(dest_dir).expanduser() if dest_dir is not None else default_data_dir()
    dest = folder / filename
    if dest.is_file():
        _check_cached(dest, expected, recheck=recheck)
        return dest
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create the folder {folder}: {error.strerror or error}", "write") from None
    part = dest.with_name(dest.name + ".part")
    attempts = 0
    while True:
        try:
            _transfer(url, part, dest, expected.get("size"), progress=progress, timeout=timeout)
            break
        except _Interrupted as cut:
            if cut.received > 0 and attempts < retries:
                attempts += 1
                continue
            raise DownloadError(
                f"download of {url} was cut off after {cut.done} bytes ({_one_line(cut.reason)}); "
                f"run the same command again to resume, or download it by hand and save it as {dest}",
                "cut",
            ) from None
    _verify_part(part, filename, expected)
    os.replace(part, dest)
    return dest


def extract_archive(
    path: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    kind: str | None = None,
    folder: str | None = None,
) -> Path:
    """Unpack a ``.tar.gz``/``.tgz``, ``.tar`` or ``.zip`` archive safely; return the folder made.

    The result is ``dest_dir / folder`` (``folder`` defaults to the archive name without its
    extension; ``dest_dir`` to the archive's folder). If the archive holds exactly one top-level
    folder with that name, it becomes the result; otherwise the result folder holds the archive's
    top-level entries. Members are unpacked into a temporary folder next to the result, which is
    renamed when complete, so a half-unpacked folder never carries the final name. When the result
    folder already exists nothing is done (the call is idempotent).

    Raises:
        ColorlabError: unknown archive kind, unreadable archive, or a member that would be written
            outside the destination (absolute path, ``..``, a link pointing outside, a device
            file); in that case nothing is left behind.
    """
    archive = Path(path)
    kind = kind or _archive_kind(archive.name)
    if kind not in _ARCHIVE_KINDS:
        raise ColorlabError(
            f"cannot unpack {archive}: unknown archive kind {kind!r} (expected .tar.gz, .tgz, .tar or .zip)"
        )
    base = Path(dest_dir).expanduser() if dest_dir is not None else archive.parent
    target = base / (folder or _strip_archive_suffix(archive.name))
    if target.exists():
        return target
    if not archive.is_file():
        raise ColorlabError(f"cannot unpack {archive}: no such file")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".extracting", dir=base))
    try:
        if kind == "zip":
            _extract_zip(archive, scratch)
        else:
            _extract_tar(archive, scratch, mode="r:gz" if kind == "tar.gz" else "r:")
        entries = list(scratch.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and entries[0].name == target.name:
            os.replace(entries[0], target)
        else:
            os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def fetch(
    name: str,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool | None = True,
    timeout: float = 10.0,
    recheck: bool = False,
) -> Path:
    """Download (if needed) and unpack (if needed) a registered dataset; return its folder.

    When ``dest_dir / info.folder`` already exists it is returned at once, without any network
    access. An archive already in ``dest_dir`` (for instance one downloaded by hand) is checked by
    size, and by checksum too with ``recheck=True``, then unpacked. The verified archive is kept
    next to the folder (delete it by hand to save space). For an entry with ``extract=None`` the
    downloaded file itself is returned. Raises :class:`ColorlabError` as :func:`download` does.
    """
    info = dataset_info(name)
    folder = Path(dest_dir).expanduser() if dest_dir is not None else default_data_dir()
    if info.extract is not None and (folder / info.folder).is_dir():
        return folder / info.folder
    archive = download(name, folder, progress=progress, timeout=timeout, recheck=recheck)
    if info.extract is None:
        return archive
    return extract_archive(archive, folder, kind=info.extract, folder=info.folder)


def dataset_status(name: str, dest_dir: str | os.PathLike[str] | None = None) -> str:
    """What of dataset ``name`` is on disk: ``"ready"``, ``"archive"``, ``"partial"`` or ``"no"``.

    ``"ready"``: the unpacked folder (or, for ``extract=None``, the file) exists; ``"archive"``:
    only the downloaded archive; ``"partial"``: an interrupted ``.part`` download; ``"no"``: nothing.
    """
    info = dataset_info(name)
    folder = Path(dest_dir).expanduser() if dest_dir is not None else default_data_dir()
    archive = folder / info.filename
    if (info.extract is not None and (folder / info.folder).is_dir()) or (
        info.extract is None and archive.is_file()
    ):
        return "ready"
    if archive.is_file():
        return "archive"
    if archive.with_name(archive.name + ".part").is_file():
        return "partial"
    return "no"


def datasets_table(dest_dir: str | os.PathLike[str] | None = None) -> str:
    """A plain-text table of :data:`DATASETS`: name, size in MB, images, resolution, licence, on disk."""
    header = ("name", "size (MB)", "images", "resolution", "licence", "downloaded")
    rows = [header]
    for name in sorted(DATASETS):
        info = DATASETS[name]
        size_mb = f"{info.size / 1e6:,.0f}" if info.size is not None else "?"
        rows.append(
            (name, size_mb, f"{info.num_images:,}", info.resolution, info.licence, dataset_status(name, dest_dir))
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# internals


class _Interrupted(Exception):
    """The transfer stopped before the announced end; ``done`` bytes are in the ``.part`` file."""

    def __init__(self, reason: object, received: int, done: int) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.received = received  # bytes that arrived during this attempt
        self.done = done  # bytes in the .part file now


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) or type(value).__name__


def _filename_from_url(url: str) -> str:
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    if not name or name in (".", ".."):
        raise ColorlabError(f"cannot download {url}: the URL does not end with a file name")
    return name


def _archive_kind(filename: str) -> str | None:
    lower = filename.lower()
    if lower.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if lower.endswith(".tar"):
        return "tar"
    if lower.endswith(".zip"):
        return "zip"
    return None


def _strip_archive_suffix(filename: str) -> str:
    lower = filename.lower()
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _check_hex(value: str | None, length: int, what: str) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
        raise ColorlabError(f"{what} must be {length} hexadecimal digits, got {value!r}")
    return value.lower()


def _check_hex_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{1,64}", value):
        raise ColorlabError(f"sha256_prefix must be 1 to 64 hexadecimal digits, got {value!r}")
    return value.lower()


def _digest_mismatch(path: Path, expected: dict) -> tuple[str, str, str] | None:
    """``(algorithm, expected, got)`` for the first checksum of ``path`` that does not match, else None.

    Checks the known ``sha256``, ``md5`` and ``sha256_prefix`` (the start of the sha256 digest).
    """
    wanted = {algorithm: expected[algorithm] for algorithm in ("sha256", "md5") if expected[algorithm]}
    prefix = expected.get("sha256_prefix")
    algorithms = set(wanted) | ({"sha256"} if prefix else set())
    digests = _digests(path, sorted(algorithms, key=("sha256", "md5").index))
    for algorithm, want in wanted.items():
        if digests[algorithm] != want:
            return algorithm, want, digests[algorithm]
    if prefix and not digests["sha256"].startswith(prefix):
        return "sha256 prefix", prefix, digests["sha256"]
    return None


def _resolve(name_or_url: str, *, sha256: str | None, size: int | None, md5: str | None) -> tuple[str, dict]:
    """URL and expected ``{"size", "sha256", "md5"}`` (``None`` = unknown) for a name or URL."""
    if name_or_url in DATASETS:
        info = DATASETS[name_or_url]
        url = info.url
        expected = {"size": info.size, "sha256": info.sha256, "md5": info.md5}
    elif urllib.parse.urlsplit(name_or_url).scheme in ("http", "https", "file"):
        url = name_or_url
        expected = {"size": None, "sha256": None, "md5": None}
    else:
        known = ", ".join(sorted(DATASETS))
        raise ColorlabError(f"unknown dataset {name_or_url!r}: expected one of {known}, or an http(s) or file:// URL")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ColorlabError(f"size must be a number of bytes >= 0, got {size!r}")
        expected["size"] = size
    if sha256 is not None:
        expected["sha256"] = _check_hex(sha256, 64, "sha256")
    if md5 is not None:
        expected["md5"] = _check_hex(md5, 32, "md5")
    return url, expected


def _digests(path: Path, algorithms: Iterable[str]) -> dict[str, str]:
    """Hex digests of a file for each hashlib algorithm name, in one pass."""
    hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    if not hashers:
        return {}
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}


def _check_cached(dest: Path, expected: dict, *, recheck: bool) -> None:
    actual = dest.stat().st_size
    if expected["size"] is not None and actual != expected["size"]:
        raise ColorlabError(
            f"{dest} exists but has {actual} bytes instead of {expected['size']}: it is not a complete "
            f"download; delete it and run again"
        )
    if recheck:
        mismatch = _digest_mismatch(dest, expected)
        if mismatch is not None:
            algorithm, want, got = mismatch
            raise ColorlabError(
                f"checksum mismatch for {dest}: expected {algorithm} {want}, got {got}; delete it and run again"
            )


def _verify_part(part: Path, filename: str, expected: dict) -> None:
    """Check the finished ``.part`` file; remove it and raise on any mismatch."""
    actual = part.stat().st_size
    if expected["size"] is not None and actual != expected["size"]:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"size mismatch for {filename}: expected {expected['size']} bytes, got {actual}; "
            f"the partial file was removed",
            "mismatch",
        )
    mismatch = _digest_mismatch(part, expected)
    if mismatch is not None:
        algorithm, want, got = mismatch
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"checksum mismatch for {filename}: expected {algorithm} {want}, got {got}; the partial file was removed",
            "mismatch",
        )


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """``(first byte, total size)`` from a ``Content-Range`` header; ``None`` for what is absent."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return first, total


def _open(url: str, offset: int, dest: Path, timeout: float):
    """Send the GET (with ``Range`` from ``offset`` when > 0); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers={"User-Agent": f"colorlab/{__version__}"})
    if offset > 0:
        request.add_header("Range", f"bytes={offset}-")
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        return error
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        raise DownloadError(
            f"cannot download {url} ({_one_line(reason)}); if you are offline, download it by hand "
            f"and save it as {dest}",
            "unreachable",
            reason=_one_line(reason),
        ) from None


def _transfer(url: str, part: Path, dest: Path, size: int | None, *, progress: bool | None, timeout: float) -> None:
    """Bring ``part`` to the end of the remote file, resuming from its current length."""
    offset = part.stat().st_size if part.is_file() else 0
    if size is not None and offset > size:
        part.unlink()
        offset = 0
    if size is not None and offset == size:
        return  # a previous run got every byte but stopped before verifying
    if urllib.parse.urlsplit(url).scheme == "file":
        return _copy_local(url, part, offset, progress=progress)
    response = _open(url, offset, dest, timeout)
    with response:
        status = response.status if not isinstance(response, urllib.error.HTTPError) else response.code
        if status == 416 and offset > 0:
            # Range Not Satisfiable: the .part already holds the whole file, or a different one.
            _, total = _parse_content_range(response.headers.get("Content-Range"))
            if total == offset:
                return
            part.unlink()
            return _transfer(url, part, dest, size, progress=progress, timeout=timeout)
        if isinstance(response, urllib.error.HTTPError) or not 200 <= status < 300:
            raise DownloadError(
                f"cannot download {url}: HTTP {status} {_one_line(response.reason)}; check the URL, "
                f"or download the file by hand and save it as {dest}",
                "http",
                status,
            )
        if offset > 0 and status == 206:
            first, total = _parse_content_range(response.headers.get("Content-Range"))
            if first != offset:  # an answer for bytes we did not ask for: start over cleanly
                part.unlink()
                response.close()
                return _transfer(url, part, dest, size, progress=progress, timeout=timeout)
            mode = "ab"
        else:  # 200: the whole file (a server that ignores Range restarts from zero)
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        total = total if total is not None else size
        _stream(response, part, mode, offset, total, progress=progress)


def _copy_local(url: str, part: Path, offset: int, *, progress: bool | None) -> None:
    """Bring ``part`` to the end of the local file a ``file://`` URL names, resuming from ``offset``."""
    source = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    if not source.is_file():
        raise DownloadError(f"cannot copy {url}: {source} does not exist", "missing")
    total = source.stat().st_size
    if offset > total:
        part.unlink()
        offset = 0
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise DownloadError(f"cannot read {source}: {error.strerror or error}", "missing") from None
    with stream:
        stream.seek(offset)
        _stream(stream, part, "ab" if offset else "wb", offset, total, progress=progress)


def _stream(response, part: Path, mode: str, offset: int, total: int | None, *, progress: bool | None) -> None:
    from tqdm.auto import tqdm

    received = 0
    try:
        with open(part, mode) as out, tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=part.name.removesuffix(".part"),
            disable=None if progress is None else not progress,
        ) as bar:
            while True:
                try:
                    chunk = response.read(_CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as error:  # cut, reset or timed out
                    out.flush()
                    raise _Interrupted(error, received, offset + received) from None
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    except OSError as error:  # writing failed (disk full, permissions): not a network problem
        raise DownloadError(f"cannot write {part}: {error.strerror or error}", "write") from None
    if total is not None and offset + received < total:
        raise _Interrupted("the connection closed early", received, offset + received)


def _member_error(name: str, problem: str, archive: Path) -> ColorlabError:
    return ColorlabError(f"refusing to unpack {archive}: member {name!r} {problem}; nothing was unpacked")


def _escapes(name: str) -> bool:
    """Whether a member path (or link target) could point outside the folder it is unpacked in."""
    normal = posixpath.normpath(name.replace("\\", "/"))
    return normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) is not None or normal.split("/")[0] == ".."


def _check_member_name(name: str, archive: Path) -> None:
    if _escapes(name):
        raise _member_error(name, "would be written outside the destination", archive)


def _extract_tar(archive: Path, into: Path, *, mode: str) -> None:
    try:
        with tarfile.open(archive, mode) as tar:
            if hasattr(tarfile, "data_filter"):
                # Python >= 3.10.12 / 3.11.4 / 3.12: the standard library's "data" filter refuses
                # absolute paths, "..", links leaving the folder and device files.
                try:
                    tar.extractall(into, filter="data")
                except tarfile.FilterError as error:
                    member = getattr(error, "tarinfo", None)
                    name = member.name if member is not None else "?"
                    raise _member_error(name, f"is unsafe ({_one_line(error)})", archive) from None
            else:  # older patch releases without extraction filters: check every member ourselves
                members = tar.getmembers()
                for member in members:
                    _check_member_name(member.name, archive)
                    if member.isdev():
                        raise _member_error(member.name, "is a device file", archive)
                    if member.issym() or member.islnk():
                        link = member.linkname if member.islnk() else posixpath.join(
                            posixpath.dirname(member.name), member.linkname
                        )
                        if _escapes(link):
                            raise _member_error(member.name, f"links outside the destination ({member.linkname})", archive)
                tar.extractall(into, members=members)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ColorlabError(f"cannot unpack {archive}: {_one_line(error)}") from None


def _extract_zip(archive: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as bundle:
            for name in bundle.namelist():
                _check_member_name(name, archive)
            bundle.extractall(into)
    except (zipfile.BadZipFile, OSError) as error:
        raise ColorlabError(f"cannot unpack {archive}: {_one_line(error)}") from None

"""The authors' released weights (ECCV16, SIGGRAPH17): names, hashes, where they are cached, download.

The files are the ones the ``colorizers`` package of richzhang/colorization loads
(``eccv16(pretrained=True)`` and ``siggraph17(pretrained=True)``). They are cached in torch.hub's
checkpoint folder, ``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``),
under their official names, so a copy that ``colorizers`` fetched is reused, and ``TORCH_HOME``
moves the cache (e.g. to a shared, read-only folder on lab machines). A download is accepted only
if its sha256 starts with the 8 hex digits in the file name, as torch.hub checks; nothing can turn
that check off.

``COLORLAB_WEIGHTS_MIRROR`` (an ``http(s)://`` base URL, a local folder or a ``file://`` URL)
makes every download read the file of the same name from that mirror instead of the authors'
server: a lab network or a USB stick. The same checks apply to a mirrored file.

This module imports neither torch nor a network: the command line asks it what is cached.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from colorlab.io import ColorlabError

__all__ = [
    "OfficialWeights",
    "OFFICIAL_WEIGHTS",
    "MIRROR_ENV_VAR",
    "cache_dir",
    "mirror",
    "official_source",
    "official_file",
    "official_cached",
    "official_reachable",
    "official_weights_file",
    "download_released",
    "verify_released",
    "released_table",
]

#: Environment variable naming a mirror of the released files (base URL or folder).
MIRROR_ENV_VAR = "COLORLAB_WEIGHTS_MIRROR"


@dataclass(frozen=True)
class OfficialWeights:
    """A released weights file: its URL and the start of its sha256 (torch.hub's ``-<hash>.pth``)."""

    url: str
    sha256_prefix: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


#: The released files, by model name (``colorlab.models.load(NAME, weights="official")``).
OFFICIAL_WEIGHTS = {
    "eccv16": OfficialWeights("https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth", "9b330a0b"),
    "siggraph17": OfficialWeights("https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth", "df00044c"),
}


def cache_dir() -> Path:
    """torch.hub's checkpoint folder, found as ``torch.hub.get_dir()`` does, without importing torch.

    ``$TORCH_HOME/hub/checkpoints``; without ``TORCH_HOME``, ``$XDG_CACHE_HOME/torch/hub/checkpoints``
    (default ``~/.cache/torch/hub/checkpoints``).
    """
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        torch_home = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch")
    return Path(os.path.expanduser(torch_home)) / "hub" / "checkpoints"


def _info(name: str) -> OfficialWeights:
    if name not in OFFICIAL_WEIGHTS:
        raise ColorlabError(f"no released weights for {name!r}; released: {', '.join(OFFICIAL_WEIGHTS)}")
    return OFFICIAL_WEIGHTS[name]


def official_file(name: str) -> Path:
    """Where the released weights of ``name`` live in the cache (whether or not they are there)."""
    return cache_dir() / _info(name).filename


def official_cached(name: str) -> bool:
    """Whether the released weights of ``name`` (``"eccv16"`` or ``"siggraph17"``) are on disk already."""
    return official_file(name).is_file()


def official_reachable(name: str, timeout: float = 3.0) -> bool:
    """Whether the released weights of ``name`` can be downloaded now (an HTTP ``HEAD`` request).

    Returns False, never raises, when offline or after ``timeout`` seconds.
    """
    request = urllib.request.Request(_info(name).url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https URL
            return 200 <= response.status < 400
    except Exception:  # noqa: BLE001 - offline, DNS, TLS, HTTP errors: not reachable
        return False


def mirror() -> tuple[str, str | Path] | None:
    """The mirror named by ``COLORLAB_WEIGHTS_MIRROR``: ``("url", base)``, ``("folder", path)`` or
    ``("file-url", path)``; None when the variable is unset or empty.

    Raises:
        ColorlabError: a value that is neither an http(s) URL, a ``file://`` URL nor a folder path.
    """
    value = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if not value:
        return None
    scheme = urllib.parse.urlsplit(value).scheme.lower()
    if scheme in ("http", "https"):
        return "url", value.rstrip("/")
    if scheme == "file":
        return "file-url", Path(urllib.request.url2pathname(urllib.parse.urlsplit(value).path))
    if scheme and len(scheme) > 1:  # one letter: a Windows drive, i.e. a folder
        raise ColorlabError(f"{MIRROR_ENV_VAR}={value!r}: expected an http(s):// URL, a file:// URL or a folder")
    return "folder", Path(value).expanduser()


def official_source(name: str) -> str:
    """The URL the released weights of ``name`` are read from: the authors' server, or the mirror's
    file of the same name (a ``file://`` URL for a folder)."""
    info = _info(name)
    where = mirror()
    if where is None:
        return info.url
    kind, location = where
    if kind == "url":
        return f"{location}/{urllib.parse.quote(info.filename)}"
    return (Path(location).resolve() / info.filename).as_uri()


def _check_mirror_folder(kind: str, folder: Path, filename: str) -> None:
    raw = os.environ.get(MIRROR_ENV_VAR, "").strip()
    named = f" (a file:// URL is read as that folder: {MIRROR_ENV_VAR}={raw})" if kind == "file-url" else ""
    if not folder.is_dir():
        raise ColorlabError(f"weights mirror folder {folder} does not exist{named}")
    if not (folder / filename).is_file():
        raise ColorlabError(f"weights mirror folder {folder} has no {filename}{named}")


def official_weights_file(name: str, *, progress: bool | None = True, timeout: float = 10.0) -> Path:
    """Download (once) the released weights of ``"eccv16"`` or ``"siggraph17"``; return the file.

    The file keeps its official name in :func:`cache_dir`, and a new download is accepted only if
    its sha256 starts with the 8 hex digits in that name (resumed, renamed into place atomically).
    With ``COLORLAB_WEIGHTS_MIRROR`` set, the file of the same name is read from the mirror.

    Raises:
        ColorlabError: one line: offline or HTTP error (naming the URL to fetch by hand and the
            path to save it as), a mirror that cannot be reached or lacks the file, or a hash
            mismatch (nothing is kept in the cache).
    """
    from colorlab.data.download import DownloadError, download

    info = _info(name)
    cached = official_file(name)
    if cached.is_file():
        return cached
    where = mirror()
    if where is not None and where[0] != "url":
        _check_mirror_folder(where[0], Path(where[1]), info.filename)
    try:
        return download(
            official_source(name), cache_dir(), sha256_prefix=info.sha256_prefix, progress=progress, timeout=timeout
        )
    except DownloadError as error:
        if where is None:
            raise
        if error.kind == "unreachable":
            raise ColorlabError(
                f"weights mirror {where[1]} cannot be reached ({error.reason}); check {MIRROR_ENV_VAR}, "
                f"or unset it to download from the authors' server"
            ) from None
        if error.kind == "http" and error.status == 404:
            raise ColorlabError(f"weights mirror {where[1]} has no {info.filename} (HTTP 404)") from None
        if error.kind == "mismatch":
            raise ColorlabError(f"the mirror's {info.filename} is not the released file: {error}") from None
        raise


def download_released(names: Iterable[str], *, progress: bool | None = True) -> list[Path]:
    """:func:`official_weights_file` for each name (``"eccv16"``, ``"siggraph17"``); the cached files."""
    return [official_weights_file(name, progress=progress) for name in names]


def verify_released(names: Iterable[str] | None = None) -> list[tuple[str, Path, str]]:
    """Re-hash the cached released files: ``(name, path, "ok" | "not cached" | "MISMATCH: ...")``.

    A file is "ok" when its sha256 starts with the hash in its name (torch.hub's rule). Nothing
    is deleted: a mismatch is reported for the user to act on.
    """
    from colorlab.data.download import _digests

    results = []
    for name in names if names is not None else OFFICIAL_WEIGHTS:
        path, info = official_file(name), _info(name)
        if not path.is_file():
            results.append((name, path, "not cached"))
            continue
        digest = _digests(path, ["sha256"])["sha256"]  # the download's own hashing
        ok = digest.startswith(info.sha256_prefix)
        results.append((name, path, "ok" if ok else f"MISMATCH: sha256 {digest[:16]}..., expected {info.sha256_prefix}..."))
    return results


def _state(path: Path) -> str:
    part = path.with_name(path.name + ".part")
    if path.is_file():
        return f"cached, {path.stat().st_size / 1e6:.1f} MB"
    if part.is_file():
        return f"partial download, {part.stat().st_size / 1e6:.1f} MB (download again to resume)"
    return "not cached"


def released_table() -> str:
    """What ``colorlab weights list`` prints: one row per released model (file, state, size), the
    cache folder and the mirror."""
    rows = [("model", "file", "here")]
    rows += [(name, info.filename, _state(official_file(name))) for name, info in OFFICIAL_WEIGHTS.items()]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"cache: {cache_dir()} (TORCH_HOME moves it)")
    where = mirror()
    lines.append(f"mirror: {where[1]} ({MIRROR_ENV_VAR})" if where else f"mirror: none (set {MIRROR_ENV_VAR} to a URL or folder)")
    return "\n".join(lines)

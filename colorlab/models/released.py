"""The authors' released weights (ECCV16, SIGGRAPH17): names, hashes, where they are cached, download.

The files are the ones the ``colorizers`` package of richzhang/colorization loads
(``eccv16(pretrained=True)`` and ``siggraph17(pretrained=True)``). They are cached in torch.hub's
checkpoint folder, ``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``),
under their official names, so a copy that ``colorizers`` fetched is reused, and ``TORCH_HOME``
moves the cache (e.g. to a shared folder on lab machines). A download is accepted only if its
sha256 starts with the 8 hex digits in the file name, as torch.hub checks.

This module imports neither torch nor a network: the command line asks it what is cached.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["OfficialWeights", "OFFICIAL_WEIGHTS", "cache_dir", "official_file", "official_cached", "official_reachable", "official_weights_file"]


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
    from colorlab.io import ColorlabError

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


def official_weights_file(name: str, *, progress: bool | None = True, timeout: float = 10.0) -> Path:
    """Download (once) the released weights of ``"eccv16"`` or ``"siggraph17"``; return the file.

    The file keeps its official name in :func:`cache_dir`, and a new download is accepted only if
    its sha256 starts with the 8 hex digits in that name (resumed, renamed into place atomically).

    Raises:
        ColorlabError: offline or HTTP error (one line naming the URL to fetch by hand and the
            path to save it as), or a hash mismatch (nothing is kept).
    """
    from colorlab.data.download import download

    info = _info(name)
    return download(info.url, cache_dir(), sha256_prefix=info.sha256_prefix, progress=progress, timeout=timeout)

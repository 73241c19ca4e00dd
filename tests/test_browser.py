"""The colorize app in a real browser: Voila serves notebooks/08_colorize_app.ipynb on 127.0.0.1,
headless Chromium (Debian's ``chromium``, driven by Playwright for Python) uploads a 1024x768
photo, waits for the colorized result, moves the intensity slider and downloads the JPEG.

Setup installs what is missing: Playwright with pip (it is in the dev extra, so normally already
there) and Chromium with ``apt-get install chromium`` when running as root on Debian/Ubuntu.
Playwright's own browser downloads are never used (``executable_path``). Where Chromium cannot
be installed the test is skipped with the reason, except under CI (``CI`` set) or where
``COLORLAB_REQUIRE_BROWSER=1`` (``.ci/run`` sets it): there that is a failure.

The screenshot goes to ``test-output/browser/colorize_app.png`` under the repository (git-ignored);
its path and the upload -> result time are printed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/08_colorize_app.ipynb"
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"]
APT_PACKAGES = ["chromium", "fonts-dejavu-core"]
VOILA_START_TIMEOUT = 90  # seconds for Voila to answer on its port
PAGE_TIMEOUT_MS = 90_000  # the notebook runs once per page load
RESULT_TIMEOUT_MS = 60_000
PHOTO_SIZE = (1024, 768)  # width, height


def _required() -> bool:
    flag = os.environ.get("COLORLAB_REQUIRE_BROWSER", "")
    ci = os.environ.get("CI", "")
    return flag.lower() in ("1", "true", "yes") or ci.lower() not in ("", "0", "false", "no")


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"browser test required here (CI or COLORLAB_REQUIRE_BROWSER=1) but {reason}", pytrace=False)
    pytest.skip(reason)


def _find_chromium() -> str | None:
    override = os.environ.get("COLORLAB_CHROMIUM")
    if override:
        return override if Path(override).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _install_chromium() -> str:
    """Debian's chromium through apt-get (as root); a one-line reason when that is impossible."""
    if not shutil.which("apt-get"):
        return "Chromium is not installed and there is no apt-get to install it (install chromium, or set COLORLAB_CHROMIUM)"
    if os.geteuid() != 0:
        return "Chromium is not installed and installing it needs root: sudo apt-get install chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES],
    ):
        print("test setup:", " ".join(command), flush=True)
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return f"'{' '.join(command)}' did not finish in 900 s"
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"'{' '.join(command)}' failed: {last[0]}"
    return ""


def _ensure_playwright() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("test setup: pip install playwright", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "playwright>=1.40"], capture_output=True, text=True)
        if done.returncode != 0:
            return "Playwright for Python is not installed and 'pip install playwright' failed"
    return ""


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of a Chromium executable, installed by apt-get if missing (see the module docstring)."""
    problem = _ensure_playwright()
    if problem:
        _unavailable(problem)
    override = os.environ.get("COLORLAB_CHROMIUM")
    if override and not Path(override).is_file():
        _unavailable(f"COLORLAB_CHROMIUM={override} is not a file")
    path = _find_chromium()
    if path is None:
        start = time.perf_counter()
        problem = _install_chromium()
        path = _find_chromium()
        if path is None:
            _unavailable(problem or "Chromium is still missing after apt-get install chromium")
        print(f"test setup: installed Chromium in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """Voila serving the app notebook on a free 127.0.0.1 port; stopped after the module."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("voila") / "voila.log"
    command = [
        sys.executable, "-m", "voila", NOTEBOOK, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    env.pop("COLORLAB_QUICK", None)  # the app as a user gets it
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + VOILA_START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"voila exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(url + "static/", timeout=2):  # noqa: S310 - our own server
                    break
            except urllib.error.HTTPError:  # any HTTP answer (404 here): the server is up
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"voila did not answer on {url} within {VOILA_START_TIMEOUT} s:\n{log_path.read_text()[-3000:]}", pytrace=False)
                time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


@pytest.fixture(scope="module")
def page(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(RESULT_TIMEOUT_MS)
        yield page
        context.close()
        browser.close()


def _photo_1024x768(path: Path) -> Path:
    """A colour sample photo, resized to 1024x768 and saved as a JPEG (only its lightness matters)."""
    from colorlab.data import sample_images

    rgb = (sample_images()["motorcycle"] * 255 + 0.5).astype(np.uint8)
    Image.fromarray(rgb).resize(PHOTO_SIZE, Image.BICUBIC).save(path, quality=92)
    return path


def _status(page) -> str:
    return page.locator(".colorlab-status").inner_text()


def test_upload_colorize_slide_download_in_chromium(page, voila_url, tmp_path, capsys):
    photo = _photo_1024x768(tmp_path / "street.jpg")
    loading = time.perf_counter()
    page.goto(voila_url, timeout=PAGE_TIMEOUT_MS)
    upload_button = page.locator("button.colorlab-upload, .colorlab-upload button").first
    upload_button.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)  # the notebook has run
    page_load = time.perf_counter() - loading

    # an unreadable upload: one line in the app, no traceback
    with page.expect_file_chooser() as chooser:
        upload_button.click()
    chooser.value.set_files(files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}])
    page.wait_for_selector(".colorlab-status .colorlab-error", timeout=RESULT_TIMEOUT_MS)
    status = _status(page)
    assert "notes.jpg: not an image" in status and len(status.strip().splitlines()) == 1, status
    assert "Traceback" not in page.content()

    # upload -> result, timed
    with page.expect_file_chooser() as chooser:
        upload_button.click()
    start = time.perf_counter()
    chooser.value.set_files(str(photo))
    page.wait_for_function(
        "() => { const s = document.querySelector('.colorlab-status .colorlab-done');"
        " return s && s.innerText.includes('street.jpg'); }",
        timeout=RESULT_TIMEOUT_MS,
    )
    upload_to_result = time.perf_counter() - start
    status = _status(page)
    assert "1024×768" in status and "intensity 1.00" in status, status
    page.wait_for_selector("img.colorlab-after[src^='blob:'], img.colorlab-after[src^='data:']", state="attached")

    # the intensity slider, dragged to the right with the mouse
    handle = page.locator(".colorlab-intensity .noUi-handle")
    track = page.locator(".colorlab-intensity .noUi-target")
    box, track_box = handle.bounding_box(), track.bounding_box()
    assert box and track_box, "intensity slider not visible"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track_box["x"] + 0.85 * track_box["width"], box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => { const s = document.querySelector('.colorlab-status .colorlab-done');"
        " return s && /intensity 1\\.[5-9]/.test(s.innerText); }",
        timeout=RESULT_TIMEOUT_MS,
    )
    status = _status(page)

    # download the JPEG and check it
    with page.expect_download(timeout=RESULT_TIMEOUT_MS) as download_info:
        page.locator(".colorlab-download-link").click()
    download = download_info.value
    assert download.suggested_filename == "street_color.jpg"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with Image.open(saved) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert image.size == PHOTO_SIZE
        rgb = np.asarray(image).astype(np.int16)
    chroma = (rgb.max(axis=-1) - rgb.min(axis=-1)).mean()
    assert chroma > 3.0, f"the download looks grey (mean max-min over RGB {chroma:.2f})"

    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / "colorize_app.png"
    page.locator(".colorlab-app").screenshot(path=str(screenshot))  # the whole app, wherever the page is scrolled
    assert screenshot.stat().st_size > 10_000
    with capsys.disabled():
        print(
            f"\n[browser] page load (Voila runs the notebook): {page_load:.1f} s"
            f"\n[browser] upload -> result for a {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG: {upload_to_result:.2f} s"
            f"\n[browser] after the slider: {status.strip()}"
            f"\n[browser] download: {download.suggested_filename}, {saved.stat().st_size / 1024:.0f} KB, {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]},"
            f" mean chroma {chroma:.1f}"
            f"\n[browser] screenshot: {screenshot}"
        )

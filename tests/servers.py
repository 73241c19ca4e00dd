"""A real HTTP server on 127.0.0.1 for the download tests (no internet needed).

The standard library's ThreadingHTTPServer with a handler that understands ``Range: bytes=N-``
and can be told to cut the connection after K bytes, to ignore ``Range`` or to answer with an
error status; it records every request so the tests can assert what the client asked for.
Use the ``server`` fixture: ``from servers import server``; put files in ``server.files[path]``.
"""

from __future__ import annotations

import random
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PAYLOAD = random.Random(20240611).randbytes(300_000)
CUT_AFTER = 123_457


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        control = self.server.control
        control.requests.append({"path": self.path, "range": self.headers.get("Range")})
        if control.status is not None:
            self.send_error(control.status)
            return
        payload = control.files.get(self.path)
        if payload is None:
            self.send_error(404)
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and not control.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", range_header).group(1))
            if start >= len(payload):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(payload)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
        else:
            self.send_response(200)
        body = payload[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if control.cuts_left > 0:
            control.cuts_left -= 1
            self.wfile.write(body[: control.cut_after])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a cut connection is on purpose
        pass


class _Control:
    def __init__(self, server: _Server) -> None:
        self.server = server
        self.files: dict[str, bytes] = {"/files/payload.bin": PAYLOAD}
        self.requests: list[dict] = []
        self.status: int | None = None
        self.ignore_range = False
        self.cut_after = CUT_AFTER
        self.cuts_left = 0

    def url(self, path: str = "/files/payload.bin") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.control = _Control(httpd)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.control
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)

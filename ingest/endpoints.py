"""The base of our small HTTP endpoints (probes and metrics, WebSub callbacks, the demo site)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from http.server import BaseHTTPRequestHandler


class QuietHandler(BaseHTTPRequestHandler):
    """One way to answer; no request log (probes every few seconds would drown the worker's own log)."""

    # Headers and body are written separately: without TCP_NODELAY each answer waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    def answer(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client went away: nothing to tell it
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass

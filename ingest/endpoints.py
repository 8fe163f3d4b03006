"""The base of our small HTTP endpoints (probes and metrics, WebSub callbacks, the demo site)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ingest.config import ConfigError

# Connections served at once by one endpoint; more are closed at once (a client holding many idle ones would
# otherwise hold as many threads).
MAX_CONNECTIONS = 64
# Seconds a connection may stay silent (each read and write); a client trickling a request is cut off.
SOCKET_TIMEOUT_S = 10.0


class BoundedServer(ThreadingHTTPServer):
    """A threading HTTP server with a bounded number of connections, each with a socket timeout."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *, setting: str) -> None:
        """`setting`: the key that chooses the port, named in the error when it cannot be had."""
        try:
            super().__init__(address, handler)
        except OSError as error:
            host, port = address
            raise ConfigError(
                f"{setting}: cannot listen on {host}:{port} ({error.strerror or error}); choose another port "
                f"(or 0 for any free one)"
            ) from None
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # over the bound: closed without reading it
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.settimeout(SOCKET_TIMEOUT_S)
        return sock, address


class QuietHandler(BaseHTTPRequestHandler):
    """One way to answer; no request log (probes every few seconds would drown the worker's own log)."""

    # Headers and body are written separately: without TCP_NODELAY each answer waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    def query(self) -> dict[str, str]:
        """The request's query parameters (the first of each name); none when the path cannot be read."""
        try:
            return dict(reversed(parse_qsl(urlsplit(self.path).query, max_num_fields=50)))
        except ValueError:
            return {}

    def answer(
        self, status: int, body: bytes, headers: Mapping[str, str] | None = None, *, close: bool = False
    ) -> None:
        """`close`: the request's body was not read, so the connection cannot carry another request."""
        if close:
            self.close_connection = True
        self.send_response(status)
        if close:
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client went away: nothing to tell it
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass

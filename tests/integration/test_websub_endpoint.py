"""The WebSub callback endpoint under hostile clients (loopback, no broker): bodies are bounded before they are
read, replays are recognised, idle connections are cut off and their number is bounded."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from ingest.config import WebSubSettings
from ingest.endpoints import MAX_CONNECTIONS
from ingest.websub import CallbackServer, callback_url, delivery_secret

FEED = "https://news.example/feed.xml"


@pytest.fixture
def endpoint() -> Iterator[tuple[CallbackServer, WebSubSettings, list[str]]]:
    delivered: list[str] = []
    settings = WebSubSettings(
        enabled=True, callback_url="http://127.0.0.1/websub", host="127.0.0.1", port=0, secret="master"
    )
    server = CallbackServer(settings, delivered.append).start()
    yield server, settings, delivered
    server.close()


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(body)
        return connection.getresponse().status
    finally:
        connection.close()


def test_bodies_are_bounded_before_they_are_read(endpoint: tuple[CallbackServer, WebSubSettings, list[str]]) -> None:
    server, settings, delivered = endpoint
    path = callback_url(settings, FEED).removeprefix("http://127.0.0.1")
    # A Content-Length of -1 used to mean "read to the end": the answer comes before any body is sent.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".encode())
        assert sock.recv(100).startswith(b"HTTP/1.0 411")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n".encode())
        assert sock.recv(100).startswith(b"HTTP/1.0 413")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: \u00b2\r\n\r\n".encode("latin-1"))
        assert sock.recv(100).startswith(b"HTTP/1.0 411")
    assert delivered == []


def test_a_replayed_delivery_is_recognised(endpoint: tuple[CallbackServer, WebSubSettings, list[str]]) -> None:
    server, settings, delivered = endpoint
    path = callback_url(settings, FEED).removeprefix("http://127.0.0.1")
    body = b"<rss/>"
    signature = "sha256=" + hmac.new(delivery_secret(settings, FEED).encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Length": str(len(body)), "X-Hub-Signature": signature}
    assert _post(server.port, path, body, headers) == 202
    assert _post(server.port, path, body, headers) == 202  # the hub is told it arrived ...
    assert delivered == [FEED]  # ... but a replay nudges nothing
    other = b"<rss>new</rss>"
    signed = "sha256=" + hmac.new(delivery_secret(settings, FEED).encode(), other, hashlib.sha256).hexdigest()
    assert _post(server.port, path, other, {"Content-Length": str(len(other)), "X-Hub-Signature": signed}) == 202
    assert delivered == [FEED, FEED]


def test_idle_connections_are_bounded(endpoint: tuple[CallbackServer, WebSubSettings, list[str]]) -> None:
    server, settings, _ = endpoint
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(MAX_CONNECTIONS + 20)]
    try:
        time.sleep(0.5)
        # Over the bound, connections are closed at once without being read.
        closed = 0
        for sock in idle[MAX_CONNECTIONS:]:
            sock.settimeout(5)
            try:
                closed += sock.recv(1) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 1
        assert closed >= 20
    finally:
        for sock in idle:
            sock.close()
    # Once they are gone, the endpoint answers again.
    time.sleep(0.5)
    path = callback_url(settings, FEED).removeprefix("http://127.0.0.1")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path + "?hub.mode=subscribe&hub.challenge=ok")
    assert connection.getresponse().status == 200

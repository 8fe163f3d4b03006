"""Property test of the fetch path against a loopback server that answers whatever hypothesis draws: a status
line, headers (Content-Length, Content-Encoding, Location, Retry-After, Transfer-Encoding, ...) and a body, raw on
the socket. The only outcomes are a `FetchResult` or one of our errors, within the exchange's deadline."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.config import HttpSettings
from ingest.http import Fetcher, FetchError, FetchResult, HttpStatusError


class RawServer:
    """Accepts connections on loopback and writes `self.answer` to each, then closes it."""

    def __init__(self) -> None:
        self.answer = b""
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client: socket.socket) -> None:
        with client:
            client.settimeout(5)
            try:
                client.recv(65536)
                client.sendall(self.answer)
                client.shutdown(socket.SHUT_WR)
                time.sleep(0.05)
            except OSError:
                pass

    def close(self) -> None:
        self._sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[RawServer]:
    raw = RawServer()
    yield raw
    raw.close()


HEADER_NAMES = st.sampled_from(
    ["Content-Length", "Content-Encoding", "Location", "Retry-After", "Transfer-Encoding", "Content-Type", "X-Any"]
)
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=30),
    st.sampled_from(["\xb2", "9" * 5000, "-1", "http://[x/", "gzip", "deflate", "br", "chunked", "/next", "0"]),
)


@st.composite
def answers(draw: st.DrawFn) -> bytes:
    status = draw(st.sampled_from([b"200", b"301", b"302", b"304", b"404", b"429", b"500", b"100", b"999", b"2x"]))
    lines = [b"HTTP/1.1 " + status + b" X"]
    for name, value in draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6)):
        lines.append(name.encode() + b": " + value.encode("latin-1"))
    body = draw(st.binary(max_size=2000))
    coding = draw(st.sampled_from(["", "gzip", "deflate", "junk"]))
    if coding == "gzip":
        body = gzip.compress(body) if draw(st.booleans()) else body[:10]
        lines.append(b"Content-Encoding: gzip")
    elif coding == "deflate":
        body = zlib.compress(body)
        lines.append(b"Content-Encoding: deflate")
    if draw(st.booleans()):
        lines.append(b"Content-Length: " + str(len(body) + draw(st.integers(-5, 5))).encode())
    prefix = b"HTTP/1.1 100 Continue\r\n\r\n" * draw(st.integers(0, 3))
    return prefix + b"\r\n".join(lines) + b"\r\n\r\n" + body


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(answer=answers())
def test_any_answer_is_a_result_or_our_error(server: RawServer, answer: bytes) -> None:
    server.answer = answer
    fetcher = Fetcher(HttpSettings(allow_private_addresses=True, timeout_s=2, max_bytes=1024 * 1024, max_redirects=2))
    started = time.monotonic()
    try:
        result = fetcher.fetch(f"http://127.0.0.1:{server.port}/feed")
        assert isinstance(result, FetchResult) and len(result.body) <= 1024 * 1024
    except HttpStatusError as error:
        error.retry_after_s  # noqa: B018  # reading it never raises
    except FetchError:
        pass
    finally:
        fetcher.close()
    assert time.monotonic() - started < 2 + 1  # one deadline for the whole exchange, redirects included


def test_a_hubs_endless_reply_to_a_subscription_meets_the_deadline(server: RawServer) -> None:
    server.answer = b"HTTP/1.1 202 Accepted\r\nContent-Length: 100000000000\r\n\r\n" + b"x" * 1_000_000
    fetcher = Fetcher(HttpSettings(allow_private_addresses=True, timeout_s=2))
    started = time.monotonic()
    try:
        assert fetcher.post_form(f"http://127.0.0.1:{server.port}/hub", {"hub.mode": "subscribe"}) == 202
    finally:
        fetcher.close()
    assert time.monotonic() - started < 2  # its body is not read

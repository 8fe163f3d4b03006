"""The one fetch path against real loopback servers. Only 127.0.0.0/8 is ever contacted."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest

from ingest.config import HttpSettings
from ingest.http import (
    Fetcher,
    HttpStatusError,
    Refused,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    Validators,
)

from .support import ScriptedHandler, serve

BIG = b"x" * 300_000


class Routes(ScriptedHandler):
    def do_GET(self) -> None:
        path = self.path
        if path == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, b"", {"ETag": '"v1"'})
            else:
                self._send(200, b"<rss/>", {"ETag": '"v1"', "Last-Modified": "Tue, 13 Sep 2022 09:00:00 GMT"})
        elif path == "/big":
            self._send(200, BIG, {})
        elif path == "/big-undeclared":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the limit must hold while reading
            self.wfile.write(BIG)
        elif path == "/gzip-bomb":
            self._send(200, gzip.compress(b"\0" * 5_000_000), {"Content-Encoding": "gzip"})
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif path == "/moved":
            self._send(301, b"", {"Location": "/feed"})
        elif path.startswith("/elsewhere"):
            self._send(302, b"", {"Location": f"http://127.0.0.2:{self.server.server_address[1]}/feed"})
        elif path == "/busy":
            self._send(429, b"slow down", {"Retry-After": "120"})
        else:
            self._send(404, b"", {})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(Routes) as host_port:
        yield host_port


def fetcher(host_port: str, **overrides: object) -> Fetcher:
    return Fetcher(HttpSettings(allow_hosts=[host_port], **overrides))  # type: ignore[arg-type]


def test_conditional_get_answers_304_with_the_validators(server: str) -> None:
    client = fetcher(server)
    first = client.fetch(f"http://{server}/feed")
    assert (first.status, first.body, first.validators.etag) == (200, b"<rss/>", '"v1"')
    again = client.fetch(f"http://{server}/feed", validators=first.validators)
    assert again.not_modified and again.body == b""
    assert client.fetch(f"http://{server}/feed", validators=Validators(etag='"old"')).status == 200


def test_loopback_is_refused_without_an_opt_in(server: str) -> None:
    with pytest.raises(Refused, match="non-public address"):
        Fetcher(HttpSettings()).fetch(f"http://{server}/feed")


def test_the_allow_list_names_a_host_and_port_not_a_whole_range(server: str) -> None:
    port = server.split(":")[1]
    with pytest.raises(Refused):
        # Another loopback address plays the "internal" host that was not allowed.
        fetcher(server).fetch(f"http://127.0.0.2:{port}/feed")


def test_a_redirect_to_a_refused_address_is_refused(server: str) -> None:
    with pytest.raises(Refused):
        fetcher(server).fetch(f"http://{server}/elsewhere")


def test_redirects_are_followed_and_the_final_url_reported(server: str) -> None:
    result = fetcher(server).fetch(f"http://{server}/moved")
    assert result.url == f"http://{server}/feed"
    assert result.body == b"<rss/>"


def test_a_redirect_loop_ends(server: str) -> None:
    with pytest.raises(TooManyRedirects):
        fetcher(server).fetch(f"http://{server}/loop")


@pytest.mark.parametrize("path", ["/big", "/big-undeclared", "/gzip-bomb"])
def test_bodies_over_the_limit_are_refused(server: str, path: str) -> None:
    with pytest.raises(TooLarge):
        fetcher(server, max_bytes=100_000).fetch(f"http://{server}{path}")


def test_a_trickling_server_meets_a_deadline_for_the_whole_fetch(server: str) -> None:
    # Every byte arrives well within a per-read timeout; only a total deadline stops this.
    with pytest.raises(TimedOut):
        fetcher(server, timeout_s=1.0).fetch(f"http://{server}/trickle")


def test_error_statuses_carry_retry_after(server: str) -> None:
    with pytest.raises(HttpStatusError) as error:
        fetcher(server).fetch(f"http://{server}/busy")
    assert (error.value.status, error.value.retry_after) == (429, "120")


def test_a_closed_port_is_unreachable() -> None:
    with pytest.raises(Unreachable):
        Fetcher(HttpSettings(allow_private_addresses=True)).fetch("http://127.0.0.1:9/")

"""Fetch failures fall into the classes operators count: dns, tls, timeout, http_4xx, http_5xx, ...

The class is an attribute of the exception class (one root: `processors.errors.NewsIngestError`), and the DNS case
goes through `Fetcher.fetch`, the path production takes.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ingest.config import HttpSettings
from ingest.http import (
    BadRedirect,
    DnsFailure,
    Fetcher,
    FetchError,
    HttpStatusError,
    Refused,
    TimedOut,
    TlsFailure,
    TooLarge,
    Unreachable,
)
from ingest.politeness import HostOnHold, RobotsDisallowed
from ingest.sandbox import OutOfBounds
from processors.errors import NewsIngestError, Unexpected


def test_each_failure_has_its_class() -> None:
    assert DnsFailure("x").failure_class == "dns" and issubclass(DnsFailure, Unreachable)
    assert TlsFailure("x").failure_class == "tls"
    assert TimedOut("x").failure_class == "timeout"
    assert HttpStatusError(404).failure_class == "http_4xx"
    assert HttpStatusError(429).failure_class == "http_4xx"
    assert HttpStatusError(503).failure_class == "http_5xx"
    assert Refused("private").failure_class == "refused"
    assert TooLarge("big").failure_class == "too_large"
    assert BadRedirect("x").failure_class == "redirects"
    assert Unreachable("reset").failure_class == "unreachable"
    assert RobotsDisallowed("x").failure_class == "robots"
    assert Unexpected(ValueError("Invalid IPv6 URL")).failure_class == "internal"


def test_every_error_has_one_root() -> None:
    for error in (FetchError, HostOnHold, OutOfBounds, Unexpected):
        assert issubclass(error, NewsIngestError)
    wrapped = Unexpected(ValueError("Invalid IPv6 URL"))
    assert wrapped.reason == "Unexpected" and wrapped.error_class == "ValueError"
    assert "ValueError: Invalid IPv6 URL" in str(wrapped)


def test_retry_after_reads_ascii_seconds_only() -> None:
    assert HttpStatusError(429, "120").retry_after_s == 120.0
    assert HttpStatusError(429, "\xb2").retry_after_s is None  # superscript two: isdigit() says yes, int() raises
    assert HttpStatusError(429, "9" * 5000).retry_after_s is None
    assert HttpStatusError(429, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after_s is None


def test_a_name_that_does_not_resolve_is_a_dns_failure_through_fetch() -> None:
    def unresolvable(host: str, port: int, **_: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = Fetcher(HttpSettings(), resolve=unresolvable)
    with pytest.raises(DnsFailure, match=r"cannot resolve no-such-host\.example") as caught:
        fetcher.fetch("https://no-such-host.example/feed.xml")
    assert caught.value.failure_class == "dns"


def test_urls_urllib_cannot_take_apart_are_refused_not_raised() -> None:
    fetcher = Fetcher(HttpSettings())
    for url in ("http://[x/", "ftp://example.com/", "file:///etc/hostname", "/etc/hostname", "http://a:99999/"):
        with pytest.raises(Refused):
            fetcher.fetch(url)

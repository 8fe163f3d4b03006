"""Fetch failures fall into the classes operators count: dns, tls, timeout, http_4xx, http_5xx, ..."""

from __future__ import annotations

from urllib3.exceptions import NameResolutionError, ReadTimeoutError, SSLError

from ingest.http import DnsFailure, HttpStatusError, Refused, TlsFailure, TooLarge, Unreachable, _classify


def test_each_failure_has_its_class() -> None:
    dns = _classify(NameResolutionError("feeds.example", None, OSError("no such host")), "https://feeds.example/")  # type: ignore[arg-type]
    tls = _classify(SSLError("certificate verify failed"), "https://feeds.example/")
    timeout = _classify(ReadTimeoutError(None, "https://feeds.example/", "read timed out"), "https://feeds.example/")  # type: ignore[arg-type]
    assert isinstance(dns, DnsFailure) and dns.failure_class == "dns" and isinstance(dns, Unreachable)
    assert isinstance(tls, TlsFailure) and tls.failure_class == "tls"
    assert timeout.failure_class == "timeout"
    assert HttpStatusError(404).failure_class == "http_4xx"
    assert HttpStatusError(429).failure_class == "http_4xx"
    assert HttpStatusError(503).failure_class == "http_5xx"
    assert Refused("private").failure_class == "refused"
    assert TooLarge("big").failure_class == "too_large"
    assert _classify(ConnectionResetError("reset"), "https://feeds.example/").failure_class == "unreachable"

"""The one HTTP fetch path: conditional GET with a total deadline, a size limit and an address guard.

Why urllib3 and not a higher-level client: the address guard must check the address a connection really goes to
(after DNS, at connect time, so a rebinding DNS answer cannot slip through), which needs a hook at socket creation;
and the body is read with `read1` so that a server trickling bytes meets a deadline for the whole fetch, not only a
per-read timeout, and decompressed bytes are counted against the limit as they come.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util import Retry, Timeout

from ingest.config import HttpSettings


class FetchError(Exception):
    """A fetch that did not bring a usable body. The class name is the reason reported in logs and the DLQ."""

    @property
    def reason(self) -> str:
        return type(self).__name__

    @property
    def failure_class(self) -> str:
        """The coarse class operators count and alert on: dns, tls, timeout, http_4xx, http_5xx, ..."""
        return _FAILURE_CLASSES.get(type(self).__name__, "unreachable")


class Refused(FetchError):
    """The address is not one we may connect to (private, loopback, link-local, ...)."""


class Unreachable(FetchError):
    """DNS failed, the connection was refused or reset, or TLS failed."""


class DnsFailure(Unreachable):
    """The host name did not resolve."""


class TlsFailure(Unreachable):
    """The TLS handshake failed (certificate, protocol)."""


class TimedOut(FetchError):
    """The connection or the whole fetch took longer than allowed."""


class TooLarge(FetchError):
    """The body (after decompression) is larger than allowed."""


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""


class HttpStatusError(FetchError):
    """The server answered with an error status."""

    @property
    def failure_class(self) -> str:
        return "http_4xx" if self.status < 500 else "http_5xx"

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Validators:
    """What a server said about the last version we fetched, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(repr=False)
    elapsed_s: float

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def content_language(self) -> str | None:
        return self.headers.get("content-language")


class AddressPolicy:
    """Which resolved addresses a connection may go to: public ones, unless opted in."""

    def __init__(self, *, allow_private: bool, allow_hosts: list[str]) -> None:
        self._allow_private = allow_private
        self._allow_hosts = {entry.strip().lower() for entry in allow_hosts}

    def permits(self, host: str, port: int, address: str) -> bool:
        if self._allow_private or is_public_address(address):
            return True
        host = host.strip("[]").lower()
        return host in self._allow_hosts or f"{host}:{port}" in self._allow_hosts

    def connect(self, host: str, port: int, timeout: float | None) -> socket.socket:
        """Resolve once, check every candidate, and connect to a checked address (never re-resolve)."""
        try:
            candidates = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise Unreachable(f"cannot resolve {host}: {exc.strerror}") from exc
        last_error: OSError | None = None
        for family, kind, proto, _, sockaddr in candidates:
            address = str(sockaddr[0])
            if not self.permits(host, port, address):
                raise Refused(f"{host} resolves to {address}, a non-public address (see http.allow_hosts)")
            sock = socket.socket(family, kind, proto)
            sock.settimeout(timeout)
            try:
                sock.connect(sockaddr)
            except TimeoutError as exc:
                sock.close()
                raise TimedOut(f"connect to {host}:{port} timed out") from exc
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            return sock
        raise Unreachable(f"cannot connect to {host}:{port}: {last_error}")


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; IPv4-mapped IPv6 is judged as the IPv4 it carries."""
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_pools(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections go through `policy.connect`."""

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return policy.connect(self.host, self.port, _seconds(self.timeout))

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return policy.connect(self.host, self.port, _seconds(self.timeout))

    class GuardedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}


def _seconds(timeout: object) -> float | None:
    return float(timeout) if isinstance(timeout, int | float) else None


class Fetcher:
    """GETs with the limits of `HttpSettings`; raises a `FetchError` for anything but a usable answer."""

    def __init__(self, settings: HttpSettings, *, pool_size: int = 4) -> None:
        self._settings = settings
        self._pool = urllib3.PoolManager(num_pools=256, maxsize=pool_size, block=False)
        self._pool.pool_classes_by_scheme = _guarded_pools(
            AddressPolicy(allow_private=settings.allow_private_addresses, allow_hosts=settings.allow_hosts)
        )

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "*/*") -> FetchResult:
        settings = self._settings
        headers = {"User-Agent": settings.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        started = time.monotonic()
        deadline = started + settings.timeout_s
        try:
            response = self._pool.request(
                "GET",
                url,
                headers=headers,
                preload_content=False,
                timeout=Timeout(connect=settings.connect_timeout_s, read=settings.timeout_s),
                retries=Retry(
                    total=None,
                    connect=0,
                    read=0,
                    status=0,
                    other=0,
                    redirect=settings.max_redirects,
                    raise_on_redirect=True,
                    raise_on_status=False,
                ),
            )
        except MaxRetryError as exc:
            raise _classify(exc.reason or exc, url) from exc
        except HTTPError as exc:
            raise _classify(exc, url) from exc
        final_url = _final_url(response, url)
        try:
            status = response.status
            answer = {name.lower(): value for name, value in response.headers.items()}
            if status == 304:
                return FetchResult(final_url, status, b"", answer, time.monotonic() - started)
            if status >= 400:
                raise HttpStatusError(status, answer.get("retry-after"))
            declared = answer.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise TooLarge(f"Content-Length {declared} exceeds {settings.max_bytes} bytes")
            body = _read_bounded(response, deadline=deadline, max_bytes=settings.max_bytes)
            return FetchResult(final_url, status, body, answer, time.monotonic() - started)
        except HTTPError as exc:
            raise _classify(exc, url) from exc
        finally:
            response.release_conn()

    def post_form(self, url: str, fields: Mapping[str, str]) -> int:
        """POST a form (a WebSub subscription) under the same address guard and limits; return the status.

        Raises a FetchError when no answer came or the answer is an error status.
        """
        settings = self._settings
        try:
            response = self._pool.request(
                "POST",
                url,
                body=urlencode(dict(fields)),
                headers={"User-Agent": settings.user_agent, "Content-Type": "application/x-www-form-urlencoded"},
                preload_content=False,
                timeout=Timeout(connect=settings.connect_timeout_s, read=settings.timeout_s),
                retries=Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False),
            )
        except MaxRetryError as exc:
            raise _classify(exc.reason or exc, url) from exc
        except HTTPError as exc:
            raise _classify(exc, url) from exc
        try:
            if response.status >= 400:
                raise HttpStatusError(response.status, response.headers.get("retry-after"))
            return int(response.status)
        finally:
            response.drain_conn()
            response.release_conn()

    def close(self) -> None:
        self._pool.clear()


def _final_url(response: urllib3.BaseHTTPResponse, url: str) -> str:
    """Where the redirects led: urllib3 keeps only the last request's path, so follow its history."""
    for step in response.retries.history if response.retries else ():
        if step.redirect_location:
            url = urljoin(url, step.redirect_location)
    return url


def _read_bounded(response: urllib3.BaseHTTPResponse, *, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimedOut("the whole fetch took longer than http.timeout_s")
        chunk = response.read1(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes (after decompression)")
        chunks.append(chunk)


def _classify(error: BaseException, url: str) -> FetchError:
    # urllib3 derives NameResolutionError and NewConnectionError from ConnectTimeoutError (for compatibility):
    # they are tested first, or every unresolvable host would be reported as a timeout.
    if isinstance(error, FetchError):
        return error
    if isinstance(error, NameResolutionError):
        return DnsFailure(f"{url}: cannot resolve host")
    if isinstance(error, NewConnectionError):
        return Unreachable(f"{url}: {error}")
    if isinstance(error, SSLError):
        return TlsFailure(f"{url}: {error}")
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return TimedOut(f"{url}: {error}")
    if isinstance(error, ResponseError) and "redirect" in str(error):
        return TooManyRedirects(f"{url}: {error}")
    return Unreachable(f"{url}: {error}")


_FAILURE_CLASSES = {
    "DnsFailure": "dns",
    "TlsFailure": "tls",
    "TimedOut": "timeout",
    "Refused": "refused",
    "TooLarge": "too_large",
    "TooManyRedirects": "redirects",
}

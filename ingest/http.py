"""The one HTTP fetch path: conditional GET under one deadline, byte limits and an address guard.

Why urllib3 and not a higher-level client: the address guard must check the address a connection really goes to
(after DNS, at connect time, so a rebinding DNS answer cannot slip through), which needs a hook at socket creation.

What a hostile server cannot do here:
- **Hold a fetch past `http.timeout_s`.** The deadline covers the whole exchange, connect to last byte, redirects
  included. A per-read timeout cannot give that (a server sending `100 Continue` forever, headers a byte at a time
  or endless chunked trailers answers every read in time), so `ingest.exchange_deadline` shuts the connection's
  socket down when the deadline passes, whatever the client library is reading at that moment.
- **Send more than `http.max_bytes`.** Bodies are read raw and decompressed here, in bounded steps: both the bytes
  on the wire and the decoded bytes are counted against the limit (a stream that decodes to nothing counts too).
- **Make us read a redirect's body.** Redirects are followed here, one hop at a time, without reading their bodies;
  a `Location` urllib cannot take apart is a `BadRedirect`, not a crash.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

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
    SSLError,
)
from urllib3.util import Retry, Timeout

from ingest.config import HttpSettings
from ingest.exchange_deadline import Exchange, current_exchange
from processors.errors import NewsIngestError
from processors.untrusted import ascii_int, is_web_url, redact, safe_urljoin

_REDIRECTS = (301, 302, 303, 307, 308)
_PERMANENT = (301, 308)
_READ_CHUNK = 64 * 1024


class FetchError(NewsIngestError):
    """A fetch that did not bring a usable body. The class name is the reason reported in logs and the DLQ."""

    kind = "unreachable"


class Refused(FetchError):
    """The address is not one we may connect to (private, loopback, link-local, ...), or the URL is not http(s)."""

    kind = "refused"


class Unreachable(FetchError):
    """The connection was refused or reset, or the server broke the protocol."""


class DnsFailure(Unreachable):
    """The host name did not resolve."""

    kind = "dns"


class TlsFailure(Unreachable):
    """The TLS handshake failed (certificate, protocol)."""

    kind = "tls"


class TimedOut(FetchError):
    """The connection or the whole exchange took longer than allowed."""

    kind = "timeout"


class TooLarge(FetchError):
    """The body is larger than allowed, on the wire or after decompression."""

    kind = "too_large"


class BadContentEncoding(FetchError):
    """The body's Content-Encoding is not one we asked for, or does not decode."""

    kind = "bad_body"


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect loop."""

    kind = "redirects"


class BadRedirect(FetchError):
    """A redirect without a usable Location (missing, not http(s), or not a URL at all)."""

    kind = "redirects"


class HttpStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after

    @property
    def failure_class(self) -> str:
        return "http_4xx" if self.status < 500 else "http_5xx"

    @property
    def retry_after_s(self) -> float | None:
        """Retry-After in seconds when given as a number of seconds (an HTTP date is left to the defaults)."""
        seconds = ascii_int(self.retry_after)
        return float(seconds) if seconds is not None else None


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
    moved_to: str | None = None
    """Where the redirects led when every one of them was permanent (301/308): the resource's new address."""

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

    def __init__(
        self, *, allow_private: bool, allow_hosts: list[str], resolve: Callable[..., Any] = socket.getaddrinfo
    ) -> None:
        self._resolve = resolve
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
            candidates = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DnsFailure(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from exc
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


# IPv6 ranges that carry or reach an IPv4 address, or are deprecated local scopes: Python's `is_global` calls some
# of them global, and a NAT64 gateway would take 64:ff9b::7f00:1 to 127.0.0.1.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NEVER_PUBLIC_V6 = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated), and :: itself
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated)
    ipaddress.IPv6Network("2001::/32"),  # Teredo
)


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address. IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are
    judged as the IPv4 address they carry; IPv4-compatible, translated, site-local and Teredo ones are never public."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in network for network in _NEVER_PUBLIC_V6) or ip.is_site_local:
            return False
    return ip.is_global and not ip.is_multicast


def _guarded_pools(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections go through `policy.connect` and are watched by the exchange's deadline."""

    class GuardedHTTPConnection(HTTPConnection):
        """Connects through the policy; every connect and request is watched by the exchange's deadline."""

        def _new_conn(self) -> socket.socket:
            return policy.connect(self.host, self.port, _seconds(self.timeout))

        def connect(self) -> None:
            current_exchange().watch(self)
            super().connect()

        def request(self, *args: Any, **kwargs: Any) -> None:
            current_exchange().watch(self)
            super().request(*args, **kwargs)

    class GuardedHTTPSConnection(GuardedHTTPConnection, HTTPSConnection):
        """The same, over TLS (the policy's socket is the one TLS wraps)."""

    class GuardedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}


def _seconds(timeout: object) -> float | None:
    return float(timeout) if isinstance(timeout, int | float) else None


class Fetcher:
    """GETs with the limits of `HttpSettings`; raises a `FetchError` for anything but a usable answer."""

    def __init__(
        self, settings: HttpSettings, *, pool_size: int = 4, resolve: Callable[..., Any] = socket.getaddrinfo
    ) -> None:
        """`resolve`: getaddrinfo, or a stand-in for tests that must not ask a real resolver."""
        self._settings = settings
        self._pool = urllib3.PoolManager(num_pools=256, maxsize=pool_size, block=False)
        self._pool.pool_classes_by_scheme = _guarded_pools(
            AddressPolicy(
                allow_private=settings.allow_private_addresses, allow_hosts=settings.allow_hosts, resolve=resolve
            )
        )

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "*/*") -> FetchResult:
        settings = self._settings
        headers = {"User-Agent": settings.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        started = time.monotonic()
        with Exchange(started + settings.timeout_s) as exchange:
            visited: list[str] = []
            all_permanent = True
            while True:
                visited.append(url)
                response = self._send(exchange, "GET", url, headers=headers)
                read_to_end = False
                try:
                    status = response.status
                    answer = {name.lower(): value for name, value in response.headers.items()}
                    if status in _REDIRECTS:
                        all_permanent = all_permanent and status in _PERMANENT
                        url = self._next_hop(url, answer.get("location"), visited)
                        continue
                    if status == 304:
                        read_to_end = True  # a 304 has no body
                        return self._result(url, status, b"", answer, started, visited, all_permanent)
                    if status >= 400:
                        raise HttpStatusError(status, answer.get("retry-after"))
                    declared = ascii_int(answer.get("content-length"))
                    if declared is not None and declared > settings.max_bytes:
                        raise TooLarge(f"Content-Length {declared} exceeds {settings.max_bytes} bytes")
                    body = _read_bounded(response, exchange, answer.get("content-encoding"), settings.max_bytes)
                    read_to_end = True
                    return self._result(url, status, body, answer, started, visited, all_permanent)
                except (HTTPError, OSError, http.client.HTTPException) as exc:
                    raise _classify(exc, url, exchange) from exc
                finally:
                    _discard(response, read_to_end)

    def _next_hop(self, url: str, location: str | None, visited: list[str]) -> str:
        if not location:
            raise BadRedirect(f"{redact(url)}: a redirect without a Location")
        target = safe_urljoin(url, location)
        if target is None or not is_web_url(target):
            raise BadRedirect(f"{redact(url)}: redirect to {redact(location)[:200]!r}, not an http(s) URL")
        if len(visited) > self._settings.max_redirects or target in visited:
            raise TooManyRedirects(f"{redact(visited[0])}: more than {self._settings.max_redirects} redirects")
        return target

    @staticmethod
    def _result(
        url: str,
        status: int,
        body: bytes,
        headers: dict[str, str],
        started: float,
        visited: list[str],
        all_permanent: bool,
    ) -> FetchResult:
        moved_to = url if len(visited) > 1 and all_permanent else None
        return FetchResult(url, status, body, headers, time.monotonic() - started, moved_to=moved_to)

    def _send(
        self, exchange: Exchange, method: str, url: str, *, headers: dict[str, str], body: str | None = None
    ) -> urllib3.BaseHTTPResponse:
        """One request of the exchange, no redirect followed, its body not read."""
        if not is_web_url(url):
            raise Refused(f"{redact(url)[:200]!r} is not an http(s) URL")
        settings = self._settings
        try:
            return self._pool.request(
                method,
                url,
                body=body,
                headers=headers,
                preload_content=False,
                decode_content=False,
                redirect=False,
                timeout=Timeout(connect=settings.connect_timeout_s, read=max(0.01, exchange.remaining())),
                retries=Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False),
            )
        except MaxRetryError as exc:
            raise _classify(exc.reason or exc, url, exchange) from exc
        except (HTTPError, OSError, http.client.HTTPException, ValueError) as exc:
            raise _classify(exc, url, exchange) from exc

    def post_form(self, url: str, fields: Mapping[str, str]) -> int:
        """POST a form (a WebSub subscription) under the same guard, deadline and limits; return the status.

        Raises a FetchError when no answer came or the answer is an error status. The answer's body is not read.
        """
        settings = self._settings
        headers = {"User-Agent": settings.user_agent, "Content-Type": "application/x-www-form-urlencoded"}
        with Exchange(time.monotonic() + settings.timeout_s) as exchange:
            response = self._send(exchange, "POST", url, headers=headers, body=urlencode(dict(fields)))
            try:
                if response.status >= 400:
                    raise HttpStatusError(response.status, response.headers.get("retry-after"))
                return int(response.status)
            finally:
                _discard(response, read_to_end=False)

    def close(self) -> None:
        self._pool.clear()


def _discard(response: urllib3.BaseHTTPResponse, read_to_end: bool) -> None:
    """Give the connection back; one whose body was not read to its end is closed, never drained."""
    if not read_to_end:
        response.close()
    response.release_conn()


class _Decoder:
    """Content-Encoding gzip, deflate or none, decoded in bounded steps (a bomb never inflates past the limit)."""

    def __init__(self, encoding: str | None) -> None:
        given = (coding.strip().lower() for coding in (encoding or "").split(","))
        self._codings = [coding for coding in given if coding not in ("", "identity")]
        if len(self._codings) > 1 or any(c not in ("gzip", "x-gzip", "deflate") for c in self._codings):
            raise BadContentEncoding(f"Content-Encoding {(encoding or '')[:80]!r} was not asked for")
        self._gzip = bool(self._codings) and self._codings[0] != "deflate"
        self._inflate: Any = self._new() if self._codings else None
        self._first = True

    def _new(self) -> Any:
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most `limit` + 1 decoded bytes of `data` (more means too large: the caller stops)."""
        if self._inflate is None:
            return data
        out = bytearray()
        try:
            while data and len(out) <= limit:
                try:
                    out += self._inflate.decompress(data, limit + 1 - len(out))
                except zlib.error:
                    if not (self._first and not self._gzip):
                        raise
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw, as some servers do
                    self._first = False
                    continue
                self._first = False
                data = self._inflate.unconsumed_tail
                if self._inflate.eof:  # gzip members may follow one another
                    data = self._inflate.unused_data + data
                    self._inflate = self._new()
        except zlib.error as exc:
            raise BadContentEncoding(f"the body does not decode as {self._codings[0]}: {exc}") from exc
        return bytes(out)


def _read_bounded(
    response: urllib3.BaseHTTPResponse, exchange: Exchange, encoding: str | None, max_bytes: int
) -> bytes:
    decoder = _Decoder(encoding)
    chunks: list[bytes] = []
    wire = size = 0
    while True:
        if exchange.expired():
            raise TimedOut("the whole exchange took longer than http.timeout_s")
        raw = response.read1(_READ_CHUNK, decode_content=False)
        if not raw:
            return b"".join(chunks)
        wire += len(raw)
        if wire > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes on the wire")
        chunk = decoder.decode(raw, max_bytes - size)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes (after decompression)")
        chunks.append(chunk)


def _classify(error: BaseException, url: str, exchange: Exchange) -> FetchError:
    # urllib3 derives NameResolutionError and NewConnectionError from ConnectTimeoutError (for compatibility):
    # they are tested first, or every unresolvable host would be reported as a timeout.
    shown = redact(url)
    if isinstance(error, FetchError):
        return error
    if exchange.expired():
        return TimedOut(f"{shown}: the whole exchange took longer than http.timeout_s")
    if isinstance(error, NameResolutionError):
        return DnsFailure(f"{shown}: cannot resolve host")
    if isinstance(error, NewConnectionError):
        return Unreachable(f"{shown}: {redact(str(error))}")
    if isinstance(error, SSLError):
        return TlsFailure(f"{shown}: {error}")
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return TimedOut(f"{shown}: {error}")
    if isinstance(error, ValueError) and not isinstance(error, HTTPError):
        return Refused(f"{shown[:200]!r} is not a URL we can fetch: {error}")
    return Unreachable(f"{shown}: {redact(str(error))[:300]}")

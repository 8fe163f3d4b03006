"""WebSub (PubSubHubbub) subscriber: a hub's push makes the feed's owner poll it at once.

- **Subscribe.** When a polled feed advertises a hub (`<link rel="hub">`), the poller that owns it asks the hub for
  a lease on the feed's topic (`<link rel="self">`, else its URL) with a callback URL of its own:
  `<websub.callback_url>/<feed URL, base64url>/<HMAC of it>`, so any replica can tell a genuine callback from a
  forged one without shared state. It renews the lease a day before it ends.
- **Verify.** The hub GETs the callback with `hub.challenge`; a replica answers the challenge when the HMAC in the
  path matches the feed URL, else 404.
- **Deliver.** The hub POSTs new content, signed with the secret (`X-Hub-Signature: sha256=...`). The content is
  often partial, so it is not trusted as the feed: a valid delivery writes a *nudge* for the feed into the feed
  registry topic (on the partition of the feed's host); the replica that owns the host reads it and polls the feed
  through the normal path within a second. One conditional GET per push, and exactly one poller acts on it.

The callback endpoint is its own small server (`websub.port`), off unless `websub.enabled`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ingest.config import Settings, WebSubSettings
from ingest.endpoints import QuietHandler
from ingest.feed_registry import NUDGE_PREFIX, host_partition
from ingest.kafka import TransactionalProducer
from ingest.politeness import PoliteFetcher

log = logging.getLogger(__name__)

# Enough for any feed document a hub sends; larger deliveries are refused (the feed is polled anyway).
MAX_DELIVERY_BYTES = 5_000_000
RENEW_BEFORE_S = 86400.0


def _secret(settings: WebSubSettings) -> bytes:
    if settings.secret is None:
        raise ValueError("websub.secret is required")
    return settings.secret.get_secret_value().encode("utf-8")


def callback_url(settings: WebSubSettings, feed_url: str) -> str:
    token = base64.urlsafe_b64encode(feed_url.encode("utf-8")).decode("ascii").rstrip("=")
    mac = hmac.new(_secret(settings), feed_url.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"{(settings.callback_url or '').rstrip('/')}/{token}/{mac}"


def feed_of_callback(settings: WebSubSettings, path: str) -> str | None:
    """The feed URL a callback path was issued for, or None when the path is not one of ours."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) < 2:
        return None
    token, mac = parts[-2], parts[-1]
    try:
        feed_url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(_secret(settings), feed_url.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return feed_url if hmac.compare_digest(expected, mac) else None


def signature_valid(settings: WebSubSettings, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature: `<sha1|sha256|sha384|sha512>=<hex HMAC of the body>` with our secret."""
    if not header or "=" not in header:
        return False
    method, _, given = header.partition("=")
    if method not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    expected = hmac.new(_secret(settings), body, method).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def subscribe(fetcher: PoliteFetcher, settings: WebSubSettings, *, hub_url: str, topic_url: str, feed_url: str) -> None:
    """Ask the hub for a lease (it verifies asynchronously); raise FetchError when it refuses."""
    fetcher.post_form(
        hub_url,
        {
            "hub.mode": "subscribe",
            "hub.topic": topic_url,
            "hub.callback": callback_url(settings, feed_url),
            "hub.lease_seconds": str(settings.lease_s),
            "hub.secret": _secret(settings).decode("utf-8"),
        },
    )


class NudgeWriter:
    """Writes "poll this feed now" into the registry topic, where the feed's owner reads it."""

    def __init__(self, settings: Settings, producer: TransactionalProducer) -> None:
        self._settings = settings
        self._producer = producer
        self._lock = threading.Lock()  # one transaction at a time: the server's threads share the producer

    def nudge(self, feed_url: str) -> None:
        topic = self._settings.feed_registry_topic
        value = json.dumps({"at": time.time()}).encode("utf-8")
        with self._lock:
            partition = host_partition(feed_url, len(self._producer.partitions_for(topic)))
            with self._producer.transaction() as tx:
                tx.send(topic, NUDGE_PREFIX + feed_url, value, partition=partition)


class CallbackServer:
    def __init__(self, settings: WebSubSettings, on_delivery: Callable[[str], None]) -> None:
        self._server = ThreadingHTTPServer((settings.host, settings.port), _handler_for(settings, on_delivery))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="websub-callback", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> CallbackServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(settings: WebSubSettings, on_delivery: Callable[[str], None]) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            """Intent verification: echo the challenge for our own callbacks and a known mode."""
            feed_url = feed_of_callback(settings, self.path)
            query = parse_qs(urlsplit(self.path).query)
            mode = query.get("hub.mode", [""])[0]
            challenge = query.get("hub.challenge", [""])[0]
            if feed_url is None or mode not in ("subscribe", "unsubscribe") or not challenge:
                self.answer(404, b"unknown subscription\n")
                return
            log.info("websub verified", extra={"feed_url": feed_url, "mode": mode})
            self.answer(200, challenge.encode("utf-8"))

        def do_POST(self) -> None:
            """Content distribution: a signed delivery for one of our callbacks nudges the feed's poller."""
            feed_url = feed_of_callback(settings, self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if feed_url is None:
                self.answer(404, b"unknown subscription\n")
                return
            if length > MAX_DELIVERY_BYTES:
                self.answer(413, b"too large\n")
                return
            body = self.rfile.read(length)
            if not signature_valid(settings, body, self.headers.get("X-Hub-Signature")):
                log.warning("websub delivery with a bad signature ignored", extra={"feed_url": feed_url})
                self.answer(403, b"bad signature\n")  # the spec says 2xx; an operator sees this one in logs too
                return
            try:
                on_delivery(feed_url)
            except Exception:
                log.exception("websub delivery not recorded", extra={"feed_url": feed_url})
                self.answer(503, b"try again\n")
                return
            log.info("websub delivery", extra={"feed_url": feed_url, "bytes": len(body)})
            self.answer(202, b"")

    return Handler


def lease_due(lease_until: float | None, now: float) -> bool:
    return lease_until is None or lease_until - now < RENEW_BEFORE_S

"""WebSub (PubSubHubbub) subscriber: a hub's push makes the feed's owner poll it at once.

- **Keys.** `websub.secret` is a master key that never leaves the process. Two keys are derived from it per feed,
  each for one job: the *callback key* signs the callback URLs we issue, and the *delivery secret* (sent to the
  hub as `hub.secret`, as the spec intends: one per subscription) checks the hub's `X-Hub-Signature`. A hub (or
  a feed's publisher, who chooses the hub) learns only its own feed's delivery secret: it can neither make a
  callback URL for another feed nor sign deliveries for one. `websub.previous_secrets` keep old master keys valid
  during a rotation (docs/operations.md).
- **Subscribe.** When a polled feed advertises a hub (`<link rel="hub">`), the poller that owns it asks the hub for
  a lease on the feed's topic with a callback URL of its own:
  `<websub.callback_url>/<feed URL, base64url>/<intent>/<MAC>`, where the intent is the mode and the time it was
  asked. Any replica can tell a genuine callback from a forged one without shared state.
- **Verify.** The hub GETs the callback with `hub.mode` and `hub.challenge`. Only a verification of an intent we
  started is confirmed: the mode must be the one the callback was issued for, within `VERIFY_WITHIN_S` of asking.
  Anything else is 404 (an unsubscription someone else asked for in our name is refused).
- **Deliver.** The hub POSTs new content, signed with the delivery secret. The body is bounded before it is read
  (`Content-Length` required, at most `MAX_DELIVERY_BYTES`), and a delivery seen before (same feed, same
  signature: a replay) is accepted and ignored. A valid delivery writes a *nudge* into the
  feed registry topic (on the partition of the feed's host); the replica that owns the host polls the feed through
  the normal path within a second. The content is not trusted as the feed (it is often partial).

The callback endpoint is its own small server (`websub.port`), off unless `websub.enabled`: socket timeouts and a
bounded number of connections (`ingest.endpoints.BoundedServer`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from ingest.config import Settings, WebSubSettings
from ingest.endpoints import BoundedServer, QuietHandler
from ingest.feed_registry import NUDGE_PREFIX, host_partition
from ingest.kafka import TransactionalProducer
from ingest.politeness import PoliteFetcher
from processors.untrusted import ascii_int, redact

log = logging.getLogger(__name__)

# Enough for any feed document a hub sends; larger deliveries are refused (the feed is polled anyway).
MAX_DELIVERY_BYTES = 5_000_000
RENEW_BEFORE_S = 86400.0
VERIFY_WITHIN_S = 3600.0
_SEEN_DELIVERIES = 10_000
_MODES = ("subscribe", "unsubscribe")


def _keys(settings: WebSubSettings) -> list[bytes]:
    """The master key first, then those of a rotation still under way."""
    if settings.secret is None:
        raise ValueError("websub.secret is required")
    return [key.get_secret_value().encode("utf-8") for key in [settings.secret, *settings.previous_secrets]]


def _derived(key: bytes, purpose: str, feed_url: str) -> bytes:
    return hmac.new(key, f"{purpose}\0{feed_url}".encode("utf-8", "replace"), hashlib.sha256).digest()


def delivery_secret(settings: WebSubSettings, feed_url: str, key: bytes | None = None) -> str:
    """The `hub.secret` of the feed's subscription (64 hex characters; the spec allows up to 200 bytes)."""
    return _derived(key or _keys(settings)[0], "delivery", feed_url).hex()


def _callback_mac(key: bytes, feed_url: str, intent: str) -> str:
    return hmac.new(_derived(key, "callback", feed_url), intent.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def callback_url(settings: WebSubSettings, feed_url: str, *, mode: str = "subscribe", at: float | None = None) -> str:
    token = base64.urlsafe_b64encode(feed_url.encode("utf-8", "replace")).decode("ascii").rstrip("=")
    intent = f"{mode[0]}{int(at if at is not None else time.time())}"
    mac = _callback_mac(_keys(settings)[0], feed_url, intent)
    return f"{(settings.callback_url or '').rstrip('/')}/{token}/{intent}/{mac}"


def callback_intent(settings: WebSubSettings, path: str) -> tuple[str, str, float] | None:
    """(feed URL, mode, when it was asked) of a callback path we issued, or None when the path is not ours."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) < 3:
        return None
    token, intent, mac = parts[-3], parts[-2], parts[-1]
    mode = {"s": "subscribe", "u": "unsubscribe"}.get(intent[:1])
    asked_at = ascii_int(intent[1:])
    if mode is None or asked_at is None or len(mac) != 32:
        return None
    try:
        feed_url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    for key in _keys(settings):
        if hmac.compare_digest(_callback_mac(key, feed_url, intent), mac):
            return feed_url, mode, float(asked_at)
    return None


def feed_of_callback(settings: WebSubSettings, path: str) -> str | None:
    """The feed URL a callback path was issued for, or None when the path is not one of ours."""
    intent = callback_intent(settings, path)
    return intent[0] if intent else None


def signature_valid(settings: WebSubSettings, feed_url: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature: `<sha1|sha256|sha384|sha512>=<hex HMAC of the body>` with the feed's delivery secret."""
    if not header or "=" not in header:
        return False
    method, _, given = header.partition("=")
    if method not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    for key in _keys(settings):
        expected = hmac.new(delivery_secret(settings, feed_url, key).encode("ascii"), body, method).hexdigest()
        if hmac.compare_digest(expected, given.strip().lower()):
            return True
    return False


def subscribe(fetcher: PoliteFetcher, settings: WebSubSettings, *, hub_url: str, topic_url: str, feed_url: str) -> None:
    """Ask the hub for a lease (it verifies asynchronously); raise FetchError when it refuses."""
    fetcher.post_form(
        hub_url,
        {
            "hub.mode": "subscribe",
            "hub.topic": topic_url,
            "hub.callback": callback_url(settings, feed_url),
            "hub.lease_seconds": str(settings.lease_s),
            "hub.secret": delivery_secret(settings, feed_url),
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


class _Deliveries:
    """The deliveries this replica recorded lately (bounded): a replay of one is recognised."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, delivery: str) -> bool:
        with self._lock:
            return delivery in self._seen

    def record(self, delivery: str) -> None:
        with self._lock:
            self._seen[delivery] = None
            if len(self._seen) > _SEEN_DELIVERIES:
                self._seen.popitem(last=False)


class CallbackServer:
    def __init__(self, settings: WebSubSettings, on_delivery: Callable[[str], None]) -> None:
        self._server = BoundedServer(
            (settings.host, settings.port), _handler_for(settings, on_delivery), setting="websub.port"
        )
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
    deliveries = _Deliveries()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            """Intent verification: echo the challenge only for an intent we started, in its mode, lately."""
            intent = callback_intent(settings, self.path)
            query = self.query()
            mode, challenge = query.get("hub.mode", ""), query.get("hub.challenge", "")
            if intent is not None and mode == "denied":
                log.warning("websub subscription denied by the hub", extra={"feed_url": redact(intent[0])})
                self.answer(200, b"")
                return
            if intent is None or mode not in _MODES or not challenge or len(challenge) > 1000:
                self.answer(404, b"unknown subscription\n")
                return
            feed_url, asked_mode, asked_at = intent
            if mode != asked_mode or abs(time.time() - asked_at) > VERIFY_WITHIN_S:
                log.warning(
                    "websub verification of an intent we did not start refused",
                    extra={"feed_url": redact(feed_url), "mode": mode, "asked": asked_mode},
                )
                self.answer(404, b"unknown subscription\n")
                return
            log.info("websub verified", extra={"feed_url": redact(feed_url), "mode": mode})
            self.answer(200, challenge.encode("utf-8"))

        def do_POST(self) -> None:
            """Content distribution: a signed delivery for one of our callbacks nudges the feed's poller."""
            feed_url = feed_of_callback(settings, self.path)
            if feed_url is None:
                self.answer(404, b"unknown subscription\n", close=True)
                return
            length = ascii_int(self.headers.get("Content-Length"))
            if length is None:
                self.answer(411, b"Content-Length required\n", close=True)
                return
            if length > MAX_DELIVERY_BYTES:
                self.answer(413, b"too large\n", close=True)
                return
            body = self.rfile.read(length)
            signature = self.headers.get("X-Hub-Signature")
            if len(body) != length or not signature_valid(settings, feed_url, body, signature):
                log.warning("websub delivery with a bad signature ignored", extra={"feed_url": redact(feed_url)})
                self.answer(403, b"bad signature\n")  # the spec says 2xx; an operator sees this one in logs too
                return
            delivery = f"{feed_url}\0{signature}"
            if deliveries.seen(delivery):
                log.info("websub delivery replayed; ignored", extra={"feed_url": redact(feed_url)})
                self.answer(202, b"")
                return
            try:
                on_delivery(feed_url)
                deliveries.record(delivery)
            except Exception:
                log.exception("websub delivery not recorded", extra={"feed_url": redact(feed_url)})
                self.answer(503, b"try again\n")
                return
            log.info("websub delivery", extra={"feed_url": redact(feed_url), "bytes": len(body)})
            self.answer(202, b"")

    return Handler


def lease_due(lease_until: float | None, now: float) -> bool:
    return lease_until is None or lease_until - now < RENEW_BEFORE_S

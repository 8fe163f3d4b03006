"""WebSub: a feed that advertises a hub is subscribed to; a signed delivery makes its poller poll it at once."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlencode

import pytest

from ingest.config import WebSubSettings
from ingest.websub import delivery_secret

from .support import CLI, ScriptedHandler, free_port, read_topic, serve, topics, wait_until, write_config

SECRET = "hub-shared-secret"


class Publisher(ScriptedHandler):
    """A feed with a hub link; `entries` grows when the test publishes."""

    entries: ClassVar[list[int]] = [0]
    hub: ClassVar[str] = ""

    def do_GET(self) -> None:
        host = self.headers["Host"]
        items = "".join(
            f"<item><title>n {n}</title><link>https://pub.example/{n}</link><guid>n-{n}</guid>"
            f"<description>Entry {n}</description></item>"
            for n in range(self.entries[0] + 1)
        )
        body = (
            "<rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel><title>p</title>"
            f"<link>https://pub.example/</link><description>d</description>"
            f"<atom:link rel='hub' href='{self.hub}'/><atom:link rel='self' href='http://{host}/feed.xml'/>"
            f"{items}</channel></rss>"
        )
        self._send(200, body.encode(), {"Content-Type": "application/rss+xml"})


class Hub(ScriptedHandler):
    subscriptions: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.subscriptions.append({key: values[0] for key, values in form.items()})
        self._send(202, b"", {})


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    with serve(Hub) as hub, serve(Publisher) as site:
        Publisher.hub = f"http://{hub}/hub"
        Publisher.entries[0] = 0
        Hub.subscriptions.clear()
        yield hub, site


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=10) as r:
            return int(r.status), r.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def raw_guids(app_id: str) -> set[str]:
    return {json.loads(record.value)["entry"]["id"] for record in read_topic(topics(app_id)["raw"], timeout_s=10)}


def test_a_hub_delivery_makes_the_feed_polled_at_once(tmp_path: Path, app_id: str, servers: tuple[str, str]) -> None:
    hub, site = servers
    port = free_port()
    config = write_config(
        tmp_path,
        app_id,
        http={"allow_hosts": [hub, site]},
        poller={"adaptive": False, "idle_sleep_s": 0.2, "full_text_min_chars": 0},
        websub={
            "enabled": True,
            "callback_url": f"http://127.0.0.1:{port}/websub",
            "port": port,
            "host": "127.0.0.1",
            "secret": SECRET,
        },
    )
    text = config.read_text().replace(
        "feeds: []", f"feeds:\n- {{name: pub, url: 'http://{site}/feed.xml', interval_s: 3600}}"
    )
    config.write_text(text)
    poller = subprocess.Popen([CLI, "poll", "--config", str(config)], stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: bool(Hub.subscriptions), 60, "a subscription request to the hub")
        (subscription,) = Hub.subscriptions
        assert subscription["hub.mode"] == "subscribe"
        assert subscription["hub.topic"] == f"http://{site}/feed.xml"
        # The hub gets a secret of this subscription's own, never the master key.
        hub_secret = subscription["hub.secret"]
        assert hub_secret != SECRET and SECRET not in hub_secret and len(hub_secret) == 64
        assert hub_secret == delivery_secret(WebSubSettings(secret=SECRET), f"http://{site}/feed.xml")
        assert int(subscription["hub.lease_seconds"]) >= 3600
        callback = subscription["hub.callback"]
        assert callback.startswith(f"http://127.0.0.1:{port}/websub/")
        # The first poll is committed with its group of polls (within seconds), not before the subscription.
        wait_until(lambda: raw_guids(app_id) == {"n-0"}, 30, "the first poll's entry")

        # The hub verifies the intent: our callback echoes the challenge; a forged callback path is unknown.
        query = urlencode({"hub.mode": "subscribe", "hub.topic": subscription["hub.topic"], "hub.challenge": "c4"})
        assert request(f"{callback}?{query}") == (200, b"c4")
        forged = callback.rsplit("/", 1)[0] + "/" + "0" * 32
        assert request(f"{forged}?{query}")[0] == 404
        # An unsubscription we never asked for (someone asking the hub in our name) is not confirmed.
        unasked = urlencode({"hub.mode": "unsubscribe", "hub.topic": subscription["hub.topic"], "hub.challenge": "x"})
        assert request(f"{callback}?{unasked}")[0] == 404

        # The publisher adds an entry and the hub delivers it: a bad signature is refused, a good one polls now.
        Publisher.entries[0] = 1
        body = b"<rss><channel><item><guid>n-1</guid></item></channel></rss>"
        bad = request(callback, data=body, headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        assert bad[0] == 403
        time.sleep(2)
        assert "n-1" not in raw_guids(app_id), "a forged delivery must not make us poll"
        # Signed with the master key is forged too: only the subscription's own secret signs its deliveries.
        master = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert request(callback, data=body, headers={"X-Hub-Signature": master})[0] == 403
        signature = "sha256=" + hmac.new(hub_secret.encode(), body, hashlib.sha256).hexdigest()
        assert request(callback, data=body, headers={"X-Hub-Signature": signature})[0] == 202
        # The feed's interval is an hour: only the push explains a poll within seconds.
        wait_until(lambda: "n-1" in raw_guids(app_id), 30, "the pushed entry")
    finally:
        poller.terminate()
        assert poller.wait(timeout=60) == 0
    state = {record.key.decode(): json.loads(record.value) for record in read_topic(f"{app_id}.feed-state")}
    assert state[f"http://{site}/feed.xml"]["websub_hub"] == f"http://{hub}/hub"

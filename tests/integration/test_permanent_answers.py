"""Permanent answers are respected: after a 301 or 308 the feed is polled at its new URL (the configured one stays
its identity); a 410 marks it gone, polled at most daily, and it is back to normal when it answers again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from .poller_harness import Harness, poller_harness
from .support import ScriptedHandler, serve

FEED = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><link>https://news.example/</link>"
    b"<description>d</description><item><title>a</title><guid>a</guid><description>Story a, told at length here."
    b"</description></item></channel></rss>"
)


class Site(ScriptedHandler):
    requests: ClassVar[list[str]] = []
    gone: ClassVar[bool] = True
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.requests.append(self.path)
        if self.path == "/old.xml":
            self._send(301, b"", {"Location": "/moving.xml"})
        elif self.path == "/moving.xml":
            self._send(308, b"", {"Location": "/new.xml"})
        elif self.path in ("/new.xml", "/back.xml") and not (self.path == "/back.xml" and Site.gone):
            self._send(200, FEED, {"Content-Type": "application/rss+xml"})
        elif self.path == "/back.xml":
            self._send(410, b"gone", {})
        elif self.path == "/temporary.xml":
            self._send(302, b"", {"Location": "/new.xml"})
        else:
            self._send(404, b"", {})


@pytest.fixture
def harness(app_id: str) -> Iterator[Harness]:
    Site.requests.clear()
    Site.gone = True
    with serve(Site) as host:
        feeds = [{"name": name, "url": f"http://{host}/{name}.xml"} for name in ("old", "back", "temporary")]
        with poller_harness(app_id, feeds, [host], full_text_min_chars=0, adaptive=False) as harness:
            yield harness


def test_a_moved_feed_is_polled_at_its_new_url(harness: Harness) -> None:
    assert harness.poll("old") == "changed"
    assert Site.requests == ["/old.xml", "/moving.xml", "/new.xml"]
    state = harness.state("old")
    assert state.moved_to is not None and state.moved_to.endswith("/new.xml")
    Site.requests.clear()
    harness.clock.advance(3600)
    assert harness.poll("old") in ("unchanged", "not_modified")
    assert Site.requests == ["/new.xml"]  # the old URL is not asked again
    # A temporary redirect is followed each time and moves nothing.
    assert harness.poll("temporary") == "changed"
    assert harness.state("temporary").moved_to is None


def test_a_gone_feed_is_polled_daily_and_comes_back(harness: Harness) -> None:
    assert harness.poll("back") == "HttpStatusError"
    state = harness.state("back")
    assert state.status == "gone" and state.gone_since is not None
    assert state.next_poll_at - harness.clock.now >= 86400
    harness.clock.advance(86400 * 1.2)
    Site.gone = False
    assert harness.poll("back") == "changed"
    state = harness.state("back")
    assert state.status == "ok" and state.gone_since is None and state.error_streak == 0

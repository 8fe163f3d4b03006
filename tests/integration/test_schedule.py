"""Adaptive schedules and failure classes, with a clock the test turns, against a loopback server and the broker."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from .poller_harness import Clock, Harness, poller_harness
from .support import ScriptedHandler, serve

NOW = datetime.fromtimestamp(Clock().now, UTC)


def rss(items: list[tuple[str, datetime | None]], *, extra: str = "") -> bytes:
    body = "".join(
        f"<item><title>{guid}</title><link>https://news.example/{guid}</link><guid>{guid}</guid>"
        + (f"<pubDate>{format_datetime(date)}</pubDate>" if date else "")
        + f"<description>Story {guid}.</description></item>"
        for guid, date in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0' xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'>"
        f"<channel><title>t</title><link>https://news.example/</link><description>d</description>{extra}{body}"
        "</channel></rss>"
    ).encode()


FEEDS: dict[str, Callable[[], tuple[int, bytes, dict[str, str]]]] = {
    "/ttl.xml": lambda: (200, rss([("a", None), ("b", None), ("c", None)], extra="<ttl>30</ttl>"), {}),
    "/sy.xml": lambda: (
        200,
        rss([("a", None)], extra="<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>"),
        {},
    ),
    "/max-age.xml": lambda: (200, rss([("a", None)]), {"Cache-Control": "public, max-age=3600"}),
    "/busy.xml": lambda: (200, rss([(f"b{i}", NOW - timedelta(minutes=6 * i)) for i in range(20)]), {}),
    "/quiet.xml": lambda: (200, rss([(f"q{i}", NOW - timedelta(days=2 * i)) for i in range(4)]), {}),
    "/undated.xml": lambda: (200, rss([("u1", None), ("u2", None)]), {}),
    "/gone.xml": lambda: (404, b"gone", {}),
    "/broken.xml": lambda: (500, b"oops", {}),
    "/busy-server.xml": lambda: (503, b"later", {"Retry-After": "600"}),
    "/not-a-feed.xml": lambda: (200, b"<html><body>hello</body></html>", {"Content-Type": "text/html"}),
}


class FeedServer(ScriptedHandler):
    def do_GET(self) -> None:
        status, body, headers = FEEDS[self.path]()
        etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag, **headers})
            return
        self._send(status, body, {"Content-Type": "application/rss+xml", "ETag": etag, **headers})


@pytest.fixture
def harness(app_id: str) -> Iterator[Harness]:
    with serve(FeedServer) as host:
        feeds = [{"name": path.strip("/").removesuffix(".xml"), "url": f"http://{host}{path}"} for path in FEEDS]
        with poller_harness(app_id, feeds, [host], full_text_min_chars=0) as harness:
            yield harness


def test_publisher_hints_are_floors(harness: Harness) -> None:
    for name, floor in (("ttl", 1800), ("sy", 3600), ("max-age", 3600)):
        assert harness.poll(name) == "changed"
        assert 0.9 * floor <= harness.interval(name) <= 1.1 * floor, name
    # A 304 carries the same Cache-Control: the floor holds on unchanged polls too.
    harness.clock.advance(4000)
    assert harness.poll("max-age") == "not_modified"
    assert harness.interval("max-age") >= 0.9 * 3600


def test_a_busy_feed_is_polled_often_and_a_quiet_one_rarely(harness: Harness) -> None:
    harness.poll("busy")
    harness.poll("quiet")
    busy = harness.state("busy")
    assert busy.rate_per_day == pytest.approx(240, rel=0.01)  # an entry every 6 minutes
    assert harness.state("quiet").rate_per_day == pytest.approx(0.5, rel=0.01)  # one every 2 days
    # reference_interval_s (1200 s for an hourly feed) * sqrt(24 / rate), +-10% jitter
    assert 0.9 * 1200 * 0.1**0.5 <= harness.interval("busy") <= 1.1 * 1200 * 0.1**0.5
    assert 0.9 * 1200 * 48**0.5 <= harness.interval("quiet") <= 1.1 * 1200 * 48**0.5


def test_polls_that_bring_nothing_stretch_the_interval(harness: Harness) -> None:
    intervals = []
    for _ in range(4):
        harness.poll("undated")
        intervals.append(harness.interval("undated") / 300)  # in units of the feed's starting interval
        harness.clock.advance(harness.interval("undated"))
    assert harness.state("undated").empty_polls == 3
    # 300 s, then x1.5 per empty poll (within the 120 s .. 6 h bounds), +-10% jitter.
    for got, expected in zip(intervals, [1, 1.5, 2.25, 3.375], strict=True):
        assert expected * 0.9 <= got <= expected * 1.1


def test_failures_are_classed_counted_backed_off_and_never_dropped(harness: Harness) -> None:
    outcomes = {name: harness.poll(name) for name in ("gone", "broken", "not-a-feed")}
    assert outcomes == {"gone": "HttpStatusError", "broken": "HttpStatusError", "not-a-feed": "FeedParseError"}
    classes = {name: harness.state(name).last_error_class for name in outcomes}
    assert classes == {"gone": "http_4xx", "broken": "http_5xx", "not-a-feed": "parse"}
    # Consecutive failures double the wait, up to poller.max_backoff_s; the feed stays in the state, failing.
    waits = [harness.interval("gone")]
    for _ in range(12):
        harness.clock.advance(harness.interval("gone"))
        harness.poll("gone")
        waits.append(harness.interval("gone"))
    assert waits[1] >= 1.9 * waits[0] / 1.1
    assert harness.settings.poller.max_backoff_s <= max(waits) <= harness.settings.poller.max_backoff_s * 1.1
    gone = harness.state("gone")
    assert gone.status == "failing" and gone.error_streak == 13 and gone.last_error == "HttpStatusError: HTTP 404"

    # A 503 with Retry-After: a failure whose backoff honours the server (and puts the host on hold: last here).
    assert harness.poll("busy-server") == "HttpStatusError"
    assert harness.state("busy-server").last_error_class == "http_5xx"
    assert harness.interval("busy-server") >= 600
    for failure_class, count in (("http_4xx", 13), ("http_5xx", 2), ("parse", 1)):
        assert harness.metric("news_ingest_feed_failures_total", failure_class=failure_class) == count

"""Politeness per host, observed at the server: request spacing, holds after 429, robots.txt for pages."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults.corpus import page

from .poller_harness import Harness, poller_harness
from .support import ScriptedHandler, serve

PAGES = 6


class Site(ScriptedHandler):
    """A feed and its pages on one host; page 4 answers 429 the first time; /private/ is closed to robots."""

    requests: list[tuple[float, str]]
    refused_once: set[str]
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.requests.append((time.monotonic(), self.path))
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
        elif self.path == "/feed.xml":
            links = [f"/p/{n}" for n in range(1, PAGES)] + ["/private/secret"]
            host = self.headers["Host"]
            items = "".join(f"<item><title>{link}</title><link>http://{host}{link}</link></item>" for link in links)
            body = f"<rss version='2.0'><channel><title>t</title><link>/</link><description>d</description>{items}"
            body += "</channel></rss>"
            self._send(200, body.encode(), {"Content-Type": "application/rss+xml"})
        elif self.path == "/p/4" and self.path not in self.refused_once:
            self.refused_once.add(self.path)
            self._send(429, b"slow down", {"Retry-After": "120"})
        else:
            _, _, html = page(int(self.path.rsplit("/", 1)[1]) if self.path[-1].isdigit() else 99)
            self._send(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def site() -> Iterator[tuple[type[Site], str]]:
    handler = type("ThisSite", (Site,), {"requests": [], "refused_once": set()})
    with serve(handler) as host:
        yield handler, host


@pytest.fixture
def harness(app_id: str, site: tuple[type[Site], str]) -> Iterator[Harness]:
    _, host = site
    feeds = [{"name": "site", "url": f"http://{host}/feed.xml"}]
    with poller_harness(app_id, feeds, [host], host_interval_s=0.4) as harness:
        yield harness


def test_requests_to_one_host_are_spaced_held_after_429_and_robots_txt_is_honoured(
    harness: Harness, site: tuple[type[Site], str]
) -> None:
    handler, _ = site
    # Page 4 said 429: only the pages of that host wait (here the feed's host too); pages 1-3 are published.
    assert harness.poll("site") == "changed"
    first = sorted(record.key.decode().rsplit("/", 1)[-1] for record in harness.published())
    assert first == ["1", "2", "3"]
    letters = harness.dead_letters()
    assert [(d["reason"], d["source_url"].rsplit("/", 2)[-2:]) for d in letters] == [
        ("RobotsDisallowed", ["private", "secret"])
    ]
    state = harness.state("site")
    assert 120 <= state.next_poll_at - harness.clock.now <= 125 and state.error_streak == 0
    assert state.body_sha256 is None  # so that the poll after the hold reads the feed again
    paths_before = [path for _, path in handler.requests]
    assert paths_before == ["/feed.xml", "/robots.txt", "/p/1", "/p/2", "/p/3", "/p/4"]  # /p/5 waits unsent

    # While the host is on hold, nothing is sent to it.
    assert harness.poll("site") == "deferred"
    assert len(handler.requests) == len(paths_before)

    harness.clock.advance(121)
    last_poll_starts = len(handler.requests)
    assert harness.poll("site") == "changed"
    urls = sorted(record.key.decode() for record in harness.published())
    assert len(urls) == PAGES - 1 and len(set(urls)) == PAGES - 1  # each page once
    assert len(harness.dead_letters()) == 1  # the disallowed page is not tried again
    paths = [path for _, path in handler.requests]
    assert paths[last_poll_starts:] == ["/feed.xml", "/p/4", "/p/5"]
    assert paths.count("/robots.txt") == 1  # read once, then cached
    assert "/private/secret" not in paths

    # Within each poll, every request to the host waited its turn: at least poller.host_interval_s apart.
    for requests in (handler.requests[:last_poll_starts], handler.requests[last_poll_starts:]):
        gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(requests)]
        assert gaps and min(gaps) >= 0.4 - 0.05, gaps

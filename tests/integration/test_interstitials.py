"""A page that is a bot wall is a fetch failure of its own class: the host waits, the page is asked for again
after the hold, and the wall never becomes a story."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.faults.corpus import page

from .poller_harness import Harness, poller_harness
from .support import ScriptedHandler, serve

WALL = (
    "<html><head><title>Weryfikacja</title></head><body><p>Przykro nam, ale z adresu IP 203.0.113.7 wykryliśmy "
    "nietypowy ruch. Zaznacz pole i wybierz 'Nie jestem robotem'.</p></body></html>"
)


class Site(ScriptedHandler):
    walled: ClassVar[bool] = True

    def do_GET(self) -> None:
        host = self.headers["Host"]
        if self.path == "/feed.xml":
            items = "".join(f"<item><title>p{n}</title><link>http://{host}/p/{n}</link></item>" for n in (1, 2))
            body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
            self._send(200, body.encode(), {"Content-Type": "application/rss+xml"})
        elif self.path == "/robots.txt":
            self._send(404, b"", {})
        elif Site.walled:
            self._send(200, WALL.encode(), {"Content-Type": "text/html; charset=utf-8"})
        else:
            self._send(200, page(int(self.path[-1]))[2].encode(), {"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def harness(app_id: str) -> Iterator[Harness]:
    Site.walled = True
    with serve(Site) as host, poller_harness(app_id, [{"name": "site", "url": f"http://{host}/feed.xml"}], [host]) as h:
        yield h


def test_a_bot_wall_holds_its_host_and_never_becomes_a_document(harness: Harness) -> None:
    assert harness.poll("site") == "changed"
    assert harness.published() == [] and harness.dead_letters() == []
    assert harness.metric("news_ingest_interstitials_total", domain="127.0.0.1") == 1
    state = harness.state("site")
    assert 30 <= state.next_poll_at - harness.clock.now <= 32 and state.error_streak == 0
    Site.walled = False
    harness.clock.advance(31)
    assert harness.poll("site") == "changed"
    assert len(harness.published()) == 2  # the pages, once the wall is gone

"""Revisits of published article pages, one poller in the test's process, its clock turned by the test, against
a loopback site whose pages change while the feed stays byte for byte the same (the real broker)."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewPartitions

from ingest import revisiter
from ingest.demo import SiteServer
from ingest.revisit_schedule import Revisit

from .poller_harness import Harness, poller_harness
from .support import (
    BOOTSTRAP,
    CLI,
    ScriptedHandler,
    log_events,
    pending_revisits,
    read_topic,
    run_cli,
    serve,
    topics,
    validate,
    wait_until,
    write_config,
)

SCHEDULE = [60, 600, 3600]
PAGE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>Armenia and Azerbaijan traded fire along their border overnight, the defence ministries said.</p>"
    "{extra}</article></body></html>"
)


@dataclass
class Site:
    """The pages as the site serves them now; the test edits them between revisits."""

    pages: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)


SITE = Site()


def feed(host: str) -> bytes:
    items = "".join(
        f"<item><title>{name}</title><link>http://{host}/news/{name}</link><guid>{name}</guid>"
        f"<description>Short summary of {name}.</description></item>"
        for name in ("clashes", "budget", "moving", "busy")
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><link>http://{host}/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


class SiteHandler(ScriptedHandler):
    def do_GET(self) -> None:
        SITE.requests.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/feed.xml":
            self._send(200, feed(self.headers["Host"]), {"Content-Type": "application/rss+xml"})
            return
        status, text, headers = SITE.pages.get(self.path, (404, "not found", {}))
        body = text.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag})
            return
        self._send(status, body, {"Content-Type": "text/html; charset=utf-8", "ETag": etag, **headers})


@pytest.fixture
def site() -> Iterator[tuple[str, Site]]:
    SITE.pages.clear()
    SITE.requests.clear()
    for name in ("clashes", "budget", "moving", "busy"):
        SITE.pages[f"/news/{name}"] = (200, PAGE.format(title=name, extra=""), {})
    with serve(SiteHandler) as host:
        yield host, SITE


@pytest.fixture
def harness(app_id: str, site: tuple[str, Site]) -> Iterator[Harness]:
    with harness_with(app_id, site[0], max_per_host_per_hour=1000) as harness:
        yield harness


def pending(harness: Harness) -> dict[str, Revisit]:
    """The revisits committed to the topic, by key (the harness's feed is on one partition)."""
    return {key: revisit for (_, key), revisit in pending_revisits(harness.settings.app_id).items()}


@contextmanager
def harness_with(app_id: str, host: str, **revisits: Any) -> Iterator[Harness]:
    """A harness polling the site's one feed, with these revisits settings over the test schedule."""
    feeds = [{"name": "desk", "url": f"http://{host}/feed.xml"}]
    settings = {"schedule": SCHEDULE, **revisits}
    with poller_harness(app_id, feeds, [host], revisits=settings, respect_robots_txt=False) as harness:
        yield harness


def documents(harness: Harness) -> list[dict[str, object]]:
    return [json.loads(record.value) for record in harness.published()]


def test_a_page_changed_behind_an_unchanged_feed_entry_is_published_again(
    harness: Harness, site: tuple[str, Site]
) -> None:
    host, served = site
    pages = served.pages
    assert harness.poll("desk") == "changed"
    assert len(documents(harness)) == 4
    scheduled = pending(harness)
    assert len(scheduled) == 4  # one per published page, committed with its document
    assert {revisit.step for revisit in scheduled.values()} == {0}

    assert harness.revisit() == 0  # nothing due yet
    harness.clock.advance(61)
    update = "<p>Updated at noon on 13 September to add Russia's ceasefire announcement.</p><p>Moscow said.</p>"
    pages["/news/clashes"] = (200, PAGE.format(title="clashes", extra=update), {})
    pages["/news/budget"] = (404, "gone", {})
    pages["/news/moving"] = (301, "", {"Location": f"http://{host}/news/elsewhere"})
    pages["/news/elsewhere"] = (200, PAGE.format(title="elsewhere", extra="<p>Another story.</p>"), {})

    assert harness.revisit() == 4
    assert harness.poll("desk") in ("unchanged", "not_modified")  # the feed itself announced nothing

    published = documents(harness)
    assert len(published) == 5, "only the changed page is published again"
    first, again = [doc for doc in published if doc["url"] == f"http://{host}/news/clashes"]
    if "Russia" in str(first["html"]):
        first, again = again, first
    assert "Russia's ceasefire announcement" in str(again["html"])
    assert again["entry"] == first["entry"] | {"summary": None}  # type: ignore[operator]
    keys = {record.key for record in harness.published() if b"Russia" in record.value}
    assert keys == {record.key for record in harness.published() if b"/news/clashes" in record.value}, (
        "a revision goes under the story's own key"
    )

    assert harness.metric("news_ingest_revisits_total", outcome="changed") == 1
    assert harness.metric("news_ingest_revisits_total", outcome="unchanged") == 1  # busy: a 304
    assert harness.metric("news_ingest_revisits_total", outcome="gone") == 2  # 404, and a redirect elsewhere
    left = pending(harness)
    assert {revisit.entry.id for revisit in left.values()} == {"clashes", "busy"}
    assert {revisit.step for revisit in left.values()} == {1}
    # The unchanged page was asked for with its validators: a 304, nothing read.
    assert ("/news/busy", left[next(k for k, r in left.items() if r.entry.id == "busy")].etag) in served.requests


def test_an_unchanged_page_publishes_nothing_and_the_schedule_ends(harness: Harness) -> None:
    harness.poll("desk")
    before = len(documents(harness))
    for step in SCHEDULE:
        harness.clock.advance(step)
        harness.revisit()
    assert len(documents(harness)) == before
    assert harness.metric("news_ingest_revisits_total", outcome="unchanged") == 4 * len(SCHEDULE)
    assert pending(harness) == {}, "each schedule ends with a tombstone"
    assert harness.revisit() == 0


def test_a_late_poller_skips_the_steps_it_missed(harness: Harness) -> None:
    harness.poll("desk")
    harness.clock.advance(700)  # past the first two steps
    assert harness.revisit() == 4
    assert {revisit.step for revisit in pending(harness).values()} == {2}


def test_a_host_over_its_hourly_budget_has_steps_dropped_and_counted(app_id: str, site: tuple[str, Site]) -> None:
    with harness_with(app_id, site[0], max_per_host_per_hour=3) as harness:
        harness.poll("desk")
        harness.clock.advance(61)
        assert harness.revisit() == 3  # requests sent
        assert harness.metric("news_ingest_revisits_total", outcome="unchanged") == 3
        assert harness.metric("news_ingest_revisits_total", outcome="dropped") == 1
        assert {revisit.step for revisit in pending(harness).values()} == {1}  # the dropped one moved on too


def test_past_max_pending_the_oldest_revisit_is_dropped(app_id: str, site: tuple[str, Site]) -> None:
    with harness_with(app_id, site[0], max_pending=2) as harness:
        harness.poll("desk")
        assert harness.metric("news_ingest_revisits_total", outcome="dropped") == 2
        assert sorted(revisit.entry.id for revisit in pending(harness).values()) == ["busy", "moving"]


def test_a_page_only_update_becomes_version_2_through_the_real_worker(
    tmp_path: Path, app_id: str, demo_server: SiteServer
) -> None:
    """The demo's Kharkiv story: its feed entry never changes, its page gains an editor's note and a paragraph."""
    config = write_config(
        tmp_path,
        app_id,
        demo_server,
        [("euro-desk", "/feeds/euro-desk.xml", None)],
        # Steps every few seconds for a minute: whenever the test changes the page, a revisit follows soon.
        revisits={"schedule": [f"{seconds}s" for seconds in range(3, 60, 3)] + ["1h"]},
    )
    names = topics(app_id)
    worker = subprocess.Popen(
        [CLI, "run", "--config", str(config)], stdout=subprocess.DEVNULL, stderr=(tmp_path / "log").open("wb")
    )
    try:

        def articles() -> list[dict[str, Any]]:
            return validate(read_topic(names["articles"]), "article")

        def kharkiv(version: int) -> list[dict[str, Any]]:
            return [a for a in articles() if "Kharkiv" in (a["title"] or "") and a["version"] == version]

        wait_until(lambda: len(articles()) == 4, 120, "the feed's four stories")
        first = kharkiv(1)[0]
        assert first["update_note"] is None
        # Only the page that was fetched is revisited (the three others came with their full text in the feed).
        shown = run_cli("revisits", "status", "--json", "--config", str(config))
        assert shown.returncode == 0, shown.stderr[-2000:]
        status = json.loads(shown.stdout)
        assert (status["pending"], status["feeds"][0]["feed"]) == (1, "euro-desk")
        table = run_cli("revisits", "status", "--config", str(config))
        assert table.stdout.startswith("pending 1, overdue ") and "euro-desk" in table.stdout
        demo_server.advance()  # the page changes; the feed stays byte for byte the same
        wait_until(lambda: bool(kharkiv(2)), 120, "the revisit's version 2")
        second = kharkiv(2)[0]
        assert second["story_id"] == first["story_id"]
        assert second["revision_of"] == f"{first['story_id']}-v1"
        assert second["update_note"].startswith("Mis à jour à 14h00 le 13 septembre")
        assert second["changes"]["paragraphs_added"] >= 1

        # The next revisit finds the page as it was: nothing more is published.
        def step() -> int:
            return max(Revisit.model_validate_json(r.value).step for r in read_topic(f"{app_id}.revisits") if r.value)

        after_change = step()
        wait_until(lambda: step() > after_change, 60, "the revisit after the change")
        assert len(articles()) == 5
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    events = log_events((tmp_path / "log").read_text())
    changed = [e for e in events if e["event"] == "revisit found the page changed; published for processing"]
    assert len(changed) == 1 and changed[0]["feed"] == "euro-desk"


def test_a_revisits_topic_partitioned_unlike_the_registry_is_refused_at_start(tmp_path: Path, app_id: str) -> None:
    """A revisit belongs to the replica owning its feed's registry partition: the two topics must match."""
    config = write_config(tmp_path, app_id, kafka={"partitions": 2, "create_topics": False})
    created = run_cli("topics", "create", "--config", str(config))
    assert created.returncode == 0, created.stderr[-2000:]
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        admin.create_partitions({f"{app_id}.revisits": NewPartitions(total_count=3)})
    finally:
        admin.close()
    poller = run_cli("poll", "--once", "--config", str(config))
    assert poller.returncode == 3, poller.stderr[-2000:]
    assert f"{app_id}.revisits has 3 partitions and {app_id}.feeds 2" in poller.stderr


def test_a_round_takes_a_few_revisits_of_one_host_and_leaves_the_rest_due(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host's requests are spaced: a round must not hold the feeds up behind one host's backlog."""
    monkeypatch.setattr(revisiter, "PER_HOST_PER_ROUND", 3)
    harness.poll("desk")
    harness.clock.advance(61)
    assert [harness.poller.revisit_due() for _ in range(3)] == [3, 1, 0]
    assert {revisit.step for revisit in pending(harness).values()} == {1}

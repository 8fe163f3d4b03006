"""Scale-out on one machine: 2 pollers and 2 processors in their consumer groups, on topics of 6 partitions.

Feeds live on several hosts (127.0.0.1 .. 127.0.0.N, each its own server): pollers share them by the partition of
their host. The run goes in three phases of new entries; after the second, one poller (SIGTERM) and one processor
(kill -9) stop, and the survivors must take over their feeds and partitions. At the end every article is on the
articles topic exactly once, and the decisions (story ids, versions, languages) are those of a single process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.demo import SiteServer
from tests.integration.support import http_get, log_events, read_topic, run_cli, topics, wait_until, write_config

from .conftest import Worker, committed_count, exactly_once, provision, record_result
from .corpus import page

HOSTS = 8
ENTRIES_PER_PHASE = 5
PHASES = 3


def write_feed(root: Path, host: int, entries: int) -> None:
    """The feed of `host` listing its first `entries` stories (newest first), each with its own page."""
    items = []
    for index in reversed(range(entries)):
        number = host * 1000 + index
        _, title, html = page(number)
        (root / f"story-{number}.html").write_text(html, encoding="utf-8")
        items.append(
            f"<item><title>{title}</title><link>@BASE_URL@/story-{number}.html</link>"
            f"<guid isPermaLink='false'>story-{number}</guid></item>"
        )
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Host feed</title><link>@BASE_URL@/</link>"
        f"<description>host {host}</description>{''.join(items)}</channel></rss>"
    )
    staged = root / "feed.xml.tmp"
    staged.write_text(feed, encoding="utf-8")
    staged.replace(root / "feed.xml")  # atomic: a poll never reads half a feed


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[list[SiteServer]]:
    servers = []
    for host in range(1, HOSTS + 1):
        root = tmp_path / f"host-{host}"
        root.mkdir()
        write_feed(root, host, 0)
        servers.append(SiteServer(root, host=f"127.0.0.{host}").start())
    yield servers
    for server in servers:
        server.close()


def config_for(tmp_path: Path, app_id: str, sites: list[SiteServer]) -> Path:
    path = write_config(
        tmp_path,
        app_id,
        kafka={"partitions": 6},
        http={"allow_hosts": [site.base_url.removeprefix("http://") for site in sites]},
        # A fixed one-second schedule: the phases below must be polled at once, not when the feed has a rhythm.
        poller={"idle_sleep_s": 0.2, "adaptive": False},
    )
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["feeds"] = [
        {"name": f"host-{i}", "url": f"{site.base_url}/feed.xml", "interval_s": 1} for i, site in enumerate(sites, 1)
    ]
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def events(worker: Worker, message: str) -> list[dict[str, Any]]:
    return [event for event in log_events(worker.log.read_text()) if event.get("event") == message]


def ready(worker: Worker) -> bool:
    served = events(worker, "serving /metrics /healthz /readyz")
    return bool(served) and http_get(f"http://127.0.0.1:{served[0]['port']}/readyz")[0] == 200


def owned_partitions(worker: Worker) -> set[int]:
    assigned = events(worker, "feed partitions reassigned")
    return set(assigned[-1]["owned"]) if assigned else set()


def decisions(topic: str) -> dict[str, tuple[int, str, str]]:
    articles = [json.loads(record.value) for record in read_topic(topic, timeout_s=120)]
    return {a["story_id"]: (a["version"], a["language"], a["content_hash"]) for a in articles}


def test_two_pollers_and_two_processors_share_the_work_and_hand_it_over(
    tmp_path: Path, app_id: str, sites: list[SiteServer], workers: list[Worker]
) -> None:
    config = config_for(tmp_path, app_id, sites)
    provision(config)
    articles_topic = topics(app_id)["articles"]

    def start(role: str, name: str) -> Worker:
        worker = Worker.start(tmp_path, role, "--config", str(config), env={"NEWS_INGEST_INSTANCE_ID": name})
        workers.append(worker)
        return worker

    pollers = [start("poll", "poller-a"), start("poll", "poller-b")]
    processors = [start("process", "processor-a"), start("process", "processor-b")]

    def balanced() -> bool:
        owned = [owned_partitions(p) for p in pollers]
        return all(owned) and set.union(*owned) == set(range(6))

    wait_until(balanced, 120, "both pollers holding feed partitions")
    # Processors too: ready means holding partitions of the raw topic (a slow start would leave one idle).
    wait_until(lambda: all(ready(p) for p in processors), 120, "both processors holding raw partitions")
    polled_before: list[int] = [len(events(p, "feed polled")) for p in pollers]

    for phase in range(1, PHASES + 1):
        for host, site in enumerate(sites, start=1):
            write_feed(site.root, host, phase * ENTRIES_PER_PHASE)
        expected = HOSTS * ENTRIES_PER_PHASE * phase
        wait_until(lambda e=expected: committed_count(articles_topic) >= e, 180, f"phase {phase} published")
        if phase == 1:
            # The load is shared: each poller polled only its own hosts, each processor published some articles.
            feeds_of = [
                {e["feed"] for e in events(p, "feed polled")[n:]} for p, n in zip(pollers, polled_before, strict=True)
            ]
            assert all(feeds_of) and not feeds_of[0] & feeds_of[1], feeds_of
            assert all(events(p, "documents extracted") for p in processors)
        if phase == 2:
            stopped_poller_feeds = {e["feed"] for e in events(pollers[0], "feed polled")}
            assert pollers[0].stop() == 0
            processors[0].kill()
            handed_over = len(events(pollers[1], "feed polled"))

    taken_over = {e["feed"] for e in events(pollers[1], "feed polled")[handed_over:]}
    assert stopped_poller_feeds <= taken_over, (stopped_poller_feeds, taken_over)
    figures = exactly_once(articles_topic, HOSTS * ENTRIES_PER_PHASE * PHASES)

    # The same decisions as one process doing all the work from the same feeds.
    single = config_for(tmp_path, f"{app_id}-single", sites)
    provision(single)
    alone = run_cli("run", "--once", "--config", str(single), timeout=300)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert decisions(articles_topic) == decisions(topics(f"{app_id}-single")["articles"])
    record_result("scale-out 2+2, one of each stopped", **figures)

"""Revisits under faults: a poller killed (-9) while it revisits, and two pollers sharing revisits by host.

Every page is served once as it was, then changed: each page must come back exactly once more
on the raw topic (its revision found by a revisit), however often the poller is killed; and with two pollers,
each page is revisited by the replica that owns its feed's host.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ingest.demo import SiteServer
from ingest.feed_registry import host_partition
from tests.integration.support import (
    log_events,
    pending_revisits,
    read_topic,
    topics,
    wait_until,
    write_config,
)

from .conftest import SCALE, Worker, high_watermark, provision, record_result
from .corpus import page

REVISITS = {"schedule": ["2s", "4s", "8s"], "max_per_host_per_hour": 100_000}


def site_with_changing_pages(root: Path, first: int, entries: int, *, listed: bool = True) -> Path:
    """A feed of `entries` stories, each page with a later version beside it (`X.next`); `listed`: the feed lists
    them (else it is empty until `list_stories`)."""
    root.mkdir(parents=True)
    for number in range(first, first + entries):
        _, _, html = page(number)
        (root / f"story-{number}.html").write_text(html, encoding="utf-8")
        later = html.replace("</article>", f"<p>Updated: a paragraph added to story {number} after its release.</p>")
        (root / f"story-{number}.html.next").write_text(later, encoding="utf-8")
    list_stories(root, first, entries if listed else 0)
    return root


def list_stories(root: Path, first: int, entries: int) -> None:
    items = "".join(
        f"<item><title>{page(number)[1]}</title><link>@BASE_URL@/story-{number}.html</link>"
        f"<guid isPermaLink='false'>story-{number}</guid></item>"
        for number in range(first, first + entries)
    )
    staged = root / "feed.xml.tmp"
    staged.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Changing</title><link>@BASE_URL@/</link>"
        f"<description>pages change</description>{items}</channel></rss>",
        encoding="utf-8",
    )
    staged.replace(root / "feed.xml")  # atomic: a poll never reads half a feed


def raw_versions(app_id: str) -> Counter[tuple[str, bool]]:
    """(entry id, is the changed page) -> documents on the raw topic."""
    return Counter(
        (document["entry"]["id"], "Updated: a paragraph added" in document["html"])
        for document in (json.loads(r.value) for r in read_topic(topics(app_id)["raw"], timeout_s=120))
    )


def test_a_poller_killed_while_revisiting_loses_and_doubles_no_revision(
    tmp_path: Path, app_id: str, workers: list[Worker]
) -> None:
    entries = max(30, SCALE.articles // 7)
    # Each page is served as it was once (the first poll), and changed from then on: whenever the first revisit
    # of a page comes, it finds the change (waiting to change the site by hand raced the earliest revisits).
    site = SiteServer(site_with_changing_pages(tmp_path / "site", 0, entries), auto_advance=True).start()
    try:
        # Spaced requests, so that the kills fall in the middle of a round of revisits.
        config = write_config(
            tmp_path,
            app_id,
            site,
            [("changing", "/feed.xml", None)],
            revisits=REVISITS,
            poller={"host_interval_s": 0.2},
        )
        provision(config)
        raw = topics(app_id)["raw"]
        worker = Worker.start(tmp_path, "poll", "--config", str(config))
        workers.append(worker)
        wait_until(lambda: len(read_topic(raw)) >= entries, 120, "the first poll's documents")
        progress = high_watermark(raw)
        rng = random.Random(11)
        for _ in range(SCALE.kills):
            before = progress()
            target = before + rng.randint(1, max(2, entries // (SCALE.kills * 2)))
            wait_until(
                lambda t=target, w=worker: progress() >= t or w.process.poll() is not None, 120, "revisit progress"
            )
            worker.kill()
            worker = Worker.start(tmp_path, "poll", "--config", str(config))
            workers.append(worker)
        wait_until(lambda: not pending_revisits(app_id), 180, "every revisit schedule ended")
        assert worker.stop() == 0
    finally:
        site.close()
    counts = raw_versions(app_id)
    ids = [f"story-{n}" for n in range(entries)]
    figures = {
        "pages": entries,
        "revisions_found": sum(1 for i in ids if counts[(i, True)] >= 1),
        "lost": sum(1 for i in ids if counts[(i, True)] == 0),
        "duplicated": sum(max(0, counts[(i, True)] - 1) + max(0, counts[(i, False)] - 1) for i in ids),
    }
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    record_result("poller kill -9 while revisiting", faults=SCALE.kills, **figures)


HOSTS = 4  # on 2 partitions: 127.0.0.1 and .3 on one, .2 and .4 on the other (murmur2 of the host name)
PER_HOST = 5


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[list[SiteServer]]:
    """One site per loopback host, each page served once as it was and changed from then on."""
    servers = [
        SiteServer(
            site_with_changing_pages(tmp_path / f"host-{h}", h * 1000, PER_HOST, listed=False),
            host=f"127.0.0.{h}",
            auto_advance=True,
        ).start()
        for h in range(1, HOSTS + 1)
    ]
    yield servers
    for server in servers:
        server.close()


def test_two_pollers_share_revisits_by_host(
    tmp_path: Path, app_id: str, sites: list[SiteServer], workers: list[Worker]
) -> None:
    config = write_config(
        tmp_path,
        app_id,
        kafka={"partitions": 2},
        http={"allow_hosts": [site.base_url.removeprefix("http://") for site in sites]},
        # Feeds polled every second (as in the scale-out test), so the stories listed below are seen at once.
        poller={"idle_sleep_s": 0.2, "adaptive": False},
        revisits={"schedule": ["5s", "10s"]},
    )
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["feeds"] = [
        {"name": f"host-{h}", "url": f"{site.base_url}/feed.xml", "interval_s": 1} for h, site in enumerate(sites, 1)
    ]
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    provision(config)
    pollers = [
        Worker.start(tmp_path, "poll", "--config", str(config), env={"NEWS_INGEST_INSTANCE_ID": name})
        for name in ("poller-a", "poller-b")
    ]
    workers.extend(pollers)

    def owned(worker: Worker) -> set[int]:
        assigned = [e for e in log_events(worker.log.read_text()) if e.get("event") == "feed partitions reassigned"]
        return set(assigned[-1]["owned"]) if assigned else set()

    # A group of two can take a while to settle on a loaded machine (the scale-out test allows as long).
    wait_until(lambda: all(len(owned(p)) == 1 for p in pollers), 120, "one partition for each poller")
    # Only then the stories: each feed is polled, and its pages revisited, by the owner of its host's partition.
    for h, site in enumerate(sites, 1):
        list_stories(site.root, h * 1000, PER_HOST)
    wait_until(lambda: len(read_topic(topics(app_id)["raw"])) >= 2 * HOSTS * PER_HOST, 180, "every page revised")
    wait_until(lambda: not pending_revisits(app_id), 120, "every revisit schedule ended")
    # What each owned while it revisited: once the first one stops, the other may take its partition over.
    owned_while_revisiting = [owned(poller) for poller in pollers]
    for poller in pollers:
        assert poller.stop() == 0

    def changed_by(worker: Worker) -> set[str]:
        events = log_events(worker.log.read_text())
        return {
            e["url"].split("/")[2]
            for e in events
            if e.get("event") == "revisit found the page changed; published for processing"
        }

    hosts_a, hosts_b = changed_by(pollers[0]), changed_by(pollers[1])
    assert hosts_a and hosts_b, "both replicas revisit"
    assert not hosts_a & hosts_b, "a host's pages are revisited by one replica"
    assert hosts_a | hosts_b == {site.base_url.removeprefix("http://") for site in sites}
    for partitions, hosts in zip(owned_while_revisiting, (hosts_a, hosts_b), strict=True):
        assert {host_partition(f"http://{host}/", 2) for host in hosts} == partitions, "by its feed host's partition"
    counts = raw_versions(app_id)
    assert all(counts[(f"story-{h * 1000 + n}", True)] == 1 for h in range(1, HOSTS + 1) for n in range(PER_HOST))

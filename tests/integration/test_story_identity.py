"""Story identity end to end: the fixture stories published by eight sites, polled and processed round by round.

Each site is its own loopback host (127.0.0.2 .. 127.0.0.9), so "the same site" means what it means in
production. Every round is a separate `news-ingest run --once`: the dedupe state of one round is restored from
its changelog topic by the next process, so each decision across rounds is also a decision after a restart.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ingest.demo import SiteServer
from tests.story_cases import Case, cases, mismatches

from .support import read_topic, run_cli, topics, write_config

SITES = sorted({case.site for case in cases()})


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[dict[str, SiteServer]]:
    servers = {}
    for number, site in enumerate(SITES, start=2):
        root = tmp_path / site
        root.mkdir()
        (root / "feed.xml").write_text(feed([]), encoding="utf-8")
        servers[site] = SiteServer(root, host=f"127.0.0.{number}").start()
    yield servers
    for server in servers.values():
        server.close()


def feed(published: list[Case]) -> str:
    """The site's RSS feed: one item per page, the latest version of each; pubDate changes with every version."""
    latest = {case.path: case for case in published}
    items = "".join(
        f"<item><title>{html.escape(case.text()[0])}</title><link>@BASE_URL@{case.path}.html</link>"
        f"<guid isPermaLink='false'>{case.guid}</guid>"
        f"<pubDate>Tue, 13 Sep 2022 {6 + case.number // 6:02d}:{case.number % 6 * 10:02d}:00 GMT</pubDate></item>"
        for case in latest.values()
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>site</title>"
        f"<link>@BASE_URL@/</link><description>d</description>{items}</channel></rss>"
    )


def publish(case: Case, server: SiteServer) -> None:
    page = server.root / f"{case.path.lstrip('/')}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(case.html(url=f"{server.base_url}{case.path}.html"), encoding="utf-8")


def test_each_case_is_decided_as_labelled_across_rounds(
    tmp_path: Path, app_id: str, sites: dict[str, SiteServer]
) -> None:
    config = write_config(
        tmp_path, app_id, http={"allow_hosts": [s.base_url.removeprefix("http://") for s in sites.values()]}
    )
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["feeds"] = [
        {"name": site, "url": f"{server.base_url}/feed.xml", "interval_s": 60} for site, server in sites.items()
    ]
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    published: dict[str, list[Case]] = {site: [] for site in sites}
    results: list[tuple[Case, dict[str, object] | None]] = []
    seen: set[tuple[int, int]] = set()
    for round_number in sorted({case.round for case in cases()}):
        batch = [case for case in cases() if case.round == round_number]
        for case in batch:
            publish(case, sites[case.site])
            published[case.site].append(case)
        for site, server in sites.items():
            (server.root / "feed.xml").write_text(feed(published[site]), encoding="utf-8")
        done = run_cli("run", "--once", "--config", str(config), timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        records = read_topic(topics(app_id)["articles"])
        articles = [json.loads(r.value) for r in records if (r.partition, r.offset) not in seen]
        seen.update((r.partition, r.offset) for r in records)
        by_url = {article["url"]: article for article in articles}
        assert len(by_url) == len(articles), "one article per page and round"
        for case in batch:
            results.append((case, by_url.pop(f"{sites[case.site].base_url}{case.path}.html", None)))
        assert by_url == {}, f"articles of other rounds' pages in round {round_number}: {sorted(by_url)}"
    results.sort(key=lambda result: result[0].number)
    assert mismatches(results) == []
    # The compacted view holds the latest version of each story.
    latest = {r.key.decode(): json.loads(r.value)["version"] for r in read_topic(topics(app_id)["latest"])}
    versions = {a["story_id"]: a["version"] for _, a in results if a is not None}
    assert {story: latest[story] for story in versions} == versions

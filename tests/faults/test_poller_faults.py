"""A poller killed in the middle of a cycle: after restarts every entry is published exactly once."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from ingest.demo import SiteServer
from tests.integration.support import read_topic, run_cli, topics, wait_until, write_config

from .conftest import SCALE, Worker, high_watermark, provision, record_result
from .corpus import page


def big_site(root: Path, entries: int) -> Path:
    """A feed of `entries` items, each pointing at its own page (so a poll cycle has real work to be cut in)."""
    (root / "pages").mkdir(parents=True)
    (root / "feeds").mkdir()
    items = []
    for number in range(entries):
        _, title, html = page(number)
        (root / "pages" / f"story-{number}.html").write_text(html, encoding="utf-8")
        items.append(
            f"<item><title>{title}</title><link>@BASE_URL@/pages/story-{number}.html</link>"
            f"<guid isPermaLink='false'>story-{number}</guid></item>"
        )
    (root / "feeds" / "big.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Big</title><link>@BASE_URL@/</link>"
        f"<description>many</description>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return root


def test_poller_killed_mid_cycle(tmp_path: Path, app_id: str, workers: list[Worker]) -> None:
    entries = SCALE.articles
    site = SiteServer(big_site(tmp_path / "site", entries)).start()
    try:
        config = write_config(tmp_path, app_id, site, [("big", "/feeds/big.xml", None)])
        provision(config)
        raw_topic = topics(app_id)["raw"]
        progress = high_watermark(raw_topic)
        rng = random.Random(7)
        for _ in range(SCALE.kills):
            before = progress()
            worker = Worker.start(tmp_path, "poll", "--config", str(config))
            workers.append(worker)
            target = before + rng.randint(1, max(2, entries // (SCALE.kills * 2)))
            wait_until(
                lambda t=target, w=worker: progress() >= t or w.process.poll() is not None, 120, "poller progress"
            )
            worker.kill()
        final = run_cli("poll", "--once", "--config", str(config), timeout=300)
        assert final.returncode == 0, final.stderr[-3000:]
    finally:
        site.close()
    ids = Counter(json.loads(record.value)["entry"]["id"] for record in read_topic(raw_topic, timeout_s=120))
    figures = {
        "sent": entries,
        "received": sum(ids.values()),
        "distinct": len(ids),
        "lost": entries - len(ids),
        "duplicated": sum(count - 1 for count in ids.values()),
    }
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    record_result("poller kill -9 mid-cycle", faults=SCALE.kills, **figures)

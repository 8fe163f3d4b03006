"""Demo feeds -> poller -> raw topic -> processor -> articles topic, with the real CLI and the real broker."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.demo import SiteServer

from .support import DEMO_FEEDS, log_events, read_topic, run_cli, topics, validate, write_config

SEED_NOTE = "Diperbarui pada pukul 12 siang tanggal 13 September untuk menambahkan pengumuman gencatan senjata Rusia."


def test_feeds_in_articles_out_then_nothing_new_then_revisions(
    tmp_path: Path, app_id: str, demo_server: SiteServer
) -> None:
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS)
    names = topics(app_id)

    first = run_cli("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    records = read_topic(names["articles"])
    articles = validate(records, "article")
    assert len(articles) == 9
    assert [r.key.decode() for r in records] == [a["story_id"] for a in articles]
    assert {a["version"] for a in articles} == {1}
    assert len({a["story_id"] for a in articles}) == 9
    by_title = {a["title"]: a for a in articles}
    assert {a["language"] for a in articles} == {"id", "en", "fr", "de", "es", "ms"}
    assert by_title["Armenia dan Azerbaijan bentrok di perbatasan, puluhan tewas"]["language"] == "id"
    assert by_title["RM1.5 bilion untuk baiki sekolah daif tahun depan"]["language"] == "ms"
    uk = by_title["UK economy grows less than expected in July"]
    assert uk["text"].startswith("LONDON (Reuters) - Britain's economy grew less than expected in July")
    assert uk["published_at"] == "2022-09-12T07:00:00Z"
    assert uk["feed"] == {"name": "world-wire", "url": demo_server.base_url + "/feeds/world-wire.atom"}
    bank = by_title["Bank Indonesia naikkan suku bunga untuk kedua kalinya"]
    assert bank["url"] == demo_server.base_url + "/news/bi-naikkan-suku-bunga.html?utm_source=rss&utm_medium=feed"
    # Wire credits: datelines "(AFP) -", bylines, and the seed's closing "AFP melaporkan."
    assert {title: a["agency"] for title, a in by_title.items()} == {
        "Armenia dan Azerbaijan bentrok di perbatasan, puluhan tewas": "AFP",
        "Bank Indonesia naikkan suku bunga untuk kedua kalinya": "Reuters",
        "Armenia and Azerbaijan trade blame over deadly border clashes": "AFP",
        "UK economy grows less than expected in July": "Reuters",
        "La France présente son plan de sobriété énergétique": "AFP",
        "Bundesregierung beschließt drittes Entlastungspaket": "dpa",
        "España limita la temperatura en comercios y edificios públicos": "EFE",
        "RM1.5 bilion untuk baiki sekolah daif tahun depan": "Bernama",
        "L'Ukraine dit avoir repris plus de 3 000 km² dans la région de Kharkiv": "AFP",
    }
    assert read_topic(names["dlq"]) == []
    validate(read_topic(names["raw"]), "raw-document")
    assert all(line["level"] in {"INFO", "WARNING"} for line in log_events(first.stderr))

    # Unchanged feeds: conditional GET answers 304 and nothing new is published.
    second = run_cli("run", "--once", "--config", str(config))
    assert second.returncode == 0, second.stderr[-3000:]
    outcomes = [e["outcome"] for e in log_events(second.stderr) if e["event"] == "feed polled"]
    assert outcomes == ["not_modified"] * 4
    assert len(read_topic(names["articles"])) == 9

    # The site publishes updates: each story comes back as version 2 of the same story, never as a new story.
    # (The Kharkiv page changes too, behind an unchanged feed entry: only a revisit sees that, test_revisits.py.)
    demo_server.advance()
    third = run_cli("run", "--once", "--config", str(config))
    assert third.returncode == 0, third.stderr[-3000:]
    seen = {(r.partition, r.offset) for r in records}
    revisions = validate([r for r in read_topic(names["articles"]) if (r.partition, r.offset) not in seen], "article")
    assert len(revisions) == 2
    first_versions = {a["story_id"]: a for a in articles}
    for revision in revisions:
        original = first_versions[revision["story_id"]]
        assert revision["version"] == 2
        assert revision["revision_of"] == f"{revision['story_id']}-v1"
        assert revision["first_seen_at"] == original["first_seen_at"]
        assert revision["content_hash"] != original["content_hash"]
    # The compacted view holds the latest version of every story, keyed by story_id.
    latest: dict[str, dict[str, object]] = {}
    for record in read_topic(names["latest"]):
        latest[record.key.decode()] = json.loads(record.value)
    assert {story: version["version"] for story, version in latest.items()} == {
        a["story_id"]: 2 if a["story_id"] in {r["story_id"] for r in revisions} else 1 for a in articles
    }
    seed = next(r for r in revisions if r["update_note"] == SEED_NOTE)
    assert seed["text"].startswith("Rusia mengatakan pada hari Selasa"), "the note is not article text"
    assert seed["updated_at"] == "2022-09-13T05:00:00Z"  # the page's article:modified_time, 12:00 WIB
    assert seed["language"] == "id"
    assert seed["agency"] == "AFP"
    english = next(r for r in revisions if r["story_id"] != seed["story_id"])
    assert english["update_note"] == "Updated at noon on 13 September to add Russia's ceasefire announcement."
    assert seed["title"] == "Rusia umumkan gencatan senjata Armenia-Azerbaijan setelah bentrokan perbatasan"

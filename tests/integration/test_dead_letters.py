"""What cannot become an article ends on the dead-letter topic with its reason, and the worker carries on."""

from __future__ import annotations

import base64
from pathlib import Path

from kafka import KafkaProducer

from ingest.config import load_settings
from ingest.demo import SiteServer
from ingest.kafka import ensure_topics
from tests.faults.corpus import publish_corpus

from .support import BOOTSTRAP, log_events, read_topic, run_cli, topics, validate, write_config


def test_each_failure_is_one_dead_letter_with_its_reason(
    tmp_path: Path, app_id: str, fixture_server: SiteServer
) -> None:
    feeds = [
        ("troubled", "/feeds/troubled.xml", None),
        ("login-page", "/feeds/login.html", None),
        ("laughs", "/feeds/billion-laughs.xml", None),
    ]
    config = write_config(tmp_path, app_id, fixture_server, feeds)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr[-3000:]

    letters = validate(read_topic(topics(app_id)["dlq"]), "dead-letter")
    by_url = {letter["source_url"].removeprefix(fixture_server.base_url): letter for letter in letters}
    assert {path: (letter["stage"], letter["reason"]) for path, letter in by_url.items()} == {
        "/pages/deleted-story.html": ("fetch", "HttpStatusError"),
        "/pages/annual-report.pdf": ("extract", "NotHtml"),
        "/pages/search.html": ("extract", "EmptyText"),
        "/feeds/login.html": ("parse", "FeedParseError"),
        "/pages/x-laughs": ("fetch", "HttpStatusError"),  # its DTD dropped, the feed is read: nothing expanded
    }
    assert '"title":"&lol3;"' in by_url["/pages/x-laughs"]["payload"]
    pdf = by_url["/pages/annual-report.pdf"]
    assert pdf["payload_encoding"] == "utf-8" and '"source":"page"' in pdf["payload"]
    assert all(letter["feed"]["name"] in {"troubled", "login-page", "laughs"} for letter in letters)

    assert read_topic(topics(app_id)["articles"]) == []
    events = log_events(result.stderr)
    logged = [(e["event"], e.get("reason")) for e in events if e["event"] in {"dead-lettered", "feed poll failed"}]
    assert ("dead-lettered", "NotHtml") in logged
    assert ("feed poll failed", "FeedParseError") in logged


def test_poison_records_are_dead_lettered_and_the_partition_moves_on(tmp_path: Path, app_id: str) -> None:
    config = write_config(tmp_path, app_id, kafka={"partitions": 1})
    ensure_topics(load_settings(config))  # one partition: the good records wait behind the poison
    names = topics(app_id)
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    producer.send(names["raw"], key=b"poison-1", value=b"\xff\xfe not json at all")
    producer.send(names["raw"], key=b"poison-2", value=b'{"schema_version": 1, "feed": "wrong shape"}')
    producer.flush()
    producer.close()
    publish_corpus(BOOTSTRAP, names["raw"], 3)  # behind the poison, on the same single partition

    result = run_cli("process", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    records = read_topic(names["dlq"])
    letters = dict(zip((r.key for r in records), validate(records, "dead-letter"), strict=True))
    assert {(letter["stage"], letter["reason"]) for letter in letters.values()} == {("decode", "BadRecord")}
    not_utf8, wrong_shape = letters[b"poison-1"], letters[b"poison-2"]
    assert not_utf8["payload_encoding"] == "base64"
    assert base64.b64decode(not_utf8["payload"]) == b"\xff\xfe not json at all"
    assert wrong_shape["payload_encoding"] == "utf-8" and "wrong shape" in wrong_shape["payload"]
    assert len(read_topic(names["articles"])) == 3

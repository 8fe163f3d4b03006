"""What cannot become an article ends on the dead-letter topic with its reason, and the worker carries on."""

from __future__ import annotations

import base64
from pathlib import Path

from ingest.demo import SiteServer

from .support import log_events, read_topic, run_cli, topics, validate, write_config


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
        "/feeds/billion-laughs.xml": ("parse", "FeedParseError"),
    }
    assert "entities" in by_url["/feeds/billion-laughs.xml"]["detail"]
    assert b"<!ENTITY lol" in by_url["/feeds/billion-laughs.xml"]["payload"].encode()
    pdf = by_url["/pages/annual-report.pdf"]
    assert pdf["payload_encoding"] == "utf-8" and '"source":"page"' in pdf["payload"]
    assert all(letter["feed"]["name"] in {"troubled", "login-page", "laughs"} for letter in letters)
    assert base64  # payloads that are not UTF-8 are base64; covered by the unit tests of DeadLetter.of

    assert read_topic(topics(app_id)["articles"]) == []
    events = log_events(result.stderr)
    logged = [(e["event"], e.get("reason")) for e in events if e["event"] in {"dead-lettered", "feed poll failed"}]
    assert ("dead-lettered", "NotHtml") in logged
    assert ("feed poll failed", "FeedParseError") in logged

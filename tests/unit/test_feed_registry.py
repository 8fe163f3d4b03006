"""Registry records and the merged feed list; OPML written as feed readers read it."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ingest.config import FeedSettings
from ingest.feed_registry import decode, merged
from ingest.opml import read_opml, write_opml


def feed(name: str, url: str, **extra: object) -> FeedSettings:
    return FeedSettings.model_validate({"name": name, "url": url, **extra})


def test_registry_feeds_add_to_the_config_and_replace_one_of_the_same_url() -> None:
    config = [feed("a", "https://a.example/rss"), feed("b", "https://b.example/rss", interval_s=60)]
    registry = [feed("b2", "https://b.example/rss", interval_s=600), feed("c", "https://c.example/rss")]
    result = {f.url: (f.name, f.interval_s) for f in merged(config, registry)}
    assert result == {
        "https://a.example/rss": ("a", 300.0),
        "https://b.example/rss": ("b2", 600.0),
        "https://c.example/rss": ("c", 300.0),
    }


def test_tombstones_and_bad_records_decode_to_nothing() -> None:
    assert decode(None) is None
    assert decode(b"not json") is None
    assert decode(json.dumps({"name": "x", "url": "file:///etc/passwd"}).encode()) is None
    assert decode(feed("a", "https://a.example/rss").model_dump_json().encode()) == feed("a", "https://a.example/rss")


@given(st.binary(max_size=200))
def test_no_record_makes_decode_raise(value: bytes) -> None:
    decode(value)


def test_opml_round_trip(tmp_path: Path) -> None:
    feeds = [
        {"name": "Kabar & Dunia", "url": "https://kabar.example/rss?x=1&y=2", "language": "id"},
        {"name": "Wire", "url": "https://wire.example/atom", "language": None},
    ]
    path = tmp_path / "feeds.opml"
    path.write_text(write_opml(feeds), encoding="utf-8")
    assert read_opml(path) == feeds

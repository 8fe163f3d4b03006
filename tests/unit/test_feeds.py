from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.feeds import FeedParseError, parse_feed


def parse(path: Path) -> object:
    return parse_feed(path.read_bytes(), url="http://example.org/feed", content_type=None, declared_language=None)


def test_rss2_with_full_text_content(demo_site: Path) -> None:
    body = (demo_site / "feeds" / "euro-desk.xml").read_bytes()
    feed = parse_feed(body, url="http://x/feed", content_type="application/rss+xml", declared_language=None)
    assert [e.entry.id for e in feed.entries] == [
        "eurodesk-fr-sobriete",
        "eurodesk-de-entlastung",
        "eurodesk-es-ahorro",
    ]
    assert all(e.content_text_length() > 1000 for e in feed.entries)
    assert feed.entries[0].entry.published_at is not None
    assert feed.entries[0].entry.published_at.isoformat() == "2022-10-06T08:00:00+00:00"


def test_atom_entries_have_ids_dates_authors_and_the_feed_language(demo_site: Path) -> None:
    body = (demo_site / "feeds" / "world-wire.atom").read_bytes()
    feed = parse_feed(body, url="http://x/feed", content_type=None, declared_language=None)
    first = feed.entries[0].entry
    assert first.id == "tag:worldwire.example,2022:armenia-azerbaijan-clashes"
    assert first.authors == ["AFP"]
    assert first.language == "en"
    assert feed.entries[0].content_html is None


def test_rss1_rdf(fixtures: Path) -> None:
    feed = parse_feed(
        (fixtures / "feeds" / "rdf-rss1.xml").read_bytes(), url="http://x", content_type=None, declared_language=None
    )
    (only,) = feed.entries
    assert only.entry.url == "http://example.org/nl/kabinet"
    assert only.entry.language == "nl"


def test_configured_language_wins_over_the_feed_declaration(demo_site: Path) -> None:
    body = (demo_site / "feeds" / "kabar-dunia.xml").read_bytes()
    feed = parse_feed(body, url="http://x", content_type=None, declared_language="ms")
    assert {e.entry.language for e in feed.entries} == {"ms"}


def test_duplicate_guids_impossible_dates_and_anonymous_entries(fixtures: Path) -> None:
    feed = parse_feed(
        (fixtures / "feeds" / "duplicate-guids.xml").read_bytes(),
        url="http://x",
        content_type=None,
        declared_language=None,
    )
    assert [(e.entry.id, e.entry.title) for e in feed.entries] == [("same-guid", "First"), ("third", "Third")]
    assert feed.entries[1].entry.published_at is None


def test_fingerprint_changes_with_the_entry(demo_site: Path) -> None:
    before = parse(demo_site / "feeds" / "world-wire.atom").entries  # type: ignore[attr-defined]
    after = parse(demo_site / "feeds" / "world-wire.atom.next").entries  # type: ignore[attr-defined]
    assert before[0].fingerprint != after[0].fingerprint
    assert before[1].fingerprint == after[1].fingerprint


def test_entity_declarations_are_refused_before_parsing(fixtures: Path) -> None:
    with pytest.raises(FeedParseError, match="entities"):
        parse(fixtures / "feeds" / "billion-laughs.xml")


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe garbage", b"<html><body>login</body></html>", b"{}"])
def test_what_is_not_a_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, url="http://x", content_type=None, declared_language=None)


def test_an_html_page_is_not_a_feed(fixtures: Path) -> None:
    with pytest.raises(FeedParseError):
        parse(fixtures / "feeds" / "not-a-feed.html")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: f"<rss><channel>{t}</channel></rss>".encode()))
def test_any_bytes_give_entries_or_a_parse_error(body: bytes) -> None:
    try:
        feed = parse_feed(body, url="http://x", content_type=None, declared_language=None)
    except FeedParseError:
        return
    assert len({e.entry.id for e in feed.entries}) == len(feed.entries)

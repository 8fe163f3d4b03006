import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.feed_model import FeedParseError, ParsedFeed
from ingest.feeds import parse_feed


def parse(path: Path) -> object:
    return parse_feed(path.read_bytes(), url="http://example.org/feed", content_type=None, declared_language=None)


def test_rss2_with_full_text_content(demo_site: Path) -> None:
    body = (demo_site / "feeds" / "euro-desk.xml").read_bytes()
    feed = parse_feed(body, url="http://x/feed", content_type="application/rss+xml", declared_language=None)
    assert [e.entry.id for e in feed.entries] == [
        "eurodesk-fr-sobriete",
        "eurodesk-de-entlastung",
        "eurodesk-es-ahorro",
        "eurodesk-fr-kharkiv",
    ]
    # Three carry their full text; the last only a summary (its page is fetched).
    assert [e.content_text_length() > 1000 for e in feed.entries] == [True, True, True, False]
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
    assert [(e.entry.id, e.entry.title) for e in feed.entries][:2] == [("same-guid", "First"), ("third", "Third")]
    assert feed.entries[1].entry.published_at is None
    anonymous = feed.entries[2].entry  # RSS 2.0 allows an item of a description alone: it is not dropped
    assert anonymous.id.startswith("content:") and anonymous.url is None and anonymous.summary


def test_fingerprint_changes_with_the_entry(demo_site: Path) -> None:
    before = parse(demo_site / "feeds" / "world-wire.atom").entries  # type: ignore[attr-defined]
    after = parse(demo_site / "feeds" / "world-wire.atom.next").entries  # type: ignore[attr-defined]
    assert before[0].fingerprint != after[0].fingerprint
    assert before[1].fingerprint == after[1].fingerprint


def test_entity_attacks_are_neutralised_the_dtd_dropped_nothing_expanded(fixtures: Path) -> None:
    feed = parse(fixtures / "feeds" / "billion-laughs.xml")
    assert feed.title == "&lol3;" and [item.entry.title for item in feed.entries] == ["&lol3;"]


def test_harmless_entity_declarations_and_html_names_are_read() -> None:
    declared = (
        b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY nbsp '&#160;'>]><rss version='2.0'><channel><title>A&nbsp;B"
        b"</title><item><title>caf&eacute;</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(declared, url="https://f.example/", content_type=None, declared_language=None)
    assert feed.title == "A\xa0B" and feed.entries[0].entry.title == "café"
    rdf = (
        b"<?xml version='1.0'?><!DOCTYPE rdf:RDF [<!ENTITY % HTMLlat1 PUBLIC '-//W3C//ENTITIES Latin 1 for XHTML//EN'"
        b" 'http://www.w3.org/TR/xhtml1/DTD/xhtml-lat1.ent'> %HTMLlat1;]>"
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns='http://purl.org/rss/1.0/'>"
        b"<channel rdf:about='x'><title>T&uuml;r</title></channel><item rdf:about='https://a.example/1'>"
        b"<title>&Auml;rger</title><link>https://a.example/1</link></item></rdf:RDF>"
    )
    feed = parse_feed(rdf, url="https://f.example/", content_type=None, declared_language=None)
    assert feed.title == "Tür" and feed.entries[0].entry.title == "Ärger"
    in_cdata = (
        b"<rss version='2.0'><channel><title>t</title><item><title>x</title><guid>1</guid><description>"
        b"<![CDATA[<p>Write <!ENTITY x 'y'> to declare one</p>]]></description></item></channel></rss>"
    )
    feed = parse_feed(in_cdata, url="https://f.example/", content_type=None, declared_language=None)
    assert "ENTITY" in (feed.entries[0].entry.summary or "")


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


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def parse_at(path: Path, url: str = "https://lefil.example/feed.json") -> ParsedFeed:
    return parse_feed(path.read_bytes(), url=url, content_type=None, declared_language=None, now=NOW)


def test_json_feed_1_1_items_become_entries(fixtures: Path) -> None:
    feed = parse_at(fixtures / "feeds" / "jsonfeed-1.1.json")
    assert [e.entry.id for e in feed.entries] == ["https://lefil.example/2026/11/24/greve-sncf", "42"]
    first, second = (e.entry for e in feed.entries)
    assert first.url == "https://lefil.example/2026/11/24/greve-sncf"  # relative to the feed URL
    assert first.authors == ["Claire Martin"] and first.language == "fr"
    assert first.published_at == datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 11, 24, 8, 5, tzinfo=UTC)
    assert feed.entries[0].content_html and "fortement perturbé" in feed.entries[0].content_html
    assert second.summary == "Vigilance orange"
    assert (
        feed.entries[1].content_html == "<p>Des orages sont attendus &lt;ce soir&gt; sur le Sud-Est &amp; la Corse.</p>"
    )


def test_json_feed_1_with_a_single_author(fixtures: Path) -> None:
    (only,) = parse_at(fixtures / "feeds" / "jsonfeed-1.json").entries
    assert only.entry.authors == ["Sam"] and only.content_html == "<p>Hello.</p>"


@pytest.mark.parametrize(
    "body", [b'{"version": "https://jsonfeed.org/version/9", "items": []}', b'{"items": 3}', b"{", b'{"version": 1}']
)
def test_json_that_is_not_a_json_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, url="https://x.example/", content_type=None, declared_language=None)


def test_google_news_sitemap_entries_carry_title_language_and_dates(fixtures: Path) -> None:
    feed = parse_at(fixtures / "feeds" / "news-sitemap.xml", url="https://www.antaranews.example/sitemap-news.xml")
    first, second = feed.entries
    assert first.entry.url == "https://www.antaranews.example/berita/1234/gencatan-senjata"
    assert first.entry.title == "Rusia umumkan gencatan senjata Armenia-Azerbaijan"
    assert first.entry.language == "id" and first.content_html is None
    assert first.entry.published_at == datetime(2026, 11, 24, 5, tzinfo=UTC)
    assert second.entry.updated_at == datetime(2026, 11, 24, 1, 10, tzinfo=UTC)


def test_plain_sitemap_takes_recent_dated_urls_and_lastmod_changes_the_fingerprint(fixtures: Path) -> None:
    path = fixtures / "feeds" / "plain-sitemap.xml"
    feed = parse_at(path, url="https://blog.example/sitemap.xml")
    assert [e.entry.url for e in feed.entries] == [
        "https://blog.example/2026/11/new-post",
        "https://blog.example/2026/11/updated-post",
    ]
    touched = path.read_bytes().replace(b"2026-11-24T18:00:00Z", b"2026-11-25T09:00:00Z")
    again = parse_feed(
        touched, url="https://blog.example/sitemap.xml", content_type=None, declared_language=None, now=NOW
    )
    assert feed.entries[0].fingerprint == again.entries[0].fingerprint
    assert feed.entries[1].fingerprint != again.entries[1].fingerprint  # the site says it changed: fetched again


def test_a_sitemap_index_is_refused_with_advice(fixtures: Path) -> None:
    with pytest.raises(FeedParseError, match="add its sitemaps as feeds"):
        parse_at(fixtures / "feeds" / "sitemap-index.xml")


def test_rss_091(fixtures: Path) -> None:
    (only,) = parse_at(fixtures / "feeds" / "rss091.xml", url="http://oldwire.example/rss").entries
    assert only.entry.id == "http://oldwire.example/council" and only.entry.language == "en"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_ITEM = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=10), st.integers())},
    optional={key: _JSON for key in ("url", "title", "content_html", "date_published", "authors", "language")},
)


@given(st.lists(_ITEM, max_size=5), st.sampled_from(["https://jsonfeed.org/version/1.1", "x"]))
def test_hostile_json_feeds_give_entries_or_a_parse_error(items: list[dict[str, object]], version: str) -> None:
    body = json.dumps({"version": version, "items": items}).encode()
    try:
        feed = parse_feed(body, url="http://x", content_type=None, declared_language=None)
    except FeedParseError:
        return
    assert len({e.entry.id for e in feed.entries}) == len(feed.entries)


@given(st.lists(st.tuples(st.text(max_size=40), st.text(max_size=30)), max_size=6))
def test_hostile_sitemaps_give_entries_or_a_parse_error(urls: list[tuple[str, str]]) -> None:
    from xml.sax.saxutils import escape

    body = "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>" + "".join(
        f"<url><loc>{escape(loc)}</loc><lastmod>{escape(mod)}</lastmod></url>" for loc, mod in urls
    )
    try:
        parse_feed((body + "</urlset>").encode(), url="http://x", content_type=None, declared_language=None, now=NOW)
    except FeedParseError:
        return


def test_a_dtd_past_the_first_64_kib_is_dropped_too() -> None:
    padding = b"<!-- " + b"x" * 70_000 + b" -->"
    entity = b"<!ENTITY a '" + b"A" * 10_000 + b"'>"
    body = (
        b"<?xml version='1.0'?>" + padding + b"<!DOCTYPE rss [" + entity + b"]><rss version='2.0'><channel>"
        b"<title>t</title><item><title>" + b"&a;" * 1000 + b"</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(body, url="https://feeds.example/rss", content_type=None, declared_language=None)
    assert "A" not in (feed.entries[0].entry.title or "")


def test_ids_that_are_not_urls_are_never_taken_for_pages() -> None:
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>A</title><guid>12345</guid><description>Text of A, long enough to publish.</description></item>"
        b"<item><title>B</title><guid>urn:uuid:0b7a</guid></item>"
        b"<item><title>C</title><guid isPermaLink='false'>https://a.example/c</guid></item>"
        b"<item><title>D</title><guid>https://a.example/d</guid></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, url="https://a.example/feed.xml", content_type=None, declared_language=None)
    links = {item.entry.id: item.entry.url for item in parsed.entries}
    # feedparser copies a <guid> into the link; only an absolute http(s) one that says it is a permalink is one.
    assert links == {
        "12345": None,
        "urn:uuid:0b7a": None,
        "https://a.example/c": None,
        "https://a.example/d": "https://a.example/d",
    }


def test_entries_without_id_or_link_are_known_by_their_content_and_empty_ones_are_counted() -> None:
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>Only a title and a description</title><description>Some text.</description></item>"
        b"<item><description>Another text.</description></item>"
        b"<item></item><item><category>x</category></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, url="https://a.example/feed.xml", content_type=None, declared_language=None)
    ids = [item.entry.id for item in parsed.entries]
    assert len(ids) == 2 and all(entry_id.startswith("content:") for entry_id in ids)
    again = parse_feed(body, url="https://a.example/feed.xml", content_type=None, declared_language=None)
    assert [item.entry.id for item in again.entries] == ids  # the same content, the same identity
    assert parsed.empty_entries == 2


def test_an_undeclared_encoding_is_detected_not_read_as_mojibake(fixtures: Path) -> None:
    feed = parse(fixtures / "feeds" / "koi8r-undeclared.xml")
    assert feed.title == "Новости дня"
    assert feed.entries[0].entry.title == "Как пережить новогоднюю ночь без потерь"


def test_json_feed_items_without_an_id_are_known_by_their_url() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [{"url": "https://j.example/a", "title": "A"}, {"id": "b", "url": "https://j.example/b"}],
        }
    ).encode()
    feed = parse_feed(body, url="https://j.example/feed.json", content_type=None, declared_language=None)
    assert [(item.entry.id, item.entry.url) for item in feed.entries] == [
        ("https://j.example/a", "https://j.example/a"),
        ("b", "https://j.example/b"),
    ]


def test_one_bad_json_feed_item_costs_only_itself() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "a", "url": "https://j.example/a", "date_published": "Tue, 15 Nov 2022 23:38:00 +0100"},
                {"id": {"not": "an id"}},
                {"id": "c", "url": "https://j.example/c", "date_published": "2022-11-15T23:38:00Z"},
            ],
        }
    ).encode()
    feed = parse_feed(body, url="https://j.example/feed.json", content_type=None, declared_language=None)
    assert [item.entry.id for item in feed.entries] == ["a", "c"] and feed.empty_entries == 1
    assert feed.entries[0].entry.published_at is None and feed.entries[1].entry.published_at is not None

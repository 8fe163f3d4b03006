"""Property tests: whatever bytes arrive, the parsers answer with a result or one of our errors, never anything else.

(Fetching random answers from a loopback server is in tests/integration/test_hostile_exchanges.py.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.feed_model import ParsedFeed
from ingest.feeds import parse_feed
from ingest.http import FetchResult
from ingest.pages import decode_page
from ingest.schedule import feed_hint_s, http_hint_s
from processors.errors import NewsIngestError, Rejected
from processors.extract import ExtractedArticle, extract_article
from processors.untrusted import ascii_int, clean_text, hostname, is_web_url, safe_urljoin

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FRAGMENTS = st.sampled_from(
    [
        b"<rss version='2.0'><channel>",
        b"<item>",
        b"</item>",
        b"<link>http://[x/</link>",
        b"<link>\xb2</link>",
        b"<guid>",
        b"</guid>",
        b"<ttl>\xc2\xb2</ttl>",
        b"&#xd800;",
        b"&#55296;",
        b"&#x110000;",
        b"&#0;",
        b"<![CDATA[",
        b"]]>",
        b"<!ENTITY a 'b'>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'>",
        b"<entry><id>1</id><link href='http://[x/'/></entry>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
        b'{"id": 1, "url": "http://[x/", "title": "\\ud800"}',
        b"[" * 2000,
        b"<urlset><url><loc>http://[x/</loc></url></urlset>",
        b"\x00\xff\xfe",
        b"/etc/hostname",
    ]
)
HOSTILE_BYTES = st.one_of(
    st.binary(max_size=3000), st.lists(FRAGMENTS | st.binary(max_size=40), max_size=30).map(b"".join)
)


KNOWN_TRIGGERS = [
    b"<rss version='2.0'><channel><item><title>a &#xd800; b</title><guid>1</guid></item></channel></rss>",
    b"<rss version='2.0'><channel><item><title>&#55296;&#x110000;&#0;</title><guid>2</guid></item></channel></rss>",
    b"<rss version='2.0'><channel><ttl>\xc2\xb2</ttl><item><link>http://[x/</link><guid>3</guid></item></channel></rss>",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": 1, "url": "http://[x/", "title": "\\ud800"}]}',
    b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>http://[x/</loc></url></urlset>",
    b"/etc/hostname",
    b"/dev/zero",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=HOSTILE_BYTES, content_type=st.one_of(st.none(), st.text(max_size=40)))
def test_any_feed_body_is_a_feed_or_our_error(body: bytes, content_type: str | None) -> None:
    _parse_or_our_error(body, content_type)


def test_the_triggers_found_against_the_old_main_are_a_feed_or_our_error() -> None:
    for body in KNOWN_TRIGGERS:
        _parse_or_our_error(body, "application/rss+xml")


def _parse_or_our_error(body: bytes, content_type: str | None) -> None:
    try:
        parsed = parse_feed(
            body, url="http://feeds.example/f.xml", content_type=content_type, declared_language=None, now=NOW
        )
    except NewsIngestError:
        return
    assert isinstance(parsed, ParsedFeed)
    for item in parsed.entries:  # everything in it can be serialised
        item.entry.model_dump_json().encode("utf-8")
        (item.content_html or "").encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=st.one_of(st.text(max_size=2000), HOSTILE_BYTES.map(lambda b: b.decode("latin-1"))))
def test_any_page_is_an_article_or_a_rejection(html: str) -> None:
    try:
        article = extract_article(html, url="http://news.example/a", content_type="text/html")
    except Rejected:
        return
    assert isinstance(article, ExtractedArticle)


@given(body=st.binary(max_size=500), content_type=st.text(max_size=60))
def test_any_page_bytes_decode_to_publishable_text(body: bytes, content_type: str) -> None:
    page = FetchResult("http://news.example/", 200, body, {"content-type": content_type}, 0.0)
    json.dumps(decode_page(page)).encode("utf-8")  # no lone surrogate survives


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_feed_hints_never_raise(ttl: str, period: str, frequency: str) -> None:
    hint = feed_hint_s(ttl, period, frequency)
    assert hint is None or hint >= 0


@given(st.dictionaries(st.sampled_from(["cache-control", "expires"]), st.text(max_size=60)))
def test_http_hints_never_raise(headers: dict[str, str]) -> None:
    http_hint_s(headers, NOW)


@given(st.text(max_size=60), st.text(max_size=60))
def test_url_helpers_never_raise(base: str, link: str) -> None:
    joined = safe_urljoin(base, link)
    assert joined is None or isinstance(joined, str)
    hostname(link)
    is_web_url(link)
    ascii_int(link)
    json.dumps(clean_text(link)).encode("utf-8")


def test_the_stdlib_cases_that_used_to_raise() -> None:
    assert ascii_int("\xb2") is None and ascii_int("9" * 5000) is None and ascii_int(" 42 ") == 42
    assert safe_urljoin("http://a/", "http://[x/") is None and hostname("http://[x/") == ""
    assert not is_web_url("http://[x/") and not is_web_url("file:///etc/hostname")
    assert clean_text("a\ud800b") == "a\ufffdb"


def test_a_body_that_names_a_file_is_parsed_never_opened(tmp_path: object) -> None:
    import pathlib

    secret = pathlib.Path(str(tmp_path)) / "feed.xml"
    secret.write_bytes(
        b"<rss version='2.0'><channel><item><title>from disk</title><guid>d</guid></item></channel></rss>"
    )
    try:
        parsed = parse_feed(str(secret).encode(), url="http://f.example/", content_type=None, declared_language=None)
    except NewsIngestError:
        return  # not a feed: right
    assert all(item.entry.title != "from disk" for item in parsed.entries)

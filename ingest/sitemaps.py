"""Sitemaps as sources: Google News sitemaps (`<news:news>`) and plain sitemaps with `lastmod`.

Each `<url>` is an entry whose page is fetched. Its fingerprint includes `lastmod`, so a page the site says has
changed is fetched again (and becomes a new version if its text changed). A plain sitemap can list a whole
archive: only URLs modified within `max_age_s` (two days by default: news, not archives) are taken, and URLs
without a date are skipped. A sitemap index (`<sitemapindex>`) lists sitemaps, not pages: add those as feeds.

Parsed with lxml without entities, DTDs or network access, as every document from outside.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree

from ingest.feed_model import FeedParseError, ParsedEntry, ParsedFeed, parsed_entry
from processors.language import primary_language_tag
from processors.records import FeedEntry
from processors.untrusted import is_web_url, safe_urljoin

NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
_ROOT = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(urlset|sitemapindex)[\s>]")
DEFAULT_MAX_AGE_S = 2 * 86400.0


def sitemap_kind(body: bytes) -> str | None:
    """'urlset' or 'sitemapindex' when the document's root says so (first 4 KiB), else None."""
    found = _ROOT.search(body[:4096])
    return found.group(1).decode() if found else None


def parse_sitemap(
    body: bytes, *, url: str, declared_language: str | None, now: datetime, max_age_s: float = DEFAULT_MAX_AGE_S
) -> ParsedFeed:
    if sitemap_kind(body) == "sitemapindex":
        raise FeedParseError("a sitemap index lists sitemaps, not pages: add its sitemaps as feeds")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise FeedParseError(f"not a readable sitemap: {error!s:.200}") from None
    entries: dict[str, ParsedEntry] = {}
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname != "url":
            continue
        entry = _entry(node, url, declared_language, now, max_age_s)
        if entry is not None and entry.entry.id not in entries:
            entries[entry.entry.id] = entry
    return ParsedFeed(title=None, language=declared_language, entries=list(entries.values()))


def _entry(
    node: etree._Element, sitemap_url: str, declared_language: str | None, now: datetime, max_age_s: float
) -> ParsedEntry | None:
    loc = _text(node, "loc")
    if not loc:
        return None
    link = safe_urljoin(sitemap_url, loc)
    if link is None or not is_web_url(link):
        return None
    lastmod = _date(_text(node, "lastmod"))
    news = next((child for child in node if isinstance(child.tag, str) and child.tag == f"{NEWS}news"), None)
    published = _date(news.findtext(f"{NEWS}publication_date")) if news is not None else None
    newest = max((d for d in (lastmod, published) if d), default=None)
    if news is None and (newest is None or (now - newest).total_seconds() > max_age_s):
        return None  # a plain sitemap's old or undated URL: an archive, not news
    language = None
    if news is not None:
        language = primary_language_tag(news.findtext(f"{NEWS}publication/{NEWS}language"))
    entry = FeedEntry(
        id=link,
        url=link,
        title=((news.findtext(f"{NEWS}title") if news is not None else None) or "").strip() or None,
        summary=None,
        authors=[],
        published_at=published or lastmod,
        updated_at=lastmod,
        language=language or declared_language,
    )
    return parsed_entry(entry, None, lastmod)


def _text(node: etree._Element, name: str) -> str | None:
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None


def _date(text: str | None) -> datetime | None:
    """W3C datetime (a date, or a date and time with a zone), as sitemaps write it; None if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)

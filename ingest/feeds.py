"""Feed documents (RSS, Atom, RDF, JSON Feed, sitemaps) into entries, from bytes the fetcher already holds.

feedparser never raises: it sets `bozo` and goes on with its loose parser. This module is the one place that looks
at `bozo`, and turns "nothing usable" into `FeedParseError`.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from datetime import UTC, datetime
from html.entities import name2codepoint
from typing import Any

import feedparser

from ingest.feed_model import FeedParseError, ParsedEntry, ParsedFeed, parsed_entry
from ingest.jsonfeed import looks_like_json_feed, parse_json_feed
from ingest.schedule import feed_hint_s
from ingest.sitemaps import parse_sitemap, sitemap_kind
from processors.language import primary_language_tag
from processors.records import FeedEntry
from processors.untrusted import is_web_url, safe_urljoin

# The prolog before the root element: the XML declaration, processing instructions, comments, white space.
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_NAMED_REFERENCE = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_NAMES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
# Character references; feedparser's loose parser encodes what they name and raises on a lone surrogate.
_CHAR_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _neutralised(body: bytes) -> bytes:
    """The document without its DTD, HTML named entities written as the characters they name.

    Feeds need no DTD, and a DTD is how entity attacks come (billion laughs, quadratic blowup, XXE's external
    entities); but real feeds carry harmless ones (`<!ENTITY nbsp "&#160;">`, the `%HTMLlat1;` DOCTYPE of older RDF
    feeds). So the DOCTYPE is dropped, whatever it declares (nothing is then expanded or loaded), and `&nbsp;`,
    `&eacute;` and the other HTML names become numeric references, which every XML parser reads. A reference to an
    entity only the dropped DTD declared stays unexpanded text. `<!ENTITY` inside CDATA or a comment is just text.
    """
    return _html_names_as_numbers(_without_doctype(body))


def _without_doctype(body: bytes) -> bytes:
    position = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while (item := _PROLOG_ITEM.match(body, position)) is not None:
        position = item.end()
    while position < len(body) and body[position : position + 1].isspace():
        position += 1
    if body[position : position + 9].upper() != b"<!DOCTYPE":
        return body
    return body[:position] + body[_declaration_end(body, position + 9) :]


def _declaration_end(body: bytes, position: int) -> int:
    """Where the DOCTYPE that starts before `position` ends: its `>` outside quotes and its internal subset."""
    in_subset, quote = False, 0
    while position < len(body):
        byte = body[position]
        if quote:
            quote = 0 if byte == quote else quote
        elif body.startswith(b"<!--", position):
            end = body.find(b"-->", position + 4)
            position = len(body) if end < 0 else end + 2
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            in_subset = True
        elif byte == ord("]"):
            in_subset = False
        elif byte == ord(">") and not in_subset:
            return position + 1
        position += 1
    return len(body)


def _html_names_as_numbers(body: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        code = None if name in _XML_NAMES else name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % code if code is not None else match.group(0)

    return _NAMED_REFERENCE.sub(replace, body) if b"&" in body else body


def _without_impossible_characters(body: bytes) -> bytes:
    """`body` with references to characters no text may hold (surrogates, NUL, past U+10FFFF) made U+FFFD."""

    def replace(match: re.Match[bytes]) -> bytes:
        hexadecimal, decimal = match.groups()
        code = int(hexadecimal, 16) if hexadecimal else int(decimal)
        return b"&#xfffd;" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match.group(0)

    return _CHAR_REFERENCE.sub(replace, body) if b"&#" in body else body


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    declared_language: str | None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Entries of the feed in `body`, in document order, without repeated ids (the first wins).

    RSS (0.9x, 1.0/RDF, 2.0) and Atom go through feedparser; JSON Feed and sitemaps have modules of their own.
    """
    if not isinstance(body, bytes):
        raise TypeError("parse_feed takes the document's bytes")
    body = _neutralised(body)
    if looks_like_json_feed(body):
        return parse_json_feed(body, url=url, declared_language=declared_language)
    if sitemap_kind(body):
        return parse_sitemap(body, url=url, declared_language=declared_language, now=now or datetime.now(UTC))
    # No content-location: feedparser would resolve opaque GUIDs against it, and a feed that moves (http to
    # https, a new path) would then rename every entry. Links are resolved against the feed URL below instead.
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes or a str: feedparser 6 tries open() on either first, so a body that names a file
    # ("/etc/hostname", "/dev/zero") would be read from our disk.
    document = io.BytesIO(_without_impossible_characters(body))
    parsed = feedparser.parse(document, response_headers=headers, sanitize_html=True)
    if parsed.get("bozo") and not parsed.entries:
        if parsed.feed.get("title"):
            raise FeedParseError(f"a feed with no readable entries: {parsed.get('bozo_exception')!s:.200}")
        raise FeedParseError(f"not a readable feed: {parsed.get('bozo_exception')!s:.200}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError("not a feed (no RSS, Atom or RDF root)")
    feed_language = declared_language or primary_language_tag(parsed.feed.get("language"))
    entries: dict[str, ParsedEntry] = {}
    empty = 0
    for raw in parsed.entries:
        entry = _entry(raw, url, feed_language)
        if entry is None:
            empty += 1
        elif entry.entry.id not in entries:
            entries[entry.entry.id] = entry
    hint = feed_hint_s(
        parsed.feed.get("ttl"), parsed.feed.get("sy_updateperiod"), parsed.feed.get("sy_updatefrequency")
    )
    links = {link.get("rel"): link.get("href") for link in parsed.feed.get("links") or [] if link.get("href")}
    return ParsedFeed(
        title=parsed.feed.get("title"),
        language=feed_language,
        entries=list(entries.values()),
        poll_hint_s=hint,
        hub_url=links.get("hub"),
        self_url=links.get("self"),
        empty_entries=empty,
    )


def _entry(raw: Any, feed_url: str, feed_language: str | None) -> ParsedEntry | None:
    """One entry, or None when it has nothing usable at all (counted by the caller).

    A GUID is a link only when it is an absolute http(s) URL: feedparser copies a `<guid>` into `link` unless it
    says `isPermaLink="false"`, and `<guid>12345</guid>` or `urn:uuid:...` would then become a page the feed never
    named. An entry without id or link (RSS 2.0 allows an item of a title and a description) is known by its feed
    and its content.
    """
    given = raw.get("link")
    if raw.get("guidislink") and isinstance(given, str) and not is_web_url(given.strip()):
        given = None
    link = safe_urljoin(feed_url, given) if isinstance(given, str) and given.strip() else None
    if link is not None and not is_web_url(link):
        link = None
    entry_id = (raw.get("id") or "").strip() or link
    contents = raw.get("content") or []
    if entry_id is None:
        text = [raw.get("title") or "", raw.get("summary") or "", *((item.get("value") or "") for item in contents)]
        if not "".join(text).strip():
            return None
        entry_id = "content:" + hashlib.sha256("\0".join(text).encode("utf-8", "replace")).hexdigest()[:32]
    content_html = max((item.get("value") or "" for item in contents), key=len, default="") or None
    entry = FeedEntry(
        id=entry_id,
        url=link,
        title=(raw.get("title") or "").strip() or None,
        summary=(raw.get("summary") or "").strip() or None,
        authors=[a["name"].strip() for a in raw.get("authors") or [] if (a.get("name") or "").strip()],
        published_at=_timestamp(raw.get("published_parsed")),
        # dict.get: feedparser's own get() answers published_parsed for a missing updated_parsed.
        updated_at=_timestamp(dict.get(raw, "updated_parsed")),
        language=primary_language_tag(raw.get("language")) or feed_language,
    )
    return parsed_entry(entry, content_html)


def _timestamp(parsed: Any) -> datetime | None:
    """feedparser's UTC struct_time, or None when absent or impossible (year 0, 31 February, ...)."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None

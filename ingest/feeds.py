"""Feed documents (RSS, Atom, RDF) into entries, with feedparser, from bytes the fetcher already holds.

feedparser never raises: it sets `bozo` and goes on with its loose parser. This module is the one place that looks
at `bozo`, and turns "nothing usable" into `FeedParseError`.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from ingest.schedule import feed_hint_s
from processors.language import primary_language_tag
from processors.records import FeedEntry

# Feeds never need to declare entities; a document that does is an entity-expansion attack (billion laughs,
# quadratic blowup), which feedparser's loose parser would happily expand.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


class FeedParseError(Exception):
    """The bytes are not a feed we can read, or are a dangerous one."""

    @property
    def reason(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class ParsedEntry:
    entry: FeedEntry
    content_html: str | None
    """The entry's own full content (content:encoded, atom:content), when the feed carries one."""
    fingerprint: str
    """Changes when anything the feed says about the entry changes."""

    def content_text_length(self) -> int:
        return len(_TAGS.sub(" ", self.content_html or "").strip())


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    language: str | None
    entries: list[ParsedEntry]
    poll_hint_s: float | None = None
    """The feed's own "poll me at most this often" (RSS ttl, sy:updatePeriod / sy:updateFrequency)."""


def parse_feed(body: bytes, *, url: str, content_type: str | None, declared_language: str | None) -> ParsedFeed:
    """Entries of the feed in `body`, in document order, without repeated ids (the first wins)."""
    if _ENTITY_DECLARATION.search(body[:65536]):
        raise FeedParseError("the document declares XML entities, which feeds never need")
    # No content-location: feedparser would resolve opaque GUIDs against it, and a feed that moves (http to
    # https, a new path) would then rename every entry. Links are resolved against the feed URL below instead.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if parsed.get("bozo") and not parsed.entries:
        raise FeedParseError(f"not a readable feed: {parsed.get('bozo_exception')!s:.200}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError("not a feed (no RSS, Atom or RDF root)")
    feed_language = declared_language or primary_language_tag(parsed.feed.get("language"))
    entries: dict[str, ParsedEntry] = {}
    for raw in parsed.entries:
        entry = _entry(raw, url, feed_language)
        if entry is not None and entry.entry.id not in entries:
            entries[entry.entry.id] = entry
    hint = feed_hint_s(
        parsed.feed.get("ttl"), parsed.feed.get("sy_updateperiod"), parsed.feed.get("sy_updatefrequency")
    )
    return ParsedFeed(
        title=parsed.feed.get("title"), language=feed_language, entries=list(entries.values()), poll_hint_s=hint
    )


def _entry(raw: Any, feed_url: str, feed_language: str | None) -> ParsedEntry | None:
    link = urljoin(feed_url, raw["link"].strip()) if (raw.get("link") or "").strip() else None
    entry_id = (raw.get("id") or "").strip() or link
    if entry_id is None:
        return None  # nothing to know it by: it cannot be told from the next one
    contents = raw.get("content") or []
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
    fingerprint = hashlib.sha256(
        json.dumps([entry.model_dump(mode="json"), content_html], sort_keys=True).encode("utf-8")
    ).hexdigest()
    return ParsedEntry(entry=entry, content_html=content_html, fingerprint=fingerprint)


def _timestamp(parsed: Any) -> datetime | None:
    """feedparser's UTC struct_time, or None when absent or impossible (year 0, 31 February, ...)."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None

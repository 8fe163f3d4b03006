"""What every kind of feed document becomes: entries with a fingerprint, and the feed's own hints."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from processors.errors import NewsIngestError
from processors.records import FeedEntry
from processors.untrusted import clean_text

_TAGS = re.compile(r"<[^>]+>")


class FeedParseError(NewsIngestError):
    """The bytes are not a feed we can read, or are a dangerous one."""

    kind = "parse"


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
    hub_url: str | None = None
    """The WebSub hub the feed advertises (`<link rel="hub">`), if any."""
    self_url: str | None = None
    """The feed's own URL as it names it (`<link rel="self">`): the WebSub topic."""
    empty_entries: int = 0
    """Entries with nothing usable (no id, link, title or text): counted and logged, never silently dropped."""


def parsed_entry(entry: FeedEntry, content_html: str | None, *extra: object) -> ParsedEntry:
    """The entry with its fingerprint: anything the feed says about it (and `extra`, e.g. a sitemap's lastmod).

    Lone surrogates (`&#xd800;`, `"\\ud800"` in JSON) are replaced here, the one place every kind of feed passes:
    they would fail only later, when the document is serialised.
    """
    entry = _cleaned(entry)
    content_html = clean_text(content_html) if content_html else content_html
    fingerprint = hashlib.sha256(
        json.dumps([entry.model_dump(mode="json"), content_html, *map(str, extra)], sort_keys=True).encode("utf-8")
    ).hexdigest()
    return ParsedEntry(entry=entry, content_html=content_html, fingerprint=fingerprint)


def _cleaned(entry: FeedEntry) -> FeedEntry:
    texts = {"id": entry.id, "url": entry.url, "title": entry.title, "summary": entry.summary}
    changes: dict[str, object] = {k: clean_text(v) for k, v in texts.items() if v and clean_text(v) != v}
    authors = [clean_text(author) for author in entry.authors]
    if authors != entry.authors:
        changes["authors"] = authors
    return entry.model_copy(update=changes) if changes else entry

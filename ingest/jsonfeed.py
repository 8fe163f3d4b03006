"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) into entries.

feedparser 6.0 reads no JSON, and the format is small: its items map field by field onto our entries. The document
is validated as a whole; anything that does not fit is a `FeedParseError`, never a crash.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, ValidationError, ValidatorFunctionWrapHandler, field_validator

from ingest.feed_model import FeedParseError, ParsedEntry, ParsedFeed, parsed_entry
from processors.language import primary_language_tag
from processors.records import FeedEntry
from processors.untrusted import is_web_url, safe_urljoin

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")


class _Author(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int | None = None  # required by the spec, left out by real feeds: the item's URL stands in
    url: str | None = None
    external_url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: datetime | None = None
    date_modified: datetime | None = None

    @field_validator("date_published", "date_modified", mode="wrap")
    @classmethod
    def _lenient_date(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> datetime | None:
        """A date that is not RFC 3339 (real feeds write all kinds) is no date, not a refused feed."""
        try:
            return cast(datetime | None, handler(value))
        except ValidationError:
            return None

    author: _Author | None = None  # version 1
    authors: list[_Author] = []  # version 1.1
    language: str | None = None


class _Feed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: str
    title: str | None = None
    language: str | None = None
    items: list[dict[str, Any]]


def looks_like_json_feed(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(body: bytes, *, url: str, declared_language: str | None) -> ParsedFeed:
    try:
        feed = _Feed.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError) as error:
        raise FeedParseError(f"not a readable JSON Feed: {error!s:.200}") from None
    if feed.version not in VERSIONS:
        raise FeedParseError(f"not a JSON Feed (version {feed.version!r:.80})")
    feed_language = declared_language or primary_language_tag(feed.language)
    entries: dict[str, ParsedEntry] = {}
    unreadable = 0
    for fields in feed.items:
        try:
            item = _Item.model_validate(fields)
        except ValidationError:
            unreadable += 1  # one bad item costs only itself
            continue
        link = item.url or item.external_url
        entry_id = str(item.id).strip() if item.id is not None else (link or "").strip()
        if not entry_id or entry_id in entries:
            continue
        authors = [a.name.strip() for a in [*item.authors, *([item.author] if item.author else [])] if a.name]
        content = item.content_html or (f"<p>{_escape(item.content_text)}</p>" if item.content_text else None)
        entry = FeedEntry(
            id=entry_id,
            url=_web_link(url, link),
            title=(item.title or "").strip() or None,
            summary=(item.summary or "").strip() or None,
            authors=authors,
            published_at=item.date_published,
            updated_at=item.date_modified,
            language=primary_language_tag(item.language) or feed_language,
        )
        entries[entry_id] = parsed_entry(entry, content)
    return ParsedFeed(
        title=feed.title, language=feed_language, entries=list(entries.values()), empty_entries=unreadable
    )


def _web_link(base: str, link: str | None) -> str | None:
    joined = safe_urljoin(base, link) if link else None
    return joined if is_web_url(joined) else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

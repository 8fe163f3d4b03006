"""The records that cross a Kafka topic: one model each, and the JSON Schema is generated from it.

`schemas/*.schema.json` are written from these models by `news-ingest schema --write` and a test checks that
the committed files still match, so the documented contract and the code cannot drift apart.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A dead letter must always fit in a record, whatever it carries (a 10 MB feed body, say).
DEFAULT_MAX_DEAD_LETTER_PAYLOAD = 1_000_000

Stage = Literal["fetch", "parse", "extract", "language", "dedupe", "normalize", "decode", "process"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class FeedRef(_Record):
    """Which configured feed a document came from."""

    name: str
    url: str


class FeedEntry(_Record):
    """What the feed said about one entry, kept as hints for the processor."""

    id: str = Field(description="The entry's GUID/id, or its link when the feed gives none.")
    url: str | None
    title: str | None
    summary: str | None
    authors: list[str]
    published_at: datetime | None
    updated_at: datetime | None
    language: str | None = Field(description="Language the feed declares for itself or this entry.")


class RawDocument(_Record):
    """Topic `raw`: one fetched document per new or changed feed entry, keyed by the entry's story identity."""

    schema_version: Literal[1] = 1
    feed: FeedRef
    entry: FeedEntry
    source: Literal["page", "feed", "backfill"] = Field(
        description=(
            "'page': html is the fetched article page; 'feed': the entry carried the full text; "
            "'backfill': a saved page (news-ingest backfill)."
        )
    )
    url: str | None = Field(description="Final URL of the fetched page, after redirects.")
    html: str
    content_type: str | None
    content_language: str | None = Field(description="The HTTP Content-Language header, if any.")
    fetched_at: datetime


class ExtractedDocument(_Record):
    """Internal topic `<app_id>.extracted`: a raw document after extraction, language detection and fingerprinting.

    What the dedupe stage needs to decide the document's story and build its article, without the page.
    """

    schema_version: Literal[1] = 1
    feed: FeedRef
    entry: FeedEntry
    source: Literal["page", "feed", "backfill"]
    url: str | None
    fetched_at: datetime
    canonical_url: str | None
    title: str | None
    text: str
    authors: list[str]
    published_at: datetime | None
    modified_at: datetime | None
    update_note: str | None
    language: str
    language_confidence: float
    agency: str | None
    identities: list[str] = Field(description="Identity keys, most specific first.")
    content_hash: str
    site: str | None = Field(description="The host that published the page, without 'www.'.")
    bands: list[int]
    signature: str = Field(description="b-bit MinHash signature, hex.")
    paragraphs: list[str]
    size: int = Field(description="Distinct word shingles in the text.")
    anchors: list[str]


class Changes(_Record):
    """What a revision changed relative to the version it revises."""

    paragraphs_added: int
    paragraphs_removed: int
    title_changed: bool


class Article(_Record):
    """Topic `articles`: one normalized version of one story, keyed by story_id."""

    schema_version: Literal[1] = 1
    story_id: str = Field(description="Stable identity of the story across versions, URLs and sites.")
    version: int = Field(ge=1, description="1 for the first version seen, +1 for each real revision.")
    version_id: str = Field(description="'<story_id>-v<version>': names this version.")
    url: str | None
    canonical_url: str | None
    feed: FeedRef
    title: str | None
    text: str
    language: str = Field(description="ISO 639-1 code, or 'und' when it cannot be told.")
    language_confidence: float = Field(ge=0.0, le=1.0)
    authors: list[str]
    published_at: datetime | None
    updated_at: datetime | None
    first_seen_at: datetime = Field(description="When this story's first version was processed.")
    fetched_at: datetime
    update_note: str | None
    revision_of: str | None = Field(description="version_id of the version this one revises.")
    changes: Changes | None = Field(description="What this version changed (None for version 1).")
    duplicate_of: str | None = Field(
        description="story_id of the story this one copies (syndication: the same text on another site)."
    )
    cluster_id: str = Field(
        description="Shared by a story, its syndicated copies and its translations: the first one's story_id."
    )
    translation_of: str | None = Field(
        description="story_id of the story (seen earlier, in another language) this one translates."
    )
    agency: str | None
    content_hash: str = Field(description="sha256 of the normalized text, hex.")
    backfill: bool = Field(
        False, description="From saved pages (news-ingest backfill), not a live poll: possibly an old story."
    )


class DeadLetter(_Record):
    """Topic `dlq`: what could not be processed, why, and the original payload so it can be replayed."""

    schema_version: Literal[1] = 1
    reason: str = Field(description="The error class, e.g. 'TooLarge', 'EmptyText', 'FeedParseError'.")
    detail: str
    stage: Stage
    source_url: str | None
    feed: FeedRef | None
    payload: str | None = Field(description="The original record (UTF-8, or base64 when not UTF-8).")
    payload_encoding: Literal["utf-8", "base64"] | None
    payload_truncated: bool = Field(False, description="The payload was cut to fit in a record.")
    attempts: int = Field(1, ge=1, description="How many times processing was tried.")
    failed_at: datetime

    @classmethod
    def of(
        cls,
        *,
        reason: str,
        detail: str,
        stage: Stage,
        source_url: str | None,
        feed: FeedRef | None,
        payload: bytes | None,
        failed_at: datetime,
        attempts: int = 1,
        max_payload: int = DEFAULT_MAX_DEAD_LETTER_PAYLOAD,
    ) -> DeadLetter:
        """A dead letter carrying `payload` as text when it is UTF-8, else as base64; cut when very large."""
        text: str | None = None
        encoding: Literal["utf-8", "base64"] | None = None
        truncated = payload is not None and len(payload) > max_payload
        if payload is not None:
            try:
                text, encoding = payload.decode("utf-8")[:max_payload], "utf-8"
            except UnicodeDecodeError:
                text, encoding = base64.b64encode(payload[:max_payload]).decode("ascii"), "base64"
        return cls(
            reason=reason,
            detail=detail[:2000],
            stage=stage,
            source_url=source_url,
            feed=feed,
            payload=text,
            payload_encoding=encoding,
            payload_truncated=truncated,
            failed_at=failed_at,
            attempts=attempts,
        )


TOPIC_RECORDS: dict[str, type[_Record]] = {
    "raw-document": RawDocument,
    "article": Article,
    "dead-letter": DeadLetter,
}

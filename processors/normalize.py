"""Build the published Article record from what the stages found."""

from __future__ import annotations

from datetime import datetime

from processors.agency import find_agency
from processors.dedupe import NewStory, Revision, StoryState
from processors.extract import ExtractedArticle
from processors.language import LanguageGuess
from processors.records import Article, RawDocument


def version_id(story_id: str, version: int) -> str:
    return f"{story_id}-v{version}"


def build_article(
    raw: RawDocument,
    extracted: ExtractedArticle,
    language: LanguageGuess,
    decision: NewStory | Revision,
    *,
    content_hash: str,
    update_note: str | None,
    now: datetime,
) -> Article:
    """The normalized record. The feed's title and dates win over the page's: they are cleaner and more precise."""
    previous: StoryState | None
    if isinstance(decision, Revision):
        previous, story_id, version = (
            decision.previous,
            decision.previous.story_id,
            decision.previous.version + 1,
        )
    else:
        previous, story_id, version = None, decision.story_id, 1
    published_at = raw.entry.published_at or extracted.published_at
    updated_at = raw.entry.updated_at or extracted.modified_at
    if updated_at is not None and published_at is not None and updated_at <= published_at:
        updated_at = None
    return Article(
        story_id=story_id,
        version=version,
        version_id=version_id(story_id, version),
        url=raw.url or raw.entry.url,
        canonical_url=extracted.canonical_url,
        feed=raw.feed,
        title=raw.entry.title or extracted.title,
        text=extracted.text,
        language=language.language,
        language_confidence=language.confidence,
        authors=raw.entry.authors or extracted.authors,
        published_at=published_at,
        updated_at=updated_at,
        first_seen_at=previous.first_seen_at if previous else now,
        fetched_at=raw.fetched_at,
        update_note=update_note,
        revision_of=version_id(story_id, previous.version) if previous else None,
        changes=None,
        duplicate_of=None,
        cluster_id=None,
        translation_of=None,
        agency=find_agency(extracted.text, raw.entry.authors or extracted.authors),
        content_hash=content_hash,
        backfill=raw.source == "backfill",
    )

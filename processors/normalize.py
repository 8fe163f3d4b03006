"""Build the published Article record from an extracted document and its story decision."""

from __future__ import annotations

from datetime import datetime

from processors.dedupe import NewStory, Revision
from processors.records import Article, ExtractedDocument


def version_id(story_id: str, version: int) -> str:
    return f"{story_id}-v{version}"


def build_article(document: ExtractedDocument, decision: NewStory | Revision, *, now: datetime) -> Article:
    """The normalized record. The feed's title and dates win over the page's: they are cleaner and more precise."""
    if isinstance(decision, Revision):
        previous = decision.previous
        story_id, version, first_seen_at = previous.story_id, previous.version + 1, previous.first_seen_at
        revision_of: str | None = version_id(story_id, previous.version)
        changes = decision.changes
        duplicate_of, translation_of, cluster_id = previous.duplicate_of, previous.translation_of, previous.cluster
    else:
        story_id, version, first_seen_at, revision_of, changes = decision.story_id, 1, now, None, None
        duplicate_of, translation_of, cluster_id = decision.duplicate_of, decision.translation_of, decision.cluster
    entry = document.entry
    published_at = entry.published_at or document.published_at
    updated_at = entry.updated_at or document.modified_at
    if updated_at is not None and published_at is not None and updated_at <= published_at:
        updated_at = None
    return Article(
        story_id=story_id,
        version=version,
        version_id=version_id(story_id, version),
        url=document.url or entry.url,
        canonical_url=document.canonical_url,
        feed=document.feed,
        title=document.title,
        text=document.text,
        language=document.language,
        language_confidence=document.language_confidence,
        authors=document.authors,
        published_at=published_at,
        updated_at=updated_at,
        first_seen_at=first_seen_at,
        fetched_at=document.fetched_at,
        update_note=document.update_note,
        revision_of=revision_of,
        changes=changes,
        duplicate_of=duplicate_of,
        cluster_id=cluster_id,
        translation_of=translation_of,
        agency=document.agency,
        content_hash=document.content_hash,
        backfill=document.source == "backfill",
    )

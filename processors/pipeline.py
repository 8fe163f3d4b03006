"""One raw document through every stage: extract, decide its story, detect the language, normalize."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from processors.dedupe import NewStory, Repeat, Revision, StoryIndex, state_updates
from processors.errors import Rejected
from processors.extract import extract_article
from processors.identity import content_hash, identity_keys
from processors.language import LanguageDetector
from processors.normalize import build_article
from processors.records import Article, RawDocument
from processors.update_notes import split_update_note


@dataclass(frozen=True)
class Publish:
    article: Article
    decision: NewStory | Revision
    state_updates: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Skip:
    """An exact repeat: nothing is published, but the state learns any new alias."""

    decision: Repeat
    state_updates: dict[str, dict[str, Any]]


Outcome = Publish | Skip


def process_document(raw: RawDocument, *, detector: LanguageDetector, index: StoryIndex, now: datetime) -> Outcome:
    """Turn a raw document into the article to publish, or a skip; raise `Rejected` for what cannot be."""
    extracted = extract_article(raw.html, url=raw.url or raw.entry.url, content_type=raw.content_type)
    # The editor's note is not article text: out of the text before it is hashed, into its own field.
    split = split_update_note(extracted.text)
    extracted = replace(extracted, text=split.text)
    identities = identity_keys(
        feed_url=raw.feed.url,
        guid=raw.entry.id,
        urls=[extracted.canonical_url, raw.url, raw.entry.url],
    )
    text_hash = content_hash(extracted.text)
    decision = index.decide(identities, text_hash)
    title = raw.entry.title or extracted.title
    updates = state_updates(decision, identities, content_hash=text_hash, title=title, now=now)
    if isinstance(decision, Repeat):
        return Skip(decision, updates)
    language = detector.detect(
        extracted.text,
        declared=[extracted.declared_language, raw.content_language, raw.entry.language],
    )
    article = build_article(raw, extracted, language, decision, content_hash=text_hash, update_note=split.note, now=now)
    return Publish(article, decision, updates)


T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """A step that kept raising an unexpected error: the last error and how many tries were made."""

    error: Exception
    attempts: int


def with_attempts(
    step: Callable[[], T], *, max_attempts: int, on_error: Callable[[Exception, int], None]
) -> T | Failed:
    """Run `step` up to `max_attempts` times while it raises something unexpected; rejections pass straight up."""
    for attempt in range(1, max_attempts + 1):
        try:
            return step()
        except Rejected:
            raise
        except Exception as error:
            on_error(error, attempt)
            if attempt == max_attempts:
                return Failed(error, attempt)
    raise ValueError("max_attempts must be at least 1")

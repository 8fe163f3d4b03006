"""One raw document through every stage, in two steps that run in two places.

`extract_document` (extraction, update notes, identity, fingerprint, language) is the costly, parallel part: it
runs in the processor group, a partition of the raw topic each. `decide_document` (dedupe, normalization) is cheap
and must see every document in one order: it runs where the single partition of `<app_id>.extracted` is read
(docs/architecture.md, "One order of decisions").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from processors.agency import find_agency
from processors.authors import clean_authors
from processors.dedupe import Document, NewStory, Repeat, Revision, StoryIndex, state_updates
from processors.errors import Interrupted, Rejected
from processors.extract import ExtractedArticle, extract_article
from processors.fingerprint import Fingerprint, fingerprint
from processors.identity import content_hash, identity_keys
from processors.language import LanguageDetector
from processors.normalize import build_article
from processors.records import Article, ExtractedDocument, RawDocument
from processors.translations import anchors
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


def extract_document(
    raw: RawDocument, *, detector: LanguageDetector, extract: Callable[..., ExtractedArticle] = extract_article
) -> ExtractedDocument:
    """Everything about a document that does not depend on other documents; raise `Rejected` for what cannot be.

    `extract`: `extract_article`, or a call of it under a deadline (the processor runs it in a child process).
    """
    feed_authors = clean_authors(raw.entry.authors)
    # The feed's authors come first: when it names them, the page's author heuristic would go unused.
    extracted = extract(
        raw.html, url=raw.url or raw.entry.url, content_type=raw.content_type, find_authors=not feed_authors
    )
    # The editor's note is not article text: out of the text before it is hashed, into its own field.
    split = split_update_note(extracted.text)
    text = split.text
    identities = identity_keys(
        feed_url=raw.feed.url,
        guid=raw.entry.id,
        urls=[extracted.canonical_url, raw.url, raw.entry.url],
    )
    language = detector.detect(text, declared=[extracted.declared_language, raw.content_language, raw.entry.language])
    prints = fingerprint(text)
    authors = feed_authors or extracted.authors
    return ExtractedDocument(
        feed=raw.feed,
        entry=raw.entry,
        source=raw.source,
        url=raw.url,
        fetched_at=raw.fetched_at,
        canonical_url=extracted.canonical_url,
        title=raw.entry.title or extracted.title,
        text=text,
        authors=authors,
        published_at=extracted.published_at,
        modified_at=extracted.modified_at,
        update_note=split.note,
        language=language.language,
        language_confidence=language.confidence,
        agency=find_agency(text, authors),
        identities=identities,
        content_hash=content_hash(text),
        site=_site(raw.url or raw.entry.url or extracted.canonical_url),
        bands=list(prints.bands),
        signature=prints.signature.hex(),
        paragraphs=list(prints.paragraphs),
        size=prints.size,
        anchors=list(anchors(text)),
    )


def decide_document(document: ExtractedDocument, *, index: StoryIndex, now: datetime) -> Outcome:
    """The document's story (new, copy, translation, revision or repeat) and, unless a repeat, its article."""
    facts = Document(
        identities=document.identities,
        content_hash=document.content_hash,
        fingerprint=Fingerprint(
            tuple(document.bands), bytes.fromhex(document.signature), tuple(document.paragraphs), document.size
        ),
        title=document.title,
        site=document.site,
        language=document.language,
        anchors=tuple(document.anchors),
    )
    decision = index.decide(facts, now)
    updates = state_updates(decision, facts, now=now)
    if isinstance(decision, Repeat):
        return Skip(decision, updates)
    return Publish(build_article(document, decision, now=now), decision, updates)


def process_document(raw: RawDocument, *, detector: LanguageDetector, index: StoryIndex, now: datetime) -> Outcome:
    """Both steps in one call (tests, benchmarks)."""
    return decide_document(extract_document(raw, detector=detector), index=index, now=now)


def _site(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


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
        except (Rejected, Interrupted):
            raise
        except Exception as error:
            on_error(error, attempt)
            if attempt == max_attempts:
                return Failed(error, attempt)
    raise ValueError("max_attempts must be at least 1")

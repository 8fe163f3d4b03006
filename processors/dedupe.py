"""Is this document a new story, a copy of one, a translation of one, a repeat, or a new version of one?

The decision is a pure function of the document and the dedupe state; the state is a flat key-value table (kept
by the worker in a compacted Kafka topic, `<app_id>.story-state`):

- ``alias:<identity key>`` -> ``{"story_id": ...}``: every URL / GUID a story has been seen under;
- ``story:<story_id>``     -> a `StoryState`: the latest version, its fingerprint and its relations.

`StoryIndex` answers from that table plus two indexes derived from it (near duplicates, translations); it is kept
in step with the table by `observe`, so restoring the table from its topic restores the indexes too.

The order of the questions is the order of evidence: an identity (URL, GUID) beats content; content beats
anchors. Where several stories answer, the most similar wins and ties go to the smaller story id, so every
replica, given the same state, decides alike.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from processors.fingerprint import Fingerprint, containment, paragraph_changes
from processors.identity import normalize_text, story_id_for
from processors.near_duplicates import Match, NearDuplicateIndex
from processors.records import Changes
from processors.translations import TranslationIndex, TranslationMatch

RECENT_HASHES_KEPT = 8
# Chosen with `make bench-dedupe` (docs/benchmarks.md): the estimated Jaccard similarity of word 3-shingles above
# which a text is the same story as one we know (revisions, syndicated copies), and the anchor score above which
# a story in another language is taken for its translation.
NEAR_DUPLICATE_THRESHOLD = 0.6
# A page of the same site that holds this share of a known story's text is its update (with paragraphs added).
CONTAINED_THRESHOLD = 0.8
TRANSLATION_THRESHOLD = 0.55
DEFAULT_TRANSLATION_WINDOW = timedelta(days=3)
_CANDIDATE_FLOOR = 0.35


class StoryState(BaseModel):
    """What the dedupe stage remembers of a story."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    story_id: str
    version: int
    content_hash: str
    recent_hashes: tuple[str, ...]
    title: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    site: str | None = None
    language: str | None = None
    cluster_id: str | None = None
    duplicate_of: str | None = None
    translation_of: str | None = None
    paragraphs: tuple[str, ...] = ()
    bands: tuple[int, ...] = ()
    signature: str = ""
    size: int = 0
    anchors: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # every identity key it was seen under: its alias entries, for eviction

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.bands, bytes.fromhex(self.signature), self.paragraphs, self.size)

    @property
    def cluster(self) -> str:
        return self.cluster_id or self.story_id

    @property
    def original(self) -> str:
        """The story this one stands for in its cluster: what it copies or translates, else itself."""
        return self.duplicate_of or self.translation_of or self.story_id


@dataclass(frozen=True)
class Document:
    """What the decision needs to know of a document (computed by the extract stage)."""

    identities: list[str]
    content_hash: str
    fingerprint: Fingerprint
    title: str | None
    site: str | None
    language: str | None
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class NewStory:
    story_id: str
    duplicate_of: str | None = None
    translation_of: str | None = None
    cluster_id: str | None = None
    similarity: float | None = None

    @property
    def cluster(self) -> str:
        return self.cluster_id or self.story_id


@dataclass(frozen=True)
class Repeat:
    """Same story, nothing new to publish: the same text, or a trivial difference. The state learns new aliases."""

    story: StoryState


@dataclass(frozen=True)
class Revision:
    """Same story, new content: published as version `previous.version + 1`."""

    previous: StoryState
    changes: Changes
    matched_by: str = "identity"


Decision = NewStory | Repeat | Revision


def alias_key(identity: str) -> str:
    return f"alias:{identity}"


def story_key(story_id: str) -> str:
    return f"story:{story_id}"


class ExpiryQueue:
    """(last seen, story id) of every story write, oldest first, in memory: eviction reads it, never the table.

    A story noted again leaves its earlier item behind; stale items are dropped when they come up.
    """

    def __init__(self) -> None:
        self._items: list[tuple[float, str]] = []

    def note(self, story_id: str, last_seen: float) -> None:
        heapq.heappush(self._items, (last_seen, story_id))

    def take_before(self, before: float) -> list[tuple[float, str]]:
        """Remove and return the items noted before `before`, oldest first."""
        taken = []
        while self._items and self._items[0][0] < before:
            taken.append(heapq.heappop(self._items))
        return taken

    def put_back(self, items: list[tuple[float, str]]) -> None:
        for item in items:
            heapq.heappush(self._items, item)


class NearDuplicates(Protocol):
    def add(self, story_id: str, fingerprint: Fingerprint, site: str) -> None: ...

    def remove(self, story_id: str) -> None: ...

    def matches(self, fingerprint: Fingerprint, threshold: float) -> list[Match]: ...


class Translations(Protocol):
    window: timedelta

    def add(self, story_id: str, language: str, story_anchors: tuple[str, ...], first_seen_at: datetime) -> None: ...

    def remove(self, story_id: str) -> None: ...

    def forget_before(self, now: datetime) -> None: ...

    def best(self, language: str, story_anchors: tuple[str, ...], threshold: float) -> TranslationMatch | None: ...


class Expiry(Protocol):
    def note(self, story_id: str, last_seen: float) -> None: ...

    def take_before(self, before: float) -> list[tuple[float, str]]: ...

    def put_back(self, items: list[tuple[float, str]]) -> None: ...


@dataclass(frozen=True)
class DerivedIndexes:
    """Where the indexes derived from the table live: the worker keeps them in its story store
    (`ingest.stored_indexes`), off the heap; without them, `StoryIndex` builds them in memory from the table."""

    near_duplicates: NearDuplicates
    translations: Translations
    expiry: Expiry


class StoryIndex:
    """The dedupe state, read-only, with the near-duplicate and translation indexes derived from it."""

    key_prefix = "story:"  # the table entries the indexes derive from (a table tells of these only)

    def __init__(
        self,
        entries: Mapping[str, Mapping[str, Any] | None],
        *,
        near_duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD,
        translation_threshold: float = TRANSLATION_THRESHOLD,
        translation_window: timedelta = DEFAULT_TRANSLATION_WINDOW,
        indexes: DerivedIndexes | None = None,
    ) -> None:
        """`indexes`: the derived indexes, already in step with `entries`; None builds them in memory from it."""
        self._entries = entries
        self._near_duplicate_threshold = near_duplicate_threshold
        self._translation_threshold = translation_threshold
        self._translation_window = translation_window
        self._in_memory = indexes is None
        if indexes is None:
            self.forget_all()
            for key, value in entries.items():
                self.observe(key, value)
        else:
            self._use(indexes)

    def _use(self, indexes: DerivedIndexes) -> None:
        self.near_duplicates: NearDuplicates = indexes.near_duplicates
        self.translations: Translations = indexes.translations
        self._expiry: Expiry = indexes.expiry

    def forget_all(self) -> None:
        """Empty the derived indexes (the table is being restored from its topic); kept ones are the store's."""
        if self._in_memory:
            self._use(DerivedIndexes(NearDuplicateIndex(), TranslationIndex(self._translation_window), ExpiryQueue()))

    def observe(self, key: str, value: Mapping[str, Any] | None) -> None:
        """Keep the derived indexes in step with a write to the table (None: the key was deleted)."""
        if not key.startswith("story:"):
            return
        story_id = key.removeprefix("story:")
        if value is None:
            self.near_duplicates.remove(story_id)
            self.translations.remove(story_id)
            return
        # The fields the indexes need, read without validating the whole entry: a rebuild reads millions.
        self._expiry.note(story_id, _moment(value["last_seen_at"]).timestamp())
        signature = value.get("signature") or ""
        fingerprint = Fingerprint(
            tuple(value.get("bands") or ()),
            bytes.fromhex(signature),
            tuple(value.get("paragraphs") or ()),
            int(value.get("size") or 0),
        )
        self.near_duplicates.add(story_id, fingerprint, value.get("site") or "")
        language = value.get("language")
        if language:
            anchors = tuple(value.get("anchors") or ())
            self.translations.add(story_id, language, anchors, _moment(value["first_seen_at"]))

    def story(self, story_id: str) -> StoryState | None:
        value = self._entries.get(story_key(story_id))
        return StoryState.model_validate(value) if value else None

    def story_for(self, identity: str) -> StoryState | None:
        alias = self._entries.get(alias_key(identity))
        return self.story(str(alias["story_id"])) if alias else None

    def expired(self, *, before: datetime) -> dict[str, None]:
        """Tombstones for the stories last seen before `before`, and for the aliases that still name them."""
        tombstones: dict[str, None] = {}
        queued_again: list[tuple[float, str]] = []
        for stamp, story_id in self._expiry.take_before(before.timestamp()):
            story = self.story(story_id)
            if story is None or story.last_seen_at >= before or story_key(story_id) in tombstones:
                continue  # evicted already, or seen since (a later item is queued)
            tombstones[story_key(story_id)] = None
            for identity in story.aliases or self._aliases_naming(story_id):
                alias = self._entries.get(alias_key(identity))
                if alias and alias.get("story_id") == story_id:  # an alias can move to another story
                    tombstones[alias_key(identity)] = None
            queued_again.append((stamp, story_id))  # until its tombstone is read back: a transaction can abort
        self._expiry.put_back(queued_again)
        return tombstones

    def _aliases_naming(self, story_id: str) -> list[str]:
        """The aliases of a story written before stories listed them (a scan of the table)."""
        return [
            key.removeprefix("alias:")
            for key, value in self._entries.items()
            if key.startswith("alias:") and value and value.get("story_id") == story_id
        ]

    def decide(self, document: Document, now: datetime) -> Decision:
        if not document.identities:
            raise ValueError("a document needs at least one identity key")
        known = next((story for story in map(self.story_for, document.identities) if story is not None), None)
        if known is not None:
            return _same_story(known, document, "identity")
        fingerprint = document.fingerprint
        floor = min(self._near_duplicate_threshold, _CANDIDATE_FLOOR)
        candidates = self.near_duplicates.matches(fingerprint, floor)
        # A site that republishes a story under a new URL is updating it: most of the old text is in the new page,
        # with paragraphs added (which lowers the similarity, not the containment). Another site's near copy is
        # syndication.
        same_site = [
            match
            for match in candidates
            if document.site
            and match.site == document.site
            and (
                match.similarity >= self._near_duplicate_threshold
                or containment(match.similarity, match.size, fingerprint.size) >= CONTAINED_THRESHOLD
            )
        ]
        matches = [match for match in candidates if match.similarity >= self._near_duplicate_threshold]
        for match in same_site or matches:
            story = self.story(match.story_id)
            if story is None:
                continue
            if same_site:
                return _same_story(story, document, "content")
            return NewStory(
                story_id_for(document.identities[0]),
                duplicate_of=story.duplicate_of or story.story_id,
                cluster_id=story.cluster,
                similarity=round(match.similarity, 3),
            )
        return self._maybe_translation(document, now)

    def _maybe_translation(self, document: Document, now: datetime) -> NewStory:
        story_id = story_id_for(document.identities[0])
        if not document.language or document.language == "und":
            return NewStory(story_id)
        self.translations.forget_before(now)
        match = self.translations.best(document.language, document.anchors, self._translation_threshold)
        original = self.story(match.story_id) if match else None
        if match is None or original is None:
            return NewStory(story_id)
        return NewStory(
            story_id,
            translation_of=original.original,
            cluster_id=original.cluster,
            similarity=round(match.score, 3),
        )


def _moment(value: str | datetime) -> datetime:
    """A timestamp of an entry: ISO 8601 as the topic has it, or a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _same_story(known: StoryState, document: Document, matched_by: str) -> Repeat | Revision:
    """A document of a known story: a repeat unless a substantive paragraph or the title changed."""
    if document.content_hash == known.content_hash or document.content_hash in known.recent_hashes:
        return Repeat(known)
    change = paragraph_changes(known.paragraphs, document.fingerprint.paragraphs)
    title_changed = _comparable_title(document.title) != _comparable_title(known.title)
    if known.paragraphs and change.added == change.removed == 0 and not title_changed:
        return Repeat(known)  # whitespace, an ad line, a "most read" box: not a new version
    changes = Changes(paragraphs_added=change.added, paragraphs_removed=change.removed, title_changed=title_changed)
    return Revision(known, changes, matched_by)


def _comparable_title(title: str | None) -> str:
    return normalize_text(title or "").casefold()


def state_updates(decision: Decision, document: Document, *, now: datetime) -> dict[str, dict[str, Any]]:
    """The state entries to write after `decision`: new aliases, and the story's new latest version."""
    fingerprint = document.fingerprint
    latest = {
        "content_hash": document.content_hash,
        "title": document.title,
        "paragraphs": fingerprint.paragraphs,
        "bands": fingerprint.bands,
        "signature": fingerprint.signature.hex(),
        "size": fingerprint.size,
        "anchors": document.anchors,
        "last_seen_at": now,
    }
    if isinstance(decision, NewStory):
        story = StoryState(
            story_id=decision.story_id,
            version=1,
            recent_hashes=(document.content_hash,),
            first_seen_at=now,
            site=document.site,
            language=document.language,
            cluster_id=decision.cluster_id,
            duplicate_of=decision.duplicate_of,
            translation_of=decision.translation_of,
            aliases=tuple(dict.fromkeys(document.identities)),
            **latest,
        )
    elif isinstance(decision, Revision):
        previous = decision.previous
        story = previous.model_copy(
            update={
                "version": previous.version + 1,
                "recent_hashes": (document.content_hash, *previous.recent_hashes)[:RECENT_HASHES_KEPT],
                "aliases": _with_aliases(previous, document),
                **latest,
            }
        )
    else:
        story = decision.story.model_copy(
            update={"last_seen_at": now, "aliases": _with_aliases(decision.story, document)}
        )
    updates: dict[str, dict[str, Any]] = {alias_key(key): {"story_id": story.story_id} for key in document.identities}
    updates[story_key(story.story_id)] = story.model_dump(mode="json")
    return updates


def _with_aliases(story: StoryState, document: Document) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*story.aliases, *document.identities)))

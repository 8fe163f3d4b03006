"""Is this document a new story, an exact repeat of one we know, or a new version of it?

The decision is a pure function of the document and a read-only view of the dedupe state. The state is a flat
key-value table (kept by the worker in a compacted Kafka topic):

- ``alias:<identity key>`` -> ``{"story_id": ...}``: every URL / GUID a story has been seen under;
- ``story:<story_id>``     -> a `StoryState`: the latest version and the hashes of recent versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from processors.identity import story_id_for

RECENT_HASHES_KEPT = 8


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


@dataclass(frozen=True)
class NewStory:
    story_id: str


@dataclass(frozen=True)
class Repeat:
    """Same story, same content as a version already published: nothing to publish."""

    story: StoryState


@dataclass(frozen=True)
class Revision:
    """Same story, new content: published as version `previous.version + 1`."""

    previous: StoryState


Decision = NewStory | Repeat | Revision


def alias_key(identity: str) -> str:
    return f"alias:{identity}"


def story_key(story_id: str) -> str:
    return f"story:{story_id}"


class StoryIndex:
    """Read-only view of the dedupe state that answers `decide`."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any] | None]) -> None:
        self._entries = entries

    def story(self, story_id: str) -> StoryState | None:
        value = self._entries.get(story_key(story_id))
        return StoryState.model_validate(value) if value else None

    def story_for(self, identity: str) -> StoryState | None:
        alias = self._entries.get(alias_key(identity))
        return self.story(str(alias["story_id"])) if alias else None

    def decide(self, identities: list[str], content_hash: str) -> Decision:
        """Match by the most specific identity first; the first match wins, so every replica decides alike."""
        if not identities:
            raise ValueError("a document needs at least one identity key")
        known = next((story for story in map(self.story_for, identities) if story is not None), None)
        if known is None:
            return NewStory(story_id_for(identities[0]))
        if content_hash == known.content_hash or content_hash in known.recent_hashes:
            return Repeat(known)
        return Revision(known)


def state_updates(
    decision: Decision,
    identities: list[str],
    *,
    content_hash: str,
    title: str | None,
    now: datetime,
) -> dict[str, dict[str, Any]]:
    """The state entries to write after `decision`: new aliases, and the story's new latest version."""
    if isinstance(decision, NewStory):
        story = StoryState(
            story_id=decision.story_id,
            version=1,
            content_hash=content_hash,
            recent_hashes=(content_hash,),
            title=title,
            first_seen_at=now,
            last_seen_at=now,
        )
    elif isinstance(decision, Revision):
        previous = decision.previous
        story = previous.model_copy(
            update={
                "version": previous.version + 1,
                "content_hash": content_hash,
                "recent_hashes": (content_hash, *previous.recent_hashes)[:RECENT_HASHES_KEPT],
                "title": title,
                "last_seen_at": now,
            }
        )
    else:
        story = decision.story.model_copy(update={"last_seen_at": now})
    updates: dict[str, dict[str, Any]] = {alias_key(key): {"story_id": story.story_id} for key in identities}
    updates[story_key(story.story_id)] = story.model_dump(mode="json")
    return updates

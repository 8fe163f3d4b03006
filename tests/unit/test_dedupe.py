from datetime import UTC, datetime
from typing import Any

import pytest

from processors.dedupe import NewStory, Repeat, Revision, StoryIndex, state_updates
from processors.identity import story_id_for

NOW = datetime(2022, 9, 13, 12, 0, tzinfo=UTC)
LATER = datetime(2022, 9, 13, 13, 0, tzinfo=UTC)
KEYS = ["url:https://a.example/story", "guid:https://a.example/feed#1"]


def remember(table: dict[str, Any], decision: Any, keys: list[str], text_hash: str, at: datetime) -> None:
    table.update(state_updates(decision, keys, content_hash=text_hash, title="t", now=at))


def test_an_unknown_document_is_a_new_story_with_a_stable_id() -> None:
    decision = StoryIndex({}).decide(KEYS, "h1")
    assert decision == NewStory(story_id_for(KEYS[0]))


def test_same_identity_same_content_is_a_repeat() -> None:
    table: dict[str, Any] = {}
    remember(table, StoryIndex(table).decide(KEYS, "h1"), KEYS, "h1", NOW)
    assert isinstance(StoryIndex(table).decide(KEYS, "h1"), Repeat)


def test_same_identity_new_content_is_the_next_version() -> None:
    table: dict[str, Any] = {}
    first = StoryIndex(table).decide(KEYS, "h1")
    remember(table, first, KEYS, "h1", NOW)
    second = StoryIndex(table).decide(KEYS, "h2")
    assert isinstance(second, Revision)
    assert second.previous.version == 1
    remember(table, second, KEYS, "h2", LATER)
    story = StoryIndex(table).story_for(KEYS[0])
    assert story is not None
    assert (story.version, story.content_hash, story.first_seen_at, story.last_seen_at) == (2, "h2", NOW, LATER)


def test_a_story_is_found_under_any_of_its_identities() -> None:
    table: dict[str, Any] = {}
    remember(table, StoryIndex(table).decide(KEYS, "h1"), KEYS, "h1", NOW)
    decision = StoryIndex(table).decide(["url:https://a.example/moved", KEYS[1]], "h1")
    assert isinstance(decision, Repeat)
    assert decision.story.story_id == story_id_for(KEYS[0])


def test_going_back_to_an_earlier_text_is_not_a_new_version() -> None:
    table: dict[str, Any] = {}
    remember(table, StoryIndex(table).decide(KEYS, "h1"), KEYS, "h1", NOW)
    remember(table, StoryIndex(table).decide(KEYS, "h2"), KEYS, "h2", LATER)
    assert isinstance(StoryIndex(table).decide(KEYS, "h1"), Repeat)


def test_the_most_specific_identity_decides_between_two_stories() -> None:
    table: dict[str, Any] = {}
    a, b = ["url:https://a.example/1"], ["url:https://a.example/2"]
    remember(table, StoryIndex(table).decide(a, "ha"), a, "ha", NOW)
    remember(table, StoryIndex(table).decide(b, "hb"), b, "hb", NOW)
    decision = StoryIndex(table).decide([b[0], a[0]], "hb")
    assert isinstance(decision, Repeat) and decision.story.story_id == story_id_for(b[0])


def test_a_document_without_identity_is_a_bug() -> None:
    with pytest.raises(ValueError):
        StoryIndex({}).decide([], "h")


def test_state_survives_a_json_round_trip() -> None:
    import json

    table: dict[str, Any] = {}
    remember(table, StoryIndex(table).decide(KEYS, "h1"), KEYS, "h1", NOW)
    restored = json.loads(json.dumps(table))
    assert isinstance(StoryIndex(restored).decide(KEYS, "h1"), Repeat)

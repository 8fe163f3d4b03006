"""The translation index on its own: anchors weighted by rarity, candidates proposed by the rare ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.translations import HOLDERS_SCANNED, TranslationIndex

NOW = datetime(2026, 11, 25, tzinfo=UTC)
COMMON = ("afp", "#2026", "november", "paris")


def crowded_index(stories: int) -> TranslationIndex:
    """`stories` English stories sharing the same common anchors, each with rare anchors of its own."""
    index = TranslationIndex(timedelta(days=3))
    for number in range(stories):
        index.add(f"{number:020x}", "en", (*COMMON, f"#{number}1", f"#{number}2", f"name{number}"), NOW)
    return index


def test_a_translation_is_found_among_stories_sharing_its_common_anchors() -> None:
    index = crowded_index(HOLDERS_SCANNED)
    target = 417
    match = index.best("fr", (*COMMON, f"#{target}1", f"#{target}2", f"name{target}", "#99999"), threshold=0.55)
    assert match is not None and match.story_id == f"{target:020x}" and match.shared == 7


def test_common_anchors_alone_link_nothing() -> None:
    index = crowded_index(HOLDERS_SCANNED)
    assert index.best("fr", (*COMMON, "#777777", "somebody"), threshold=0.55) is None


def test_a_story_in_the_same_language_is_not_its_translation() -> None:
    index = crowded_index(10)
    assert index.best("en", (*COMMON, "#31", "#32", "name3"), threshold=0.55) is None


def test_equal_scores_go_to_the_smaller_story_id() -> None:
    index = TranslationIndex(timedelta(days=3))
    shared = ("#11", "#12", "#13", "alpha", "beta")
    index.add("b" * 20, "en", shared, NOW)
    index.add("a" * 20, "en", shared, NOW)
    match = index.best("fr", shared, threshold=0.55)
    assert match is not None and match.story_id == "a" * 20


def test_a_translation_is_linked_whatever_else_the_window_has_seen() -> None:
    # The English story's own words (days, its wire's style) are held by no other story yet: they must not outweigh
    # the 10 names and numbers it shares with its Indonesian original, or the link depends on arrival order.
    shared = tuple(f"#{n}00" for n in range(10))
    index = TranslationIndex(timedelta(days=3))
    index.add("a" * 20, "id", (*shared, *(f"kata{n}" for n in range(50))), NOW)
    for number in range(4):  # other stories in the window, on other news
        index.add(f"{number:020x}", "de", tuple(f"wort{number}{n}" for n in range(12)), NOW)
    match = index.best("en", (*shared, *(f"word{n}" for n in range(7))), threshold=0.55)
    assert match is not None and match.story_id == "a" * 20

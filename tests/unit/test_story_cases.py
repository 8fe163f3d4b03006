"""Every story-identity case of tests/fixtures/stories, decided in order against one dedupe state."""

from __future__ import annotations

from typing import Any

import pytest

from processors.dedupe import Repeat, StoryIndex
from processors.language import LanguageDetector
from processors.pipeline import Publish, Skip, process_document
from tests.story_cases import Case, cases, mismatches


@pytest.fixture(scope="module")
def decided() -> list[tuple[Case, Publish | Skip]]:
    table: dict[str, Any] = {}
    index = StoryIndex(table)
    detector = LanguageDetector()
    results = []
    for case in cases():
        outcome = process_document(case.raw_document(), detector=detector, index=index, now=case.at)
        table.update(outcome.state_updates)
        for key, value in outcome.state_updates.items():
            index.observe(key, value)
        results.append((case, outcome))
    return results


def test_every_case_is_decided_as_labelled(decided: list[tuple[Case, Publish | Skip]]) -> None:
    published = [
        (case, outcome.article.model_dump(mode="json") if isinstance(outcome, Publish) else None)
        for case, outcome in decided
    ]
    assert mismatches(published) == []


def test_a_repeat_names_the_story_it_repeats(decided: list[tuple[Case, Publish | Skip]]) -> None:
    first = {c.page: o.article.story_id for c, o in decided if isinstance(o, Publish) and o.article.version == 1}
    for case, outcome in decided:
        if isinstance(outcome, Skip):
            assert isinstance(outcome.decision, Repeat)
            assert outcome.decision.story.story_id == first[case.story or ""], case


def test_the_seed_update_note_leaves_the_text_and_the_wire_revision_lists_its_changes(
    decided: list[tuple[Case, Publish | Skip]],
) -> None:
    by_page = {case.page: outcome for case, outcome in decided if isinstance(outcome, Publish)}
    seed = by_page["kabar-id"].article
    assert seed.update_note and seed.update_note.startswith("Diperbarui pada pukul 12 siang")
    assert "Diperbarui" not in seed.text and seed.language == "id" and seed.agency == "AFP"
    revision = by_page["wire-en-v2"].article
    assert revision.update_note == "Updated at noon on 13 September to add Russia's ceasefire announcement."
    assert revision.changes is not None
    assert (revision.changes.paragraphs_added, revision.changes.paragraphs_removed) == (3, 0)
    assert revision.changes.title_changed

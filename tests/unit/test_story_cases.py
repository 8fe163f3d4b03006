"""Every story-identity case of tests/fixtures/stories, decided in order against one dedupe state."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest

from ingest.config import KafkaSettings
from ingest.stored_indexes import stored_indexes
from ingest.stored_table import StoredTable
from ingest.story_store import StoryStore
from processors.dedupe import Repeat, StoryIndex
from processors.language import LanguageDetector
from processors.pipeline import Publish, Skip, process_document
from tests.story_cases import Case, cases, mismatches
from tests.unit.test_stored_indexes import Clock


@pytest.fixture(scope="module", params=["in memory", "in the story store"])
def decided(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[Case, Publish | Skip]]:
    """Every case decided in order, against state in memory or in the worker's story store (the same answers)."""
    detector = LanguageDetector()
    results = []
    with ExitStack() as stack:
        if request.param == "in memory":
            table: dict[str, Any] = {}
            index = StoryIndex(table)
            keep = table.update
            tell = index.observe
        else:
            clock = Clock(cases()[0].at)
            store = StoryStore(tmp_path_factory.mktemp("store"))
            stack.callback(store.close)
            stored = StoredTable(KafkaSettings(bootstrap_servers="127.0.0.1:9"), "t", store)  # never connects
            index = StoryIndex(stored, indexes=stored_indexes(store, timedelta(days=3), clock))
            stored.watch(index)

            def keep(updates: dict[str, Any]) -> None:
                stored.stage(updates)
                stored.commit()

            def tell(key: str, value: Any) -> None:
                pass  # the stored table tells the index itself

        for case in cases():
            if request.param != "in memory":
                clock.now = case.at
            outcome = process_document(case.raw_document(), detector=detector, index=index, now=case.at)
            keep(outcome.state_updates)
            for key, value in outcome.state_updates.items():
                tell(key, value)
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

"""The indexes in the story store answer exactly as the in-memory ones, and the store's table keeps its promises.

The decisions of `make bench-dedupe`'s labelled pairs (revisions, copies, translations, look-alikes on the same
topic) among background news are made twice, in memory and against the store, and must agree one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.dedupe_corpus import Story, background_stories, pairs
from ingest.config import KafkaSettings
from ingest.stored_indexes import StoredExpiry, StoredNearDuplicates, StoredTranslations, stored_indexes
from ingest.stored_table import StoredTable
from ingest.story_store import UNDO, StoreError, StoryStore
from processors.dedupe import Document, ExpiryQueue, StoryIndex, state_updates
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, fingerprint
from processors.identity import story_id_for
from processors.near_duplicates import NearDuplicateIndex
from processors.translations import TranslationIndex, anchors

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WINDOW = timedelta(days=3)
NEVER_CONNECTS = KafkaSettings(bootstrap_servers="127.0.0.1:9")


class Clock:
    """The time of the document being decided, as the processor's clock would give it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StoryStore]:
    opened = StoryStore(tmp_path / "store")
    yield opened
    opened.close()


def document(story: Story, number: int, site: str) -> Document:
    return Document(
        identities=[f"url:https://{site}/news/{number}"],
        content_hash=f"{number:064x}",
        fingerprint=fingerprint(story.text),
        title=story.title,
        site=site,
        language=story.language,
        anchors=anchors(story.text),
    )


def documents() -> list[tuple[Document, datetime]]:
    """Background news, then both sides of every labelled pair, an hour apart (translations within the window)."""
    found: list[Document] = [
        document(story, n, f"bg{n % 7}.example") for n, story in enumerate(background_stories(150))
    ]
    for number, pair in enumerate(pairs(30)):
        right_site = "left.example" if pair.same_site else "right.example"
        found.append(document(pair.left, 1000 + 2 * number, "left.example"))
        found.append(document(pair.right, 1001 + 2 * number, right_site))
    return [(doc, NOW + timedelta(minutes=10 * n)) for n, doc in enumerate(found)]


def test_every_decision_against_the_store_is_the_in_memory_one(store: StoryStore) -> None:
    clock = Clock(NOW)
    table = StoredTable(NEVER_CONNECTS, "t", store)
    on_disk = StoryIndex(table, indexes=stored_indexes(store, WINDOW, clock=clock))
    table.watch(on_disk)
    entries: dict[str, dict[str, object]] = {}
    in_memory = StoryIndex(entries)
    kinds: set[str] = set()
    for doc, at in documents():
        clock.now = at
        expected, decided = in_memory.decide(doc, at), on_disk.decide(doc, at)
        assert decided == expected
        kinds.add(type(decided).__name__ + ("-translation" if getattr(decided, "translation_of", None) else ""))
        updates = state_updates(decided, doc, now=at)
        entries.update(updates)
        for key, value in updates.items():
            in_memory.observe(key, value)
        table.stage(updates)
        table.commit()
    assert {"NewStory", "NewStory-translation", "Revision"} <= kinds  # the corpus took every path


fingerprints = st.binary(min_size=SIGNATURE_BYTES, max_size=SIGNATURE_BYTES).map(
    lambda b: Fingerprint(
        bands=tuple(x % 4 if x % 4 != 3 else 2**32 - 1 for x in b[:BANDS]),
        signature=bytes(x % 4 * 17 for x in b),
        paragraphs=(),
        size=len(b),
    )
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 9), fingerprints, st.sampled_from("ab")), max_size=40),
    fingerprints,
)
def test_near_duplicate_matches_equal_the_in_memory_index(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[bool, int, Fingerprint, str]], query: Fingerprint
) -> None:
    store = StoryStore(tmp_path_factory.mktemp("nd"))
    try:
        on_disk, in_memory = StoredNearDuplicates(store), NearDuplicateIndex()
        for add, number, print_, site in steps:
            story_id = f"{number:020x}"
            with store.writing():
                if add:
                    on_disk.add(story_id, print_, site)
                    in_memory.add(story_id, print_, site)
                else:
                    on_disk.remove(story_id)
                    in_memory.remove(story_id)
        for threshold in (0.0, 0.5):
            assert on_disk.matches(query, threshold) == in_memory.matches(query, threshold)
    finally:
        store.close()


def test_translations_leave_the_window_as_in_memory(store: StoryStore) -> None:
    on_disk = StoredTranslations(store, WINDOW, clock=NOW.timestamp)
    in_memory = TranslationIndex(WINDOW)
    shared = tuple(f"#{n}00" for n in range(8))
    with store.writing():
        for index in (on_disk, in_memory):
            index.add("c" * 20, "de", (*shared, "alt"), NOW - timedelta(days=5))  # the store never takes it
            index.add("a" * 20, "id", (*shared, "kata"), NOW - timedelta(days=2))
            index.add("b" * 20, "de", (*shared, "wort"), NOW)
    for index in (on_disk, in_memory):
        index.forget_before(NOW)
        assert len(index) == 2
        match = index.best("en", (*shared, "word"), 0.55)
        assert match is not None and match.story_id == "a" * 20
        index.forget_before(NOW + timedelta(days=1, hours=1))
        match = index.best("en", (*shared, "word"), 0.55)
        assert match is not None and match.story_id == "b" * 20 and len(index) == 1


def test_the_expiry_queue_hands_out_what_is_due_oldest_first(store: StoryStore) -> None:
    for queue in (StoredExpiry(store), ExpiryQueue()):
        with store.writing():
            for number, stamp in enumerate([30.0, 10.0, 20.0, 40.0]):
                queue.note(f"{number:020x}", stamp)
        due = queue.take_before(35.0)
        assert due == [(10.0, f"{1:020x}"), (20.0, f"{2:020x}"), (30.0, f"{0:020x}")]
        assert queue.take_before(35.0) == []
        queue.put_back(due[:1])
        assert queue.take_before(50.0) == [(10.0, f"{1:020x}"), (40.0, f"{3:020x}")]


def test_staged_writes_are_read_at_once_and_undone_by_discard(store: StoryStore) -> None:
    table = StoredTable(NEVER_CONNECTS, "t", store)
    index = StoryIndex(table, indexes=stored_indexes(store, WINDOW, clock=NOW.timestamp))
    table.watch(index)
    doc = document(background_stories(1)[0], 1, "a.example")
    kept = state_updates(index.decide(doc, NOW), doc, now=NOW)
    table.stage(kept)
    table.commit()
    story = story_id_for(doc.identities[0])
    assert index.story(story) is not None and index.story(story).version == 1  # type: ignore[union-attr]

    copy = Document(
        [*doc.identities[:0], "url:https://b.example/copy"],
        "f" * 64,
        doc.fingerprint,
        doc.title,
        "b.example",
        doc.language,
        doc.anchors,
    )
    staged = state_updates(index.decide(copy, NOW), copy, now=NOW)
    table.stage(staged)
    assert index.story_for("url:https://b.example/copy") is not None
    assert list(store.scan(UNDO))  # what an abort, or the next start after a crash, brings back
    table.discard()
    assert index.story_for("url:https://b.example/copy") is None
    assert not list(store.scan(UNDO))
    again = index.decide(copy, NOW)  # the aborted copy left nothing in the indexes: still a copy of the first
    assert getattr(again, "duplicate_of", None) == story
    assert dict(table) == {key: value for key, value in kept.items()}
    assert len(table) == len(kept)  # counted as written, not by a scan


def test_a_second_process_on_one_store_is_refused(store: StoryStore) -> None:
    # One process a directory: RocksDB's lock refuses the second opener, with our error (the CLI exits 3 on it).
    with pytest.raises(StoreError, match="cannot be opened"):
        StoryStore(store.path)

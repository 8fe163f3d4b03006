"""The story store after a kill -9 at every step of a state write: what the topic holds, never more or less.

A story is written cleanly (version 1); then a processor-like process stages its version 2 in the store and is
killed at one step of the transaction (tests/faults/story_store_step.py). The next start, on the same store and
with the same transactional id (which aborts what the killed one left open), must show version 2 exactly when the
topic committed it, with the indexes derived from the version it shows and no undo entry left.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from bench.dedupe_corpus import background_stories
from ingest.config import KafkaSettings
from ingest.kafka import TransactionalProducer
from ingest.story_store import UNDO
from processors.dedupe import Document, NewStory, StoryIndex, state_updates
from processors.fingerprint import fingerprint
from processors.identity import story_id_for
from processors.translations import anchors
from tests.integration.support import BOOTSTRAP, read_topic

from .story_store_step import STEPS, open_table

SETTINGS = KafkaSettings(bootstrap_servers=BOOTSTRAP)
NOW = datetime.now(UTC)


def story_document(paragraphs: tuple[str, ...], identity: str) -> Document:
    text = "\n".join(paragraphs)
    return Document(
        [identity], f"{hash(text) & (2**63 - 1):064x}", fingerprint(text), "A story", "a.example", "en", anchors(text)
    )


def versions() -> tuple[Document, dict[str, Any], Document, dict[str, Any]]:
    story = background_stories(2)
    first = story_document(story[0].paragraphs, "url:https://a.example/story")
    second = story_document((*story[0].paragraphs, *story[1].paragraphs[:2]), "url:https://a.example/story-updated")
    v1 = state_updates(NewStory(story_id_for(first.identities[0])), first, now=NOW)
    index = StoryIndex(dict(v1))
    decision = index.decide(second, NOW)
    return first, v1, second, state_updates(decision, second, now=NOW)


@pytest.mark.parametrize("crash_at", STEPS)
def test_a_kill_at_any_step_leaves_the_store_as_the_topic(tmp_path: Path, app_id: str, crash_at: str) -> None:
    topic, transactional_id, store_dir = f"{app_id}.story-state", f"{app_id}.processor.0", tmp_path / "store"
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    finally:
        admin.close()
    first, v1, second, v2 = versions()
    assert v2[f"story:{story_id_for(first.identities[0])}"]["version"] == 2

    producer = TransactionalProducer(SETTINGS, transactional_id)
    store, table, _ = open_table(store_dir, topic, SETTINGS)
    table.restore()
    with table.transaction(producer):
        table.stage(v1)
    table.catch_up()
    producer.close()
    table.close()
    store.close()

    arguments = {
        "bootstrap": BOOTSTRAP,
        "topic": topic,
        "transactional_id": transactional_id,
        "store": str(store_dir),
        "updates": json.dumps(v2),
        "crash_at": crash_at,
    }
    killed = subprocess.run(
        [sys.executable, "-m", "tests.faults.story_store_step", json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr[-3000:]

    producer = TransactionalProducer(SETTINGS, transactional_id)  # fences the killed one: its transaction aborts
    store, table, index = open_table(store_dir, topic, SETTINGS)
    try:
        table.restore()
        committed = crash_at not in STEPS[:2]
        latest = {record.key.decode(): json.loads(record.value) for record in read_topic(topic)}
        assert dict(table) == latest == ({**v1, **v2} if committed else v1)
        assert len(table) == len(latest)
        story = index.story_for(second.identities[0] if committed else first.identities[0])
        assert story is not None and story.version == (2 if committed else 1)
        shown, other = (second, first) if committed else (first, second)
        assert [m.story_id for m in index.near_duplicates.matches(shown.fingerprint, 0.999)] == [story.story_id]
        assert index.near_duplicates.matches(other.fingerprint, 0.999) == []
        assert not list(store.scan(UNDO))
        assert table.last_restore["warm"], "a kill must not cost a rebuild"
    finally:
        producer.close()
        table.close()
        store.close()

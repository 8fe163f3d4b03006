"""A processor's story-state write, on a real store and broker, killed (-9, by itself) at the step it is told.

Run by tests/faults/test_story_store_crashes.py as `python -m tests.faults.story_store_step <json arguments>`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from ingest.config import KafkaSettings
from ingest.kafka import TransactionalProducer
from ingest.stored_indexes import stored_indexes
from ingest.stored_table import StoredTable
from ingest.story_store import StoryStore
from processors.dedupe import StoryIndex

STEPS = (
    "after staging, before anything was sent",
    "after the records were sent, before the Kafka commit",
    "after the Kafka commit, before the store's",
    "after the store's commit, before the write is read back",
    "after the write was read back",
)


def open_table(store_dir: Path, topic: str, kafka: KafkaSettings) -> tuple[StoryStore, StoredTable, StoryIndex]:
    """The story-state table on its store with the dedupe index over both, as the processor opens them."""
    store = StoryStore(store_dir)
    table = StoredTable(kafka, topic, store)
    index = StoryIndex(table, indexes=stored_indexes(store, timedelta(days=3)))
    table.watch(index)
    return store, table, index


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(arguments: dict[str, str]) -> None:
    settings = KafkaSettings(bootstrap_servers=arguments["bootstrap"])
    producer = TransactionalProducer(settings, arguments["transactional_id"])
    _, table, _ = open_table(Path(arguments["store"]), arguments["topic"], settings)
    table.restore()
    crash_at = arguments["crash_at"]
    if crash_at == STEPS[1]:
        producer._commit = die  # type: ignore[method-assign]  # called once every send is acknowledged
    if crash_at == STEPS[2]:
        table.commit = die  # type: ignore[method-assign]  # called once the Kafka transaction has committed
    with table.transaction(producer):
        table.stage(json.loads(arguments["updates"]))
        if crash_at == STEPS[0]:
            die()
    if crash_at == STEPS[3]:
        die()
    table.catch_up()
    die()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))

"""The story-state table on local disk (`ingest.story_store`), with the changelog offsets it has read.

At start, a store that copies this topic (same topic, same format, no offset past the topic's end) is read on from
its offsets: a restart replays only the tail. Any other store (an empty disk, another deployment's, one the topic
was recreated under) is wiped and rebuilt from the topic's beginning: a rebuild, never a wrong answer.

Staged writes go to the store at once (the transaction's later work reads them, and the indexes derived from them
are on disk too), each with an undo entry holding what the key held before, in the same atomic batch:

- `commit` (the Kafka transaction committed) drops the undo entries;
- `discard` (it aborted) writes the undo entries back, then drops them;
- a crash leaves undo entries behind: the next start writes them back first, then reads on from the offsets, which
  only records read back from the topic move. A transaction committed just before the crash is read back then;
  one that aborted never is. So the store never keeps what the topic does not have, whichever step a kill -9 hits.

A record read back for a key that is staged (ours, committed by the previous transaction) changes only its undo
entry: the staged value stays what the work sees, and an abort brings back the record's value, as in memory.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from ingest.config import KafkaSettings
from ingest.kafka import written_end
from ingest.state import ChangelogTable, encode_entry
from ingest.story_store import META, TABLE, UNDO, StoryStore

log = logging.getLogger(__name__)

_ABSENT, _PRESENT = b"\x00", b"\x01"
_ENTRIES = META + b"entries"
_UNREAD = object()
_COUNT = struct.Struct(">q")


class StoredTable(ChangelogTable):
    def __init__(self, kafka: KafkaSettings, topic: str, store: StoryStore) -> None:
        super().__init__(kafka, topic)
        self.store = store
        self._staged: dict[str, bytes | None] = {}  # this transaction's writes, as encoded for the topic
        self._undone = {key[len(UNDO) :].decode() for key, _ in store.scan(UNDO)}  # keys with an undo entry
        self._entries = _count(store.get(_ENTRIES))  # kept with the entries: counting 45M keys takes a minute
        self.last_restore: dict[str, Any] = {}

    def restore(self, timeout_s: float = 300.0, progress: Callable[[], None] = lambda: None) -> int:
        """Undo what was staged, then read the topic on from the store's offsets (from its start when rebuilt)."""
        self._staged.clear()
        self._write_back_undo()
        positions: dict[str, Any] = {}

        def start(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> None:
            offsets = self.store.offsets()
            end = written_end(self._kafka, partitions)
            known = {tp.partition for tp in partitions}
            reason = self._unusable(offsets, end, known)
            if reason:
                log.warning("story store rebuilt from the topic", extra={"topic": self.topic, "reason": reason})
                self.store.start_copy(self.topic)
                self._entries = 0
                offsets = {}
            positions["warm"] = not reason
            for tp in partitions:
                if tp.partition in offsets:
                    consumer.seek(tp, offsets[tp.partition])
                else:
                    consumer.seek_to_beginning(tp)

        self._tail_from(start)
        applied = self.catch_up(timeout_s, progress)
        self.last_restore = {"warm": positions.get("warm", False), "records": applied}
        log.info(
            "state restored",
            extra={
                "topic": self.topic,
                "records": applied,
                "warm": self.last_restore["warm"],
                "store": str(self.store.path),
            },
        )
        return applied

    def _unusable(self, offsets: dict[int, int], end: Mapping[TopicPartition, int], known: set[int]) -> str:
        """Why the store cannot be read on from its offsets ("" when it can)."""
        if not self.store.copies(self.topic):
            return "the store holds no copy of this topic (a new disk, or another topic or format)"
        if set(offsets) - known:
            return "the store has read partitions the topic does not have (the topic was recreated)"
        ahead = [tp.partition for tp, last in end.items() if offsets.get(tp.partition, 0) > last]
        if ahead:
            return f"the store is ahead of the topic on partitions {ahead} (the topic was recreated or truncated)"
        return ""

    def _apply(self, batches: Mapping[TopicPartition, list[Any]]) -> int:
        count = 0
        with self.store.writing():
            for tp, records in batches.items():
                for record in records:
                    key = record.key.decode("utf-8")
                    if key in self._undone:  # staged: what an abort brings back is now this record's value
                        self.store.put(UNDO + record.key, _undo_value(record.value))
                    else:
                        self._put(key, record.value)
                    count += 1
                if records:
                    self.store.set_offset(tp.partition, records[-1].offset + 1)
        return count

    def _put(self, key: str, encoded: bytes | None, before: bytes | object | None = _UNREAD) -> None:
        """Keep `encoded` (None: a tombstone) under `key`, and tell the observers of the change (`before`: what the
        key holds, when the caller has read it)."""
        table_key = TABLE + key.encode()
        if before is _UNREAD:
            before = self.store.get(table_key)
        if before == encoded:
            return  # our own write read back, or a record replayed after a restart
        if encoded is None:
            self.store.delete(table_key)
        else:
            self.store.put(table_key, encoded)
        if (before is None) != (encoded is None):
            self._entries += 1 if before is None else -1
            self.store.put(_ENTRIES, _COUNT.pack(self._entries))
        if any(key.startswith(observer.key_prefix) for observer in self._observers):
            self._notify([(key, None if encoded is None else json.loads(encoded))])

    def stage(self, updates: Mapping[str, dict[str, Any] | None]) -> None:
        with self.store.writing():
            for key, value in updates.items():
                encoded = encode_entry(value)
                before = self.store.get(TABLE + key.encode())
                if key not in self._undone:
                    self.store.put(UNDO + key.encode(), _undo_value(before))
                    self._undone.add(key)
                self._staged[key] = encoded
                self._put(key, encoded, before)

    def staged(self) -> Iterator[tuple[str, bytes | None]]:
        yield from self._staged.items()

    def commit(self) -> None:
        with self.store.writing():
            for key in self._undone:
                self.store.delete(UNDO + key.encode())
        self._undone.clear()
        self._staged.clear()

    def discard(self) -> None:
        self._staged.clear()
        self._write_back_undo()

    def _write_back_undo(self) -> None:
        with self.store.writing():
            for key in sorted(self._undone):
                undo_key = UNDO + key.encode()
                before = self.store.get(undo_key)
                self.store.delete(undo_key)
                self._put(key, None if before is None or before[:1] == _ABSENT else before[1:])
        self._undone.clear()

    def __getitem__(self, key: str) -> dict[str, Any]:
        stored = self.store.get(TABLE + key.encode())
        if stored is None:
            raise KeyError(key)
        decoded: dict[str, Any] = json.loads(stored)
        return decoded

    def __iter__(self) -> Iterator[str]:
        yield from (key[len(TABLE) :].decode() for key, _ in self.store.scan(TABLE))

    def __len__(self) -> int:
        return self._entries


def _count(value: bytes | None) -> int:
    return _COUNT.unpack(value)[0] if value else 0


def _undo_value(before: bytes | None) -> bytes:
    return _ABSENT if before is None else _PRESENT + before

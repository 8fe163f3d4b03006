"""Key-value state kept in a compacted Kafka topic, readable as a Mapping.

The topic is the truth; this table is its local copy. It is restored by reading the whole topic (committed records
only) before the worker reports ready, and it keeps tailing the topic so that writes of other replicas show up.
A worker's own writes go through `stage` and become visible at once to the work of the same transaction (the
overlay); `commit` keeps them and `discard` drops them when the transaction aborts, so the local copy never holds
what the topic does not.

A `compact` table keeps committed entries as the topic's bytes and decodes them when read: the story table holds
millions of entries, and a decoded JSON object costs several times its bytes (docs/benchmarks.md, "memory"); its
reads are few per document, and observers (the indexes) get each value decoded once, as it arrives. The feed-state
table is read for every feed on every tick of the poller: it keeps decoded values.
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition

from ingest.config import KafkaSettings
from ingest.kafka import TransactionalProducer, partitions_of, reading_consumer, written_end

log = logging.getLogger(__name__)

_DELETED = None
_NOT_DECODED = object()


class Observer(Protocol):
    """Something derived from the table (an index) that must follow what the table shows."""

    key_prefix: str  # the entries it derives from: it is told of no others

    def observe(self, key: str, value: Mapping[str, Any] | None) -> None: ...

    def forget_all(self) -> None: ...


class ChangelogTable(Mapping[str, dict[str, Any]], ABC):
    """A table whose truth is a compacted topic: what reading and writing it through Kafka has in common.

    The local copy is the subclass's: `StateTable` in memory, `ingest.stored_table.StoredTable` on disk.
    """

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self.topic = topic
        self._kafka = kafka
        self._consumer: KafkaConsumer | None = None
        self._observers: list[Observer] = []

    def watch(self, observer: Observer) -> None:
        """Tell `observer` of every change to what the table shows: staged, committed, discarded, restored."""
        self._observers.append(observer)

    @abstractmethod
    def restore(self, timeout_s: float = 300.0, progress: Callable[[], None] = lambda: None) -> int:
        """Make the local copy what the topic holds now; return how many records were read to do so.

        Run again after a broker error, it drops what was staged: the topic is the truth, and a commit whose answer
        was lost may or may not have happened.
        """

    def _tail_from(self, start: Callable[[KafkaConsumer, list[TopicPartition]], None]) -> None:
        """Read the whole topic from where `start` puts each partition: `catch_up` and `refresh` go on from there."""
        self.close()
        # Large polls: a restore reads millions of records, and every poll and every store batch has its cost.
        consumer = reading_consumer(self._kafka, consumer_timeout_ms=1000, max_poll_records=5000)
        partitions = partitions_of(consumer, self.topic, self._kafka)
        consumer.assign(partitions)
        start(consumer, partitions)
        self._consumer = consumer

    def catch_up(self, timeout_s: float = 300.0, progress: Callable[[], None] = lambda: None) -> int:
        """Apply everything committed up to the topic's end as of now; return how many records were applied.

        Unlike `refresh`, it waits: after taking over work from another replica, what that replica committed last
        must be seen before the work goes on. `progress` is called after every batch read (a liveness beat).
        """
        consumer = self._tailing()
        partitions = sorted(consumer.assignment())
        end = written_end(self._kafka, partitions)
        applied = 0
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"state topic {self.topic} not read to its end within {timeout_s:.0f} s")
            applied += self._apply(consumer.poll(timeout_ms=500))
            progress()
        return applied

    def refresh(self) -> int:
        """Apply what other writers (and we) committed since the last call; never blocks long."""
        return self._apply(self._tailing().poll(timeout_ms=0))

    def _tailing(self) -> KafkaConsumer:
        if self._consumer is None:
            raise RuntimeError(f"state table {self.topic} used before restore()")
        return self._consumer

    @abstractmethod
    def _apply(self, batches: Mapping[TopicPartition, list[Any]]) -> int:
        """Apply records read from the topic; return how many."""

    @abstractmethod
    def stage(self, updates: Mapping[str, dict[str, Any] | None]) -> None:
        """Writes of the open transaction (None deletes): visible at once to its work, kept or dropped with it."""

    @abstractmethod
    def staged(self) -> Iterator[tuple[str, bytes | None]]:
        """The staged writes, encoded for the state topic (None is a tombstone); `commit` keeps these bytes."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def discard(self) -> None: ...

    @contextmanager
    def transaction(self, producer: TransactionalProducer) -> Iterator[TransactionalProducer]:
        """A Kafka transaction that also carries the staged writes: kept when it commits, dropped when it aborts."""
        try:
            with producer.transaction() as tx:
                yield tx
                for key, value in self.staged():
                    tx.send(self.topic, key, value)
        except BaseException:
            self.discard()
            raise
        self.commit()

    def _notify(self, changes: Iterable[tuple[str, Mapping[str, Any] | None]]) -> None:
        for key, value in changes:
            for observer in self._observers:
                if key.startswith(observer.key_prefix):
                    observer.observe(key, value)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None


class StateTable(ChangelogTable):
    """A table kept in memory: restored by reading the whole topic at every start."""

    def __init__(self, kafka: KafkaSettings, topic: str, *, compact: bool = False) -> None:
        super().__init__(kafka, topic)
        self._compact = compact
        self._base: dict[str, Any] = {}  # the topic's bytes when compact, else their decoding
        self._overlay: dict[str, dict[str, Any] | None] = {}
        self._encoded: dict[str, bytes | None] = {}  # staged values as `staged` encoded them for the topic

    def restore(self, timeout_s: float = 300.0, progress: Callable[[], None] = lambda: None) -> int:
        """Read the topic from the start to its current end; return how many records were applied."""
        self._base.clear()
        self._overlay.clear()
        self._encoded.clear()
        for observer in self._observers:
            observer.forget_all()
        self._tail_from(lambda consumer, partitions: consumer.seek_to_beginning(*partitions))
        applied = self.catch_up(timeout_s, progress)
        log.info("state restored", extra={"topic": self.topic, "records": applied, "entries": len(self._base)})
        return applied

    def stage(self, updates: Mapping[str, dict[str, Any] | None]) -> None:
        self._overlay.update(updates)
        for key in updates:
            self._encoded.pop(key, None)
        self._notify(updates.items())

    def staged(self) -> Iterator[tuple[str, bytes | None]]:
        for key, value in self._overlay.items():
            encoded = self._encoded[key] = encode_entry(value)
            yield key, encoded

    def commit(self) -> None:
        for key, value in self._overlay.items():
            self._put(key, self._encoded[key] if key in self._encoded else encode_entry(value), value)
        self._overlay.clear()
        self._encoded.clear()

    def discard(self) -> None:
        dropped = list(self._overlay)
        self._overlay.clear()
        self._encoded.clear()
        self._notify((key, self.get(key)) for key in dropped)

    def _apply(self, batches: Mapping[TopicPartition, list[Any]]) -> int:
        count = 0
        for records in batches.values():
            for record in records:
                self._put(record.key.decode("utf-8"), record.value)
                count += 1
        return count

    def _put(self, key: str, encoded: bytes | None, decoded: Any = _NOT_DECODED) -> None:
        """Keep `encoded` (None: a tombstone) under `key`; `decoded` is its value when the caller has it at hand."""
        if encoded is None:
            self._base.pop(key, None)
            decoded = None
        elif self._compact:
            self._base[key] = encoded
        else:
            decoded = json.loads(encoded) if decoded is _NOT_DECODED else decoded
            self._base[key] = decoded
        if key in self._overlay or not self._observers:  # a staged key shows its staged value
            return
        if decoded is _NOT_DECODED:
            decoded = json.loads(encoded)  # type: ignore[arg-type]  # not None: a tombstone has decoded = None
        self._notify([(key, decoded)])

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key in self._overlay:
            value = self._overlay[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        stored = self._base[key]
        decoded: dict[str, Any] = json.loads(stored) if self._compact else stored
        return decoded

    def __iter__(self) -> Iterator[str]:
        yield from (key for key, value in self._overlay.items() if value is not _DELETED)
        yield from (key for key in self._base if key not in self._overlay)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def encode_entry(value: Mapping[str, Any] | None) -> bytes | None:
    """An entry as the state topic holds it (None: a tombstone)."""
    return None if value is None else json.dumps(value, separators=(",", ":")).encode("utf-8")

"""The pending revisits of the partitions this poller replica owns, kept in a compacted topic.

`<app_id>.revisits` has as many partitions as the feed registry, and a revisit lives on the partition of its feed's
host: the replica that polls a feed (`ingest.feed_assignment`) is the one that revisits its pages. The topic is the
truth and this book its local copy for the owned partitions: a partition gained is read from its beginning (what
its last owner committed), a partition lost is forgotten. Writes are staged, sent inside the poller's transaction
with the documents they go with, kept on commit and dropped on abort, so that a poller killed at any instant
neither loses a revisit nor makes one twice (a revisit made and not committed is made again, with the same result).

Bounded: at most `revisits.max_pending` revisits held; one more staged drops the oldest held (a tombstone in the
same transaction), counted. Entries are kept as the topic's bytes and decoded when due.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition

from ingest.config import Settings
from ingest.feed_registry import host_partition
from ingest.kafka import MissingTopic, TransactionalProducer, partitions_of, reading_consumer, written_end
from ingest.metrics import Metrics
from ingest.revisit_schedule import Revisit

log = logging.getLogger(__name__)

_Slot = tuple[int, str]  # (partition, key): one revisit


class RevisitBook:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.topic = settings.revisit_topic
        self._kafka = settings.kafka
        self._max_pending = settings.revisits.max_pending
        self._metrics = metrics
        self._consumer: KafkaConsumer | None = None
        self.partitions = 0
        self._owned: frozenset[int] = frozenset()
        self._held: dict[_Slot, bytes] = {}  # insertion order: the oldest revisit first
        self._due_at: dict[_Slot, float] = {}
        self._queue: list[tuple[float, int, str]] = []  # (due_at, partition, key), stale entries skipped
        self._taken: set[_Slot] = set()
        self._staged: dict[_Slot, bytes | None] = {}

    def open(self, registry_topic: str) -> None:
        """Connect, and check that this topic is partitioned like the feed registry (its owners are the same)."""
        self.close()
        consumer = reading_consumer(self._kafka, consumer_timeout_ms=1000)
        self._consumer = consumer
        ours = len(partitions_of(consumer, self.topic, self._kafka))
        registry = len(partitions_of(consumer, registry_topic, self._kafka))
        if ours != registry:
            raise MissingTopic(
                f"{self.topic} has {ours} partitions and {registry_topic} {registry}: they must be equal "
                f"(a revisit belongs to the replica that owns its feed); recreate {self.topic} with {registry}"
            )
        self.partitions = ours

    def partition_of(self, revisit: Revisit) -> int:
        return host_partition(revisit.feed.url, self.partitions)

    # -- ownership -------------------------------------------------------------------------------------------------

    def follow(self, owned: frozenset[int], progress: Callable[[], None] = lambda: None) -> None:
        """Hold the revisits of `owned` (the poller group's partitions for this replica): read the gained ones from
        their beginning, forget the lost ones. Called only with nothing staged (between commits).

        Once read, a partition is only written by its owner, this replica: its local copy follows our own commits
        and the topic is not read again until the partition is gained again (or after a broker error)."""
        if owned == self._owned:
            return
        gained, lost = owned - self._owned, self._owned - owned
        for slot in [slot for slot in self._held if slot[0] in lost]:
            self._forget(slot)
        self._owned = owned
        if gained:
            self._read(sorted(gained), progress)
        self._metrics.revisits_pending.set(len(self._held))
        log.info("revisits held", extra={"partitions": sorted(owned), "revisits": len(self._held)})

    def forget(self) -> None:
        """Hold nothing (after a broker error): the next `follow` reads the owned partitions afresh from the topic,
        the truth (a commit whose answer was lost may or may not have happened)."""
        self._owned = frozenset()
        self._held.clear()
        self._due_at.clear()
        self._queue.clear()
        self._taken.clear()
        self._staged.clear()

    def _read(self, partitions: list[int], progress: Callable[[], None], timeout_s: float = 300.0) -> None:
        """Apply every committed record of `partitions`, from their beginning to their end as of now."""
        consumer = self._require_consumer()
        assigned = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = written_end(self._kafka, assigned)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.topic} not read to its end within {timeout_s:.0f} s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    self._keep((tp.partition, record.key.decode("utf-8")), record.value)
            progress()
        consumer.assign([])

    # -- what is due -----------------------------------------------------------------------------------------------

    def due(self, now: float, limit: int, accept: Callable[[Revisit], bool] = lambda _: True) -> list[Revisit]:
        """Up to `limit` held revisits due by `now`, soonest first, that `accept` takes (the others stay due, and
        at most 5 x `limit` are looked at); each is taken until it is staged or released."""
        taken: list[Revisit] = []
        passed: list[tuple[float, int, str]] = []
        while self._queue and self._queue[0][0] <= now and len(taken) < limit and len(passed) < 4 * limit:
            entry = heapq.heappop(self._queue)
            slot = (entry[1], entry[2])
            if self._due_at.get(slot) != entry[0] or slot in self._taken or slot in self._staged:
                continue  # a stale entry (the revisit was rescheduled, ended or is being made)
            revisit = Revisit.model_validate_json(self._held[slot])
            if not accept(revisit):
                passed.append(entry)
                continue
            self._taken.add(slot)
            taken.append(revisit)
        for entry in passed:
            heapq.heappush(self._queue, entry)
        return taken

    def release(self, revisit: Revisit) -> None:
        """A taken revisit not made (a stop, a broker error): due again as it was."""
        slot = (self.partition_of(revisit), revisit.key)
        self._taken.discard(slot)
        if slot in self._due_at:
            heapq.heappush(self._queue, (self._due_at[slot], *slot))

    @property
    def pending(self) -> int:
        return len(self._held)

    @property
    def next_due_at(self) -> float | None:
        while self._queue:
            due_at, partition, key = self._queue[0]
            slot = (partition, key)
            if self._due_at.get(slot) == due_at and slot not in self._taken and slot not in self._staged:
                return due_at
            heapq.heappop(self._queue)
        return None

    # -- writes ----------------------------------------------------------------------------------------------------

    def stage(self, revisit: Revisit) -> None:
        """Stage the revisit's next state for the next commit (a new one, or the next step of a taken one).

        A new revisit past `revisits.max_pending` drops the oldest held one (a tombstone in the same commit)."""
        slot = (self.partition_of(revisit), revisit.key)
        self._taken.discard(slot)
        if slot not in self._held and slot not in self._staged and slot[0] in self._owned:
            self._make_room()
        self._staged[slot] = revisit.model_dump_json().encode("utf-8")

    def end(self, revisit: Revisit) -> None:
        """Stage the end of `revisit` (its schedule is over, its page gone or moved)."""
        slot = (self.partition_of(revisit), revisit.key)
        self._taken.discard(slot)
        self._staged[slot] = None

    def _make_room(self) -> None:
        """Drop the oldest revisit, held or only staged, when one more would pass `revisits.max_pending`."""
        staged_new = [slot for slot, value in self._staged.items() if value is not None and slot not in self._held]
        ending = sum(1 for slot, value in self._staged.items() if value is None and slot in self._held)
        if len(self._held) + len(staged_new) - ending < self._max_pending:
            return
        oldest = next((slot for slot in self._held if slot not in self._staged and slot not in self._taken), None)
        if oldest is not None:
            self._staged[oldest] = None
        elif staged_new:
            oldest = staged_new[0]
            del self._staged[oldest]  # never committed: it is simply not scheduled
        else:
            return
        self._metrics.revisits.labels("dropped").inc()
        log.warning(
            "revisit dropped: revisits.max_pending reached, the oldest goes",
            extra={"key": oldest[1], "limit": self._max_pending},
        )

    def send_staged(self, tx: TransactionalProducer) -> None:
        for (partition, key), value in self._staged.items():
            tx.send(self.topic, key, value, partition=partition)

    def commit(self) -> None:
        for slot, value in self._staged.items():
            if slot[0] in self._owned:
                self._keep(slot, value)
        self._staged.clear()
        self._metrics.revisits_pending.set(len(self._held))

    def discard(self) -> None:
        """The transaction aborted: what was staged never happened, the revisits it moved are due as they were."""
        for slot in self._staged:
            if slot in self._due_at:
                heapq.heappush(self._queue, (self._due_at[slot], *slot))
        self._staged.clear()

    # -- the local copy --------------------------------------------------------------------------------------------

    def _keep(self, slot: _Slot, value: bytes | None) -> None:
        if value is None:
            self._forget(slot)
            return
        due_at = Revisit.model_validate_json(value).due_at
        self._held[slot] = value
        self._due_at[slot] = due_at
        heapq.heappush(self._queue, (due_at, *slot))

    def _forget(self, slot: _Slot) -> None:
        self._held.pop(slot, None)
        self._due_at.pop(slot, None)
        self._taken.discard(slot)

    def held(self) -> Iterable[Revisit]:
        """Every held revisit (for `revisits status`)."""
        return (Revisit.model_validate_json(value) for value in self._held.values())

    def _require_consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            raise RuntimeError(f"{self.topic} used before open()")
        return self._consumer

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

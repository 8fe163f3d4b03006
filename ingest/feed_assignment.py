"""Which feeds this poller replica polls: those whose host falls in a partition the poller group gave it.

Poller replicas join one consumer group (`<app_id>.poller`) on the feed registry topic (`<app_id>.feeds`) and
Kafka divides its partitions among them, as it does for any consumer group: we never coordinate replicas ourselves.
A feed belongs to the partition of its host name under Kafka's own key hash (murmur2), so

- each feed is polled by one replica at a time, and a replica that leaves hands its feeds to the others;
- all feeds of one host stay on one replica, so per-host politeness holds without a shared cache.

Revocations happen only inside `update()`, which the poller calls between feed polls: a feed's poll and its
transaction are never cut in half by a rebalance.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import suppress

from kafka import KafkaConsumer

from ingest.config import FeedSettings
from ingest.feed_registry import NUDGE_PREFIX, decode, host_partition

log = logging.getLogger(__name__)

# Long enough for a join or a rebalance round to make progress, short enough not to delay due feeds.
_GROUP_POLL_MS = 100
_NUDGE_FRESH_S = 600.0


class FeedAssignment:
    def __init__(self, consumer_factory: Callable[[], KafkaConsumer], topic: str) -> None:
        self._consumer_factory = consumer_factory
        self._consumer = consumer_factory()
        self._topic = topic
        self._owned: frozenset[int] = frozenset()
        self._partitions = 0
        self._registered: dict[str, tuple[int, FeedSettings]] = {}
        self._nudged: set[str] = set()

    def reset(self) -> None:
        """After a broker error: a new group member; it owns nothing until the group assigns it partitions again."""
        self.close()
        self._consumer = self._consumer_factory()
        self._owned = frozenset()
        self._registered = {}

    def update(self) -> frozenset[int]:
        """Take part in the group (join, heartbeat, rebalance), read new feed definitions of our partitions;
        return the partitions gained since the last call.

        Offsets are never committed, so a partition gained is read from its beginning: the registry's current
        definitions for its hosts, whoever owned it before.
        """
        batches = self._consumer.poll(timeout_ms=_GROUP_POLL_MS)
        if not self._partitions:
            # The group consumer was built once the topic's partitions were known (ingest.kafka.group_consumer).
            self._partitions = len(self._consumer.partitions_for_topic(self._topic) or ())
        owned = frozenset(tp.partition for tp in self._consumer.assignment())
        gained, lost = owned - self._owned, self._owned - owned
        if gained or lost:
            log.info(
                "feed partitions reassigned",
                extra={"owned": sorted(owned), "gained": sorted(gained), "lost": sorted(lost)},
            )
            # What we knew of those partitions may be stale (a removal compacted away since): read them afresh.
            self._registered = {url: pf for url, pf in self._registered.items() if pf[0] in owned - gained}
        self._owned = owned
        for partition, records in batches.items():
            for record in records:
                url = record.key.decode("utf-8")
                if url.startswith(NUDGE_PREFIX):
                    self._nudge(url.removeprefix(NUDGE_PREFIX), record.value)
                    continue
                feed = decode(record.value)
                if feed is None:
                    self._registered.pop(url, None)
                else:
                    self._registered[url] = (partition.partition, feed)
        return gained

    def _nudge(self, feed_url: str, value: bytes | None) -> None:
        try:
            at = float(json.loads(value or b"{}").get("at", 0))
        except (ValueError, AttributeError):
            return
        # A partition gained is read from its beginning: old nudges (compaction keeps the last per feed) are past.
        if time.time() - at <= _NUDGE_FRESH_S:
            self._nudged.add(feed_url)

    def take_nudges(self) -> set[str]:
        """Feeds a hub said changed since the last call: poll them now."""
        nudged, self._nudged = self._nudged, set()
        return nudged

    def registered(self) -> list[FeedSettings]:
        """The registry's feeds on this replica's partitions."""
        return [feed for partition, feed in self._registered.values() if partition in self._owned]

    @property
    def partitions(self) -> frozenset[int]:
        """The partitions the group gave this replica (of the registry, and of every topic partitioned like it)."""
        return self._owned

    @property
    def holds_partitions(self) -> bool:
        return bool(self._owned)

    def owns(self, feed: FeedSettings) -> bool:
        return bool(self._partitions) and host_partition(feed.url, self._partitions) in self._owned

    def owned(self, feeds: Iterable[FeedSettings]) -> list[FeedSettings]:
        return [feed for feed in feeds if self.owns(feed)]

    def close(self) -> None:
        with suppress(Exception):  # a member cut off from its broker may fail to leave the group: no matter
            self._consumer.close()

"""The poller's pending commit: what polls produced since the last commit, and the feed states that record it.

Polls are committed in groups (a Kafka transaction costs about 10 ms whatever it holds): a commit is due once it
holds `DOCUMENTS` documents or `BYTES` bytes of them (this bounds memory), `FEEDS` feed states, or has waited
`MAX_WAIT_S`. A crash before a commit loses nothing: those feeds' states were not committed either, so the next
poll finds the same entries new again. (Like quixstreams' Checkpoint: the loop decides when, this object how.)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ingest.config import FeedSettings, Settings
from ingest.feed_state import FeedState, feed_key
from ingest.kafka import TransactionalProducer
from ingest.metrics import Metrics
from ingest.state import StateTable
from processors.records import DeadLetter

log = logging.getLogger(__name__)

DOCUMENTS = 100
BYTES = 8 * 2**20
FEEDS = 100
MAX_WAIT_S = 2.0


@dataclass(frozen=True)
class Output:
    """What one entry (or one feed's failure) becomes: a raw document, already serialized, or a dead letter."""

    key: str
    document: bytes | None = None
    dead_letter: DeadLetter | None = None


class PollCheckpoint:
    def __init__(self, settings: Settings, state: StateTable, producer: TransactionalProducer, metrics: Metrics):
        self._settings = settings
        self._state = state
        self._producer = producer
        self._metrics = metrics
        self._outputs: list[tuple[FeedSettings, Output]] = []
        self._feeds = 0
        self._bytes = 0
        self._since = 0.0

    def add(self, feed: FeedSettings, outputs: list[Output], state: FeedState) -> None:
        """Add what a poll produced, and the feed state that records it, to the next commit."""
        self._state.stage({feed_key(feed.url): state.model_dump(mode="json")})
        if not self._feeds:
            self._since = time.monotonic()
        self._outputs.extend((feed, output) for output in outputs)
        self._bytes += sum(len(output.document or b"") for output in outputs)
        self._feeds += 1

    @property
    def full(self) -> bool:
        """Commit now, even in the middle of a feed: the documents held have reached their bound."""
        return len(self._outputs) >= DOCUMENTS or self._bytes >= BYTES

    @property
    def due(self) -> bool:
        return self.full or self._feeds >= FEEDS or (self._feeds > 0 and time.monotonic() - self._since >= MAX_WAIT_S)

    @property
    def empty(self) -> bool:
        return not self._feeds

    def drop(self) -> None:
        """Forget what is pending (after a broker error: the state table is restored, the polls done again)."""
        self._outputs, self._feeds, self._bytes = [], 0, 0

    def commit(self) -> None:
        """One transaction: the documents, the dead letters and the feed states that record them."""
        if not self._feeds:
            return
        outputs = self._outputs
        self.drop()
        topics = self._settings.topics
        with self._state.transaction(self._producer) as tx:
            for _, output in outputs:
                if output.document is not None:
                    tx.send(topics.raw, output.key, output.document)
                if output.dead_letter is not None:
                    tx.send(topics.dlq, output.key, output.dead_letter.to_json_bytes())
        self._metrics.transactions.labels("poller", "committed").inc()
        for feed, output in outputs:
            if output.document is not None:
                self._metrics.raw_published.inc()
            if output.dead_letter is not None:
                letter = output.dead_letter
                self._metrics.dlq_records.labels(letter.stage, letter.reason).inc()
                log.warning(
                    "dead-lettered",
                    extra={
                        "feed": feed.name,
                        "url": letter.source_url,
                        "reason": letter.reason,
                        "stage": letter.stage,
                        "detail": letter.detail,
                    },
                )

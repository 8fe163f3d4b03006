"""The poller's pending commit: what polls produced since the last commit, and the feed states that record it.

Polls are committed in groups (a Kafka transaction costs about 10 ms whatever it holds): a commit is due once it
holds `DOCUMENTS` documents or `BYTES` bytes of them (this bounds memory), `FEEDS` feed states, or has waited
`MAX_WAIT_S`. A crash before a commit loses nothing: those feeds' states were not committed either, so the next
poll finds the same entries new again. (Like quixstreams' Checkpoint: the loop decides when, this object how.)

Revisits (`ingest.revisit_book`) are committed the same way: a page's first revisit with the document of its first
fetch, a revisit's next step with the document it found (if the page changed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ingest.config import FeedSettings, Settings
from ingest.feed_state import FeedState, feed_key
from ingest.kafka import TransactionalProducer
from ingest.metrics import Metrics
from ingest.revisit_book import RevisitBook
from ingest.revisit_schedule import Revisit
from ingest.state import StateTable
from processors.records import DeadLetter

log = logging.getLogger(__name__)

DOCUMENTS = 100
BYTES = 8 * 2**20
FEEDS = 100
MAX_WAIT_S = 2.0


@dataclass(frozen=True)
class Output:
    """What one entry (or one feed's failure, or one revisit) becomes: a raw document, already serialized, or a
    dead letter; and the page's revisit, scheduled or moved on (`ends_revisit`: its record is deleted)."""

    key: str
    document: bytes | None = None
    dead_letter: DeadLetter | None = None
    revisit: Revisit | None = None
    ends_revisit: bool = False


class PollCheckpoint:
    def __init__(
        self,
        settings: Settings,
        state: StateTable,
        producer: TransactionalProducer,
        metrics: Metrics,
        revisits: RevisitBook | None = None,
    ):
        self._settings = settings
        self._state = state
        self._producer = producer
        self._metrics = metrics
        self._revisits = revisits
        self._outputs: list[tuple[str, Output]] = []
        self._feeds = 0  # feed polls and revisits
        self._bytes = 0
        self._since = 0.0

    def add(self, feed: FeedSettings, outputs: list[Output], state: FeedState) -> None:
        """Add what a poll produced, and the feed state that records it, to the next commit."""
        self._state.stage({feed_key(feed.url): state.model_dump(mode="json")})
        self._add(feed.name, outputs)

    def add_revisit(self, output: Output) -> None:
        """Add what a revisit produced (the page's document if it changed, and the revisit's next state)."""
        self._add(output.revisit.feed.name if output.revisit else "", [output])

    def _add(self, feed_name: str, outputs: list[Output]) -> None:
        if not self._feeds:
            self._since = time.monotonic()
        for output in outputs:
            self._stage_revisit(output)
        self._outputs.extend((feed_name, output) for output in outputs)
        self._bytes += sum(len(output.document or b"") for output in outputs)
        self._feeds += 1

    def _stage_revisit(self, output: Output) -> None:
        if self._revisits is None or output.revisit is None:
            return
        if output.ends_revisit:
            self._revisits.end(output.revisit)
        else:
            self._revisits.stage(output.revisit)

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
        if self._revisits is not None:
            self._revisits.discard()

    def commit(self) -> None:
        """One transaction: the documents, the dead letters and the feed states that record them."""
        if not self._feeds:
            return
        outputs = self._outputs
        self._outputs, self._feeds, self._bytes = [], 0, 0
        topics = self._settings.topics
        revisits = self._revisits
        try:
            with self._state.transaction(self._producer) as tx:
                for _, output in outputs:
                    if output.document is not None:
                        tx.send(topics.raw, output.key, output.document)
                    if output.dead_letter is not None:
                        tx.send(topics.dlq, output.key, output.dead_letter.to_json_bytes())
                if revisits is not None:
                    revisits.send_staged(tx)
        except BaseException:
            if revisits is not None:
                revisits.discard()
            raise
        if revisits is not None:
            revisits.commit()
        self._metrics.transactions.labels("poller", "committed").inc()
        for feed_name, output in outputs:
            if output.document is not None:
                self._metrics.raw_published.inc()
            if output.dead_letter is not None:
                letter = output.dead_letter
                self._metrics.dlq_records.labels(letter.stage, letter.reason).inc()
                log.warning(
                    "dead-lettered",
                    extra={
                        "feed": feed_name,
                        "url": letter.source_url,
                        "reason": letter.reason,
                        "stage": letter.stage,
                        "detail": letter.detail,
                    },
                )

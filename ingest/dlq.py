"""`news-ingest dlq replay`: send dead letters back through the pipeline once their cause is fixed.

Letters are read by the consumer group `<app_id>.dlq-replay`, so each is replayed once: a second replay takes
only letters that arrived since (`--from-beginning` scans them all again). What is sent back and the group's
offsets are committed in one transaction. Replaying a letter twice is harmless anyway: the processor drops exact
repeats.

- A letter whose payload is a raw document (stages extract, language, dedupe, normalize, process) goes back to
  the raw topic as it is; one whose payload is an extracted document (the dedupe stage) goes back to
  `<app_id>.extracted`.
- A page that could not be fetched (stage fetch, payload the feed entry) is fetched again; if it still fails, a
  new dead letter records it, with one more attempt.
- A feed that could not be read (stage parse) is not replayed: the poller reads the feed again on its schedule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Event
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from ingest.config import Settings
from ingest.http import FetchError
from ingest.kafka import TransactionalProducer, drain, partitions_of
from ingest.metrics import Metrics
from ingest.pages import entry_key, fetch_page_document
from ingest.politeness import PoliteFetcher
from processors.records import DeadLetter, ExtractedDocument, FeedEntry, RawDocument


@dataclass
class ReplayReport:
    replayed: int = 0
    failed_again: int = 0
    not_replayable: int = 0
    filtered_out: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


log = logging.getLogger(__name__)

_FROM_RAW_DOCUMENT = {"extract", "language", "dedupe", "normalize", "process"}


class DeadLetterReplay:
    def __init__(
        self,
        settings: Settings,
        *,
        consumer: KafkaConsumer,
        producer: TransactionalProducer,
        fetcher: PoliteFetcher,
        metrics: Metrics,
        reasons: set[str],
        stages: set[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._fetcher = fetcher
        self._metrics = metrics
        self._reasons = reasons
        self._stages = stages
        self._clock = clock
        self.report = ReplayReport()

    def run(self, *, from_beginning: bool) -> ReplayReport:
        if from_beginning:
            self._rewind_to_start()
        drain(self._consumer, [self._settings.topics.dlq], self._step, Event(), self._settings.kafka)
        return self.report

    def _rewind_to_start(self) -> None:
        topic = self._settings.topics.dlq
        deadline = time.monotonic() + 30
        while len(self._consumer.assignment()) < len(partitions_of(self._consumer, topic, self._settings.kafka)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no assignment of {topic} within 30 s")
            self._consumer.poll(timeout_ms=200)  # joining the group; records read here are seen again below
        self._consumer.seek_to_beginning(*self._consumer.assignment())

    def _step(self) -> int:
        batches = self._consumer.poll(timeout_ms=1000)
        records = [record for partition in batches.values() for record in partition]
        if not records:
            return 0
        offsets: dict[TopicPartition, int] = {}
        with self._producer.transaction() as tx:
            for record in records:
                offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                for topic, key, value in self._replay(record):
                    tx.send(topic, key, value)
            tx.send_offsets(offsets, self._consumer)
        return len(records)

    def _replay(self, record: Any) -> list[tuple[str, str, bytes]]:
        """What to send for one dead letter: (topic, key, value) triples, possibly none."""
        try:
            letter = DeadLetter.model_validate_json(record.value)
        except ValidationError:
            self.report.not_replayable += 1
            return []
        if (self._reasons and letter.reason not in self._reasons) or (
            self._stages and letter.stage not in self._stages
        ):
            self.report.filtered_out += 1
            return []
        self.report.reasons[letter.reason] = self.report.reasons.get(letter.reason, 0) + 1
        key = record.key.decode("utf-8", "replace") if record.key else ""
        try:
            if letter.stage in _FROM_RAW_DOCUMENT and letter.payload_encoding == "utf-8" and letter.payload:
                sent = self._back_into_pipeline(key, letter.payload)
                self.report.replayed += 1
                return [sent]
            if letter.stage == "fetch" and letter.feed and letter.payload:
                entry = FeedEntry.model_validate_json(letter.payload)
                if entry.url:
                    return self._refetch(letter, entry)
        except ValidationError:
            pass
        self.report.not_replayable += 1
        return []

    def _back_into_pipeline(self, key: str, payload: str) -> tuple[str, str, bytes]:
        """A raw document goes back to the raw topic; one that failed in the dedupe stage, to the extracted topic."""
        try:
            return self._settings.topics.raw, key, RawDocument.model_validate_json(payload).to_json_bytes()
        except ValidationError:
            document = ExtractedDocument.model_validate_json(payload)
            return self._settings.extracted_topic, key, document.to_json_bytes()

    def _refetch(self, letter: DeadLetter, entry: FeedEntry) -> list[tuple[str, str, bytes]]:
        assert letter.feed is not None
        now = datetime.fromtimestamp(self._clock(), UTC)
        key = entry_key(letter.feed.url, entry)
        try:
            document = fetch_page_document(self._fetcher, self._metrics, letter.feed, entry, now)
        except FetchError as error:
            self.report.failed_again += 1
            again = letter.model_copy(
                update={"reason": error.reason, "detail": str(error), "attempts": letter.attempts + 1, "failed_at": now}
            )
            log.warning("replay failed again", extra={"url": entry.url, "reason": error.reason})
            return [(self._settings.topics.dlq, key, again.to_json_bytes())]
        self.report.replayed += 1
        return [(self._settings.topics.raw, key, document.to_json_bytes())]

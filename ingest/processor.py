"""The processor role: raw documents in, articles out, in Kafka transactions.

One transaction per polled batch carries the published articles, the dead letters, the dedupe-state writes and the
consumer offsets, so a processor killed at any instant neither loses nor repeats an article: the next owner of the
partition starts after the last committed batch, with the state that batch left.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from threading import Event
from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from ingest.config import Settings
from ingest.health import Health
from ingest.kafka import ConsumerStalled, TransactionalProducer, drain
from ingest.metrics import Metrics
from ingest.state import StateTable
from processors.dedupe import NewStory, StoryIndex
from processors.errors import BadRecord, EmptyText, Rejected
from processors.language import UNDETERMINED, LanguageDetector
from processors.pipeline import Failed, Outcome, Publish, process_document, with_attempts
from processors.records import DeadLetter, RawDocument, Stage

log = logging.getLogger(__name__)

# How often an idle processor asks the broker whether records are waiting for it.
_LAG_CHECK_S = 10.0


class Processor:
    def __init__(
        self,
        settings: Settings,
        *,
        consumer_factory: Callable[[], KafkaConsumer],
        producer: TransactionalProducer,
        state: StateTable,
        detector: LanguageDetector,
        metrics: Metrics,
        health: Health,
        stop: Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stop = stop
        self._settings = settings
        self._consumer_factory = consumer_factory
        self._consumer = consumer_factory()
        self._producer = producer
        self._state = state
        self._index = StoryIndex(state)
        self._detector = detector
        self._metrics = metrics
        self._health = health
        self._clock = clock
        self._idle_since = time.monotonic()
        self._last_lag_check = time.monotonic()

    def recover(self) -> None:
        """After a broker error: new clients, and the state as the topic has it.

        The new consumer joins the group afresh and starts from the committed offsets, which are the truth: a
        consumer that lived through the outage may hold positions or a membership the broker no longer agrees with.
        """
        self.close()
        self._producer.reset()
        self._state.restore()
        self._consumer = self._consumer_factory()
        self._idle_since = time.monotonic()

    def close(self) -> None:
        with suppress(Exception):  # a consumer cut off from its broker may fail to leave the group: no matter
            self._consumer.close()

    def drain(self) -> None:
        """Process until every partition of the raw topic is read up to its end as of now (for --once)."""
        drain(self._consumer, self._settings.topics.raw, self.step, self._stop)

    def step(self) -> int:
        """Poll one batch and process it in one transaction; return how many records it held."""
        self._health.beat("processor")
        batches = self._consumer.poll(timeout_ms=self._settings.processor.poll_timeout_ms)
        self._health.set_ready("processor", bool(self._consumer.assignment()))
        self._state.refresh()
        records = [record for partition in batches.values() for record in partition]
        if not records:
            self._check_stalled()
            return 0
        self._idle_since = time.monotonic()
        published: list[Publish] = []
        dead: list[DeadLetter] = []
        offsets: dict[TopicPartition, int] = {}
        try:
            with self._state.transaction(self._producer) as tx:
                for record in records:
                    offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                    outcome = self._process(record)
                    if isinstance(outcome, DeadLetter):
                        dead.append(outcome)
                        tx.send(self._settings.topics.dlq, _key(record), outcome.to_json_bytes())
                        continue
                    self._state.stage(outcome.state_updates)
                    if isinstance(outcome, Publish):
                        published.append(outcome)
                        article = outcome.article
                        record_value = article.to_json_bytes()
                        backfill_topic = self._settings.topics.backfill
                        if article.backfill and backfill_topic:
                            # Old stories from saved pages: their own topic, so live consumers are not surprised.
                            tx.send(backfill_topic, article.story_id, record_value)
                            continue
                        tx.send(self._settings.topics.articles, article.story_id, record_value)
                        # The compacted view: a new consumer reads the latest version of every story from it.
                        tx.send(self._settings.topics.latest, article.story_id, record_value)
                tx.send_offsets(offsets, self._consumer)
        except BaseException:
            # The transaction is aborted (and the staged state dropped); recover() starts from the committed offsets.
            self._metrics.transactions.labels("processor", "aborted").inc()
            raise
        self._metrics.transactions.labels("processor", "committed").inc()
        self._report(published, dead, len(records))
        self._update_lag()
        return len(records)

    def _process(self, record: Any) -> Outcome | DeadLetter:
        now = datetime.fromtimestamp(self._clock(), UTC)
        raw: RawDocument | None = None
        try:
            raw = _decode(record.value)
            document = raw
            result = with_attempts(
                lambda: process_document(document, detector=self._detector, index=self._index, now=now),
                max_attempts=self._settings.processor.max_attempts,
                on_error=lambda error, attempt: log.exception(
                    "unexpected processing error",
                    extra={"url": document.url, "feed": document.feed.name, "attempt": attempt},
                ),
            )
        except Rejected as rejection:
            self._count_quality(raw, rejection)
            return self._dead_letter(record, raw, rejection.reason, str(rejection), rejection.stage, now)
        if isinstance(result, Failed):
            # Anything but a rejection is a bug, not bad input; after a few tries the record is quarantined (with
            # the traceback logged) so that one bad page cannot stop the partition.
            error = result.error
            return self._dead_letter(record, raw, type(error).__name__, str(error), "process", now, result.attempts)
        self._count_quality(raw, None, result)
        self._metrics.dedupe_decisions.labels(_decision_name(result)).inc()
        return result

    def _dead_letter(
        self,
        record: Any,
        raw: RawDocument | None,
        reason: str,
        detail: str,
        stage: Stage,
        now: datetime,
        attempts: int = 1,
    ) -> DeadLetter:
        return DeadLetter.of(
            max_payload=self._settings.kafka.max_record_bytes,
            attempts=attempts,
            reason=reason,
            detail=detail,
            stage=stage,
            source_url=raw.url if raw else None,
            feed=raw.feed if raw else None,
            payload=record.value,
            failed_at=now,
        )

    def _count_quality(
        self, raw: RawDocument | None, rejection: Rejected | None, outcome: Outcome | None = None
    ) -> None:
        if raw is None:
            return
        domain = urlsplit(raw.url or raw.entry.url or raw.feed.url).hostname or "unknown"
        self._metrics.extractions.labels(domain).inc()
        if isinstance(rejection, EmptyText):
            self._metrics.extraction_empty.labels(domain).inc()
        if isinstance(outcome, Publish):
            if outcome.article.published_at is None:
                self._metrics.extraction_missing_date.labels(domain).inc()
            if outcome.article.language == UNDETERMINED:
                self._metrics.language_undetermined.labels(domain).inc()

    def _report(self, published: list[Publish], dead: list[DeadLetter], total: int) -> None:
        for item in published:
            article = item.article
            self._metrics.articles_published.labels(article.language).inc()
            log.info(
                "article published",
                extra={
                    "story_id": article.story_id,
                    "version": article.version,
                    "language": article.language,
                    "feed": article.feed.name,
                    "url": article.url,
                },
            )
        for letter in dead:
            self._metrics.dlq_records.labels(letter.stage, letter.reason).inc()
            log.warning(
                "dead-lettered",
                extra={
                    "reason": letter.reason,
                    "stage": letter.stage,
                    "url": letter.source_url,
                    "feed": letter.feed.name if letter.feed else None,
                    "detail": letter.detail,
                },
            )
        skipped = total - len(published) - len(dead)
        if skipped:
            log.info("repeats skipped", extra={"count": skipped})

    def _check_stalled(self) -> None:
        """Raise ConsumerStalled when records wait on our partitions but none have arrived for a long while.

        A safety net: after a broker restart kafka-python has been seen to rejoin the group and then never fetch.
        The question to the broker also tells an idle processor that the broker is gone (a timeout, which makes
        the worker report not-ready), since a consumer's poll alone never says so.
        """
        now = time.monotonic()
        if now - self._last_lag_check < _LAG_CHECK_S:
            return
        self._last_lag_check = now
        assigned = list(self._consumer.assignment())
        if not assigned:
            return
        end = self._consumer.end_offsets(assigned, timeout_ms=5000)
        lag = 0
        for tp in assigned:
            position = self._consumer.position(tp, timeout_ms=2000)
            lag += max(0, end[tp] - position) if position is not None else 1
            self._metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(end[tp] - (position or 0))
        if lag > 0 and now - self._idle_since > self._settings.processor.stall_timeout_s:
            raise ConsumerStalled(f"{lag} records waiting, none received for {now - self._idle_since:.0f} s")

    def _update_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                lag = max(0, highwater - self._consumer.position(tp))
                self._metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(lag)


def _decode(value: bytes | None) -> RawDocument:
    if value is None:
        raise BadRecord("the record has no value")
    try:
        return RawDocument.model_validate_json(value)
    except ValidationError as error:
        raise BadRecord(f"not a RawDocument: {error.error_count()} error(s): {error.errors()[0]['msg']}") from None


def _key(record: Any) -> str:
    return record.key.decode("utf-8", "replace") if record.key else ""


def _decision_name(outcome: Any) -> str:
    if isinstance(outcome, Publish):
        return "new" if isinstance(outcome.decision, NewStory) else "revision"
    return "repeat"

"""The processor role: one consume-transform-produce loop over two steps, in Kafka transactions.

The consumer group `<app_id>.processor` reads two topics; each record goes to the step of its topic:

1. `Extraction` (the raw topic, its partitions shared by the replicas): page in, `ExtractedDocument` out to
   `<app_id>.extracted`. The costly part, in parallel.
2. `Deduplication` (the single partition of `<app_id>.extracted`): decides each document's story against the
   dedupe state and publishes the articles. One replica holds the partition at a time and the others keep their
   copy of the state warm, so every decision is taken in one order, as one process would take it.

One transaction per polled batch carries the output records, the dead letters, the state writes and the consumer
offsets, so a replica killed at any instant neither loses nor repeats an article: the next owner of a partition
starts after the last committed batch, with the state that batch left.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Event
from typing import Any, Protocol, TypeVar

from kafka import KafkaConsumer, TopicPartition
from pydantic import BaseModel, ValidationError

from ingest.config import Settings
from ingest.health import Health
from ingest.kafka import ConsumerStalled, TransactionalProducer, drain, origin_of
from ingest.metrics import Metrics
from ingest.sandbox import BoundedRunner, OutOfBounds
from ingest.state import ChangelogTable
from processors.dedupe import NewStory, Revision, StoryIndex
from processors.errors import BadRecord, EmptyText, ExtractionOutOfBounds, ExtractionTimeout, Rejected
from processors.extract import ExtractedArticle, extract_article
from processors.language import UNDETERMINED, LanguageDetector
from processors.pipeline import Failed, Publish, decide_document, extract_document, with_attempts
from processors.records import DeadLetter, ExtractedDocument, FeedRef, RawDocument, Stage
from processors.untrusted import hostname

log = logging.getLogger(__name__)

# How often an idle processor asks the broker whether records are waiting for it.
_LAG_CHECK_S = 10.0

Send = tuple[str, str, bytes]


@dataclass
class Handled:
    """What one input record becomes: records to send, state to write, and what to log once committed."""

    sends: list[Send] = field(default_factory=list)
    state_updates: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    published: Publish | None = None


class Step(Protocol):
    """One step's transformation of a record; `Rejected` (or any error, after retries) makes a dead letter."""

    name: str
    topic: str
    stage: Stage
    """The stage named in the dead letter of a record that kept failing."""

    def handle(self, value: bytes | None, now: datetime) -> Handled: ...

    def payload_source(self, value: bytes | None) -> tuple[str | None, FeedRef | None]:
        """(url, feed) of the record for its dead letter and logs, when it can be read."""
        ...

    def chores(self, now: datetime) -> dict[str, dict[str, Any] | None]:
        """State writes due now (evictions), made between batches; {} when none is."""
        ...


class Processor:
    """Runs one `Step` over its topic in the step's consumer group, a transaction per polled batch."""

    role = "processor"

    def __init__(
        self,
        settings: Settings,
        steps: list[Step],
        *,
        consumer_factory: Callable[[], KafkaConsumer],
        producer: TransactionalProducer,
        metrics: Metrics,
        health: Health,
        stop: Event,
        state: ChangelogTable | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stop = stop
        self._settings = settings
        self._steps = {step.topic: step for step in steps}
        self._consumer_factory = consumer_factory
        self._consumer = consumer_factory()
        self._producer = producer
        self._state = state
        self._metrics = metrics
        self._health = health
        self._clock = clock
        self._idle_since = time.monotonic()
        self._foreign_logged = 0
        self._last_lag_check = time.monotonic()
        self._assigned: set[TopicPartition] = set()
        # The topics whose step reads the state: taking over one of their partitions means catching up first.
        self._stateful = {step.topic for step in steps if isinstance(step, Deduplication)}

    @property
    def topics(self) -> list[str]:
        return list(self._steps)

    @property
    def state(self) -> ChangelogTable | None:
        return self._state

    def recover(self) -> None:
        """After a broker error: new clients, and the state as the topic has it.

        The new consumer joins the group afresh and starts from the committed offsets, which are the truth: a
        consumer that lived through the outage may hold positions or a membership the broker no longer agrees with.
        """
        self.close()
        self._producer.reset()
        if self._state is not None:
            self._state.restore()
        self._consumer = self._consumer_factory()
        self._assigned = set()
        self._idle_since = time.monotonic()

    def close(self) -> None:
        with suppress(Exception):  # a consumer cut off from its broker may fail to leave the group: no matter
            self._consumer.close()

    def drain(self) -> None:
        """Process until every partition of the topics is read to its end, the records the run added too (--once)."""
        # Short polls: a one-shot run knows where the end is and need not wait long for records that are not there.
        drain(self._consumer, self.topics, lambda: self.step(poll_timeout_ms=100), self._stop, self._settings.kafka)

    def step(self, poll_timeout_ms: int | None = None) -> int:
        """Poll one batch and process it in one transaction; return how many records it held."""
        self._health.beat(self.role)
        batches = self._consumer.poll(timeout_ms=poll_timeout_ms or self._settings.processor.poll_timeout_ms)
        assignment = set(self._consumer.assignment())
        self._health.set_ready(self.role, bool(assignment))
        if self._state is not None:
            if any(tp.topic in self._stateful for tp in assignment - self._assigned):
                # Work taken over from another replica: what it committed last must be in our state before we go
                # on from its offsets (a standby's copy may trail the topic by a poll).
                self._state.catch_up(progress=lambda: self._health.beat(self.role))
            else:
                self._state.refresh()
        self._assigned = assignment
        records = [record for partition in batches.values() for record in partition]
        if not records:
            self._check_stalled()
            self._housekeeping()
            return 0
        self._idle_since = time.monotonic()
        published: list[Publish] = []
        dead: list[DeadLetter] = []
        offsets: dict[TopicPartition, int] = {}
        counts: Counter[str] = Counter()
        try:
            with self._transaction() as tx:
                for record in records:
                    offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                    if self._foreign(record):
                        continue
                    handled = self._handle(record)
                    counts[self._steps[record.topic].name] += 1
                    if isinstance(handled, DeadLetter):
                        counts[self._steps[record.topic].name] -= 1
                        dead.append(handled)
                        tx.send(self._settings.topics.dlq, _key(record), handled.to_json_bytes())
                        continue
                    if self._state is not None:
                        self._state.stage(handled.state_updates)
                    for topic, key, value in handled.sends:
                        tx.send(topic, key, value)
                    if handled.published is not None:
                        published.append(handled.published)
                tx.send_offsets(offsets, self._consumer)
        except BaseException:
            # The transaction is aborted (and the staged state dropped); recover() starts from the committed offsets.
            self._metrics.transactions.labels(self.role, "aborted").inc()
            raise
        self._metrics.transactions.labels(self.role, "committed").inc()
        self._report(published, dead, counts)
        self._update_lag()
        self._housekeeping()  # under steady load too: the chores keep their own schedule
        return len(records)

    def _foreign(self, record: Any) -> bool:
        """A record another deployment wrote (its app_id in the origin header): not ours to process, skipped."""
        origin = origin_of(record.headers)
        if origin is None or origin == self._settings.app_id:
            return False
        self._metrics.records_skipped.labels("other_deployment").inc()
        if self._foreign_logged < 10:  # a misconfiguration says so at once, without flooding the log
            self._foreign_logged += 1
            log.warning(
                "record of another deployment skipped (two deployments share a topic?)",
                extra={"topic": record.topic, "origin": origin[:100], "app_id": self._settings.app_id},
            )
        return True

    def _transaction(self) -> Any:
        return self._state.transaction(self._producer) if self._state is not None else self._producer.transaction()

    def _housekeeping(self) -> None:
        """The chores of the steps whose partitions we hold (the dedupe step evicts expired stories), when due, in a
        transaction of their own between batches."""
        if self._state is None:
            return
        now = datetime.fromtimestamp(self._clock(), UTC)
        held = {tp.topic for tp in self._consumer.assignment()}
        updates = {k: v for topic in held for k, v in self._steps[topic].chores(now).items()}
        if updates:
            with self._state.transaction(self._producer):
                self._state.stage(updates)
            log.info("expired stories evicted", extra={"entries": len(updates)})

    def _handle(self, record: Any) -> Handled | DeadLetter:
        now = datetime.fromtimestamp(self._clock(), UTC)

        step = self._steps[record.topic]

        def failed(error: Exception, attempt: int) -> None:
            url, feed = step.payload_source(record.value)
            log.exception(
                "unexpected processing error",
                extra={"url": url, "feed": feed.name if feed else None, "attempt": attempt, "role": self.role},
            )

        try:
            result = with_attempts(
                lambda: step.handle(record.value, now),
                max_attempts=self._settings.processor.max_attempts,
                on_error=failed,
            )
        except Rejected as rejection:
            return self._dead_letter(step, record, rejection.reason, str(rejection), rejection.stage, now)
        if isinstance(result, Failed):
            # Anything but a rejection is a bug, not bad input; after a few tries the record is quarantined (with
            # the traceback logged) so that one bad page cannot stop the partition.
            error = result.error
            return self._dead_letter(step, record, type(error).__name__, str(error), step.stage, now, result.attempts)
        return result

    def _dead_letter(
        self, step: Step, record: Any, reason: str, detail: str, stage: Stage, now: datetime, attempts: int = 1
    ) -> DeadLetter:
        url, feed = step.payload_source(record.value)
        return DeadLetter.of(
            max_payload=self._settings.kafka.max_record_bytes,
            attempts=attempts,
            reason=reason,
            detail=detail,
            stage=stage,
            source_url=url,
            feed=feed,
            payload=record.value,
            failed_at=now,
        )

    def _report(self, published: list[Publish], dead: list[DeadLetter], counts: dict[str, int]) -> None:
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
                    "duplicate_of": article.duplicate_of,
                    "translation_of": article.translation_of,
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
        if counts.get("extraction"):
            log.info("documents extracted", extra={"count": counts["extraction"]})
        repeats = counts.get("deduplication", 0) - len(published)
        if repeats:
            log.info("repeats skipped", extra={"count": repeats})

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


class Extraction:
    """Step 1: a raw document becomes an extracted document (text, language, identity, fingerprint)."""

    name = "extraction"
    stage: Stage = "process"

    def __init__(
        self, settings: Settings, detector: LanguageDetector, metrics: Metrics, extractor: BoundedRunner
    ) -> None:
        self.topic = settings.topics.raw
        self._out = settings.extracted_topic
        self._detector = detector
        self._metrics = metrics
        self._extractor = extractor

    def _extract(self, html: str, **options: Any) -> ExtractedArticle:
        """trafilatura in the extraction child: a page past its deadline is stopped there, and dead-lettered."""
        try:
            return self._extractor.run(extract_article, html, **options)
        except OutOfBounds as bounds:
            if bounds.overran:
                raise ExtractionTimeout(str(bounds)) from None
            raise ExtractionOutOfBounds(str(bounds)) from None

    def payload_source(self, value: bytes | None) -> tuple[str | None, FeedRef | None]:
        raw = _readable(RawDocument, value)
        return (raw.url or raw.entry.url, raw.feed) if isinstance(raw, RawDocument) else (None, None)

    def chores(self, now: datetime) -> dict[str, dict[str, Any] | None]:
        return {}

    def handle(self, value: bytes | None, now: datetime) -> Handled:
        raw = _decode(RawDocument, value)
        domain = self._metrics.domain(hostname(raw.url or raw.entry.url or raw.feed.url) or "unknown")
        self._metrics.extractions.labels(domain).inc()
        try:
            document = extract_document(raw, detector=self._detector, extract=self._extract)
        except EmptyText:
            self._metrics.extraction_empty.labels(domain).inc()
            raise
        if document.published_at is None and raw.entry.published_at is None:
            self._metrics.extraction_missing_date.labels(domain).inc()
        if document.language == UNDETERMINED:
            self._metrics.language_undetermined.labels(domain).inc()
        return Handled(sends=[(self._out, document.identities[0], document.to_json_bytes())])


class Deduplication:
    """Step 2: an extracted document is decided against the dedupe state and, unless a repeat, published."""

    name = "deduplication"
    stage: Stage = "dedupe"

    def __init__(self, settings: Settings, index: StoryIndex, state: ChangelogTable, metrics: Metrics) -> None:
        self.topic = settings.extracted_topic
        self._topics = settings.topics
        self._dedupe = settings.dedupe
        self._index = index
        self._state = state
        self._metrics = metrics
        self._next_sweep = 0.0

    def payload_source(self, value: bytes | None) -> tuple[str | None, FeedRef | None]:
        document = _readable(ExtractedDocument, value)
        return (document.url, document.feed) if isinstance(document, ExtractedDocument) else (None, None)

    def handle(self, value: bytes | None, now: datetime) -> Handled:
        outcome = decide_document(_decode(ExtractedDocument, value), index=self._index, now=now)
        self._metrics.dedupe_decisions.labels(_decision_name(outcome)).inc()
        handled = Handled(state_updates=dict(outcome.state_updates))
        if not isinstance(outcome, Publish):
            return handled
        article = outcome.article
        value_bytes = article.to_json_bytes()
        handled.published = outcome
        if article.backfill and self._topics.backfill:
            # Old stories from saved pages: their own topic, so live consumers are not surprised.
            handled.sends.append((self._topics.backfill, article.story_id, value_bytes))
        else:
            handled.sends.append((self._topics.articles, article.story_id, value_bytes))
            # The compacted view: a new consumer reads the latest version of every story from it.
            handled.sends.append((self._topics.latest, article.story_id, value_bytes))
        return handled

    def chores(self, now: datetime) -> dict[str, dict[str, Any] | None]:
        """Tombstones for the stories not seen within the window (at most once per sweep interval)."""
        if time.monotonic() < self._next_sweep:
            return {}
        self._next_sweep = time.monotonic() + self._dedupe.sweep_interval_s
        return dict(self._index.expired(before=now - timedelta(days=self._dedupe.window_days)))


def _readable(model: type[BaseModel], value: bytes | None) -> BaseModel | None:
    try:
        return model.model_validate_json(value) if value is not None else None
    except ValidationError:
        return None


M = TypeVar("M", bound=BaseModel)


def _decode(model: type[M], value: bytes | None) -> M:
    if value is None:
        raise BadRecord("the record has no value")
    try:
        return model.model_validate_json(value)
    except ValidationError as error:
        raise BadRecord(f"not a {model.__name__}: {error.error_count()} error(s): {error.errors()[0]['msg']}") from None


def _key(record: Any) -> str:
    return record.key.decode("utf-8", "replace") if record.key else ""


def _decision_name(outcome: Any) -> str:
    if isinstance(outcome, Publish):
        decision = outcome.decision
        if isinstance(decision, Revision):
            return "revision"
        if isinstance(decision, NewStory) and decision.duplicate_of:
            return "duplicate"
        if isinstance(decision, NewStory) and decision.translation_of:
            return "translation"
        return "new"
    return "repeat"

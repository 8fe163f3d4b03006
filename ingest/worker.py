"""Builds the roles from the settings and runs them until a signal, or once.

Each role runs in its own thread with its own Kafka clients. If any role fails, the whole process stops with a
non-zero exit: a worker with a dead loop inside must not look alive (the orchestrator restarts it instead).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from types import FrameType

from ingest.backfill import Backfill, BackfillReport, Source
from ingest.config import Settings
from ingest.dlq import DeadLetterReplay, ReplayReport
from ingest.feed_assignment import FeedAssignment
from ingest.health import Health, HealthServer
from ingest.kafka import (
    RECOVERABLE_ERRORS,
    FatalProducerError,
    TransactionalProducer,
    ensure_topics,
    group_consumer,
    start_group_at,
)
from ingest.metrics import Metrics
from ingest.politeness import polite_fetcher
from ingest.poller import Poller
from ingest.processor import Deduplication, Extraction, Processor, Step
from ingest.revisit_book import RevisitBook
from ingest.sandbox import BoundedRunner
from ingest.state import StateTable
from ingest.stored_indexes import stored_indexes
from ingest.stored_table import StoredTable
from ingest.story_store import StoryStore, disk_bytes, open_store_dir
from ingest.websub import CallbackServer, NudgeWriter
from processors.dedupe import StoryIndex
from processors.errors import Interrupted
from processors.language import LanguageDetector

log = logging.getLogger(__name__)


# How long after a broker error a fenced producer is taken for the outage's doing rather than for a zombie's.
_FENCE_AFTER_OUTAGE_S = 300.0


@dataclass(frozen=True)
class _Loop:
    role: str
    step: Callable[[], object]
    recover: Callable[[], None]


class Role(Enum):
    POLLER = "poller"
    PROCESSOR = "processor"


@dataclass
class Worker:
    """The running parts of one process; `stop` ends every loop."""

    settings: Settings
    roles: tuple[Role, ...]
    metrics: Metrics = field(default_factory=Metrics)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.health = Health(self.settings.server.liveness_timeout_s)
        for role in self.roles:
            self.health.register(role.value)

    def run(self, *, once: bool) -> int:
        """Run until stopped (or, with `once`, until one poll of every feed is processed); return an exit code."""
        settings = self.settings
        log.info(
            "starting",
            extra={"roles": [r.value for r in self.roles], "once": once, "settings": settings.masked()},
        )
        with ExitStack() as stack:
            if not once:  # a one-shot run is not probed: it needs no port
                server = HealthServer(settings.server, self.health, self.metrics)
                server.start()
                stack.callback(server.close)
                log.info("serving /metrics /healthz /readyz", extra={"port": server.port})
            if settings.kafka.create_topics:
                ensure_topics(settings)
            poller = self._poller(stack, shared=not once) if Role.POLLER in self.roles else None
            if poller is not None and settings.websub.enabled and not once:
                self._websub_callbacks(stack)
            processor = self._processor(stack) if Role.PROCESSOR in self.roles else None
            if once:
                if poller is not None:
                    poller.poll_all()
                if processor is not None:
                    processor.drain()
                log.info("done", extra={"once": True})
                return 0
            loops: list[_Loop] = []
            if poller is not None:
                loops.append(_Loop("poller", poller.step, poller.recover))
            if processor is not None:
                loops.append(_Loop("processor", processor.step, processor.recover))
            return self._run_loops(loops)

    def _poller(self, stack: ExitStack, *, shared: bool) -> Poller:
        """The poller; `shared`: it joins the poller group and polls only its share of the feeds."""
        settings = self.settings
        assignment = None
        if shared:
            assignment = FeedAssignment(
                lambda: group_consumer(settings, [settings.feed_registry_topic], settings.poller_group),
                settings.feed_registry_topic,
            )
            stack.callback(assignment.close)
        # Before the restore: it fences our previous instance, aborting its open transaction now, not at its timeout.
        producer = TransactionalProducer.of_role(settings, "poller")
        stack.callback(producer.close)
        state = StateTable(settings.kafka, settings.feed_state_topic)
        state.restore(progress=lambda: self.health.beat("poller"))
        stack.callback(state.close)
        self.health.set_started("poller")
        self.metrics.state_entries.labels("feeds").set(len(state))
        revisits = None
        if settings.revisits.enabled:
            # Pages published by any poller are scheduled; only group members (they own partitions) revisit.
            revisits = RevisitBook(settings, self.metrics)
            revisits.open(settings.feed_registry_topic)
            stack.callback(revisits.close)
        fetcher = polite_fetcher(settings, self.stop)
        stack.callback(fetcher.close)
        parser = BoundedRunner(
            timeout_s=settings.poller.parse_timeout_s,
            memory_bytes=settings.poller.parse_memory_mb * 2**20,
            preload=["ingest.feeds"],
            children=settings.poller.parse_processes,
        )
        stack.callback(parser.close)
        return Poller(
            settings,
            fetcher=fetcher,
            parser=parser,
            producer=producer,
            state=state,
            metrics=self.metrics,
            health=self.health,
            stop=self.stop,
            assignment=assignment,
            revisits=revisits,
        )

    def _websub_callbacks(self, stack: ExitStack) -> None:
        """The WebSub callback endpoint: deliveries become nudges for the feeds' owners."""
        settings = self.settings
        producer = TransactionalProducer.of_role(settings, "websub")
        stack.callback(producer.close)
        server = CallbackServer(settings.websub, NudgeWriter(settings, producer).nudge).start()
        stack.callback(server.close)
        log.info("serving websub callbacks", extra={"port": server.port})

    def _processor(self, stack: ExitStack) -> Processor:
        processor = build_processor(self.settings, stack, self.metrics, self.health, self.stop)
        state = processor.state
        if isinstance(state, StoredTable):  # read when scraped: both change as the state does
            self.metrics.state_entries.labels("stories").set_function(lambda: len(state))
            self.metrics.story_store_bytes.set_function(lambda: disk_bytes(state.store.path))
        return processor

    def _run_loops(self, loops: list[_Loop]) -> int:
        """Run each role's loop in a thread until a signal or a failure, then give them the grace period."""
        failures: list[str] = []

        def guarded(loop: _Loop) -> None:
            try:
                self._resilient(loop)
            except BaseException:
                log.exception("role failed; stopping the worker", extra={"role": loop.role})
                failures.append(loop.role)
                self.stop.set()

        # Daemon threads: a role stuck past the grace period must not keep the process alive.
        threads = [threading.Thread(target=guarded, args=(loop,), name=loop.role, daemon=True) for loop in loops]
        for thread in threads:
            thread.start()
        while not self.stop.wait(0.5):
            pass
        # The roles' share of the grace period; the rest is for closing the clients (the watchdog ends it all).
        deadline = time.monotonic() + self.settings.shutdown_grace_s * 0.75
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            # Their open transactions were not committed: the broker aborts them, and the work is done again.
            log.warning("grace period over; leaving unfinished work to be redone", extra={"roles": stuck})
        log.info("stopped", extra={"failed_roles": failures})
        return 1 if failures else 0

    def _resilient(self, loop: _Loop) -> None:
        """Run `loop.step` until stop; while Kafka fails, report not-ready, back off, recover, and go on."""
        backoff = 1.0
        needs_recovery = False
        last_broker_error = float("-inf")
        while not self.stop.is_set():
            self.health.beat(loop.role)  # liveness is about our loop, never about the broker
            try:
                if needs_recovery:
                    loop.recover()
                    needs_recovery = False
                    log.info("kafka available again; resuming", extra={"role": loop.role})
                loop.step()
                backoff = 1.0
                continue
            except Interrupted:
                if self.stop.is_set():
                    return  # stopping: the work under way is redone after the restart
                raise
            except FatalProducerError as fenced:
                # A broker that comes back aborts the transactions it timed out and fences their producers: a
                # fence soon after an outage is our own old producer. Any other fence is a zombie: it is fatal.
                if time.monotonic() - last_broker_error > _FENCE_AFTER_OUTAGE_S:
                    raise
                error: Exception = fenced
            except RECOVERABLE_ERRORS as recoverable:
                error = recoverable
                last_broker_error = time.monotonic()
            needs_recovery = True
            self.health.set_ready(loop.role, False)
            self.metrics.broker_errors.labels(loop.role, type(error).__name__).inc()
            log.warning(
                "kafka unavailable; backing off",
                extra={
                    "role": loop.role,
                    "reason": type(error).__name__,
                    "detail": str(error)[:300],
                    "retry_in_s": backoff,
                },
            )
            self.stop.wait(backoff)
            backoff = min(backoff * 2, self.settings.max_backoff_s)

    def install_signal_handlers(self) -> None:
        """SIGTERM or SIGINT, to the process or its whole group: stop, and be gone within `shutdown_grace_s`.

        The roles stop between units of work and the process exits 0. If anything still holds it when the grace is
        over (a close that waits on the broker, a stuck loop), a watchdog logs what was abandoned and ends the
        process with 1; a second signal does so at once. Sandbox children end with us either way (their
        lifeline), and they ignore the group's signal, so nothing is killed out from under the parent.
        """

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if self.stop.is_set():
                _abandon(f"second {name}", roles=self.roles)
            log.info("stop requested", extra={"signal": name, "grace_s": self.settings.shutdown_grace_s})
            self.stop.set()
            watchdog = threading.Timer(
                self.settings.shutdown_grace_s, _abandon, args=("grace period over",), kwargs={"roles": self.roles}
            )
            watchdog.daemon = True
            watchdog.start()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)


def _abandon(why: str, *, roles: tuple[Role, ...]) -> None:
    """End the process now, saying what was still running (its uncommitted work is aborted by the broker)."""
    names = {role.value for role in roles}
    running = sorted(thread.name for thread in threading.enumerate() if thread.name in names) or ["closing clients"]
    log.warning(
        "exiting without finishing; uncommitted work is redone after restart",
        extra={"why": why, "still_running": running},
    )
    logging.shutdown()
    os._exit(1)


def build_processor(
    settings: Settings,
    stack: ExitStack,
    metrics: Metrics,
    health: Health,
    stop: threading.Event,
    *,
    group: str | None = None,
    extract_only: bool = False,
) -> Processor:
    """The processor role (extraction, then deduplication), its clients closed by `stack`.

    The dedupe state is restored (and the indexes built from it) before it returns. `extract_only`: the raw topic
    only, in `group` (reprocess), leaving the decisions to whoever holds the dedupe step.
    """
    extractor = BoundedRunner(
        timeout_s=settings.processor.extract_timeout_s,
        memory_bytes=settings.processor.extract_memory_mb * 2**20,
        preload=["processors.extract"],
        warm_up="processors.extract:warm_up",
        work="extraction",
    )
    stack.callback(extractor.close)
    extractor.start()
    detector = LanguageDetector(engine=settings.processor.language_engine)
    steps: list[Step] = [Extraction(settings, detector, metrics, extractor)]
    # Before the restore: it fences our previous instance, aborting its open transaction now, not at its timeout.
    producer = TransactionalProducer.of_role(settings, "processor")
    stack.callback(producer.close)
    state: StoredTable | None = None
    if not extract_only:
        state, index = _story_state(settings, stack)
        state.restore(progress=lambda: health.beat("processor"))
        steps.append(Deduplication(settings, index, state, metrics))
    health.set_started("processor")
    topics = [step.topic for step in steps]
    processor = Processor(
        settings,
        steps,
        consumer_factory=lambda: group_consumer(settings, topics, group or settings.processor_group),
        producer=producer,
        state=state,
        metrics=metrics,
        health=health,
        stop=stop,
    )
    stack.callback(processor.close)
    return processor


def _story_state(settings: Settings, stack: ExitStack) -> tuple[StoredTable, StoryIndex]:
    """The story-state table in its store, and the dedupe index over both; closed by `stack`."""
    dedupe = settings.dedupe
    window = timedelta(days=dedupe.translation_window_days)
    store = StoryStore(open_store_dir(dedupe.store_dir, stack))
    stack.callback(store.close)
    state = StoredTable(settings.kafka, settings.story_state_topic, store)
    stack.callback(state.close)
    index = StoryIndex(
        state,
        near_duplicate_threshold=dedupe.near_duplicate_threshold,
        translation_threshold=dedupe.translation_threshold,
        translation_window=window,
        indexes=stored_indexes(store, window),
    )
    state.watch(index)
    return state, index


def replay_dead_letters(
    settings: Settings, *, reasons: set[str], stages: set[str], from_beginning: bool
) -> ReplayReport:
    """Build the clients of a dead-letter replay, run it to the end of the topic, and close them."""
    with ExitStack() as stack:
        if settings.kafka.create_topics:
            ensure_topics(settings)
        producer = TransactionalProducer.of_role(settings, "dlq-replay")
        stack.callback(producer.close)
        consumer = group_consumer(settings, [settings.topics.dlq], f"{settings.app_id}.dlq-replay")
        stack.callback(consumer.close)
        fetcher = polite_fetcher(settings, threading.Event())
        stack.callback(fetcher.close)
        replay = DeadLetterReplay(
            settings,
            consumer=consumer,
            producer=producer,
            fetcher=fetcher,
            metrics=Metrics(),
            reasons=reasons,
            stages=stages,
        )
        report = replay.run(from_beginning=from_beginning)
        log.info("dead letters replayed", extra=asdict(report))
        return report


def run_backfill(settings: Settings, sources: list[Source], *, chunk: int, progress: bool) -> BackfillReport:
    """Build the clients of a backfill, run it over `sources` (resuming where it stopped), and close them."""
    with ExitStack() as stack:
        if settings.kafka.create_topics:
            ensure_topics(settings)
        # Before the restore: it fences our previous instance, aborting its open transaction now, not at its timeout.
        producer = TransactionalProducer.of_role(settings, "backfill")
        stack.callback(producer.close)
        state = StateTable(settings.kafka, settings.backfill_state_topic)
        state.restore()
        stack.callback(state.close)
        return Backfill(settings, producer=producer, state=state).run(sources, chunk=chunk, progress=progress)


@dataclass(frozen=True)
class ReprocessReport:
    read: int
    published: int
    repeats: int
    dead_letters: int


def reprocess(settings: Settings, *, since: datetime | None, extract_only: bool = False) -> ReprocessReport:
    """Run the raw topic (from `since`, else from its start) through the processors again, to its current end.

    After an upgrade of extraction or dedupe: documents whose result is unchanged are exact repeats (nothing is
    published); those whose text now differs become new versions of their stories. The raw topic is read by a
    consumer group of its own (`<app_id>.reprocess.<run>`), so the live processors' offsets are untouched; the
    extracted documents are decided in the processors' group, where the one dedupe order is kept: by this process
    (processors stopped), or, with `extract_only`, by the running processors.
    """

    group = f"{settings.app_id}.reprocess.{uuid.uuid4().hex[:8]}"
    metrics = Metrics()
    if settings.kafka.create_topics:
        ensure_topics(settings)
    if since is not None:
        start_group_at(settings, group, settings.topics.raw, since)
    with ExitStack() as stack:
        health = Health(settings.server.liveness_timeout_s)
        health.register("processor")
        # The raw topic again under the run's own group; then the extracted documents are decided where the live
        # processors decide them, in their group (with the processors stopped, by this process).
        build_processor(settings, stack, metrics, health, threading.Event(), group=group, extract_only=True).drain()
        if not extract_only:
            build_processor(settings, stack, metrics, health, threading.Event()).drain()

    def total(name: str, **labels: str) -> int:
        return int(
            sum(
                sample.value
                for family in metrics.registry.collect()
                for sample in family.samples
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
            )
        )

    report = ReprocessReport(
        read=total("news_ingest_dedupe_decisions_total") + total("news_ingest_dlq_records_total"),
        published=total("news_ingest_articles_published_total"),
        repeats=total("news_ingest_dedupe_decisions_total", decision="repeat"),
        dead_letters=total("news_ingest_dlq_records_total"),
    )
    log.info("reprocessed", extra=asdict(report))
    return report

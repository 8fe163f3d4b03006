"""Builds the roles from the settings and runs them until a signal, or once.

Each role runs in its own thread with its own Kafka clients. If any role fails, the whole process stops with a
non-zero exit: a worker with a dead loop inside must not look alive (the orchestrator restarts it instead).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import Enum
from types import FrameType

from ingest.config import Settings
from ingest.health import Health, HealthServer
from ingest.http import Fetcher
from ingest.kafka import TransactionalProducer, ensure_topics, processing_consumer
from ingest.metrics import Metrics
from ingest.poller import Poller
from ingest.processor import Processor
from ingest.state import StateTable
from processors.language import LanguageDetector

log = logging.getLogger(__name__)


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
            server = HealthServer(settings.server, self.health, self.metrics)
            server.start()
            stack.callback(server.close)
            log.info("serving /metrics /healthz /readyz", extra={"port": server.port})
            if settings.kafka.create_topics:
                ensure_topics(settings)
            poller = self._poller(stack) if Role.POLLER in self.roles else None
            processor = self._processor(stack) if Role.PROCESSOR in self.roles else None
            if once:
                if poller is not None:
                    poller.poll_all()
                if processor is not None:
                    processor.drain(self.stop)
                log.info("done", extra={"once": True})
                return 0
            loops: list[tuple[str, Callable[[threading.Event], None]]] = []
            if poller is not None:
                loops.append(("poller", poller.run))
            if processor is not None:
                loops.append(("processor", processor.run))
            return self._run_loops(loops)

    def _poller(self, stack: ExitStack) -> Poller:
        settings = self.settings
        state = StateTable(settings.kafka, settings.feed_state_topic)
        state.restore()
        stack.callback(state.close)
        self.metrics.state_entries.labels("feeds").set(len(state))
        producer = TransactionalProducer(settings.kafka, f"{settings.app_id}.poller.{settings.instance_id}")
        stack.callback(producer.close)
        fetcher = Fetcher(settings.http)
        stack.callback(fetcher.close)
        self.health.set_ready("poller", True)
        return Poller(
            settings,
            fetcher=fetcher,
            producer=producer,
            state=state,
            metrics=self.metrics,
            health=self.health,
        )

    def _processor(self, stack: ExitStack) -> Processor:
        settings = self.settings
        state = StateTable(settings.kafka, settings.story_state_topic)
        state.restore()
        stack.callback(state.close)
        self.metrics.state_entries.labels("stories").set(len(state))
        producer = TransactionalProducer(settings.kafka, f"{settings.app_id}.processor.{settings.instance_id}")
        stack.callback(producer.close)
        consumer = processing_consumer(settings, settings.topics.raw, settings.processor_group)
        stack.callback(consumer.close)
        return Processor(
            settings,
            consumer=consumer,
            producer=producer,
            state=state,
            detector=LanguageDetector(),
            metrics=self.metrics,
            health=self.health,
        )

    def _run_loops(self, loops: list[tuple[str, Callable[[threading.Event], None]]]) -> int:
        failures: list[str] = []

        def guarded(name: str, loop: Callable[[threading.Event], None]) -> None:
            try:
                loop(self.stop)
            except BaseException:
                log.exception("role failed; stopping the worker", extra={"role": name})
                failures.append(name)
                self.stop.set()

        threads = [threading.Thread(target=guarded, args=item, name=item[0]) for item in loops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log.info("stopped", extra={"failed_roles": failures})
        return 1 if failures else 0

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("stop requested", extra={"signal": signal.Signals(signum).name})
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

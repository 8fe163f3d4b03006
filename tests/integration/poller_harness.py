"""A poller in the test's own process, on the real broker, with a clock the test turns.

For behaviour that depends on time (schedules, backoff, per-host spacing): the test calls `poll_feed` and reads
the feed state the poller committed, instead of waiting for real minutes to pass.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from ingest.config import Settings
from ingest.feed_state import FeedState
from ingest.health import Health
from ingest.http import Fetcher
from ingest.kafka import TransactionalProducer, ensure_topics
from ingest.metrics import Metrics
from ingest.politeness import PoliteFetcher
from ingest.poller import Poller
from ingest.revisit_book import RevisitBook
from ingest.sandbox import BoundedRunner
from ingest.state import StateTable

from .support import BOOTSTRAP, read_topic, topics


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    poller: Poller
    settings: Settings
    clock: Clock
    metrics: Metrics

    def state(self, name: str) -> FeedState:
        feed = next(f for f in self.settings.feeds if f.name == name)
        return self.poller.feed_state(feed)

    def revisit(self) -> int:
        """Make every revisit due now, committed, in rounds as the poller's loop does after its feeds."""
        made = 0
        while made_now := self.poller.revisit_due():
            made += made_now
        return made

    def poll(self, name: str) -> str:
        """Poll one feed and commit, as the poller's loop does after its polls."""
        feed = next(f for f in self.settings.feeds if f.name == name)
        outcome = self.poller.poll_feed(feed)
        self.poller.flush()
        return outcome

    def interval(self, name: str) -> float:
        state = self.state(name)
        assert state.last_polled_at is not None
        return state.next_poll_at - state.last_polled_at

    def published(self) -> list[Any]:
        return read_topic(self.settings.topics.raw)

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(record.value) for record in read_topic(self.settings.topics.dlq)]

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


@contextmanager
def poller_harness(
    app_id: str,
    feeds: list[dict[str, Any]],
    allow_hosts: list[str],
    revisits: dict[str, Any] | None = None,
    **poller: Any,
) -> Iterator[Harness]:
    """`revisits`: the revisits section; given, the harness holds every revisit partition (as a lone group member)."""
    settings = Settings(
        app_id=app_id,
        instance_id="harness",
        kafka={"bootstrap_servers": BOOTSTRAP},
        topics=topics(app_id),
        http={"allow_hosts": allow_hosts, "timeout_s": 5},
        poller={"host_interval_s": 0, **poller},  # spacing only where a test asks for it
        feeds=feeds,
        revisits=revisits or {"enabled": False},
    )
    ensure_topics(settings)
    clock = Clock()
    metrics = Metrics()
    with ExitStack() as stack:
        state = StateTable(settings.kafka, settings.feed_state_topic)
        state.restore()
        stack.callback(state.close)
        producer = TransactionalProducer(settings.kafka, f"{app_id}.poller.harness")
        stack.callback(producer.close)
        stop = threading.Event()
        fetcher = PoliteFetcher(
            Fetcher(settings.http),
            host_interval_s=settings.poller.host_interval_s,
            respect_robots_txt=settings.poller.respect_robots_txt,
            user_agent=settings.http.user_agent,
            stop=stop,
            clock=clock,  # holds and robots.txt expiry follow the test's clock; spacing waits in real time
        )
        stack.callback(fetcher.close)
        parser = BoundedRunner(timeout_s=10, memory_bytes=1024 * 2**20, preload=["ingest.feeds"])
        stack.callback(parser.close)
        book = None
        if settings.revisits.enabled:
            book = RevisitBook(settings, metrics)
            book.open(settings.feed_registry_topic)
            stack.callback(book.close)
            book.follow(frozenset(range(book.partitions)))
        health = Health(60)
        health.register("poller")
        poller_role = Poller(
            settings,
            fetcher=fetcher,
            parser=parser,
            producer=producer,
            state=state,
            metrics=metrics,
            health=health,
            stop=stop,
            revisits=book,
            clock=clock,
        )
        yield Harness(poller_role, settings, clock, metrics)

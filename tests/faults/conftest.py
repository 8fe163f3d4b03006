"""The fault suite: real broker, real worker processes, kill -9.

`make test` runs a fast subset (small runs, few faults); `make test-faults` sets NEWS_INGEST_FAULTS=full and runs
every scenario at full size. Each scenario appends its figures to .local/faults/results.jsonl, which
`make test-faults` renders into docs/reliability-results.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from ingest.config import load_settings
from ingest.kafka import ensure_topics
from tests.integration.support import BOOTSTRAP, CLI, read_topic, topic_partitions

FULL = os.environ.get("NEWS_INGEST_FAULTS") == "full"
RESULTS = Path(__file__).resolve().parents[2] / ".local" / "faults" / "results.jsonl"


@dataclass(frozen=True)
class Scale:
    articles: int
    kills: int


SCALE = Scale(articles=1000, kills=10) if FULL else Scale(articles=200, kills=3)


@pytest.fixture
def app_id() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}"


def provision(config: Path) -> None:
    """Create the deployment's topics before anything is published to them."""
    ensure_topics(load_settings(config))


def record_result(scenario: str, **figures: Any) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"scenario": scenario, "full": FULL, "at": time.strftime("%Y-%m-%d %H:%M"), **figures}))
        out.write("\n")


def high_watermark(topic: str, bootstrap: str = BOOTSTRAP) -> Callable[[], int]:
    """A cheap progress probe: the sum of the topic's end offsets (open transactions included)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    partitions = topic_partitions(consumer, topic, bootstrap)

    def probe() -> int:
        return sum(consumer.end_offsets(partitions).values())

    return probe


def committed_count(topic: str, bootstrap: str = BOOTSTRAP) -> int:
    """How many committed records `topic` holds (read_committed), checked at most every second."""
    time.sleep(1)
    return len(read_topic(topic, bootstrap=bootstrap, timeout_s=60))


@dataclass
class Worker:
    """One `news-ingest` process, its log in a file."""

    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Worker:
        log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        process = subprocess.Popen(
            [CLI, *args], stdout=subprocess.DEVNULL, stderr=log.open("wb"), env={**os.environ, **(env or {})}
        )
        return cls(process, log)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup of any kind
        self.process.wait(timeout=30)

    def stop(self, timeout_s: float = 60) -> int:
        self.process.terminate()
        return self.process.wait(timeout=timeout_s)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def exactly_once(topic: str, expected: int, bootstrap: str = BOOTSTRAP) -> dict[str, int]:
    """Read `topic` as a downstream consumer would and count what was lost and what was doubled."""
    records = read_topic(topic, bootstrap=bootstrap, timeout_s=120)
    versions = Counter((json.loads(r.value)["story_id"], json.loads(r.value)["version"]) for r in records)
    figures = {
        "sent": expected,
        "received": len(records),
        "distinct": len(versions),
        "lost": expected - len(versions),
        "duplicated": sum(count - 1 for count in versions.values()),
    }
    assert figures["duplicated"] == 0, figures
    assert figures["lost"] == 0, figures
    return figures

"""Processor throughput per core against its ceiling, trafilatura.extract alone, on the same pages, same run.

Three measurements on the bench corpus (bench/corpus.py), each in CPU seconds of this process:

1. ceiling: `trafilatura.extract(html, url=url)` per page;
2. stages: `process_document` (extraction with metadata, update notes, identity and dedupe, language, normalizer);
3. processor: the real processor role draining the pages from the raw topic on the local broker, in Kafka
   transactions with the dedupe state (client threads included; the broker's own CPU is not counted).
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import multiprocessing
import os
import pstats
import resource
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trafilatura
from kafka import KafkaProducer

from bench.corpus import pages
from ingest.config import Settings
from ingest.health import Health
from ingest.kafka import ensure_topics
from ingest.metrics import Metrics
from ingest.worker import build_processor
from processors.dedupe import StoryIndex
from processors.language import LanguageDetector
from processors.pipeline import Publish, process_document
from processors.records import FeedEntry, FeedRef, RawDocument

FEED = FeedRef(name="bench", url="https://bench.example/feed.xml")


def remember(state: dict[str, Any], index: StoryIndex, updates: dict[str, Any]) -> None:
    """What the state table does for the processor: keep the write and tell the indexes."""
    state.update(updates)
    for key, value in updates.items():
        index.observe(key, value)


def raw_documents(corpus: list[tuple[str, str]]) -> list[RawDocument]:
    at = datetime(2026, 11, 25, tzinfo=UTC)
    return [
        RawDocument(
            feed=FEED,
            entry=FeedEntry(
                id=url, url=url, title=None, summary=None, authors=[], published_at=at, updated_at=None, language=None
            ),
            source="page",
            url=url,
            html=html,
            content_type="text/html; charset=utf-8",
            content_language=None,
            fetched_at=at,
        )
        for url, html in corpus
    ]


def _cpu(function: Any) -> float:
    """CPU seconds of `function`, this process's and its child processes' (the processor extracts in a child)."""
    started = _tree_cpu()
    function()
    return _tree_cpu() - started


def _tree_cpu() -> float:
    """This process's CPU time plus that of its living descendants (from /proc) and of those it reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    total += resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    pending, seen = [os.getpid()], set()
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in map(int, (task / "children").read_text().split()):
                    if child not in seen:
                        seen.add(child)
                        pending.append(child)
    for child in seen:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def ceiling(corpus: list[tuple[str, str]]) -> float:
    return _cpu(lambda: [trafilatura.extract(html, url=url) for url, html in corpus])


def stages(documents: list[RawDocument], *, profile: bool = False) -> tuple[float, str]:
    detector = LanguageDetector()
    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state)
    now = datetime(2026, 11, 25, tzinfo=UTC)

    def run() -> None:
        for document in documents:
            outcome = process_document(document, detector=detector, index=index, now=now)
            remember(state, index, outcome.state_updates)
            assert isinstance(outcome, Publish)

    if not profile:
        return _cpu(run), ""
    profiler = cProfile.Profile()
    cpu = _cpu(lambda: profiler.runcall(run))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    return cpu, out.getvalue()


def processor(documents: list[RawDocument], bootstrap: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for the processor role to drain `documents` from the raw topic."""
    parts = processor_parts(documents, bootstrap)
    return parts["cpu_s"], parts["wall_s"]


def processor_parts(documents: list[RawDocument], bootstrap: str) -> dict[str, float]:
    """The processor role draining `documents`: CPU and wall seconds, and the CPU seconds of its parts (the
    extraction child, this process's main thread, and its other threads: kafka-python's network threads)."""
    app_id = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        app_id=app_id,
        instance_id="bench",
        kafka={"bootstrap_servers": bootstrap},
        topics={
            "raw": f"{app_id}.raw",
            "articles": f"{app_id}.articles",
            "latest": f"{app_id}.latest",
            "dlq": f"{app_id}.dlq",
        },
        processor={"batch_size": 100},
    )
    ensure_topics(settings)
    feeder = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all", max_request_size=16 * 2**20)
    for document in documents:
        feeder.send(settings.topics.raw, key=document.url.encode(), value=document.to_json_bytes())
    feeder.flush()
    feeder.close()
    health = Health(600)
    health.register("processor")
    with ExitStack() as stack:
        role = build_processor(settings, stack, Metrics(), health, threading.Event())
        threads_before, main_before, process_before = _threads_cpu(), time.thread_time(), time.process_time()
        wall = time.monotonic()
        cpu = _cpu(role.drain)
        wall = time.monotonic() - wall
        main, process = time.thread_time() - main_before, time.process_time() - process_before
        network = sum(cpu - threads_before.get(name, 0.0) for name, cpu in _threads_cpu().items() if "kafka" in name)
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "child_cpu_s": cpu - process,
        "main_thread_cpu_s": main,
        "network_threads_cpu_s": network,
    }


def _threads_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process, by name (from /proc, so kafka-python's threads too)."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    found: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            name = names.get(int(task.name), task.name)
            found[name] = found.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return found


def run(bootstrap: str, count: int = 600) -> dict[str, Any]:
    corpus = pages(count)
    documents = raw_documents(corpus)
    ceiling(corpus[:20])  # warm-up: imports, caches
    ceiling_cpu = ceiling(corpus)
    stages_cpu, _ = stages(documents)
    _, profile = stages(documents, profile=True)
    processor_cpu, processor_wall = processor(documents, bootstrap)
    scaling = process_scaling(documents)
    pages_count = len(corpus)
    return {
        "pages": pages_count,
        "mean_page_bytes": sum(len(html) for _, html in corpus) // pages_count,
        "ceiling_pages_per_cpu_s": pages_count / ceiling_cpu,
        "stages_pages_per_cpu_s": pages_count / stages_cpu,
        "processor_pages_per_cpu_s": pages_count / processor_cpu,
        "processor_pages_per_wall_s": pages_count / processor_wall,
        "ratio_stages": ceiling_cpu / stages_cpu,
        "ratio_processor": ceiling_cpu / processor_cpu,
        "profile": profile,
        "scaling": scaling,
    }


def articles(corpus: list[tuple[str, str]]) -> list[Any]:
    """The articles the corpus yields (for the publishing benchmark's records)."""
    detector = LanguageDetector()
    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    found = []
    for document in raw_documents(corpus):
        outcome = process_document(document, detector=detector, index=index, now=now)
        remember(state, index, outcome.state_updates)
        if isinstance(outcome, Publish):
            found.append(outcome.article)
    return found


def _stage_chunk(documents: list[RawDocument]) -> int:
    """A worker process's share: each document through the stages, with a state of its own."""
    detector = LanguageDetector()
    state: dict[str, dict[str, Any]] = {}
    index = StoryIndex(state)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    for document in documents:
        remember(state, index, process_document(document, detector=detector, index=index, now=now).state_updates)
    return len(documents)


def process_scaling(documents: list[RawDocument], processes: int = 2) -> dict[str, float]:
    """Pages per wall second of the stages in 1 process and in `processes` processes (a pool, no Kafka)."""
    started = time.monotonic()
    _stage_chunk(documents)
    one = len(documents) / (time.monotonic() - started)
    chunks = [documents[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_stage_chunk, [chunk[:5] for chunk in chunks])  # start-up and imports, not measured
        started = time.monotonic()
        pool.map(_stage_chunk, chunks)
        many = len(documents) / (time.monotonic() - started)
    return {"processes": processes, "one_process_pages_per_s": one, "pool_pages_per_s": many, "speed_up": many / one}

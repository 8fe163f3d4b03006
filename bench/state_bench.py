"""The story state at volume (issue 17): N stories in the processor's story store, through the real code.

`make bench-state STORIES=N` fills a state topic on the local broker with the state records of N stories, as the
dedupe step writes them (`processors.dedupe.state_updates`: two aliases and the story entry each, with real texts'
fingerprint shapes, 40 anchors from a Zipf law over ten million, first seen over the last 30 days in six
languages), then, each in a process of its own, as a processor would:

1. rebuilds a story store from the topic on an empty disk (`StoredTable.restore`, the indexes with it):
   `cold_rebuild_stories_per_s`;
2. decides 3,000 documents against that state (a third new stories in another language, which search the
   translation window, half of them translations of known stories; a third copies of known stories, found by the
   near-duplicate index; a third known URLs):
   `decide_p50_ms`, `decide_p99_ms`;
3. after 1,000 more stories reached the topic, restarts on the same store and reads the tail: `warm_restart_s`
   (opening the store to caught up).

RSS is the process's resident set (/proc/self/status) after each step, `bytes_per_story_rss` its growth over the
process before the store was opened, divided by N. The last line printed is one JSON object with the figures; its
section of docs/benchmarks.md and its key of bench/results.json are replaced (one section a size run).
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import report

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
BEGIN, END = "<!-- bench-state: begin -->", "<!-- bench-state: end -->"
LANGUAGES = ("en", "fr", "de", "id", "es", "pt")
DAYS = 30
PARTITIONS = 6
DECISIONS = 3000
DEFAULT_STORIES = 200_000  # about 80 s here, within make bench's time
TAIL = 1000
FILLERS = 2  # processes filling the topic (this machine has 2 cores)
ANCHORS, ANCHOR_ZIPF, ANCHOR_VOCABULARY = 40, 1.1, 10_000_000


def state_records(first: int, stop: int, total: int, now: datetime) -> Iterator[tuple[bytes, bytes]]:
    """The state-topic records of stories first..stop-1 of `total`, as the dedupe step writes them for new stories
    (first seen from DAYS ago for the first to now for the last)."""
    from bench.state_corpus import story_documents, story_templates
    from processors.dedupe import NewStory, state_updates

    templates = story_templates(200)
    span = timedelta(days=DAYS).total_seconds()
    for number, made in enumerate(story_documents(stop, templates, seed=3, start=first), start=first):
        seen = now - timedelta(seconds=span * max(0.0, 1 - number / total))
        document = _varied(made, number)
        for key, value in state_updates(NewStory(f"{number:020x}"), document, now=seen).items():
            yield key.encode(), json.dumps(value, separators=(",", ":")).encode()


def _varied(document: Any, number: int) -> Any:
    """Six languages, and 40 anchors drawn from a Zipf law over ten million names and numbers: a few (a capital, a
    year) held by a good part of the window, most by a handful of stories, as in the news."""
    from dataclasses import replace

    import numpy as np

    ranks = np.random.default_rng([7, number]).zipf(ANCHOR_ZIPF, size=ANCHORS * 2)
    chosen = sorted({f"a{rank}" for rank in ranks.tolist() if rank < ANCHOR_VOCABULARY})[:ANCHORS]
    return replace(document, language=LANGUAGES[number % len(LANGUAGES)], anchors=tuple(chosen))


def _fill(topic: str, first: int, stop: int, total: int, now: datetime) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP, linger_ms=50, batch_size=1 << 20, compression_type="lz4", acks=1
    )
    for key, value in state_records(first, stop, total, now):
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def fill(topic: str, first: int, stop: int, total: int, now: datetime) -> float:
    """Write the records of stories first..stop-1 to `topic` from FILLERS processes; return the seconds taken."""
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    bounds = [first + (stop - first) * part // FILLERS for part in range(FILLERS + 1)]
    children = [
        context.Process(target=_fill, args=(topic, low, high, total, now)) for low, high in itertools.pairwise(bounds)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"a filler exited with {child.exitcode}")
    return time.perf_counter() - started


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _open(store_dir: Path, topic: str) -> tuple[Any, Any, Any]:
    from ingest.config import KafkaSettings
    from ingest.stored_indexes import stored_indexes
    from ingest.stored_table import StoredTable
    from ingest.story_store import StoryStore
    from processors.dedupe import StoryIndex

    store = StoryStore(store_dir)
    table = StoredTable(KafkaSettings(bootstrap_servers=BOOTSTRAP), topic, store)
    index = StoryIndex(table, indexes=stored_indexes(store, timedelta(days=3)))
    table.watch(index)
    return store, table, index


def _documents(stories: int, now: datetime) -> Iterator[tuple[str, Any]]:
    """DECISIONS documents: new stories (another language), copies of known ones, and known URLs, in turn."""
    import random
    from dataclasses import replace

    from bench.state_corpus import story_documents, story_templates

    rng = random.Random(11)
    templates = story_templates(200)
    fresh = story_documents(10**9 + DECISIONS, templates, seed=99, start=10**9)
    known_cache: dict[int, Any] = {}
    for turn in range(DECISIONS):
        kind = ("new", "copy", "known")[turn % 3]
        number = rng.randrange(stories)
        if number not in known_cache:
            known_cache[number] = _varied(next(story_documents(number + 1, templates, seed=3, start=number)), number)
        original = known_cache[number]
        if kind == "new":  # half of them a translation of a known story (its anchors), half other news
            document = _varied(next(fresh), 10**9 + turn)
            anchors = original.anchors if turn % 2 else document.anchors
            yield kind, replace(document, language="it", anchors=anchors)
        elif kind == "copy":
            yield kind, replace(original, identities=[f"url:https://copies.example/{turn}"], site="copies.example")
        else:
            yield kind, original


def _measure(step: str, store_dir: Path, topic: str, stories: int, now: datetime, answer: Any) -> None:
    baseline = _rss_mib()
    started = time.perf_counter()
    store, table, index = _open(store_dir, topic)
    records = table.restore(timeout_s=7200)
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = {"records": records, "seconds": elapsed, "warm": table.last_restore["warm"]}
    result["rss_mib"] = _rss_mib()
    result["rss_growth_mib"] = result["rss_mib"] - baseline
    if step == "cold":
        timings: dict[str, list[float]] = {"new": [], "copy": [], "known": []}
        for kind, document in _documents(stories, now):
            began = time.perf_counter()
            index.decide(document, now)
            timings[kind].append((time.perf_counter() - began) * 1000)
        every = sorted(t for values in timings.values() for t in values)
        result["decide_p50_ms"] = statistics.median(every)
        result["decide_p99_ms"] = every[int(len(every) * 0.99)]
        result["decide_p99_ms_by_kind"] = {
            kind: sorted(values)[int(len(values) * 0.99)] for kind, values in timings.items()
        }
        result["rss_mib_after_decisions"] = _rss_mib()
        began = time.perf_counter()  # eviction: the oldest hour's stories (one sweep's), found by a range read
        tombstones = index.expired(before=now - timedelta(days=DAYS, hours=-1))
        result["eviction_s"] = time.perf_counter() - began
        result["evicted_stories"] = sum(1 for key in tombstones if key.startswith("story:"))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table.close()
    store.close()
    answer.put(result)


def _in_child(step: str, *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=_measure, args=(step, *args, answer))
    child.start()
    result: dict[str, Any] = answer.get(timeout=4 * 3600)
    child.join()
    return result


def run(stories: int) -> dict[str, Any]:
    from kafka.admin import KafkaAdminClient, NewTopic

    from ingest.story_store import disk_bytes

    topic = f"bench-state-{uuid.uuid4().hex[:8]}.story-state"
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        admin.create_topics([NewTopic(topic, PARTITIONS, 1, topic_configs={"cleanup.policy": "compact"})])
        now = datetime.now(UTC)
        fill_s = fill(topic, 0, stories, stories, now)
        store_dir = Path(tempfile.mkdtemp(prefix="bench-state-"))
        try:
            cold = _in_child("cold", store_dir, topic, stories, now)
            disk = disk_bytes(store_dir)
            fill(topic, stories, stories + TAIL, stories, now)
            warm = _in_child("warm", store_dir, topic, stories, now)
        finally:
            shutil.rmtree(store_dir, ignore_errors=True)
    finally:
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
    return {
        "stories": stories,
        "rss_mib": round(max(cold["rss_mib_after_decisions"], warm["rss_mib"]), 1),
        "disk_mib": round(disk / 2**20, 1),
        "bytes_per_story_rss": round(cold["rss_growth_mib"] * 2**20 / stories, 1),
        "bytes_per_story_disk": round(disk / stories, 1),
        "warm_restart_s": round(warm["seconds"], 2),
        "warm_restart_records": warm["records"],
        "cold_rebuild_stories_per_s": round(stories / cold["seconds"]),
        "cold_rebuild_records_per_s": round(cold["records"] / cold["seconds"]),
        "decide_p50_ms": round(cold["decide_p50_ms"], 3),
        "decide_p99_ms": round(cold["decide_p99_ms"], 3),
        "decide_p99_ms_by_kind": {k: round(v, 3) for k, v in cold["decide_p99_ms_by_kind"].items()},
        "eviction_s": round(cold["eviction_s"], 3),
        "evicted_stories": cold["evicted_stories"],
        "peak_rss_mib": round(max(cold["peak_rss_mib"], warm["peak_rss_mib"]), 1),
        "topic_fill_s": round(fill_s, 1),
    }


TARGETS = {
    "rss_mib": ("<", 1024),
    "warm_restart_s": ("<", 10),
    "cold_rebuild_stories_per_s": (">=", 50_000),
    "decide_p99_ms": ("<", 2),
}


def _met(result: dict[str, Any], name: str) -> str:
    sign, target = TARGETS[name]
    value = result[name]
    ok = value < target if sign == "<" else value >= target
    return f"{'met' if ok else 'missed'} ({sign} {target:,})"


def section(runs: dict[str, dict[str, Any]]) -> str:
    rows = []
    for result in sorted(runs.values(), key=lambda r: r["stories"]):
        rows.append(
            f"| {result['stories']:,} | {result['rss_mib']:,.0f} ({result['peak_rss_mib']:,.0f}) | "
            f"{result['bytes_per_story_rss']:,.1f} | {result['disk_mib']:,.0f} | {result['warm_restart_s']:.2f} | "
            f"{result['cold_rebuild_stories_per_s']:,} | "
            f"{result['decide_p50_ms']:.2f} / {result['decide_p99_ms']:.2f} |"
        )
    largest = max(runs.values(), key=lambda r: r["stories"])
    verdicts = ", ".join(f"{name} {_met(largest, name)}" for name in TARGETS)
    return f"""{BEGIN}
## Story state at volume (`make bench-state STORIES=N`)

`bench/state_bench.py`: N stories' state records (as the dedupe step writes them: two aliases and the story entry,
realistic fingerprints and anchors, first seen over {DAYS} days, six languages) on a {PARTITIONS}-partition state
topic of the local broker; then, each in its own process, a cold rebuild of the story store from the topic (the
indexes with it), {DECISIONS:,} dedupe decisions against it (new stories searching the translation window, copies
found by the near-duplicate index, known URLs), and a warm restart on the same store after {TAIL:,} more stories.

| stories | RSS MiB (peak) | RSS B / story | disk MiB | warm restart s | rebuild stories / s | decide p50 / p99 ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Against the targets at {largest["stories"]:,} stories: {verdicts}.

Where the time goes (cProfile, 20,000 to 100,000 stories, this machine):

- **Cold rebuild**, about {1e6 / largest["cold_rebuild_stories_per_s"]:.0f} us a story (three records): a third
  is kafka-python decoding the records (its record batches are parsed in Python, ~10 us a record), a third the
  index entries the story implies (18 band keys, the expiry item, 40 anchors and their frequencies for a story of
  the translation window) and reading each key's previous value, a sixth RocksDB's batch writes (sorted, WAL on),
  the rest JSON. The 50,000 stories/s target needs a faster record decoder than kafka-python's or a rebuild split
  over processes; neither is done. A rebuild happens on a new volume only: restarts are warm.
- **Decision p99** is the new stories in another language (p99 by kind in bench/results.json): the translation
  search reads up to 1,024 holders of the story's rarest anchors, then the anchors of its 32 best candidates and
  the frequencies of those anchors from the store. Holders and frequencies are cached in memory in step with the
  writes (bounded), and a candidate's own frequencies are read only when its score could still count; the rest is
  RocksDB reads (about 5 us each) that a larger block cache would shorten. Copies (the near-duplicate index: 18
  prefix reads) and known URLs (an alias read) stay near a millisecond.
- **Memory** is RocksDB's block cache (128 MiB: data, index and filter blocks, partitioned), its write buffers (up
  to 2 x 64 MiB), the translation caches (at most ~80 MiB) and the interpreter; it does not grow with the stories.
{END}
"""


def main() -> None:
    stories = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_STORIES
    result = run(stories)
    runs = report.earlier_results().get("story_state_at_volume", {})
    runs[str(stories)] = result
    report.save("story_state_at_volume", runs, section(runs), begin=BEGIN, end=END)
    print(json.dumps(result))  # noqa: T201 (a command's output: its last line is the figures)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

"""Story identity, measured: precision and recall of revision, syndication and translation detection on the
labelled corpus (bench/dedupe_corpus.py), the thresholds that choose, memory per indexed story, lookup times with
100k and 1M stories indexed, and the restore rate of the dedupe state from its changelog topic on the broker.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.dedupe_corpus import Pair, Story, background_stories, pairs
from processors.dedupe import (
    NEAR_DUPLICATE_THRESHOLD,
    TRANSLATION_THRESHOLD,
    Document,
    NewStory,
    Revision,
    StoryIndex,
    state_updates,
)
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, estimated_jaccard, fingerprint
from processors.identity import content_hash, story_id_for
from processors.near_duplicates import NearDuplicateIndex
from processors.translations import TranslationIndex, anchors

NOW = datetime(2022, 9, 13, 12, tzinfo=UTC)
KINDS = ("revision", "duplicate", "translation")


def document(story: Story, url: str, site: str) -> Document:
    return Document(
        identities=[f"url:{url}"],
        content_hash=content_hash(story.text),
        fingerprint=fingerprint(story.text),
        title=story.title,
        site=site,
        language=story.language,
        anchors=anchors(story.text),
    )


@dataclass
class Quality:
    pairs: int
    by_kind: dict[str, int]
    precision: dict[str, float]
    recall: dict[str, float]
    confusion: dict[str, dict[str, int]]
    similarity: dict[str, dict[str, float]]
    threshold_sweep: dict[str, list[dict[str, float]]]


def _index_of(corpus: list[Pair], background: list[Story], **thresholds: Any) -> tuple[StoryIndex, dict[str, Any]]:
    table: dict[str, Any] = {}
    index = StoryIndex(table, **thresholds)
    stories = [(f"https://site{n % 40}.example/bg/{n}", f"site{n % 40}.example", s) for n, s in enumerate(background)]
    stories += [
        (f"https://left{n % 50}.example/story/{n}", f"left{n % 50}.example", p.left) for n, p in enumerate(corpus)
    ]
    for url, site, story in stories:
        facts = document(story, url, site)
        updates = state_updates(NewStory(story_id_for(facts.identities[0])), facts, now=NOW)
        table.update(updates)
        for key, value in updates.items():
            index.observe(key, value)
    return index, table


def quality(count_per_kind: int = 240, background: int = 3000) -> Quality:
    """Each right-hand story decided against an index holding every left-hand story and `background` others."""
    corpus = pairs(count_per_kind)
    index, _ = _index_of(corpus, background_stories(background))
    predicted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = {}
    similarity: dict[str, list[float]] = {}
    scores: dict[str, list[tuple[float, float]]] = {"near": [], "translation": []}
    for n, pair in enumerate(corpus):
        left_site = f"left{n % 50}.example"
        site = left_site if pair.same_site else f"other{n % 30}.example"
        left_id = story_id_for(f"url:https://{left_site}/story/{n}")
        facts = document(pair.right, f"https://{site}/right/{n}", site)
        decision = index.decide(facts, NOW + timedelta(hours=1))
        kind, target = _predicted(decision)
        truth = pair.label if pair.label != "different" else pair.kind
        confusion.setdefault(truth, Counter())[kind] += 1
        if kind in KINDS:
            predicted[kind] += 1
            if kind == pair.label and target == left_id:
                correct[kind] += 1
        left = index.story(left_id)
        assert left is not None
        near = estimated_jaccard(left.fingerprint.signature, facts.fingerprint.signature)
        similarity.setdefault(pair.kind, []).append(near)
        same_language = pair.left.language == pair.right.language
        positive_near = pair.label in ("revision", "duplicate")
        if same_language:
            scores["near"].append((near, 1.0 if positive_near else 0.0))
    positives = Counter(p.label for p in corpus)
    return Quality(
        pairs=len(corpus),
        by_kind=dict(Counter(p.kind for p in corpus)),
        precision={k: round(correct[k] / predicted[k], 4) if predicted[k] else 1.0 for k in KINDS},
        recall={k: round(correct[k] / positives[k], 4) for k in KINDS},
        confusion={truth: dict(counts) for truth, counts in confusion.items()},
        similarity={
            kind: {"p1": _pct(values, 1), "p50": _pct(values, 50), "p99": _pct(values, 99), "max": max(values)}
            for kind, values in similarity.items()
        },
        threshold_sweep={"near_duplicate": _sweep(scores["near"])},
    )


def translation_sweep(count_per_kind: int = 240, background: int = 3000) -> list[dict[str, float]]:
    """Precision and recall of translation links at several thresholds (the decision, rerun per threshold)."""
    corpus = pairs(count_per_kind)
    rows = []
    for threshold in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        index, _ = _index_of(corpus, background_stories(background), translation_threshold=threshold)
        predicted = correct = positives = 0
        for n, pair in enumerate(corpus):
            if pair.left.language == pair.right.language:
                continue
            positives += pair.label == "translation"
            site = f"other{n % 30}.example"
            left_id = story_id_for(f"url:https://left{n % 50}.example/story/{n}")
            decision = index.decide(document(pair.right, f"https://{site}/right/{n}", site), NOW)
            kind, target = _predicted(decision)
            if kind == "translation":
                predicted += 1
                correct += pair.label == "translation" and target == left_id
        rows.append(
            {
                "threshold": threshold,
                "precision": round(correct / predicted, 4) if predicted else 1.0,
                "recall": round(correct / positives, 4),
            }
        )
    return rows


def _predicted(decision: Any) -> tuple[str, str | None]:
    if isinstance(decision, Revision):
        return ("revision" if decision.matched_by == "content" else "identity"), decision.previous.story_id
    if isinstance(decision, NewStory) and decision.duplicate_of:
        return "duplicate", decision.duplicate_of
    if isinstance(decision, NewStory) and decision.translation_of:
        return "translation", decision.translation_of
    if isinstance(decision, NewStory):
        return "new", None
    return "repeat", decision.story.story_id


def _sweep(scored: list[tuple[float, float]]) -> list[dict[str, float]]:
    """Precision and recall of "same story" by the similarity of the pair alone, at several thresholds."""
    rows = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        tp = sum(1 for s, label in scored if s >= threshold and label)
        fp = sum(1 for s, label in scored if s >= threshold and not label)
        positives = sum(1 for _, label in scored if label)
        rows.append(
            {
                "threshold": threshold,
                "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
                "recall": round(tp / positives, 4),
            }
        )
    return rows


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def _synthetic(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints of unrelated stories: uniformly random band keys and signature bytes, as hashing makes them."""
    bands = rng.integers(0, 2**32, size=(count, BANDS), dtype=np.uint64)
    signatures = rng.integers(0, 256, size=(count, SIGNATURE_BYTES), dtype=np.uint8)
    return bands, signatures


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def scale(sizes: tuple[int, ...] = (100_000, 1_000_000), queries: int = 2000) -> dict[str, Any]:
    """Memory per indexed story and lookup times at each size, in the index a processor keeps.

    Memory is the growth of the process's resident set while the index fills (the fingerprints to insert are
    made beforehand), so it counts the allocator's slack and the dicts of recent inserts, not only the arrays.
    """
    rng = np.random.default_rng(13)
    probes = [fingerprint(s.text) for s in background_stories(queries // 2, seed=99)]
    corpus_docs = [fingerprint(p.right.text) for p in pairs(60)][: queries // 2]
    results: dict[str, Any] = {}
    for size in sizes:
        bands, signatures = _synthetic(rng, size)
        prints = [Fingerprint(tuple(bands[n].tolist()), signatures[n].tobytes(), (), 300) for n in range(size)]
        ids = [f"{n:020x}" for n in range(size)]
        del bands, signatures
        gc.collect()
        before = _rss()
        index = NearDuplicateIndex()
        started = time.perf_counter()
        for n in range(size):
            index.add(ids[n], prints[n], f"site{n % 5000}.example")
        insert_s = time.perf_counter() - started
        for n, fp in enumerate(corpus_docs):  # the corpus stories too, so that lookups find their near duplicates
            index.add(f"{size + n:020x}", fp, "corpus.example")
        gc.collect()
        held = _rss() - before
        timings = []
        for fp in [*probes, *corpus_docs]:
            started = time.perf_counter()
            index.matches(fp, NEAR_DUPLICATE_THRESHOLD)
            timings.append(time.perf_counter() - started)
        results[str(size)] = {
            "stories": len(index),
            "rss_bytes_per_story": round(held / len(index), 1),
            "array_bytes_per_story": round(index.nbytes() / len(index), 1),
            "insert_us_per_story": round(insert_s / size * 1e6, 2),
            "lookup_p50_ms": round(float(np.percentile(timings, 50)) * 1000, 4),
            "lookup_p99_ms": round(float(np.percentile(timings, 99)) * 1000, 4),
            "lookups": len(timings),
        }
        del index, prints, ids
        gc.collect()
    return results


def translation_scale(stories: int = 100_000, queries: int = 500) -> dict[str, Any]:
    """Translation lookups in a window holding `stories` stories (a busy 3-day window). The stories are the
    background corpus's, cycled, so wire names, months and years are held by a large part of the window, as they
    are in a wire-heavy feed set; the queries are the corpus's translations, which must still find their original."""
    index = TranslationIndex(timedelta(days=3))
    now = datetime(2026, 11, 25, tzinfo=UTC)
    texts = background_stories(3000)
    sampled = [(story.language, anchors(story.text)) for story in texts]
    for n in range(stories):
        language, story_anchors = sampled[n % len(sampled)]
        index.add(f"{n:020x}", language, story_anchors, now)
    translations = [pair for pair in pairs(queries) if pair.kind == "translation"]
    for n, pair in enumerate(translations):
        index.add(f"{stories + n:020x}", pair.left.language, anchors(pair.left.text), now)
    timings, found = [], 0
    for n, pair in enumerate(translations):
        started = time.perf_counter()
        match = index.best(pair.right.language, anchors(pair.right.text), TRANSLATION_THRESHOLD)
        timings.append(time.perf_counter() - started)
        found += match is not None and match.story_id == f"{stories + n:020x}"
    return {
        "stories": len(index),
        "lookups": len(timings),
        "found": found,
        "lookup_p50_ms": round(float(np.percentile(timings, 50)) * 1000, 3),
        "lookup_p99_ms": round(float(np.percentile(timings, 99)) * 1000, 3),
    }


def restore_rate(bootstrap: str, stories: int = 50_000) -> dict[str, float]:
    """Write `stories` story states (with aliases) to a compacted topic; time a StateTable restore with the index."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    from ingest.config import KafkaSettings
    from ingest.state import StateTable

    topic = f"bench.story-state.{random.randrange(10**9)}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"cleanup.policy": "compact"})])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, batch_size=512_000, compression_type="zstd")
    rng = np.random.default_rng(5)
    bands, signatures = _synthetic(rng, stories)
    records = 0
    text = background_stories(1)[0]
    template = document(text, "https://x.example/a", "x.example")
    for n in range(stories):
        facts = Document(
            identities=[f"url:https://site{n % 900}.example/{n}", f"guid:https://site{n % 900}.example/feed#{n}"],
            content_hash=f"{n:064x}",
            fingerprint=Fingerprint(tuple(bands[n].tolist()), signatures[n].tobytes(), template.fingerprint.paragraphs),
            title=f"Story {n}",
            site=f"site{n % 900}.example",
            language="en",
            anchors=template.anchors,
        )
        import json

        for key, value in state_updates(NewStory(f"{n:020x}"), facts, now=NOW).items():
            producer.send(topic, key=key.encode(), value=json.dumps(value, separators=(",", ":")).encode())
            records += 1
    producer.flush()
    producer.close()
    table = StateTable(KafkaSettings(bootstrap_servers=bootstrap), topic, compact=True)
    index = StoryIndex({})
    table.watch(index)
    started = time.perf_counter()
    applied = table.restore()
    elapsed = time.perf_counter() - started
    table.close()
    assert len(index.near_duplicates) == stories
    return {
        "stories": stories,
        "records": applied,
        "seconds": round(elapsed, 2),
        "records_per_s": round(applied / elapsed),
        "stories_per_s": round(stories / elapsed),
    }

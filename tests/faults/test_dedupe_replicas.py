"""Two processor replicas decide every story as one process does, and killing the replica that holds the dedupe
step between two versions of a story changes no decision.

The fixture stories (tests/fixtures/stories) arrive round by round as raw documents. One deployment runs a
single `news-ingest process`; another runs two, and after the second round the one that holds the single
partition of `<app_id>.extracted` is killed (-9) and a third replica started: the survivor takes the dedupe step
over, catching up with the state its predecessor committed. Both deployments must publish the same articles
(same story ids, versions, relations), each once, and as labelled.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from ingest.config import KafkaSettings
from ingest.kafka import written_end
from tests.integration.support import BOOTSTRAP, read_topic, topic_partitions, topics, wait_until, write_config
from tests.story_cases import Case, cases, mismatches

from .conftest import Worker, provision, record_result
from .test_scale_out import events, ready

ROUNDS = sorted({case.round for case in cases()})
DECIDED = ("story_id", "version", "revision_of", "duplicate_of", "translation_of", "cluster_id", "changes")


def publish_round(app_id: str, number: int) -> None:
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    for case in cases():
        if case.round == number:
            producer.send(
                topics(app_id)["raw"], key=f"url:{case.url}".encode(), value=case.raw_document().to_json_bytes()
            )
    producer.flush()
    producer.close()


def unread(group: str, topic: str) -> int:
    """Committed records of `topic` after the offsets `group` has committed: work not yet done."""
    members = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    partitions = topic_partitions(members, topic)
    starts = {tp: members.committed(tp) or 0 for tp in partitions}
    members.close()
    reader = KafkaConsumer(bootstrap_servers=BOOTSTRAP, isolation_level="read_committed", enable_auto_commit=False)
    try:
        reader.assign(partitions)
        for tp, offset in starts.items():
            reader.seek(tp, offset)
        end = written_end(KafkaSettings(bootstrap_servers=BOOTSTRAP), partitions)
        count, deadline = 0, time.monotonic() + 30
        while any(reader.position(tp) < end[tp] for tp in partitions) and time.monotonic() < deadline:
            count += sum(len(batch) for batch in reader.poll(timeout_ms=300).values())
        return count
    finally:
        reader.close()


def settled(app_id: str) -> bool:
    return (
        unread(f"{app_id}.processor", topics(app_id)["raw"])
        == 0
        == unread(f"{app_id}.processor", f"{app_id}.extracted")
    )


def articles_by_url(app_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for record in read_topic(topics(app_id)["articles"]):
        article = json.loads(record.value)
        found.setdefault(article["url"], []).append(article)
    return found


def labelled(found: dict[str, list[dict[str, Any]]]) -> list[tuple[Case, dict[str, Any] | None]]:
    """Each case with the article its document became (None for a repeat), in case order."""
    taken = {url: list(articles) for url, articles in found.items()}
    results = []
    for case in cases():
        pending = taken.get(case.url, [])
        results.append((case, pending.pop(0) if pending and case.expect != "nothing" else None))
    return results


def test_two_replicas_decide_as_one_and_a_killed_dedupe_owner_changes_nothing(
    tmp_path: Path, workers: list[Worker]
) -> None:
    suffix = str(int(time.time()))
    single, pair = f"dedupe-one-{suffix}", f"dedupe-two-{suffix}"
    configs = {}
    for app_id in (single, pair):
        configs[app_id] = write_config(tmp_path, app_id, processor={"poll_timeout_ms": 200})
        provision(configs[app_id])

    def start(app_id: str, name: str) -> Worker:
        # Each replica has a story store of its own (a StatefulSet pod's volume), kept when it is killed.
        env = {"NEWS_INGEST_INSTANCE_ID": name, "NEWS_INGEST_DEDUPE__STORE_DIR": str(tmp_path / f"store-{name}")}
        worker = Worker.start(tmp_path, "process", "--config", str(configs[app_id]), env=env)
        workers.append(worker)
        return worker

    alone = start(single, "alone")
    replicas = [start(pair, "replica-a"), start(pair, "replica-b")]
    wait_until(lambda: ready(alone) and all(ready(r) for r in replicas), 120, "the processors to be ready")
    killed: str | None = None
    for number in ROUNDS:
        for app_id in (single, pair):
            publish_round(app_id, number)
        for app_id in (single, pair):
            wait_until(lambda a=app_id: settled(a), 180, f"round {number} of {app_id} processed")
        if number == 2:
            # The replica that published this round holds the dedupe step: kill it, and start it again on its
            # store (the survivor takes the step over meanwhile, the restarted one reads on from its offsets).
            owner = next(r for r in replicas if events(r, "article published"))
            owner.kill()
            killed = owner.log.name
            name = "replica-a" if owner is replicas[0] else "replica-b"
            replicas.append(start(pair, name))
    assert killed is not None
    assert alone.stop() == 0
    restored = events(replicas[-1], "state restored")
    assert restored and restored[0]["warm"], "the killed owner, restarted on its store, must not rebuild it"

    one, two = articles_by_url(single), articles_by_url(pair)
    assert mismatches(labelled(one)) == []
    assert mismatches(labelled(two)) == []
    decided_once = {url: [{k: a[k] for k in DECIDED} for a in articles] for url, articles in one.items()}
    decided_twice = {url: [{k: a[k] for k in DECIDED} for a in articles] for url, articles in two.items()}
    assert decided_twice == decided_once
    versions = [(a["story_id"], a["version"]) for articles in two.values() for a in articles]
    assert len(versions) == len(set(versions)), "an article published twice"
    record_result("dedupe: 2 replicas vs 1, dedupe owner killed", articles=len(versions), rounds=len(ROUNDS))

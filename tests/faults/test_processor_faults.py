"""Processors killed, fenced and rescaled mid-run: every (story_id, version) is seen exactly once downstream."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from ingest.config import KafkaSettings
from ingest.kafka import FatalProducerError, TransactionalProducer
from tests.integration.support import (
    BOOTSTRAP,
    free_port,
    http_get,
    log_events,
    run_cli,
    topics,
    wait_until,
    write_config,
)

from .conftest import (
    SCALE,
    Worker,
    committed_count,
    exactly_once,
    high_watermark,
    provision,
    record_result,
)
from .corpus import publish_corpus


def test_processor_killed_at_random_instants(tmp_path: Path, app_id: str, workers: list[Worker]) -> None:
    # One store for every process in turn: each restart reads on from what the killed one left on its disk.
    config = write_config(
        tmp_path,
        app_id,
        processor={"static_membership": True, "batch_size": 20},
        dedupe={"store_dir": str(tmp_path / "story-store")},
    )
    provision(config)
    names = topics(app_id)
    publish_corpus(BOOTSTRAP, names["raw"], SCALE.articles)
    progress = high_watermark(names["articles"])
    rng = random.Random(20220913)
    for _ in range(SCALE.kills):
        before = progress()
        worker = Worker.start(tmp_path, "process", "--config", str(config))
        workers.append(worker)
        # Kill as soon as this process has written some records: often in the middle of a transaction.
        target = before + rng.randint(1, max(2, SCALE.articles // (SCALE.kills * 2)))
        wait_until(lambda t=target, w=worker: progress() >= t or w.process.poll() is not None, 120, "progress")
        worker.kill()
    final = run_cli("process", "--once", "--config", str(config), timeout=300)
    assert final.returncode == 0, final.stderr[-3000:]
    figures = exactly_once(names["articles"], SCALE.articles)
    record_result("processor kill -9 at random instants", faults=SCALE.kills, **figures)


def test_scaling_one_three_one_mid_run(tmp_path: Path, app_id: str, workers: list[Worker]) -> None:
    config = write_config(tmp_path, app_id, processor={"batch_size": 10})
    provision(config)
    names = topics(app_id)
    half = SCALE.articles // 2
    publish_corpus(BOOTSTRAP, names["raw"], half)
    progress = high_watermark(names["articles"])
    first = Worker.start(tmp_path, "process", "--config", str(config), env=replica(tmp_path, 1))
    workers.append(first)
    wait_until(lambda: progress() > 0, 120, "the first replica to make progress")
    ports = [free_port(), free_port()]
    extra = [
        Worker.start(
            tmp_path,
            "process",
            "--config",
            str(config),
            env={**replica(tmp_path, i), "NEWS_INGEST_SERVER__PORT": str(port)},
        )
        for i, port in zip((2, 3), ports, strict=True)
    ]
    workers.extend(extra)
    # Ready means "state restored and holding partitions": from now on three replicas share the topic.
    wait_until(
        lambda: all(http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200 for port in ports),
        120,
        "the new replicas to hold partitions",
    )
    publish_corpus(BOOTSTRAP, names["raw"], SCALE.articles - half, first=half)
    wait_until(lambda: progress() >= SCALE.articles * 3 // 4, 180, "three replicas to make progress")
    assert [worker.stop() for worker in extra] == [0, 0]  # SIGTERM: finish the batch, leave the group, exit 0
    # Back to one replica: it takes the partitions back and finishes the run.
    wait_until(lambda: committed_count(names["articles"]) >= SCALE.articles, 300, "the last replica to finish")
    assert first.stop() == 0
    figures = exactly_once(names["articles"], SCALE.articles)
    # Extraction (the costly step) is what replicas share; one replica at a time runs the dedupe step.
    shares = [extracted(worker) for worker in [first, *extra]]
    assert all(share > 0 for share in shares), f"the load was not shared: {shares}"
    record_result("processors scaled 1 -> 3 -> 1 mid-run", faults=2, per_replica=shares, **figures)


def replica(tmp_path: Path, number: int) -> dict[str, str]:
    """The environment of replica `number`: its instance id, and a story store of its own (as a StatefulSet's pod)."""
    return {
        "NEWS_INGEST_INSTANCE_ID": f"p{number}",
        "NEWS_INGEST_DEDUPE__STORE_DIR": str(tmp_path / f"story-store-{number}"),
    }


def extracted(worker: Worker) -> int:
    """How many documents a replica extracted, from its log."""
    return sum(
        event["count"] for event in log_events(worker.log.read_text()) if event["event"] == "documents extracted"
    )


def test_a_second_producer_with_the_same_id_fences_the_first(app_id: str) -> None:
    settings = KafkaSettings(bootstrap_servers=BOOTSTRAP)
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:  # the broker creates no topic on a client's request
        admin.create_topics({f"{app_id}.fencing": {"num_partitions": 1}}, wait_for_metadata=True)
    finally:
        admin.close()
    first = TransactionalProducer(settings, f"{app_id}.processor.same")
    with first.transaction() as tx:
        tx.send(f"{app_id}.fencing", "k", b"one")
    second = TransactionalProducer(settings, f"{app_id}.processor.same")
    with pytest.raises(FatalProducerError, match="was fenced"), first.transaction() as tx:
        tx.send(f"{app_id}.fencing", "k", b"two")
    with second.transaction() as tx:
        tx.send(f"{app_id}.fencing", "k", b"three")
    second.close()
    first.close(timeout_s=1)

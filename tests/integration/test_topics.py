"""`news-ingest topics create`: what a provisioning Job runs before workers that do not create topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from ingest.config import KafkaSettings
from ingest.kafka import TransactionalProducer

from .support import BOOTSTRAP, run_cli, write_config


def test_topics_are_created_once_with_partitions_and_compaction(tmp_path: Path, app_id: str) -> None:
    config = write_config(tmp_path, app_id, kafka={"partitions": 4, "create_topics": False})
    first = run_cli("topics", "create", "--config", str(config))
    assert first.returncode == 0, first.stderr[-2000:]
    expected = {
        f"{app_id}.raw",
        f"{app_id}.articles",
        f"{app_id}.articles.latest",
        f"{app_id}.dlq",
        f"{app_id}.feed-state",
        f"{app_id}.story-state",
        f"{app_id}.extracted",
        f"{app_id}.feeds",
        f"{app_id}.backfill-state",
        f"{app_id}.revisits",
    }
    assert set(json.loads(first.stdout)["created"]) == expected
    again = run_cli("topics", "create", "--config", str(config))
    assert again.returncode == 0 and json.loads(again.stdout) == {"created": []}

    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        described = admin.describe_topics(sorted(expected))
        # The backfill progress is one small table, read whole: one partition. The extracted documents are read
        # in one order by the dedupe step: one partition.
        partitions = dict.fromkeys(expected, 4) | {f"{app_id}.backfill-state": 1, f"{app_id}.extracted": 1}
        assert {t["name"]: len(t["partitions"]) for t in described} == partitions
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in sorted(expected)]
        configs = admin.describe_configs(resources)["topic"]
        policies = {name: entries.get("cleanup.policy", {}).get("value", "delete") for name, entries in configs.items()}
    finally:
        admin.close()
    compacted = {f"{app_id}.articles.latest", f"{app_id}.feed-state", f"{app_id}.story-state", f"{app_id}.feeds"}
    compacted |= {f"{app_id}.backfill-state", f"{app_id}.revisits"}
    assert {name for name, policy in policies.items() if policy == "compact"} == compacted


def test_a_worker_whose_topics_are_missing_stops_with_their_name_and_creates_nothing(
    tmp_path: Path, app_id: str
) -> None:
    """Read as "no partitions", a missing state topic would restore as an empty table: every story new again.

    Nor may a client's metadata request have the broker create a topic with the broker's defaults (one partition,
    never compacted): topics come from `topics create` or `kafka.create_topics` only.
    """
    config = write_config(tmp_path, app_id, kafka={"create_topics": False, "max_block_ms": 2000})
    worker = run_cli("process", "--config", str(config), timeout=120)
    assert worker.returncode == 3, worker.stderr[-2000:]
    assert f"topic {app_id}." in worker.stderr and "not found" in worker.stderr

    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        assert [topic for topic in admin.list_topics() if topic.startswith(app_id)] == []
    finally:
        admin.close()


def test_a_record_for_a_missing_topic_fails_and_does_not_create_it(app_id: str) -> None:
    producer = TransactionalProducer(KafkaSettings(bootstrap_servers=BOOTSTRAP, max_block_ms=2000), f"{app_id}.probe")
    try:
        with pytest.raises(KafkaError), producer.transaction() as tx:
            tx.send(f"{app_id}.nowhere", "key", b"{}")
    finally:
        producer.close()
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        assert f"{app_id}.nowhere" not in admin.list_topics()
    finally:
        admin.close()

"""Dedupe state lives in Kafka: a new processor process restores it and makes the same decisions."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaProducer

from ingest.demo import SiteServer

from .support import BOOTSTRAP, DEMO_FEEDS, read_topic, run_cli, topics, write_config


def test_repeats_are_dropped_by_a_restarted_processor(tmp_path: Path, app_id: str, demo_server: SiteServer) -> None:
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS)
    names = topics(app_id)
    assert run_cli("poll", "--once", "--config", str(config)).returncode == 0
    assert read_topic(names["articles"]) == []  # the poller alone publishes raw documents only
    raw = read_topic(names["raw"])
    assert len(raw) == 9

    processed = run_cli("process", "--once", "--config", str(config))
    assert processed.returncode == 0, processed.stderr[-3000:]
    assert len(read_topic(names["articles"])) == 9

    # The same raw documents arrive again (a re-poll after lost poller state, a replay...).
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    for record in raw:
        producer.send(names["raw"], key=record.key, value=record.value)
    producer.flush()
    producer.close()

    again = run_cli("process", "--once", "--config", str(config))
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(read_topic(names["articles"])) == 9, "a restarted processor must still know every story"
    assert f'"event": "state restored", "topic": "{app_id}.story-state"' in again.stderr

"""Dedupe state lives in Kafka: a new processor process restores it and makes the same decisions."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaProducer

from ingest.demo import SiteServer

from .support import BOOTSTRAP, DEMO_FEEDS, log_events, read_topic, run_cli, topics, write_config


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


def test_a_processor_restarted_on_its_store_reads_only_what_the_topic_gained(
    tmp_path: Path, app_id: str, demo_server: SiteServer
) -> None:
    store = tmp_path / "story-store"
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS, dedupe={"store_dir": str(store)})
    names = topics(app_id)
    assert run_cli("poll", "--once", "--config", str(config)).returncode == 0
    first = run_cli("process", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(read_topic(names["articles"])) == 9
    state_records = len(read_topic(f"{app_id}.story-state"))
    assert restored(first.stderr) == {"warm": False, "records": 0}  # a new disk: built from the (empty) topic

    # Warm: it reads on from the store's offsets, which the first run moved as far as it read its own writes back.
    again = run_cli("process", "--once", "--config", str(config))
    assert again.returncode == 0, again.stderr[-3000:]
    warm = restored(again.stderr)
    assert warm["warm"] and warm["records"] <= state_records, (warm, state_records)
    # The topic gained nothing since: the next start reads nothing.
    third = run_cli("process", "--once", "--config", str(config))
    assert third.returncode == 0, third.stderr[-3000:]
    assert restored(third.stderr) == {"warm": True, "records": 0}

    # The raw documents once more: the warm store still knows every story.
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    for record in read_topic(names["raw"]):
        producer.send(names["raw"], key=record.key, value=record.value)
    producer.flush()
    producer.close()
    assert run_cli("process", "--once", "--config", str(config)).returncode == 0
    assert len(read_topic(names["articles"])) == 9

    # Another deployment given this store (a volume reused, a config copied) rebuilds it from its own topic.
    other = write_config(tmp_path, f"{app_id}-other", demo_server, DEMO_FEEDS, dedupe={"store_dir": str(store)})
    assert run_cli("poll", "--once", "--config", str(other)).returncode == 0
    elsewhere = run_cli("process", "--once", "--config", str(other))
    assert elsewhere.returncode == 0, elsewhere.stderr[-3000:]
    assert restored(elsewhere.stderr)["warm"] is False
    assert "story store rebuilt from the topic" in elsewhere.stderr
    assert len(read_topic(topics(f"{app_id}-other")["articles"])) == 9  # not one story taken for a repeat


def restored(stderr: str) -> dict[str, object]:
    event = next(e for e in log_events(stderr) if e.get("event") == "state restored")
    return {"warm": event["warm"], "records": event["records"]}

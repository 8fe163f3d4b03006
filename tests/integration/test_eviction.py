"""Stories not seen within the dedupe window are evicted from the changelog topic, with their aliases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from kafka import KafkaProducer

from tests.story_cases import cases

from .support import BOOTSTRAP, CLI, read_topic, topics, wait_until, write_config


def send(app_id: str, page: str) -> None:
    case = next(case for case in cases() if case.page == page)
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    producer.send(topics(app_id)["raw"], key=f"url:{case.url}".encode(), value=case.raw_document().to_json_bytes())
    producer.flush()
    producer.close()


def test_an_expired_story_and_its_aliases_are_tombstoned_and_forgotten(tmp_path: Path, app_id: str) -> None:
    # A window of about a second, looked at every second: the story expires while the processor idles.
    config = write_config(
        tmp_path,
        app_id,
        dedupe={"window_days": 1.5 / 86_400, "sweep_interval_s": 1},
        processor={"poll_timeout_ms": 200},
    )
    worker = subprocess.Popen([CLI, "process", "--config", str(config)], stderr=subprocess.DEVNULL)
    try:
        send(app_id, "wire-en-v1")
        wait_until(lambda: len(read_topic(topics(app_id)["articles"], timeout_s=10)) == 1, 60, "the first article")
        (first,) = [json.loads(r.value) for r in read_topic(topics(app_id)["articles"])]

        def tombstoned() -> set[str]:
            return {r.key.decode() for r in read_topic(f"{app_id}.story-state", timeout_s=10) if r.value is None}

        wait_until(lambda: f"story:{first['story_id']}" in tombstoned(), 60, "the story's tombstone")
        assert {key for key in tombstoned() if key.startswith("alias:")} == {
            "alias:url:https://wire.example/world/armenia-azerbaijan-clashes",
            "alias:guid:https://wire.example/feed.xml#wire.example/world/armenia-azerbaijan-clashes",
        }
        # Forgotten: the same page again is a new story (version 1), not a repeat.
        send(app_id, "wire-en-v1")
        wait_until(lambda: len(read_topic(topics(app_id)["articles"], timeout_s=10)) == 2, 60, "the page again")
    finally:
        worker.terminate()
        assert worker.wait(timeout=60) == 0
    versions = [json.loads(r.value)["version"] for r in read_topic(topics(app_id)["articles"])]
    assert versions == [1, 1]

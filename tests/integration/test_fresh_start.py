"""A processor started on a deployment that does not exist yet (it creates its own topics) gets to work.

kafka-python 3.0.12 sometimes never finished the second rebalance that follows a first join made before the
topics' partitions were known: the worker joined its group, then fetched nothing, forever (about half of such
starts). `ingest.kafka.group_consumer` now joins once the partitions are known; three fresh starts in a row all
publish.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from kafka import KafkaProducer

from tests.story_cases import cases

from .support import BOOTSTRAP, CLI, read_topic, topics, wait_until, write_config

STARTS = 3


def test_fresh_deployments_publish_from_their_first_start(tmp_path: Path, app_id: str) -> None:
    first = {case.page: case for case in reversed(cases())}
    pages = [first["wire-en-v1"], first["wire-en-other"]]  # two stories
    for start in range(STARTS):
        deployment = f"{app_id}-{start}"
        (tmp_path / str(start)).mkdir()
        # A short poll timeout (the latency benchmark's) made the hang likely: 2 runs of 2 failed without the fix.
        config = write_config(tmp_path / str(start), deployment, processor={"poll_timeout_ms": 50})
        log = tmp_path / f"worker-{start}.log"
        with log.open("w") as stderr:
            worker = subprocess.Popen([CLI, "process", "--config", str(config)], stderr=stderr)
        try:
            # Sent once the worker made its topics (it restores its state right after) and had time to join its
            # group: the hang came after the join, with nothing to fetch yet.
            wait_until(lambda: "state restored" in log.read_text(), 60, "the worker's topics")  # noqa: B023
            time.sleep(5)
            producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
            for case in pages:
                producer.send(
                    topics(deployment)["raw"], key=f"url:{case.url}".encode(), value=case.raw_document().to_json_bytes()
                )
            producer.flush()
            producer.close()
            wait_until(
                lambda: len(read_topic(topics(deployment)["articles"], timeout_s=5)) == len(pages),  # noqa: B023
                60,
                f"the articles of fresh start {start + 1}",
            )
        finally:
            worker.terminate()
            assert worker.wait(timeout=60) == 0

"""End-to-end latency and memory: a real `news-ingest process` worker fed at a steady rate.

Raw documents (fetched just now) are published at `rate` per second; a read_committed consumer notes when each
article becomes visible. Latency = visible - fetched_at, i.e. from the fetched page to the committed record
(extraction, dedupe, language, the Kafka transaction). The worker's resident memory is read from /proc while it
runs (steady state). A second measurement builds a dedupe state of 1,000,000 stories in a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.corpus import pages
from bench.processor_bench import raw_documents

CLI = str(Path(sys.executable).parent / "news-ingest")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_until_started(worker: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 120) -> None:
    """The worker has created its topics (records for a missing topic would wait) and had time to join its group."""
    deadline = time.monotonic() + timeout_s
    while "state restored" not in log_path.read_text() and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)


def latency(bootstrap: str, *, rate: float = 50.0, seconds: float = 30.0) -> dict[str, Any]:
    app_id = f"bench-{uuid.uuid4().hex[:8]}"
    config = {
        "app_id": app_id,
        "instance_id": "bench",
        "kafka": {"bootstrap_servers": bootstrap},
        "topics": {
            "raw": f"{app_id}.raw",
            "articles": f"{app_id}.articles",
            "latest": f"{app_id}.latest",
            "dlq": f"{app_id}.dlq",
        },
        "server": {"port": 0},
        "processor": {"poll_timeout_ms": 50},
    }
    folder = Path(tempfile.mkdtemp())
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    log_path = folder / "worker.log"
    worker_log = log_path.open("w")
    worker = subprocess.Popen([CLI, "process", "--config", str(folder / "config.yaml")], stderr=worker_log)
    documents = raw_documents(pages(int(rate * seconds)))
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed", group_id=None)
        while not consumer.partitions_for_topic(f"{app_id}.articles"):
            time.sleep(0.2)
            consumer.topics()
        parts = [TopicPartition(f"{app_id}.articles", p) for p in consumer.partitions_for_topic(f"{app_id}.articles")]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=20).values():
                now = time.time()
                for record in records:
                    article = json.loads(record.value)
                    seen[article["url"]] = now - datetime.fromisoformat(article["fetched_at"]).timestamp()
        consumer.close()

    try:
        _wait_until_started(worker, log_path)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        started = time.monotonic()
        rss: list[float] = []
        for number, document in enumerate(documents):
            due = started + number / rate
            time.sleep(max(0.0, due - time.monotonic()))
            fresh = document.model_copy(update={"fetched_at": datetime.now(UTC)})
            producer.send(f"{app_id}.raw", key=fresh.url.encode(), value=fresh.to_json_bytes())
            if number % int(rate) == 0:
                producer.flush()
                rss.append(_rss_mib(worker.pid))
        producer.flush()
        producer.close()
        deadline = time.monotonic() + 60
        while len(seen) < len(documents) and time.monotonic() < deadline:
            time.sleep(0.2)
        rss.append(_rss_mib(worker.pid))
    finally:
        stop.set()
        worker.terminate()
        worker.wait(timeout=60)
    worker_log.close()
    return _summary(sorted(seen.values()), rss, rate, log_path)


def _summary(values: list[float], rss: list[float], rate: float, log_path: Path) -> dict[str, Any]:
    if not values:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"the worker published no article; the end of its log:\n{tail}")
    return {
        "rate_per_s": rate,
        "articles": len(values),
        "p50_s": values[len(values) // 2],
        "p99_s": values[int(len(values) * 0.99) - 1],
        "max_s": values[-1],
        "worker_rss_mib_steady": sorted(rss)[len(rss) // 2],
        "worker_rss_mib_max": max(rss),
        "latencies_s": values,
    }

"""Publishing: records per second of article-sized records, kafka-python defaults against batching + compression.

The records are the articles the bench corpus yields (JSON, a few KB each). Each configuration publishes the same
records to a topic of its own on the local broker and waits for every acknowledgement; the figure is records/s
(wall) and the producer process's CPU per record.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "kafka-python defaults": {},
    "gzip, linger 5 ms (ours before)": {
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 5,
    },
    "lz4, linger 20 ms, 256 KB batches": {
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "lz4",
        "linger_ms": 20,
        "batch_size": 262_144,
    },
    "zstd, linger 20 ms, 256 KB batches (our compression and batches)": {
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "zstd",
        "linger_ms": 20,
        "batch_size": 262_144,
    },
}


def run(bootstrap: str, records: list[bytes], repeat: int = 4) -> dict[str, dict[str, float]]:
    payload = records * repeat
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    results: dict[str, dict[str, float]] = {}
    try:
        for name, options in CONFIGURATIONS.items():
            topic = f"bench-publish-{uuid.uuid4().hex[:8]}"
            admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"max.message.bytes": "10000000"})])
            producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=10_000_000, **options)
            wall, cpu = time.monotonic(), time.process_time()
            for number, value in enumerate(payload):
                producer.send(topic, key=str(number).encode(), value=value)
            producer.flush()
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            producer.close()
            results[name] = {
                "records": len(payload),
                "records_per_s": len(payload) / wall,
                "cpu_us_per_record": cpu / len(payload) * 1e6,
                "payload_bytes": sum(len(value) for value in payload),
            }
    finally:
        admin.close()
    return results

"""Helpers for integration tests: config files, running the real CLI, reading topics back."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from kafka import KafkaConsumer

from ingest.config import KafkaSettings
from ingest.demo import SiteServer
from ingest.kafka import MissingTopic, partitions_of, written_end
from ingest.revisit_schedule import Revisit

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
CLI = str(Path(sys.executable).parent / "news-ingest")
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

DEMO_FEEDS = [
    ("kabar-dunia", "/feeds/kabar-dunia.xml", None),
    ("world-wire", "/feeds/world-wire.atom", None),
    ("euro-desk", "/feeds/euro-desk.xml", None),
    ("berita-semenanjung", "/feeds/berita-semenanjung.xml", "ms"),
]


class ScriptedHandler(BaseHTTPRequestHandler):
    """Base of the tests' scripted HTTP servers: `_send` answers, and requests are not logged."""

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may give up on purpose (a size limit, a deadline)
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 and a free port; yield 'host:port'."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str) -> tuple[int | None, str]:
    """Status and body of a GET on loopback; (None, "") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except OSError:
        return None, ""


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def kafka_sh(action: str, env: dict[str, str]) -> None:
    """Start or stop a broker of our own (deploy/kafka/kafka.sh) with `env` naming its home and ports."""
    script = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "kafka.sh"
    subprocess.run([str(script), action], env={**os.environ, **env}, check=True, timeout=180)


def topics(app_id: str) -> dict[str, str]:
    return {
        "raw": f"{app_id}.raw",
        "articles": f"{app_id}.articles",
        "latest": f"{app_id}.articles.latest",
        "dlq": f"{app_id}.dlq",
    }


def write_config(
    directory: Path,
    app_id: str,
    site: SiteServer | None = None,
    feeds: Sequence[tuple[str, str, str | None]] = (),
    **extra: Any,
) -> Path:
    """A config for one test: its own app_id and topics, the site's feeds, loopback allowed only for the site.

    Keyword arguments are merged into the config's sections (`kafka={"bootstrap_servers": ...}`).
    """
    config: dict[str, Any] = {
        "app_id": app_id,
        "kafka": {"bootstrap_servers": BOOTSTRAP},
        "topics": topics(app_id),
        "http": {"allow_hosts": [site.base_url.removeprefix("http://")] if site else [], "timeout_s": 10},
        "server": {"port": 0},
        # Tests poll loopback servers of their own: no spacing between requests (test_politeness.py sets it).
        "poller": {"host_interval_s": 0},
        "feeds": [
            {"name": name, "url": site.base_url + path, "interval_s": 60, "language": language}
            for name, path, language in feeds
            if site is not None
        ],
    }
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    path = directory / f"{app_id}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the installed `news-ingest` command as a user would."""
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)


def log_events(stderr: str) -> list[dict[str, Any]]:
    """The worker's JSON log lines (every line must be JSON)."""
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def topic_partitions(consumer: KafkaConsumer, topic: str, bootstrap: str = BOOTSTRAP, wait_s: float = 30) -> list[Any]:
    """The partitions of `topic` (MissingTopic if it is not there within `wait_s`): as the workers read them, never
    an empty list because the client's metadata does not show the topic yet."""
    return partitions_of(consumer, topic, KafkaSettings(bootstrap_servers=bootstrap, max_block_ms=int(wait_s * 1000)))


def read_topic(topic: str, *, timeout_s: float = 30, bootstrap: str = BOOTSTRAP) -> list[Any]:
    """Every committed record of `topic`, read by a separate consumer (read_committed) from the start."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    try:
        try:
            partitions = topic_partitions(consumer, topic, bootstrap, wait_s=5)
        except MissingTopic:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        # The high watermark, not the read_committed end (the last stable offset), which can trail a commit that
        # just returned until its markers are written (ingest.kafka.written_end).
        end = written_end(KafkaSettings(bootstrap_servers=bootstrap), partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def pending_revisits(app_id: str, bootstrap: str = BOOTSTRAP) -> dict[tuple[int, str], Revisit]:
    """The revisits committed to `<app_id>.revisits`, tombstones applied, as a replica taking over reads them."""
    held: dict[tuple[int, str], Revisit] = {}
    for record in read_topic(f"{app_id}.revisits", timeout_s=120, bootstrap=bootstrap):
        slot = (record.partition, record.key.decode())
        if record.value is None:
            held.pop(slot, None)
        else:
            held[slot] = Revisit.model_validate_json(record.value)
    return held


def validate(records: list[Any], schema_name: str) -> list[dict[str, Any]]:
    """Decode every record value and check it against the committed JSON Schema."""
    schema = json.loads((SCHEMAS / f"{schema_name}.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    values = []
    for record in records:
        value = json.loads(record.value)
        validator.validate(value)
        values.append(value)
    return values

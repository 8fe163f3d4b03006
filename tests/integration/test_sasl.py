"""Authenticated Kafka: a broker with a SASL/SCRAM listener. Right credentials work; wrong ones end the worker
at once with a clear message (exit 3), without a retry storm."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo import SiteServer

from .support import CLI, DEMO_FEEDS, kafka_sh, read_topic, topics, write_config

REPO = Path(__file__).resolve().parents[2]
SASL = "127.0.0.1:29094"
PLAIN = "127.0.0.1:29092"
USER, PASSWORD = "ingest", "correct-horse-battery"
BROKER_ENV = {
    "KAFKA_HOME_DIR": str(REPO / ".local" / "kafka-sasl"),
    "KAFKA_PORT": "29092",
    "KAFKA_CONTROLLER_PORT": "29093",
    "KAFKA_EXTRA_PROPERTIES": str(REPO / "deploy" / "kafka" / "sasl.properties"),
    "KAFKA_FORMAT_ARGS": f"--add-scram SCRAM-SHA-512=[name={USER},password={PASSWORD}]",
}


def broker(action: str) -> None:
    kafka_sh(action, BROKER_ENV)


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[str]:
    broker("up")
    yield SASL
    broker("down")


def run_with_password(config: Path, password: str) -> tuple[subprocess.CompletedProcess[str], float]:
    # The secret comes from the environment, as a Kubernetes Secret would provide it: never from the file.
    env = {**os.environ, "NEWS_INGEST_KAFKA__SASL_PASSWORD": password}
    started = time.monotonic()
    result = subprocess.run(
        [CLI, "run", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return result, time.monotonic() - started


def sasl_config(tmp_path: Path, app_id: str, site: SiteServer | None, user: str) -> Path:
    return write_config(
        tmp_path,
        app_id,
        site,
        DEMO_FEEDS if site else [],
        kafka={
            "bootstrap_servers": SASL,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_username": user,
            "max_block_ms": 5000,
        },
    )


def test_right_credentials_work(tmp_path: Path, app_id: str, sasl_broker: str, demo_server: SiteServer) -> None:
    result, _ = run_with_password(sasl_config(tmp_path, app_id, demo_server, USER), PASSWORD)
    assert result.returncode == 0, result.stderr[-3000:]
    assert PASSWORD not in result.stderr, "the secret must never be logged"
    assert len(read_topic(topics(app_id)["articles"], bootstrap=PLAIN)) == 8


@pytest.mark.parametrize(("user", "password"), [(USER, "wrong-password"), ("nobody", PASSWORD)])
def test_refused_credentials_end_the_worker_with_a_clear_error(
    tmp_path: Path, app_id: str, sasl_broker: str, user: str, password: str
) -> None:
    result, elapsed = run_with_password(sasl_config(tmp_path, app_id, None, user), password)
    assert result.returncode == 3, result.stderr[-3000:]
    assert (
        f"cannot use Kafka at {SASL} (SASL_PLAINTEXT): no broker answered in 5000 ms or the broker refused "
        "the credentials" in result.stderr
    )
    assert password not in result.stderr
    # One bootstrap window, then out: no loop of retries (the orchestrator's restart back-off takes over).
    assert elapsed < 30

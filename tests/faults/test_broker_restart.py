"""The broker stops and comes back in the middle of a run: the worker waits, resumes by itself, and loses and
doubles nothing. Uses its own broker (ports 19092/19093) so the shared one is never disturbed."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo import SiteServer
from tests.integration.support import topics, write_config

from .conftest import SCALE, Worker, committed_count, exactly_once, high_watermark, provision, record_result, wait_until
from .test_poller_faults import big_site

REPO = Path(__file__).resolve().parents[2]
PORT = 19092
BOOTSTRAP = f"127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "KAFKA_HOME_DIR": str(REPO / ".local" / "kafka-faults"),
    "KAFKA_PORT": str(PORT),
    "KAFKA_CONTROLLER_PORT": str(PORT + 1),
}


def broker(action: str) -> None:
    subprocess.run([str(REPO / "deploy" / "kafka" / "kafka.sh"), action], env=ENV, check=True, timeout=180)


@pytest.fixture
def own_broker() -> Iterator[str]:
    broker("up")
    yield BOOTSTRAP
    broker("down")


def test_broker_stopped_and_restarted_mid_run(
    tmp_path: Path, app_id: str, own_broker: str, workers: list[Worker]
) -> None:
    site = SiteServer(big_site(tmp_path / "site", SCALE.articles)).start()
    try:
        config = write_config(
            tmp_path,
            app_id,
            site,
            [("big", "/feeds/big.xml", None)],
            kafka={"bootstrap_servers": own_broker, "max_block_ms": 10_000},
            max_backoff_s=4,
        )
        provision(config)
        articles = topics(app_id)["articles"]
        progress = high_watermark(articles, own_broker)
        worker = Worker.start(tmp_path, "run", "--config", str(config))
        workers.append(worker)
        wait_until(lambda: progress() >= SCALE.articles // 4, 180, "progress before the outage")
        stopped = time.monotonic()
        broker("down")
        time.sleep(5)
        broker("up")
        outage_s = time.monotonic() - stopped
        wait_until(
            lambda: committed_count(articles, own_broker) >= SCALE.articles or worker.process.poll() is not None,
            300,
            "the worker to finish after the outage",
        )
        assert worker.process.poll() is None, "the worker must survive an outage, not exit"
        assert worker.stop() == 0
    finally:
        site.close()
    log = worker.log.read_text()
    assert '"kafka unavailable; backing off"' in log
    assert '"kafka available again; resuming"' in log
    figures = exactly_once(articles, SCALE.articles, bootstrap=own_broker)
    record_result(
        "broker stopped and restarted mid-run",
        faults=1,
        outage_s=round(outage_s, 1),
        backoffs=log.count('"kafka unavailable; backing off"'),
        **figures,
    )

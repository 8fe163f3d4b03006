"""The broker stops and comes back in the middle of a run: the worker waits, resumes by itself, and loses and
doubles nothing. Uses its own broker (ports 19092/19093) so the shared one is never disturbed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo import SiteServer
from tests.integration.support import free_port, http_get, kafka_sh, topics, wait_until, write_config

from .conftest import SCALE, Worker, committed_count, exactly_once, high_watermark, provision, record_result
from .test_poller_faults import big_site

REPO = Path(__file__).resolve().parents[2]
PORT = 19092
BOOTSTRAP = f"127.0.0.1:{PORT}"
ENV = {
    "KAFKA_HOME_DIR": str(REPO / ".local" / "kafka-faults"),
    "KAFKA_PORT": str(PORT),
    "KAFKA_CONTROLLER_PORT": str(PORT + 1),
}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def broker(action: str) -> None:
    kafka_sh(action, ENV)


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
        port = free_port()
        config = write_config(
            tmp_path,
            app_id,
            site,
            [("big", "/feeds/big.xml", None)],
            kafka={"bootstrap_servers": own_broker, "max_block_ms": 10_000},
            server={"port": port, "host": "127.0.0.1"},
            max_backoff_s=4,
        )
        provision(config)
        articles = topics(app_id)["articles"]
        progress = high_watermark(articles, own_broker)
        worker = Worker.start(tmp_path, "run", "--config", str(config))
        workers.append(worker)
        wait_until(lambda: progress() >= SCALE.articles // 4, 180, "progress before the outage")
        rss_before = rss_kib(worker.process.pid)
        stopped = time.monotonic()
        broker("down")
        # While the broker is away the worker says it is not ready (and stays alive: liveness is not a broker check).
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/readyz")[0] == 503, 60, "/readyz to report the outage")
        assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        time.sleep(5)
        rss_during = rss_kib(worker.process.pid)
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
    assert rss_during < rss_before + 100_000, "memory must not grow while the broker is away"
    record_result(
        "broker stopped and restarted mid-run",
        faults=1,
        outage_s=round(outage_s, 1),
        rss_mib_before_outage=rss_before // 1024,
        rss_mib_during_outage=rss_during // 1024,
        backoffs=log.count('"kafka unavailable; backing off"'),
        **figures,
    )

"""The long-running worker: health, readiness and metrics while it runs; a clean exit on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from ingest.demo import SiteServer

from .support import CLI, DEMO_FEEDS, free_port, http_get, log_events, run_cli, wait_until, write_config


def test_probes_metrics_and_graceful_stop(tmp_path: Path, app_id: str, demo_server: SiteServer) -> None:
    port = free_port()
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS, server={"port": port, "host": "127.0.0.1"})
    base = f"http://127.0.0.1:{port}"
    worker = subprocess.Popen([CLI, "run", "--config", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: http_get(base + "/readyz")[0] == 200, 60, "the worker to be ready")
        status, body = http_get(base + "/healthz")
        assert status == 200 and json.loads(body)["live"] is True
        roles = {"poller": True, "processor": True}
        assert json.loads(http_get(base + "/readyz")[1])["roles"] == roles
        status, body = http_get(base + "/startupz")
        assert status == 200 and json.loads(body) == {"started": True, "roles": roles}
        expected = (
            'news_ingest_articles_published_total{language="id"} 2.0',
            'news_ingest_feed_polls_total{outcome="changed"} 4.0',
            'news_ingest_dedupe_decisions_total{decision="new"} 8.0',
            # The demo's Indonesian reprint of the English wire story, linked as its translation.
            'news_ingest_dedupe_decisions_total{decision="translation"} 1.0',
            'news_ingest_fetch_seconds_count{kind="page"}',
            'news_ingest_extractions_total{domain="127.0.0.1"} 9.0',
            "news_ingest_consumer_lag{",
            'news_ingest_feeds{status="ok"} 4.0',
        )
        # The roles run in their own threads: wait until both have done all their work, then look.
        try:
            wait_until(lambda: all(line in http_get(base + "/metrics")[1] for line in expected), 60, "metrics")
        except AssertionError:
            metrics = http_get(base + "/metrics")[1]
            missing = [line for line in expected if line not in metrics]
            raise AssertionError(f"metrics never showed {missing}:\n{metrics}") from None
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr[-3000:]
    events = log_events(stderr)
    assert {"event": "stop requested", "signal": "SIGTERM"}.items() <= next(
        e for e in events if e["event"] == "stop requested"
    ).items()
    published = [e for e in events if e["event"] == "article published"]
    assert len(published) == 9 and all(e["story_id"] and e["feed"] for e in published)


def test_a_bad_config_exits_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("http: {timeout_s: soon}\n", encoding="utf-8")
    result = run_cli("run", "--config", str(path))
    assert result.returncode == 2
    assert "http.timeout_s: Input should be a valid number" in result.stderr


def test_an_unreachable_broker_is_reported_clearly(tmp_path: Path) -> None:
    path = tmp_path / "nobroker.yaml"
    path.write_text(
        f"kafka: {{bootstrap_servers: '127.0.0.1:{free_port()}', max_block_ms: 2000}}\nserver: {{port: 0}}\n",
        encoding="utf-8",
    )
    result = run_cli("run", "--once", "--config", str(path), timeout=60)
    assert result.returncode == 3
    assert "cannot use Kafka at 127.0.0.1:" in result.stderr
    assert "no broker answered in 2000 ms" in result.stderr

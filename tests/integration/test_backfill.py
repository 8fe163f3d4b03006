"""`news-ingest backfill`: saved pages through the same processors, marked, resumable after kill -9."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

from kafka import KafkaProducer

from ingest.config import load_settings
from ingest.kafka import ensure_topics
from tests.faults.corpus import page

from .support import BOOTSTRAP, CLI, read_topic, run_cli, topics, wait_until, write_config

WARC = Path(__file__).resolve().parents[1] / "fixtures" / "backfill" / "saved-site.warc.gz"


def test_a_warc_backfill_goes_to_its_own_topic_marked_and_runs_once(tmp_path: Path, app_id: str) -> None:
    config = write_config(tmp_path, app_id, topics={"backfill": f"{app_id}.backfill"})
    first = run_cli("backfill", "--warc", str(WARC), "--no-progress", "--config", str(config))
    assert first.returncode == 0, first.stderr[-3000:]
    # Ten HTML pages; the image and the 404 in the WARC are not pages.
    assert json.loads(first.stdout) == {"sources": 1, "pages": 10, "published": 10, "skipped_as_done": 0}
    raw = [json.loads(record.value) for record in read_topic(topics(app_id)["raw"])]
    assert len(raw) == 10 and {document["source"] for document in raw} == {"backfill"}

    processed = run_cli("process", "--once", "--config", str(config))
    assert processed.returncode == 0, processed.stderr[-3000:]
    backfilled = [json.loads(record.value) for record in read_topic(f"{app_id}.backfill")]
    assert len(backfilled) == 10 and all(article["backfill"] for article in backfilled)
    assert {article["url"] for article in backfilled} == {f"https://archive.example/news/story-{n}" for n in range(10)}
    assert read_topic(topics(app_id)["articles"]) == [] and read_topic(topics(app_id)["latest"]) == []

    again = run_cli("backfill", "--warc", str(WARC), "--no-progress", "--config", str(config))
    assert json.loads(again.stdout) == {"sources": 1, "pages": 10, "published": 0, "skipped_as_done": 10}


def test_a_killed_folder_backfill_resumes_without_losing_or_repeating_a_page(tmp_path: Path, app_id: str) -> None:
    folder = tmp_path / "saved"
    for number in range(400):
        shelf = folder / f"2024-{number % 12 + 1:02d}"
        shelf.mkdir(parents=True, exist_ok=True)
        (shelf / f"story-{number}.html").write_text(page(number)[2], encoding="utf-8")
    config = write_config(tmp_path, app_id)
    raw_topic = topics(app_id)["raw"]
    log = tmp_path / "killed-backfill.log"
    with log.open("wb") as stderr:
        backfill = subprocess.Popen(
            [CLI, "backfill", "--dir", str(folder), "--chunk", "10", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        wait_until(
            lambda: len(read_topic(raw_topic, timeout_s=5)) >= 50 or backfill.poll() is not None, 120, "progress"
        )
        ended_by_itself = backfill.poll()
        backfill.kill()
        backfill.wait(timeout=30)
    assert ended_by_itself is None, (
        f"the first backfill ended before the kill ({ended_by_itself}): {log.read_text()[-3000:]}"
    )

    resumed = run_cli("backfill", "--dir", str(folder), "--chunk", "10", "--config", str(config))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    report = json.loads(resumed.stdout)
    assert report["pages"] == 400 and report["published"] + report["skipped_as_done"] == 400
    assert report["skipped_as_done"] >= 50, (
        f"the killed run's committed chunks are sent again: {resumed.stderr[-3000:]}"
    )
    assert "page/s" in resumed.stderr, "a progress bar with the rate (and ETA) on stderr"

    ids = Counter(json.loads(record.value)["entry"]["id"] for record in read_topic(raw_topic, timeout_s=60))
    assert len(ids) == 400 and max(ids.values()) == 1, "every page exactly once"

    processed = run_cli("process", "--once", "--config", str(config), timeout=600)
    assert processed.returncode == 0, processed.stderr[-3000:]
    articles = [json.loads(record.value) for record in read_topic(topics(app_id)["articles"], timeout_s=60)]
    assert len(articles) == 400 and all(article["backfill"] for article in articles)


def test_a_backfill_after_a_run_that_died_mid_transaction_starts_at_once(tmp_path: Path, app_id: str) -> None:
    """A run that died inside a transaction leaves it open, holding back every read_committed reader of the state
    topic until the transaction times out (15 minutes here, past run_cli's timeout). The next run's producer, same
    transactional id, fences the dead one before the state is read: its transaction is aborted at once, and the
    progress it wrote is not taken as done."""
    config = write_config(tmp_path, app_id, instance_id="backfiller", kafka={"transaction_timeout_ms": 900_000})
    settings = load_settings(config)
    ensure_topics(settings)
    dead = KafkaProducer(
        bootstrap_servers=BOOTSTRAP,
        transactional_id=f"{app_id}.backfill.backfiller",
        enable_idempotence=True,
        acks="all",
        transaction_timeout_ms=900_000,
    )
    dead.init_transactions()
    dead.begin_transaction()
    dead.send(settings.backfill_state_topic, key=str(WARC.resolve()).encode(), value=b'{"done": 10}').get(timeout=30)
    try:
        run = run_cli("backfill", "--warc", str(WARC), "--no-progress", "--config", str(config), timeout=180)
    finally:
        dead.close(timeout=0)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout) == {"sources": 1, "pages": 10, "published": 10, "skipped_as_done": 0}

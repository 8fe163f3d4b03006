"""Dead letters go back through the pipeline once their cause is fixed, each once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest.demo import SiteServer

from .support import read_topic, run_cli, topics, validate, write_config


def test_replay_after_the_cause_is_fixed(tmp_path: Path, app_id: str, fixtures: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(fixtures / "site", root)
    site = SiteServer(root).start()
    try:
        config = write_config(tmp_path, app_id, site, [("troubled", "/feeds/troubled.xml", None)])
        assert run_cli("run", "--once", "--config", str(config)).returncode == 0
        names = topics(app_id)
        assert {letter["reason"] for letter in validate(read_topic(names["dlq"]), "dead-letter")} == {
            "HttpStatusError",
            "NotHtml",
            "EmptyText",
        }

        # The site restores the deleted story; the search page is still not an article.
        shutil.copy(fixtures / "pages" / "template-lang-en.html", root / "pages" / "deleted-story.html")
        replay = run_cli(
            "dlq", "replay", "--config", str(config), "--reason", "HttpStatusError", "--reason", "EmptyText"
        )
        assert replay.returncode == 0, replay.stderr[-3000:]
        report = json.loads(replay.stdout)
        assert (report["replayed"], report["filtered_out"], report["failed_again"]) == (2, 1, 0)

        processed = run_cli("process", "--once", "--config", str(config))
        assert processed.returncode == 0, processed.stderr[-3000:]
        articles = validate(read_topic(names["articles"]), "article")
        assert [(a["title"], a["language"]) for a in articles] == [("Gone", "id")]
        letters = validate(read_topic(names["dlq"]), "dead-letter")
        assert sorted(letter["reason"] for letter in letters) == [
            "EmptyText",
            "EmptyText",
            "HttpStatusError",
            "NotHtml",
        ]

        # Replayed letters are not replayed again; --from-beginning scans them all once more.
        again = json.loads(run_cli("dlq", "replay", "--config", str(config)).stdout)
        assert again["replayed"] == 1  # only the EmptyText letter the processor wrote since
        everything = json.loads(run_cli("dlq", "replay", "--config", str(config), "--from-beginning").stdout)
        assert (everything["replayed"], everything["not_replayable"], everything["failed_again"]) == (4, 0, 0)
    finally:
        site.close()
    assert run_cli("process", "--once", "--config", str(config)).returncode == 0
    assert len(read_topic(topics(app_id)["articles"])) == 1, "a replayed story is still published only once"

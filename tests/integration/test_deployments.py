"""Two deployments on one cluster, different app_id and defaults otherwise: each publishes only its own articles.

Their raw, latest and dead-letter topics are named from their app_id; and even when an operator points both at one
raw topic, a processor skips the raw documents the other deployment wrote (the origin header)."""

from __future__ import annotations

import uuid
from pathlib import Path

import yaml

from ingest.demo import SiteServer

from .support import DEMO_FEEDS, read_topic, run_cli, validate, write_config


def _config(tmp_path: Path, app_id: str, site: SiteServer, feeds: list[tuple[str, str, str | None]]) -> Path:
    """A deployment's config with the settings' own topic defaults: only the articles topic is chosen."""
    path = write_config(tmp_path, app_id, site, feeds)
    settings = yaml.safe_load(path.read_text())
    settings["topics"] = {"articles": f"{app_id}.out"}
    path.write_text(yaml.safe_dump(settings))
    return path


def test_two_deployments_publish_only_their_own_articles(tmp_path: Path, demo_server: SiteServer) -> None:
    first, second = (f"dep-{uuid.uuid4().hex[:8]}" for _ in range(2))
    a = _config(tmp_path, first, demo_server, DEMO_FEEDS[:1])
    b = _config(tmp_path, second, demo_server, DEMO_FEEDS[1:2])
    for config in (a, b):
        result = run_cli("run", "--once", "--config", str(config))
        assert result.returncode == 0, result.stderr[-3000:]
    own = {
        app: {article["feed"]["name"] for article in validate(read_topic(f"{app}.out"), "article")}
        for app in (first, second)
    }
    assert own == {first: {DEMO_FEEDS[0][0]}, second: {DEMO_FEEDS[1][0]}}
    for app, feed in ((first, DEMO_FEEDS[0][0]), (second, DEMO_FEEDS[1][0])):
        latest = validate(read_topic(f"{app}.articles.latest"), "article")
        assert latest and {article["feed"]["name"] for article in latest} == {feed}
        assert read_topic(f"{app}.raw")  # its raw topic is its own


def test_a_processor_skips_raw_documents_another_deployment_wrote(tmp_path: Path, demo_server: SiteServer) -> None:
    first, second = (f"dep-{uuid.uuid4().hex[:8]}" for _ in range(2))
    a = _config(tmp_path, first, demo_server, DEMO_FEEDS[:1])
    result = run_cli("run", "--once", "--config", str(a))
    assert result.returncode == 0, result.stderr[-3000:]
    # A second deployment misconfigured to read the first one's raw topic, with no feeds of its own.
    b = write_config(tmp_path, second)
    settings = yaml.safe_load(b.read_text())
    settings["topics"] = {"raw": f"{first}.raw", "articles": f"{second}.out"}
    b.write_text(yaml.safe_dump(settings))
    result = run_cli("process", "--once", "--config", str(b))
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_topic(f"{second}.out") == []
    assert "record of another deployment skipped" in result.stderr

"""`news-ingest reprocess`: the kept raw pages through the processors again; unchanged results publish nothing."""

from __future__ import annotations

import json
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from ingest.demo import SiteServer

from .support import BOOTSTRAP, DEMO_FEEDS, read_topic, run_cli, topics, write_config


def test_reprocessing_the_kept_raw_pages_repeats_what_is_unchanged(
    tmp_path: Path, app_id: str, demo_server: SiteServer
) -> None:
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    names = topics(app_id)
    assert len(read_topic(names["articles"])) == 9

    again = run_cli("reprocess", "--config", str(config))
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout) == {"read": 9, "published": 0, "repeats": 9, "dead_letters": 0}
    assert len(read_topic(names["articles"])) == 9  # nothing doubled

    later = run_cli("reprocess", "--since", "2999-01-01T00:00:00+00:00", "--config", str(config))
    assert later.returncode == 0, later.stderr[-3000:]
    assert json.loads(later.stdout)["read"] == 0
    everything = run_cli("reprocess", "--since", "2000-01-01T00:00:00+00:00", "--config", str(config))
    assert json.loads(everything.stdout) == {"read": 9, "published": 0, "repeats": 9, "dead_letters": 0}

    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, names["raw"])])["topic"]
    finally:
        admin.close()
    assert configs[names["raw"]]["retention.ms"]["value"] == str(30 * 86_400_000)

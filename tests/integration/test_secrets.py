"""Credentials in a feed URL never appear in logs, errors, dead letters, the feed state or records."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.faults.corpus import page

from .support import ScriptedHandler, read_topic, run_cli, serve, topics, write_config

SECRET = "s3cret-pa55"


class Site(ScriptedHandler):
    def do_GET(self) -> None:
        if self.path == "/broken.xml":
            self._send(500, b"oops", {})
        elif self.path == "/story":
            self._send(200, page(1)[2].encode(), {"Content-Type": "text/html; charset=utf-8"})
        elif self.path == "/missing":
            self._send(404, b"", {})
        elif self.path == "/not-a-feed.xml":
            self._send(200, b"<html><body>login</body></html>", {"Content-Type": "text/html"})
        else:
            host = self.headers["Host"]
            body = (
                f"<rss version='2.0'><channel><title>t</title><item><title>a</title><guid>a</guid>"
                f"<link>http://{host}/story</link></item><item><title>b</title><guid>b</guid>"
                f"<link>http://{host}/missing</link></item></channel></rss>"
            )
            self._send(200, body.encode(), {"Content-Type": "application/rss+xml"})


def test_credentials_in_feed_urls_are_never_shown_or_stored(tmp_path: Path, app_id: str) -> None:
    with serve(Site) as host:
        config = write_config(tmp_path, app_id, http={"allow_hosts": [host]})
        settings = yaml.safe_load(config.read_text())
        settings["feeds"] = [
            {"name": name, "url": f"http://reader:{SECRET}@{host}/{name}.xml"}
            for name in ("broken", "not-a-feed", "good")
        ]
        config.write_text(yaml.safe_dump(settings))
        result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "feed poll failed" in result.stderr and "dead-lettered" in result.stderr
    assert SECRET not in result.stderr
    for topic in (f"{app_id}.feed-state", topics(app_id)["dlq"], topics(app_id)["raw"], topics(app_id)["articles"]):
        records = read_topic(topic)
        assert records, topic
        for record in records:
            assert SECRET.encode() not in (record.key or b"") + (record.value or b""), topic

"""The live feed registry: feeds added and removed while a poller runs, OPML in and out, and `feeds status`."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import CLI, ScriptedHandler, read_topic, run_cli, serve, topics, wait_until, write_config


class Feeds(ScriptedHandler):
    hits: Counter[str]
    lock = threading.Lock()

    def do_GET(self) -> None:
        name = self.path.strip("/").removesuffix(".xml")
        with self.lock:
            self.hits[name] += 1
        if name == "broken":
            self._send(500, b"down", {})
            return
        items = "".join(
            f"<item><title>{name} {n}</title><link>https://{name}.example/{n}</link><guid>{name}-{n}</guid>"
            f"<description>Story {n} of feed {name}: {'words ' * 60}</description></item>"
            for n in range(2)
        )
        body = f"<rss version='2.0'><channel><title>{name}</title><link>/</link><description>d</description>{items}"
        self._send(200, (body + "</channel></rss>").encode(), {"Content-Type": "application/rss+xml"})


@pytest.fixture
def site() -> Iterator[tuple[type[Feeds], str]]:
    handler = type("ThisSite", (Feeds,), {"hits": Counter()})
    with serve(handler) as host:
        yield handler, f"http://{host}"


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("feeds", *args, "--config", str(config))


def raw_guids(app_id: str) -> set[str]:
    return {json.loads(record.value)["entry"]["id"] for record in read_topic(topics(app_id)["raw"], timeout_s=10)}


def test_feeds_added_and_removed_while_the_poller_runs(
    tmp_path: Path, app_id: str, site: tuple[type[Feeds], str]
) -> None:
    handler, base = site
    config = write_config(
        tmp_path,
        app_id,
        http={"allow_hosts": [base.removeprefix("http://")]},
        poller={"adaptive": False, "idle_sleep_s": 0.2, "full_text_min_chars": 0},
        feeds=[],
    )
    text = config.read_text().replace("feeds: []", f"feeds:\n- {{name: alpha, url: '{base}/alpha.xml', interval_s: 1}}")
    config.write_text(text)
    assert cli(config, "add", "--name", "beta", "--url", f"{base}/beta.xml", "--interval-s", "1").returncode == 0
    listed = [json.loads(line) for line in cli(config, "list").stdout.splitlines()]
    assert {(f["name"], f["source"]) for f in listed} == {("alpha", "config"), ("beta", "registry")}

    poller = subprocess.Popen([CLI, "poll", "--config", str(config)], stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: raw_guids(app_id) >= {"alpha-0", "beta-0"}, 60, "the config and registry feeds")
        added = cli(config, "add", "--name", "gamma", "--url", f"{base}/gamma.xml", "--interval-s", "1")
        assert added.returncode == 0, added.stderr
        wait_until(lambda: "gamma-1" in raw_guids(app_id), 60, "a feed added while the poller runs")

        assert cli(config, "remove", "gamma").returncode == 0
        time.sleep(3)  # the poller reads the removal within a poll loop
        before = handler.hits["gamma"]
        time.sleep(3)
        assert handler.hits["gamma"] == before, "a removed feed is no longer polled"
        assert handler.hits["beta"] > 2, "the others still are"
    finally:
        poller.terminate()
        assert poller.wait(timeout=60) == 0
    assert sorted(raw_guids(app_id)) == sorted(f"{n}-{i}" for n in ("alpha", "beta", "gamma") for i in range(2))

    refused = cli(config, "remove", "alpha")
    assert refused.returncode == 2 and "defined in the config file" in refused.stderr
    duplicate = cli(config, "add", "--name", "alpha", "--url", f"{base}/other.xml")
    assert duplicate.returncode == 2 and "already used" in duplicate.stderr


def test_opml_in_and_out_and_status(tmp_path: Path, app_id: str, site: tuple[type[Feeds], str]) -> None:
    _, base = site
    config = write_config(tmp_path, app_id, http={"allow_hosts": [base.removeprefix("http://")]})
    opml = tmp_path / "reader.opml"
    opml.write_text(
        "<?xml version='1.0'?><opml version='2.0'><head/><body><outline text='News'>"
        f"<outline text='Delta' xmlUrl='{base}/delta.xml' language='de'/>"
        f"<outline text='Broken' xmlUrl='{base}/broken.xml'/>"
        "</outline></body></opml>",
        encoding="utf-8",
    )
    first = cli(config, "import-opml", str(opml))
    assert json.loads(first.stdout) == {"added": 2, "already_known": 0}, first.stderr
    assert json.loads(cli(config, "import-opml", str(opml)).stdout) == {"added": 0, "already_known": 2}

    exported = tmp_path / "exported.opml"
    exported.write_text(cli(config, "export-opml").stdout, encoding="utf-8")
    again = write_config(tmp_path, f"{app_id}-again", http={"allow_hosts": [base.removeprefix("http://")]})
    assert json.loads(cli(again, "import-opml", str(exported)).stdout) == {"added": 2, "already_known": 0}
    listed = {f["name"]: f for f in map(json.loads, cli(again, "list").stdout.splitlines())}
    assert listed["Delta"]["language"] == "de" and listed["Broken"]["url"] == f"{base}/broken.xml"

    assert run_cli("poll", "--once", "--config", str(config)).returncode == 0
    rows = {row["name"]: row for row in map(json.loads, cli(config, "status", "--json").stdout.splitlines())}
    assert rows["Delta"]["status"] == "ok" and rows["Delta"]["last_error"] is None
    assert rows["Broken"]["status"] == "failing" and rows["Broken"]["last_error_class"] == "http_5xx"
    table = cli(config, "status").stdout
    assert "Broken" in table and "failing" in table and "Broken: http_5xx: HttpStatusError: HTTP 500" in table

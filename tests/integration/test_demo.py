"""`make run`'s command: `news-ingest demo` serves the bundled site, runs both roles, and shows each article."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path
from types import SimpleNamespace

from .support import CLI, DEMO_FEEDS, wait_until, write_config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_demo_shows_published_articles_and_stops_cleanly(tmp_path: Path, app_id: str, demo_site: Path) -> None:
    port = _free_port()
    site = SimpleNamespace(base_url=f"http://127.0.0.1:{port}")  # served by the demo command itself
    # As demo/config.yaml, with a quicker first revisit.
    config = write_config(tmp_path, app_id, site, DEMO_FEEDS, revisits={"schedule": ["5s", "1h"]})  # type: ignore[arg-type]
    shown, log, terminal = tmp_path / "shown.txt", tmp_path / "worker.log", tmp_path / "stderr.txt"
    with shown.open("w") as stdout, terminal.open("w") as stderr:
        demo = subprocess.Popen(
            [
                CLI,
                "demo",
                "--config",
                str(config),
                "--site",
                str(demo_site),
                "--port",
                str(port),
                "--log-file",
                str(log),
            ],
            stdout=stdout,
            stderr=stderr,
        )
    try:
        # Its viewer starts reading the articles topic before the worker has made it: it must wait for it.
        wait_until(
            lambda: (
                (
                    sum(line.startswith("v1 ") for line in shown.read_text().splitlines()) >= 5
                    and any(line.startswith("v2 ") and "Kharkiv" in line for line in shown.read_text().splitlines())
                )
                or demo.poll() is not None
            ),
            180,
            f"articles shown by the demo; its log: {log}",
        )
        assert demo.poll() is None, log.read_text()[-3000:]
    finally:
        demo.send_signal(signal.SIGTERM)
        returncode = demo.wait(timeout=60)
    lines = shown.read_text().splitlines()
    assert lines[0].startswith(f"demo site on http://127.0.0.1:{port}") and str(log) in lines[0]
    # The terminal shows the articles, not the JSON logs: those are in the file the first line names.
    assert not [line for line in lines if line.startswith("{")] and terminal.read_text() == ""
    assert '"event": "article published"' in log.read_text()
    assert any(" id " in line or " ms " in line for line in lines if line.startswith("v1 ")), lines
    # The story updated only on its page (demo/site/news/kharkiv-contre-offensive.html.next): a revisit found it.
    update = lines[next(i for i, line in enumerate(lines) if line.startswith("v2 ") and "Kharkiv" in line) + 1]
    assert "revises" in update and "note: Mis à jour à 14h00 le 13 septembre" in update, lines
    assert returncode == 0, log.read_text()[-3000:]

"""A port that is taken is a one-line error naming the key to change; a one-shot run needs no port at all."""

from __future__ import annotations

import socket
from pathlib import Path

from .support import run_cli, write_config


def test_a_taken_port_names_its_key_and_a_once_run_needs_none(tmp_path: Path, app_id: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, app_id, server={"port": port, "host": "127.0.0.1"})
        refused = run_cli("run", "--config", str(config), timeout=120)
        assert refused.returncode == 2
        message = [line for line in refused.stderr.splitlines() if line.startswith("news-ingest:")]
        assert message == [message[0]] and "server.port" in message[0] and str(port) in message[0]
        assert "Traceback" not in refused.stderr
        once = run_cli("run", "--once", "--config", str(config), timeout=120)
        assert once.returncode == 0, once.stderr[-2000:]

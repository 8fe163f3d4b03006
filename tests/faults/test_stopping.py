"""Stopping, while the parse children are at work: SIGTERM to the main process (as Kubernetes sends), SIGTERM and
SIGINT to the whole process group (GNU timeout, systemd's control-group kill, Ctrl-C in a terminal), and SIGKILL.
The worker ends within shutdown_grace_s (0 for a signal it handles), and no child process outlives it."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.support import CLI, ScriptedHandler, serve, write_config

GRACE_S = 8.0
_version = itertools.count()


class SlowFeeds(ScriptedHandler):
    """Feeds that change on every request and take the loose parser a while: the children are kept busy."""

    def do_GET(self) -> None:
        items = "".join(
            f"<item><title>T {n} <b>unclosed <i>tags</title><guid>g-{n}</guid><description>d &amp; {n}"
            for n in range(6000)
        )
        body = f"<rss version='2.0'><channel><title>v{next(_version)}</title>{items}</channel></rss>".encode()
        self._send(200, body, {"Content-Type": "application/rss+xml"})


@pytest.fixture
def site() -> Iterator[str]:
    with serve(SlowFeeds) as host:
        yield host


def _children(pid: int) -> set[int]:
    """Every living descendant of `pid`."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with_children = task / "children"
            if with_children.exists():
                kids = {int(k) for k in with_children.read_text().split()}
                found |= kids
                todo.extend(kids)
    return {child for child in found if _alive(child)}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status  # a zombie is dead, only not yet reaped


def _start(tmp_path: Path, app_id: str, site: str) -> tuple[subprocess.Popen[bytes], Path]:
    config = write_config(
        tmp_path,
        app_id,
        http={"allow_hosts": [site]},
        poller={"adaptive": False, "parse_processes": 2, "min_interval_s": 1, "parse_timeout_s": 60},
        shutdown_grace_s=GRACE_S,
    )
    text = config.read_text().replace(
        "feeds: []",
        "feeds:\n" + "".join(f"- {{name: f{n}, url: 'http://{site}/f{n}.xml', interval_s: 1}}\n" for n in range(4)),
    )
    config.write_text(text)
    log = tmp_path / "worker.log"
    # A session of its own: its process group is the worker and its children, like a service under systemd.
    worker = subprocess.Popen([CLI, "run", "--config", str(config)], stderr=log.open("wb"), start_new_session=True)
    deadline = time.monotonic() + 90
    while len(_children(worker.pid)) < 3:  # two parse children and the extraction child
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"the children never started: {log.read_text()[-3000:]}"
        time.sleep(0.2)
    time.sleep(2)  # the feeds are being parsed
    return worker, log


@pytest.mark.parametrize(
    ("how", "expected_code"),
    [("SIGTERM to the process", 0), ("SIGTERM to the group", 0), ("SIGINT to the group", 0), ("SIGKILL", -9)],
)
def test_the_worker_stops_in_time_and_leaves_no_child(
    tmp_path: Path, app_id: str, site: str, how: str, expected_code: int
) -> None:
    worker, log = _start(tmp_path, app_id, site)
    children = _children(worker.pid)
    try:
        started = time.monotonic()
        if how == "SIGTERM to the process":
            worker.send_signal(signal.SIGTERM)
        elif how == "SIGTERM to the group":
            os.killpg(worker.pid, signal.SIGTERM)
        elif how == "SIGINT to the group":
            os.killpg(worker.pid, signal.SIGINT)
        else:
            worker.kill()
        code = worker.wait(timeout=GRACE_S + 5)
        took = time.monotonic() - started
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert code == expected_code, log.read_text()[-3000:]
    assert took <= GRACE_S + 1, (took, log.read_text()[-3000:])
    deadline = time.monotonic() + 5
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [child for child in children if _alive(child)]
    for child in survivors:
        os.kill(child, signal.SIGKILL)
    assert not survivors, f"children outlived the worker: {survivors}"
    if expected_code == 0:
        assert '"event": "stopped"' in log.read_text()

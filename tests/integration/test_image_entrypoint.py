"""The image's entrypoint and environment, run outside the image (no container engine here).

The runtime stage of deploy/Dockerfile is read, not copied: its ENV, ENTRYPOINT and CMD are what this test runs,
with /tmp (the only writable path in the pod: an emptyDir) mapped to a test folder and the working directory
watched for writes, as a read-only root filesystem would refuse them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

from ingest.demo import SiteServer

from .support import CLI, DEMO_FEEDS, read_topic, topics, write_config

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile"


def runtime_stage() -> tuple[dict[str, str], list[str], list[str]]:
    """(ENV, ENTRYPOINT, CMD) of the Dockerfile's last stage."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    stage = text.rsplit("\nFROM ", 1)[1]
    env: dict[str, str] = {}
    entrypoint: list[str] = []
    command: list[str] = []
    for line in stage.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
        elif instruction == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        elif instruction == "CMD":
            command = json.loads(rest)
    return env, entrypoint, command


def test_the_runtime_stage_runs_as_a_non_root_user_with_an_exec_form_entrypoint() -> None:
    env, entrypoint, command = runtime_stage()
    stage = DOCKERFILE.read_text(encoding="utf-8").rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER 10001:10001$", stage, re.MULTILINE)
    assert entrypoint == ["news-ingest"]
    assert command == ["run", "--config", "/etc/news-ingest/config.yaml"]
    assert env["TMPDIR"] == "/tmp" and env["HOME"] == "/tmp"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_entrypoint_runs_with_the_image_environment_writing_only_to_tmp(
    tmp_path: Path, app_id: str, demo_server: SiteServer
) -> None:
    env, entrypoint, command = runtime_stage()
    writable = tmp_path / "tmp"
    writable.mkdir()
    workdir = tmp_path / "read-only-root"
    workdir.mkdir()
    config = write_config(tmp_path, app_id, demo_server, DEMO_FEEDS)
    image_env = {name: value.replace("/tmp", str(writable)) for name, value in env.items()}
    # As the chart sets them: the pod name as instance id; nothing else from the developer's shell.
    image_env |= {"PATH": os.environ["PATH"], "NEWS_INGEST_INSTANCE_ID": "news-ingest-processor-0"}
    argv = [CLI if entrypoint == ["news-ingest"] else entrypoint[0], command[0], "--once"]
    argv += [str(config) if arg == "/etc/news-ingest/config.yaml" else arg for arg in command[1:]]
    result = subprocess.run(argv, env=image_env, cwd=workdir, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(read_topic(topics(app_id)["articles"])) == 9
    assert list(workdir.iterdir()) == []

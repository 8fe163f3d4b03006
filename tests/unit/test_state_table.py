"""The state table's local copy, without a broker: what stage, commit and discard show, compact or not."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.config import KafkaSettings
from ingest.state import StateTable


class Recorder:
    key_prefix = ""  # every entry

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def observe(self, key: str, value: Any) -> None:
        self.seen.append((key, value))

    def forget_all(self) -> None:
        self.seen.clear()


@pytest.mark.parametrize("compact", [False, True])
def test_committed_staged_and_discarded_entries(compact: bool) -> None:
    table = StateTable(KafkaSettings(bootstrap_servers="127.0.0.1:9"), "t", compact=compact)  # never connects
    recorder = Recorder()
    table.watch(recorder)
    table.stage({"story:a": {"version": 1, "aliases": ["url:x"]}})
    assert dict(table.staged()) == {"story:a": b'{"version":1,"aliases":["url:x"]}'}
    table.commit()
    assert table["story:a"] == {"version": 1, "aliases": ["url:x"]}
    assert isinstance(table._base["story:a"], bytes) is compact  # compact: the topic's bytes, decoded when read
    table.stage({"story:a": None, "alias:url:x": {"story_id": "a"}})
    assert "story:a" not in table and table["alias:url:x"] == {"story_id": "a"}
    table.discard()
    assert table["story:a"] == {"version": 1, "aliases": ["url:x"]} and "alias:url:x" not in table
    assert recorder.seen[-2:] == [("story:a", {"version": 1, "aliases": ["url:x"]}), ("alias:url:x", None)]
    assert len(table) == 1

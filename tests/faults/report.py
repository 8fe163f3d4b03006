"""Render the fault suite's figures (.local/faults/results.jsonl) as docs/reliability-results.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    rows = [json.loads(line) for line in (REPO / ".local" / "faults" / "results.jsonl").read_text().splitlines()]
    latest: dict[str, dict[str, object]] = {}
    for row in rows:
        if row["full"]:
            latest[str(row["scenario"])] = row
    lines = [
        "# Fault suite: figures of the last full run",
        "",
        "Written by `make test-faults` (real broker, real worker processes, `kill -9`); see reliability.md.",
        "",
        "| scenario | run at (UTC) | faults injected | sent | received | lost | duplicated | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in sorted(latest.items()):
        notes = ", ".join(
            f"{k}: {row[k]}"
            for k in ("outage_s", "backoffs", "rss_mib_before_outage", "rss_mib_during_outage", "per_replica")
            if k in row
        )
        lines.append(
            f"| {name} | {row['at']} | {row['faults']} | {row['sent']} | {row['received']} | {row['lost']} "
            f"| {row['duplicated']} | {notes} |"
        )
    (REPO / "docs" / "reliability-results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

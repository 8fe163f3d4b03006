"""Benchmarks that run alone (`make bench-revisits`, `make bench-store`) replace only their own part of the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "docs" / "benchmarks.md"


def earlier_results() -> dict[str, Any]:
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}


def save(key: str, result: dict[str, Any], section: str, *, begin: str, end: str, before: str | None = None) -> None:
    """`result` under `key` in bench/results.json; `section` (from `begin` to `end`) in docs/benchmarks.md, where
    it was, else before the heading `before` if there is one, else at the end."""
    results = earlier_results()
    results[key] = result
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = REPORT.read_text(encoding="utf-8")
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) + 1 :]
    elif before is not None and f"\n{before}" in text:
        at = text.index(f"\n{before}") + 1
        text = text[:at] + section + "\n" + text[at:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text, encoding="utf-8")

"""`news-ingest revisits status`: the pending revisits, as the pollers last committed them (every partition)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ingest.config import Settings
from ingest.metrics import Metrics
from ingest.revisit_book import RevisitBook


def revisit_status(settings: Settings, now: float) -> dict[str, Any]:
    """How many revisits are pending, how many are overdue at `now`, by step and by feed, and the next ones due."""
    book = RevisitBook(settings, Metrics())
    book.open(settings.feed_registry_topic)
    try:
        book.follow(frozenset(range(book.partitions)))  # read-only: every partition, as one replica would hold them
        revisits = list(book.held())
    finally:
        book.close()
    by_feed: dict[str, list[float]] = {}
    for revisit in revisits:
        by_feed.setdefault(revisit.feed.name, []).append(revisit.due_at)
    steps = Counter(revisit.step for revisit in revisits)
    return {
        "pending": len(revisits),
        "overdue": sum(1 for revisit in revisits if revisit.due_at < now),
        "next_due_at": _iso(min((r.due_at for r in revisits), default=None)),
        "schedule_s": settings.revisits.schedule,
        "by_step": {str(step): steps[step] for step in sorted(steps)},
        "feeds": [
            {"feed": feed, "pending": len(dues), "next_due_at": _iso(min(dues))}
            for feed, dues in sorted(by_feed.items(), key=lambda item: -len(item[1]))
        ],
    }


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")

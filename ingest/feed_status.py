"""`news-ingest feeds status`: every feed's schedule and health, as the pollers last committed them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ingest.config import FeedSettings, Settings
from ingest.feed_state import FeedState, feed_key
from ingest.state import StateTable
from processors.untrusted import redact


def feed_statuses(settings: Settings, feeds: Iterable[tuple[FeedSettings, str]]) -> list[dict[str, Any]]:
    """What `news-ingest feeds status` shows: each feed's schedule and health, from the feed-state topic."""
    table = StateTable(settings.kafka, settings.feed_state_topic)
    table.restore()
    try:
        rows = []
        for feed, source in feeds:
            state = FeedState.model_validate(table.get(feed_key(feed.url)) or {})
            rows.append(
                {
                    "name": feed.name,
                    "url": feed_key(feed.url),
                    "source": source,
                    "status": state.status,
                    "last_polled_at": _iso(state.last_polled_at),
                    "last_success_at": _iso(state.last_success_at),
                    "next_poll_at": _iso(state.next_poll_at) if state.last_polled_at is not None else None,
                    "interval_s": round(state.interval_s, 1) if state.interval_s else None,
                    "rate_per_day": round(state.rate_per_day, 2) if state.rate_per_day is not None else None,
                    "error_streak": state.error_streak,
                    "last_error_class": state.last_error_class,
                    "last_error": state.last_error,
                    "moved_to": redact(state.moved_to) if state.moved_to else None,
                    "gone_since": _iso(state.gone_since) if state.gone_since is not None else None,
                }
            )
        return rows
    finally:
        table.close()


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")

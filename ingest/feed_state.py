"""What the poller remembers of a feed, and the pure transitions a poll makes to it.

One record per feed in the compacted topic `<app_id>.feed-state` (key: `feed_key(feed URL)`). Its size is bounded
whatever the feed's: a poll takes at most `poller.max_entries_per_feed` entries, and `seen` keeps each of them as
two short digests (entry id, fingerprint), so even a feed of 100,000 entries makes a record of tens of KiB.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ingest.config import FeedSettings, PollerSettings
from ingest.http import FetchResult
from ingest.schedule import Bounds, ScheduleState, backoff_interval, http_hint_s, next_interval, observe
from processors.untrusted import redact

_DIGEST_CHARS = 24  # 96 bits: no two entries of one feed share one
GONE_RETRY_S = 86400.0  # a feed that answers 410 Gone is asked again daily, in case it comes back


def feed_key(feed_url: str) -> str:
    """The feed's key in the state topic: its URL, with any credentials in it replaced (they are not stored)."""
    return redact(feed_url)


def seen_key(entry_id: str) -> str:
    return hashlib.sha256(entry_id.encode("utf-8", "replace")).hexdigest()[:_DIGEST_CHARS]


class FeedState(BaseModel):
    """What the poller remembers of a feed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    seen: dict[str, str] = {}
    """seen_key(entry id) -> fingerprint digest, for the entries of the last complete poll. (States written before
    the digests keep whole ids and fingerprints: `fingerprint_of` reads both.)"""
    next_poll_at: float = 0.0
    error_streak: int = 0
    last_error: str | None = None
    last_error_class: str | None = None
    last_polled_at: float | None = None
    last_success_at: float | None = None
    # The schedule (ingest/schedule.py): the learned rate, polls in a row with nothing new, the publisher's floor.
    rate_per_day: float | None = None
    empty_polls: int = 0
    feed_hint_s: float | None = None
    interval_s: float | None = None
    # Permanent answers: where a 301/308 said the feed now is (polled there; the configured URL stays its identity),
    # and since when it answers 410 Gone (polled at most daily until it answers again).
    moved_to: str | None = None
    gone_since: float | None = None
    # WebSub: the hub we hold a lease with, and until when.
    websub_hub: str | None = None
    websub_lease_until: float | None = None

    @property
    def schedule(self) -> ScheduleState:
        return ScheduleState(rate_per_day=self.rate_per_day, empty_polls=self.empty_polls)

    @property
    def status(self) -> str:
        if self.last_polled_at is None:
            return "never_polled"
        if self.gone_since is not None:
            return "gone"
        return "failing" if self.error_streak else "ok"

    def url_to_poll(self, feed_url: str) -> str:
        return self.moved_to or feed_url

    def is_seen(self, entry_id: str, fingerprint: str) -> bool:
        """True when the last complete poll saw this entry exactly as it is now."""
        stored = self.seen.get(seen_key(entry_id)) or self.seen.get(entry_id)
        return stored is not None and stored[:_DIGEST_CHARS] == fingerprint[:_DIGEST_CHARS]

    def knows(self, entry_id: str) -> bool:
        return seen_key(entry_id) in self.seen or entry_id in self.seen


def with_seen(seen: Mapping[str, str], entries: Mapping[str, str]) -> dict[str, str]:
    """`seen` with `entries` (entry id -> fingerprint) recorded as digests."""
    updated = dict(seen)
    for entry_id, fingerprint in entries.items():
        updated.pop(entry_id, None)  # an old-style key
        updated[seen_key(entry_id)] = fingerprint[:_DIGEST_CHARS]
    return updated


def only_current(seen: Mapping[str, str], current_ids: set[str]) -> dict[str, str]:
    """The part of `seen` about entries still in the feed."""
    keys = {seen_key(entry_id) for entry_id in current_ids} | current_ids
    return {key: value for key, value in seen.items() if key in keys}


def answered(
    state: FeedState,
    feed: FeedSettings,
    settings: PollerSettings,
    now: float,
    answer: FetchResult,
    *,
    new_entries: int,
    dated_rate: float | None,
    changes: Mapping[str, Any],
) -> FeedState:
    """The feed's state after a good answer: `changes` made, errors cleared, the schedule told what this poll
    brought (one copy of the state: this runs for every poll)."""
    elapsed = now - state.last_success_at if state.last_success_at is not None else None
    schedule = observe(state.schedule, new_entries=new_entries, elapsed_s=elapsed, dated_rate=dated_rate)
    feed_hint = changes.get("feed_hint_s", state.feed_hint_s)
    hints = [h for h in (feed_hint, http_hint_s(answer.headers, datetime.fromtimestamp(now, UTC))) if h]
    interval = next_interval(
        schedule,
        base_interval_s=feed.interval_s,
        bounds=Bounds(settings.min_interval_s, settings.max_interval_s),
        publisher_hint_s=max(hints, default=None),
        adaptive=settings.adaptive,
        reference_interval_s=settings.reference_interval_s,
    )
    return state.model_copy(
        update={
            **changes,
            "rate_per_day": schedule.rate_per_day,
            "empty_polls": schedule.empty_polls,
            "interval_s": interval,
            "next_poll_at": now + interval,
            "error_streak": 0,
            "last_error": None,
            "last_error_class": None,
            "last_polled_at": now,
            "last_success_at": now,
            "gone_since": None,
            "moved_to": answer.moved_to or state.moved_to,
        }
    )


def failed(
    state: FeedState,
    feed: FeedSettings,
    settings: PollerSettings,
    now: float,
    *,
    reason: str,
    detail: str,
    failure_class: str,
    retry_after_s: float | None = None,
    gone: bool = False,
) -> FeedState:
    """The feed's state after a failed poll: the streak grows, the next poll backs off (Retry-After is a floor).
    `gone` (410): polled again after a day at the soonest, whatever the backoff says."""
    streak = state.error_streak + 1
    base = state.interval_s or feed.interval_s
    wait = backoff_interval(streak, base_interval_s=base, cap_s=settings.max_backoff_s, retry_after_s=retry_after_s)
    if gone:
        wait = max(wait, GONE_RETRY_S)
    return state.model_copy(
        update={
            "gone_since": (state.gone_since or now) if gone else None,
            "error_streak": streak,
            "last_error": redact(f"{reason}: {detail}")[:500],
            "last_error_class": failure_class,
            "next_poll_at": now + wait * random.uniform(1.0, 1.1),  # jitter up only
            "last_polled_at": now,
        }
    )


def deferred(state: FeedState, now: float, wait_s: float) -> FeedState:
    """The feed's host asked us to wait: poll again after the hold, without counting it as the feed's failure."""
    return state.model_copy(update={"next_poll_at": now + wait_s + 1.0})

"""When to poll a feed next: what the publisher asks for, what the feed's own history shows, within bounds.

Pure functions of the feed's schedule state, the latest answer and the clock, so that the simulation in
`bench/schedule_sim.py` runs exactly the code the poller runs.

- **The publisher's word** is a floor: RSS `<ttl>` (minutes), `sy:updatePeriod` / `sy:updateFrequency`,
  `Cache-Control: max-age` and `Expires` say "not sooner than"; `Retry-After` (on 429/503) is handled with errors.
- **The feed's history**: the rate of new entries, from the publication dates the feed lists (right from the first
  poll) or, lacking dates, from how many new entries each poll really brought (an exponential moving average).
  The interval goes with the inverse square root of the rate: `reference_interval_s * sqrt(24 / entries a day)`,
  so a feed publishing hourly is polled every `reference_interval_s` (20 min by default), a wire publishing every
  five minutes every 6 minutes, a blog posting twice a day every 70 minutes. The square root is the allocation
  that minimises the mean staleness of entries for a given number of requests (polling every feed at one
  interval, or once per expected entry, both do worse: docs/benchmarks.md measures the three).
- **Polls that bring nothing** stretch the interval (x1.5 each, reset by the next new entry) while no rate is known
  (or the rate is zero).
- Bounds (`poller.min_interval_s`, `poller.max_interval_s`) always win; +-10% jitter keeps feeds out of lockstep.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from processors.untrusted import ascii_int

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*no-(?:cache|store)\b", re.IGNORECASE)
_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0, "monthly": 2592000.0, "yearly": 31536000.0}
# How much the latest poll counts in the moving average of the rate of new entries.
RATE_WEIGHT = 0.3
# Publication dates older than this say little about how busy the feed is now.
RATE_WINDOW_S = 7 * 86400.0
EMPTY_POLL_STRETCH = 1.5
# A feed publishing this many entries a day is polled every REFERENCE_INTERVAL_S (chosen by bench/schedule_sim.py).
REFERENCE_RATE_PER_DAY = 24.0
REFERENCE_INTERVAL_S = 1200.0
JITTER = 0.1


@dataclass(frozen=True)
class Bounds:
    min_interval_s: float
    max_interval_s: float

    def clamp(self, seconds: float) -> float:
        return min(max(seconds, self.min_interval_s), self.max_interval_s)


@dataclass(frozen=True)
class ScheduleState:
    """What the schedule remembers of a feed between polls (kept in its `FeedState`)."""

    rate_per_day: float | None = None
    empty_polls: int = 0


def feed_hint_s(ttl: str | None, update_period: str | None, update_frequency: str | None) -> float | None:
    """The feed document's own "poll me at most this often", in seconds: RSS ttl or the syndication module."""
    hints: list[float] = []
    minutes = ascii_int(ttl)
    if minutes:
        hints.append(minutes * 60.0)
    if isinstance(update_period, str) and update_period.strip().lower() in _PERIODS:
        frequency = ascii_int(update_frequency) or 1
        hints.append(_PERIODS[update_period.strip().lower()] / max(1, frequency))
    return max(hints) if hints else None


def http_hint_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """The HTTP answer's freshness lifetime in seconds (`Cache-Control: max-age`, else `Expires`), if any."""
    cache_control = headers.get("cache-control", "")
    if _NO_CACHE.search(cache_control):
        return None
    max_age = _MAX_AGE.search(cache_control)
    if max_age and (seconds := ascii_int(max_age.group(1))) is not None:
        return float(seconds)
    expires = headers.get("expires")
    if expires:
        try:
            at = parsedate_to_datetime(expires)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if at.tzinfo is not None:
            return max(0.0, (at - now).total_seconds())
    return None


def rate_from_times(published: Sequence[float], now: float) -> float | None:
    """New entries per day, from the entries' publication times (epoch seconds) in the last week; None if too few."""
    recent = sorted(t for t in published if 0 <= now - t <= RATE_WINDOW_S)
    if len(recent) < 3:
        return None
    span_s = now - recent[0]
    return (len(recent) - 1) / max(span_s, 3600.0) * 86400.0  # n entries since the oldest: n - 1 gaps


def observe(
    state: ScheduleState, *, new_entries: int, elapsed_s: float | None, dated_rate: float | None
) -> ScheduleState:
    """The schedule state after a successful poll that brought `new_entries` in `elapsed_s` since the last one."""
    empty = 0 if new_entries else state.empty_polls + 1
    if dated_rate is not None:
        return ScheduleState(rate_per_day=dated_rate, empty_polls=empty)
    if elapsed_s is None or elapsed_s <= 0:
        return ScheduleState(rate_per_day=state.rate_per_day, empty_polls=empty)  # the first poll: a backlog
    observed = new_entries / elapsed_s * 86400.0
    rate = observed if state.rate_per_day is None else RATE_WEIGHT * observed + (1 - RATE_WEIGHT) * state.rate_per_day
    return ScheduleState(rate_per_day=rate, empty_polls=empty)


def next_interval(
    state: ScheduleState,
    *,
    base_interval_s: float,
    bounds: Bounds,
    publisher_hint_s: float | None,
    adaptive: bool = True,
    reference_interval_s: float = REFERENCE_INTERVAL_S,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next poll of a feed that just answered."""
    jitter = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if not adaptive:
        return base_interval_s * jitter  # the operator's word, as configured
    if state.rate_per_day:
        interval = reference_interval_s * math.sqrt(REFERENCE_RATE_PER_DAY / state.rate_per_day)
    else:
        interval = base_interval_s * EMPTY_POLL_STRETCH ** min(state.empty_polls, 30)
    if publisher_hint_s:
        interval = max(interval, publisher_hint_s)
    return bounds.clamp(interval) * jitter


def backoff_interval(
    error_streak: int, *, base_interval_s: float, cap_s: float, retry_after_s: float | None = None
) -> float:
    """Seconds until the next try of a failing feed: doubled per consecutive failure, capped; Retry-After honoured."""
    interval: float = min(base_interval_s * 2.0 ** min(error_streak, 32), cap_s)
    if retry_after_s is not None and math.isfinite(retry_after_s):
        interval = max(interval, min(retry_after_s, cap_s))
    return interval

"""The poll schedule: the publisher's floor, the feed's own rate, empty polls, bounds, jitter, error backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.schedule import (
    Bounds,
    ScheduleState,
    backoff_interval,
    feed_hint_s,
    http_hint_s,
    next_interval,
    observe,
    rate_from_times,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
BOUNDS = Bounds(min_interval_s=60, max_interval_s=6 * 3600)
NO_JITTER = random.Random(0)


def interval(state: ScheduleState, hint: float | None = None, base: float = 300) -> float:
    rng = random.Random(1)
    value = next_interval(state, base_interval_s=base, bounds=BOUNDS, publisher_hint_s=hint, rng=rng)
    return value / random.Random(1).uniform(0.9, 1.1)  # the same draw: the interval before jitter


def test_feed_hints_ttl_and_syndication_module() -> None:
    assert feed_hint_s("15", None, None) == 900
    assert feed_hint_s(None, "hourly", "2") == 1800
    assert feed_hint_s(None, "daily", None) == 86400
    assert feed_hint_s("30", "hourly", "4") == 1800  # the larger floor wins
    assert feed_hint_s("soon", "fortnightly", "x") is None


def test_http_hints_max_age_then_expires_and_no_cache_means_none() -> None:
    assert http_hint_s({"cache-control": "public, max-age=600"}, NOW) == 600
    assert http_hint_s({"cache-control": 's-maxage=5, max-age="120"'}, NOW) == 120
    expires = (NOW + timedelta(minutes=10)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert http_hint_s({"expires": expires}, NOW) == 600
    assert http_hint_s({"expires": "0"}, NOW) is None
    assert http_hint_s({"cache-control": "no-cache, max-age=600"}, NOW) is None
    assert http_hint_s({}, NOW) is None


def test_rate_from_publication_times_of_the_last_week() -> None:
    now = NOW.timestamp()
    hourly = [(NOW - timedelta(hours=h)).timestamp() for h in range(24)]
    assert rate_from_times(hourly, now) == pytest.approx(24, rel=0.05)
    old = [(NOW - timedelta(days=30 + d)).timestamp() for d in range(10)]
    assert rate_from_times(old, now) is None
    assert rate_from_times(hourly[:2], now) is None  # too few to say
    assert rate_from_times([now + 3600] * 5, now) is None  # dates in the future say nothing


def test_the_interval_goes_with_the_inverse_square_root_of_the_rate() -> None:
    hourly = ScheduleState(rate_per_day=24)
    busy = ScheduleState(rate_per_day=24 * 12)  # one entry every 5 minutes
    quiet = ScheduleState(rate_per_day=0.5)
    assert interval(hourly) == pytest.approx(1200)
    assert interval(busy) == pytest.approx(1200 / 12**0.5)
    assert interval(quiet) == pytest.approx(1200 * 48**0.5)
    assert interval(ScheduleState(rate_per_day=0.001)) == BOUNDS.max_interval_s
    assert interval(ScheduleState(rate_per_day=100_000)) == BOUNDS.min_interval_s


def test_the_publisher_hint_is_a_floor_within_the_bounds() -> None:
    busy = ScheduleState(rate_per_day=24 * 12)
    assert interval(busy, hint=1800) == 1800
    assert interval(busy, hint=7 * 86400) == BOUNDS.max_interval_s


def test_without_a_rate_empty_polls_stretch_the_interval_and_news_resets_it() -> None:
    state = ScheduleState()
    for _ in range(3):
        state = observe(state, new_entries=0, elapsed_s=None, dated_rate=None)
    assert state.empty_polls == 3 and state.rate_per_day is None
    assert interval(state) == pytest.approx(300 * 1.5**3)
    state = observe(state, new_entries=2, elapsed_s=None, dated_rate=None)
    assert state.empty_polls == 0


def test_the_observed_rate_is_a_moving_average_and_dates_win() -> None:
    state = observe(ScheduleState(), new_entries=4, elapsed_s=3600, dated_rate=None)
    assert state.rate_per_day == pytest.approx(96)
    state = observe(state, new_entries=0, elapsed_s=3600, dated_rate=None)
    assert state.rate_per_day == pytest.approx(0.7 * 96)
    assert observe(state, new_entries=0, elapsed_s=3600, dated_rate=12.0).rate_per_day == 12.0


def test_adaptive_off_keeps_the_configured_interval() -> None:
    fixed = next_interval(
        ScheduleState(rate_per_day=1000), base_interval_s=300, bounds=BOUNDS, publisher_hint_s=None, adaptive=False
    )
    assert 270 <= fixed <= 330


def test_errors_back_off_exponentially_up_to_the_cap_and_honour_retry_after() -> None:
    assert backoff_interval(1, base_interval_s=300, cap_s=86400) == 600
    assert backoff_interval(20, base_interval_s=300, cap_s=86400) == 86400
    assert backoff_interval(1, base_interval_s=300, cap_s=86400, retry_after_s=3600) == 3600
    assert backoff_interval(1, base_interval_s=300, cap_s=86400, retry_after_s=10**9) == 86400


@given(
    rate=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)),
    empty=st.integers(min_value=0, max_value=10**6),
    hint=st.one_of(st.none(), st.floats(min_value=0, max_value=1e12, allow_nan=False)),
    base=st.floats(min_value=1, max_value=1e9),
)
def test_the_interval_always_stays_within_the_bounds_and_jitter(
    rate: float | None, empty: int, hint: float | None, base: float
) -> None:
    value = next_interval(
        ScheduleState(rate_per_day=rate, empty_polls=empty), base_interval_s=base, bounds=BOUNDS, publisher_hint_s=hint
    )
    assert BOUNDS.min_interval_s * 0.9 <= value <= BOUNDS.max_interval_s * 1.1

"""Polling 100,000 feeds: requests per hour and staleness, our scheduler against fixed intervals.

A simulation, not a load test: feeds are independent, so each is simulated on its own clock, running the very
functions the poller runs (`ingest/schedule.py`). The feeds:

- publication rates log-normal (median 6 entries a day, from dormant to wires of several hundred a day), with a
  day/night cycle (twice as busy at the day's peak as on average, near silent at night), arrivals Poisson;
- 70% list publication dates (the scheduler learns their rate from them), 30% do not (it learns from what polls
  bring); 20% declare a `<ttl>` of 15, 30 or 60 minutes; a feed lists its last 20 entries.

Three days are simulated; the first is the warm-up (the scheduler learns), days two and three are measured.
Staleness is the time from an entry's publication to the first poll that sees it.
"""

from __future__ import annotations

import bisect
import math
import multiprocessing
import random
from dataclasses import dataclass

import numpy as np

from ingest.schedule import Bounds, ScheduleState, next_interval, observe, rate_from_times

DAY = 86400.0
DAYS = 3
WARM_UP = DAY
LISTED = 20
BOUNDS = Bounds(min_interval_s=120.0, max_interval_s=6 * 3600.0)
BASE_INTERVAL_S = 300.0
FIXED_INTERVALS_S = (300.0, 900.0, 3600.0)


@dataclass(frozen=True)
class Feed:
    arrivals: np.ndarray  # sorted publication times, seconds from the start
    dated: bool
    ttl_s: float | None


def make_feed(rng: np.random.Generator) -> Feed:
    rate_per_day = float(np.exp(rng.normal(math.log(6.0), 1.6)))
    expected = rate_per_day * DAYS
    # Day/night cycle by thinning a homogeneous process at twice the mean rate.
    candidates = np.sort(rng.uniform(0, DAYS * DAY, rng.poisson(2 * expected)))
    phase = rng.uniform(0, DAY)
    keep = rng.uniform(0, 1, candidates.size) < 0.5 * (1 + np.sin(2 * math.pi * (candidates - phase) / DAY))
    ttl = rng.choice([900.0, 1800.0, 3600.0]) if rng.uniform() < 0.2 else None
    return Feed(arrivals=candidates[keep], dated=bool(rng.uniform() < 0.7), ttl_s=ttl)


def one_poll_per_entry(state: ScheduleState, *, publisher_hint_s: float | None, rng: random.Random) -> float:
    """The yardstick law: poll about once per expected entry (interval = 1 / rate), same bounds, hints, jitter."""
    if not state.rate_per_day:
        return next_interval(
            state, base_interval_s=BASE_INTERVAL_S, bounds=BOUNDS, publisher_hint_s=publisher_hint_s, rng=rng
        )
    interval = max(DAY / state.rate_per_day, publisher_hint_s or 0.0)
    return BOUNDS.clamp(interval) * rng.uniform(0.9, 1.1)


def ours(state: ScheduleState, *, publisher_hint_s: float | None, rng: random.Random) -> float:
    return next_interval(
        state, base_interval_s=BASE_INTERVAL_S, bounds=BOUNDS, publisher_hint_s=publisher_hint_s, rng=rng
    )


LAWS = {"adaptive (ours: sqrt)": ours, "adaptive, 1 poll per expected entry": one_poll_per_entry}


def simulate_adaptive(feed: Feed, seed: int, law: str = "adaptive (ours: sqrt)") -> tuple[int, np.ndarray]:
    """(polls in the measured window, staleness of every entry published in it)."""
    interval_for = LAWS[law]
    rng = random.Random(seed)
    arrivals = feed.arrivals
    state = ScheduleState()
    now = rng.uniform(0, BASE_INTERVAL_S)  # feeds are added at different times
    last_poll: float | None = None
    seen_index = 0
    polls = 0
    stale: list[np.ndarray] = []
    while now < DAYS * DAY:
        visible = bisect.bisect_right(arrivals, now)
        new = visible - seen_index
        if new and last_poll is not None:
            fresh = arrivals[seen_index:visible]
            measured = fresh[fresh >= WARM_UP]
            if measured.size:
                stale.append(now - measured)
        if last_poll is None:
            new = 0  # the first poll sees a backlog, not a rate
        seen_index = visible
        dated_rate = None
        if feed.dated and visible:
            dated_rate = rate_from_times(arrivals[max(0, visible - LISTED) : visible].tolist(), now)
        elapsed = None if last_poll is None else now - last_poll
        state = observe(state, new_entries=new, elapsed_s=elapsed, dated_rate=dated_rate)
        if now >= WARM_UP:
            polls += 1
        last_poll = now
        now += interval_for(state, publisher_hint_s=feed.ttl_s, rng=rng)
    # Entries still unseen at the end count with their staleness so far (a lower bound, against us).
    unseen = arrivals[seen_index:]
    stale.append(DAYS * DAY - unseen[unseen >= WARM_UP])
    return polls, np.concatenate(stale)


def simulate_fixed(feed: Feed, interval_s: float, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    phase = rng.uniform(0, interval_s)
    measured = feed.arrivals[feed.arrivals >= WARM_UP]
    staleness = interval_s - np.mod(measured - phase, interval_s)
    polls = int((DAYS * DAY - WARM_UP) / interval_s)
    return polls, staleness


def _chunk(args: tuple[int, int, int]) -> dict[str, tuple[int, list[float]]]:
    start, stop, seed = args
    rng = np.random.default_rng(seed)
    totals: dict[str, list[object]] = {law: [0, []] for law in LAWS}
    for interval in FIXED_INTERVALS_S:
        totals[f"fixed {interval / 60:.0f} min"] = [0, []]
    for index in range(start, stop):
        feed = make_feed(rng)
        for law in LAWS:
            polls, stale = simulate_adaptive(feed, seed * 1_000_003 + index, law)
            totals[law][0] += polls  # type: ignore[operator]
            totals[law][1].append(stale)  # type: ignore[union-attr]
        for interval in FIXED_INTERVALS_S:
            fixed_polls, fixed_stale = simulate_fixed(feed, interval, rng)
            name = f"fixed {interval / 60:.0f} min"
            totals[name][0] += fixed_polls  # type: ignore[operator]
            totals[name][1].append(fixed_stale)  # type: ignore[union-attr]
    return {
        name: (int(polls), np.concatenate(parts).tolist())  # type: ignore[arg-type]
        for name, (polls, parts) in totals.items()
    }


def run(feeds: int = 100_000, processes: int = 2, seed: int = 7) -> dict[str, dict[str, float]]:
    step = math.ceil(feeds / (processes * 8))
    chunks = [(start, min(start + step, feeds), seed + start) for start in range(0, feeds, step)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_chunk, chunks)
    hours = (DAYS * DAY - WARM_UP) / 3600
    results: dict[str, dict[str, float]] = {}
    for name in parts[0]:
        polls = sum(part[name][0] for part in parts)
        stale = np.concatenate([np.asarray(part[name][1]) for part in parts])
        results[name] = {
            "feeds": feeds,
            "requests_per_hour": polls / hours,
            "entries": int(stale.size),
            "mean_staleness_s": float(stale.mean()),
            "p50_staleness_s": float(np.percentile(stale, 50)),
            "p95_staleness_s": float(np.percentile(stale, 95)),
        }
    return results

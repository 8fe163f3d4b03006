"""The revisit schedule (pure): steps, lateness, what a revisit keeps for the next; the config's durations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.config import ConfigError, RevisitSettings, Settings
from ingest.http import FetchResult
from ingest.revisit_schedule import Revisit, body_digest, first_revisit, next_revisit, postponed
from ingest.revisiter import HostBudget
from processors.records import FeedEntry, FeedRef

SCHEDULE = [900.0, 3600.0, 10800.0]
T0 = 1_800_000_000.0
ENTRY = FeedEntry(
    id="guid-1",
    url="https://news.example/a?id=1",
    title="A",
    summary="a long summary the processor never reads",
    authors=["AFP"],
    published_at=datetime(2022, 9, 13, tzinfo=UTC),
    updated_at=None,
    language="fr",
)


def page(body: bytes, status: int = 200, etag: str | None = '"v1"') -> FetchResult:
    headers = {"etag": etag} if etag else {}
    return FetchResult(url="https://news.example/a?id=1", status=status, body=body, headers=headers, elapsed_s=0.1)


def first(schedule: list[float] = SCHEDULE) -> Revisit:
    feed = FeedRef(name="f", url="https://news.example/feed")
    return first_revisit(schedule, key="url:a", feed=feed, entry=ENTRY, page=page(b"v1"), now=T0)


def test_the_first_revisit_is_the_first_step_after_the_fetch_with_its_validators_and_hash() -> None:
    revisit = first()
    assert (revisit.step, revisit.due_at) == (0, T0 + 900)
    assert (revisit.etag, revisit.body_sha256) == ('"v1"', body_digest(b"v1"))
    assert revisit.entry.summary is None and revisit.entry.title == "A"  # the rest of the entry as the feed said


def test_each_step_follows_the_schedule_then_it_ends() -> None:
    revisit = first()
    second = next_revisit(SCHEDULE, revisit, T0 + 900)
    assert second is not None and (second.step, second.due_at) == (1, T0 + 3600)
    third = next_revisit(SCHEDULE, second, T0 + 3600)
    assert third is not None and (third.step, third.due_at) == (2, T0 + 10800)
    assert next_revisit(SCHEDULE, third, T0 + 10800) is None


def test_a_late_revisit_skips_the_steps_already_past() -> None:
    revisit = first()
    following = next_revisit(SCHEDULE, revisit, T0 + 4000)
    assert following is not None and following.step == 2
    assert next_revisit(SCHEDULE, revisit, T0 + 20000) is None


def test_a_changed_page_leaves_its_new_validators_and_hash_a_304_keeps_the_old() -> None:
    revisit = first()
    changed = next_revisit(SCHEDULE, revisit, T0 + 900, page=page(b"v2", etag='"v2"'))
    assert changed is not None and (changed.etag, changed.body_sha256) == ('"v2"', body_digest(b"v2"))
    kept = next_revisit(SCHEDULE, revisit, T0 + 900, page=page(b"", status=304, etag=None))
    assert kept is not None and (kept.etag, kept.body_sha256) == ('"v1"', body_digest(b"v1"))


def test_a_postponed_revisit_keeps_its_step() -> None:
    revisit = first()
    later = postponed(revisit, T0 + 5000)
    assert (later.step, later.due_at) == (0, T0 + 5000)


@given(st.lists(st.floats(min_value=1, max_value=1e6), min_size=1, max_size=8, unique=True), st.floats(0, 2e6))
def test_steps_only_move_forward_and_never_past_the_schedule(offsets: list[float], late_by: float) -> None:
    schedule = sorted(offsets)
    revisit = first(schedule)
    now = revisit.due_at + late_by
    following = next_revisit(schedule, revisit, now)
    if following is not None:
        assert following.step > revisit.step and following.due_at > now
        assert following.due_at == T0 + schedule[following.step]


def test_durations_in_the_config() -> None:
    settings = RevisitSettings(schedule=["15m", "1h", 10800, "2d", "3d"])
    assert settings.schedule == [900, 3600, 10800, 172800, 259200]
    assert Settings().revisits.schedule == [900, 3600, 10800, 28800, 86400, 172800]


@pytest.mark.parametrize("schedule", [[], ["1h", "15m"], ["0s"], ["-5"], ["²m"], ["1 week"], [True], "1h"])
def test_bad_schedules_are_refused_naming_the_key(schedule: object) -> None:
    with pytest.raises((ValueError, ConfigError)) as error:
        Settings(revisits={"schedule": schedule})
    assert "schedule" in str(error.value)


def test_a_host_budget_counts_per_clock_hour() -> None:
    budget = HostBudget(limit=2)
    assert [budget.take("a", T0) for _ in range(3)] == [True, True, False]
    assert budget.take("b", T0)
    assert budget.take("a", T0 + 3600)  # the next hour

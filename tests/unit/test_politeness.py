"""The per-host gate on its own: spacing that widens after slow answers, holds after 429/503."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from ingest.http import FetchResult, HttpStatusError, Validators
from ingest.politeness import HostOnHold, PoliteFetcher


@dataclass
class FakeClock:
    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now


@dataclass
class StubFetcher:
    """Answers after `delay_s` of fake time with `status`; records what was asked."""

    clock: FakeClock
    delay_s: float = 0.1
    status: int = 200
    retry_after: str | None = None
    asked: list[str] = field(default_factory=list)

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "*/*") -> FetchResult:
        self.asked.append(url)
        self.clock.now += self.delay_s
        if self.status >= 400:
            raise HttpStatusError(self.status, self.retry_after)
        return FetchResult(url, self.status, b"ok", {}, self.delay_s)

    def close(self) -> None:
        pass


class RecordingStop(threading.Event):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        self.clock.waits.append(timeout or 0.0)
        self.clock.now += timeout or 0.0
        return False


def gate(clock: FakeClock, fetcher: StubFetcher) -> PoliteFetcher:
    return PoliteFetcher(
        fetcher,  # type: ignore[arg-type]
        host_interval_s=1.0,
        respect_robots_txt=False,
        user_agent="news-ingest/0.1",
        stop=RecordingStop(clock),
        clock=clock,
    )


def test_requests_to_one_host_wait_their_turn_but_other_hosts_do_not() -> None:
    clock = FakeClock()
    polite = gate(clock, StubFetcher(clock))
    polite.fetch("https://a.example/1")
    polite.fetch("https://a.example/2")
    polite.fetch("https://b.example/1")
    assert clock.waits == [pytest.approx(1.0)]


def test_slow_answers_widen_the_spacing_and_quick_ones_narrow_it_back() -> None:
    clock = FakeClock()
    stub = StubFetcher(clock, delay_s=6.0)
    polite = gate(clock, stub)
    for n in range(3):
        polite.fetch(f"https://slow.example/{n}")
    assert clock.waits == [pytest.approx(2.0), pytest.approx(4.0)]
    stub.delay_s = 0.1
    for n in range(3):
        polite.fetch(f"https://slow.example/q{n}")
    assert clock.waits[2:] == [pytest.approx(8.0), pytest.approx(4.0), pytest.approx(2.0)]


def test_429_puts_the_host_on_hold_for_retry_after_and_nothing_is_sent_meanwhile() -> None:
    clock = FakeClock()
    stub = StubFetcher(clock, status=429, retry_after="120")
    polite = gate(clock, stub)
    with pytest.raises(HttpStatusError):
        polite.fetch("https://busy.example/feed")
    with pytest.raises(HostOnHold) as held:
        polite.fetch("https://busy.example/feed")
    assert 110 < held.value.wait_s <= 120 and len(stub.asked) == 1
    # A page answered 429 is not the page's failure: it is reported as the host's hold.
    clock.now += 121
    with pytest.raises(HostOnHold):
        polite.fetch_page("https://busy.example/story", accept="text/html")
    stub.status = 200
    clock.now += 121
    assert polite.fetch("https://busy.example/feed").status == 200


def test_without_retry_after_the_hold_doubles_per_refusal() -> None:
    clock = FakeClock()
    stub = StubFetcher(clock, status=503)
    polite = gate(clock, stub)
    holds = []
    for _ in range(3):
        with pytest.raises(HttpStatusError):
            polite.fetch("https://down.example/feed")
        with pytest.raises(HostOnHold) as held:
            polite.fetch("https://down.example/feed")
        holds.append(round(held.value.wait_s))
        clock.now += held.value.wait_s + 0.01
    assert holds == [30, 60, 120]


class OverlapProbe:
    """A fetcher that notes how many requests to each host are in flight at once (real threads, real time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.most_at_once = 0

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "*/*") -> FetchResult:
        host = url.split("/")[2]
        with self.lock:
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.in_flight[host])
            self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        threading.Event().wait(0.05)  # long enough for the other threads to try the same host meanwhile
        with self.lock:
            self.in_flight[host] -= 1
        return FetchResult(url, 200, b"ok", {}, 0.05)

    def close(self) -> None:
        pass


def test_threads_take_turns_per_host_and_run_side_by_side_across_hosts() -> None:
    probe = OverlapProbe()
    polite = PoliteFetcher(
        probe,  # type: ignore[arg-type]
        host_interval_s=0.0,
        respect_robots_txt=False,
        user_agent="news-ingest/0.1",
        stop=threading.Event(),
    )
    urls = [f"http://{host}.example/feed/{n}" for host in ("a", "b") for n in range(3)]
    threads = [threading.Thread(target=polite.fetch, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert probe.most == {"a.example": 1, "b.example": 1}
    assert probe.most_at_once == 2

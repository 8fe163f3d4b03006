"""Revisits: what they cost (the poller's CPU per revisit, on the real broker and a loopback site), how many
requests the default schedule makes at 10,000 and 100,000 stories a day, and what share of real updates a
schedule catches (a simulation of update times; the model is stated in `UPDATE_MODEL`).

`make bench` runs it with the rest; `make bench-revisits` runs it alone and rewrites only its section of
docs/benchmarks.md and its key in bench/results.json.
"""

from __future__ import annotations

import bisect
import math
import multiprocessing
import os
import random
import threading
import time
import uuid
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from statistics import NormalDist
from typing import Any

from bench import report
from bench.loopback import free_port, serve_hosts
from ingest.checkpoint import Output, PollCheckpoint
from ingest.config import Settings
from ingest.http import FetchResult
from ingest.kafka import TransactionalProducer, ensure_topics
from ingest.metrics import Metrics
from ingest.politeness import polite_fetcher
from ingest.revisit_book import RevisitBook
from ingest.revisit_schedule import body_digest, first_revisit
from ingest.revisiter import Revisiter
from ingest.state import StateTable
from processors.records import FeedEntry, FeedRef

HOSTS = [f"127.0.2.{n}" for n in range(1, 51)]
PAGES = 3000
PAGE_BYTES = 30_000  # a real news page's size (the extraction benchmark's pages: 10 to 300 KB)
DEFAULT_SCHEDULE = Settings().revisits.schedule

UPDATE_MODEL = {
    "updated_share": 0.35,  # stories updated at least once after publication
    "extra_updates_mean": 0.8,  # further updates of an updated story (geometric)
    "median_delay_h": 2.0,  # time from publication to an update: log-normal, median 2 h ...
    "sigma": 1.3,  # ... and this spread: 80% within 6 h, 97% within 24 h, a tail to days
}


def _within(hours: float) -> float:
    """The model's share of updates that come within `hours` of publication."""
    spread = NormalDist(math.log(UPDATE_MODEL["median_delay_h"]), UPDATE_MODEL["sigma"])
    return spread.cdf(math.log(hours))


_FILLER = "<p>" + "Paragraph of the article body with ordinary words in it. " * 8 + "</p>"


def _page(number: str, tail: str) -> bytes:
    return (
        f"<html><head><title>Story {number}</title></head><body><article><h1>Story {number}</h1>"
        + _FILLER * (PAGE_BYTES // len(_FILLER))
        + f"<p>{tail}</p></article></body></html>"
    ).encode()


def _serve(port: int, ready: Any) -> None:
    """Pages that answer 304 to their ETag (mode 'same'), the same bytes ignoring it ('ignore'), or change."""
    served = {"n": 0}

    class Pages(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            mode, number = self.path.strip("/").split("/")
            etag = f'"{number}"'
            if mode == "same" and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            served["n"] += 1
            tail = f"update {served['n']}" if mode == "changing" else "unchanged"
            body = _page(number, tail)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if mode != "changing":
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    serve_hosts(HOSTS, port, Pages, ready)


class _Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def measure(bootstrap: str, pages: int = PAGES) -> dict[str, float]:
    """The poller's CPU (all its threads) per revisit, for each kind of answer, through the real code."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    app_id = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        app_id=app_id,
        instance_id="bench",
        kafka={"bootstrap_servers": bootstrap, "partitions": 1},
        http={"allow_hosts": [f"{host}:{port}" for host in HOSTS]},
        poller={"host_interval_s": 0, "respect_robots_txt": False},
        revisits={"max_per_host_per_hour": 10**6},
    )
    ensure_topics(settings)
    clock = _Clock()
    figures: dict[str, float] = {}
    try:
        with ExitStack() as stack:
            metrics = Metrics()
            state = StateTable(settings.kafka, settings.feed_state_topic)
            state.restore()
            stack.callback(state.close)
            producer = TransactionalProducer(settings.kafka, f"{app_id}.poller.bench")
            stack.callback(producer.close)
            book = RevisitBook(settings, metrics)
            book.open(settings.feed_registry_topic)
            stack.callback(book.close)
            book.follow(frozenset({0}))
            stop = threading.Event()
            fetcher = polite_fetcher(settings, stop)
            stack.callback(fetcher.close)
            checkpoint = PollCheckpoint(settings, state, producer, metrics, book)
            revisiter = Revisiter(
                settings, book=book, fetcher=fetcher, checkpoint=checkpoint, metrics=metrics, stop=stop, clock=clock
            )
            for mode in ("same", "ignore", "changing"):
                _schedule(checkpoint, clock.now, port, mode, pages)
                clock.now += DEFAULT_SCHEDULE[0] + 1
                cpu, wall = _revisit_all(revisiter, checkpoint, metrics, clock.now, pages)
                figures[f"cpu_ms_per_revisit_{mode}"] = cpu / pages * 1000
                figures[f"wall_ms_per_revisit_{mode}"] = wall / pages * 1000
                clock.now -= DEFAULT_SCHEDULE[0] + 1  # the next kind starts from the same time
            figures["changed_published"] = _count(metrics, "changed")
    finally:
        server.terminate()
    figures["pages"] = pages
    return figures


def _schedule(checkpoint: PollCheckpoint, now: float, port: int, mode: str, pages: int) -> None:
    """Commit the first revisit of `pages` pages answering in `mode`, as the poller does when it publishes them."""
    for number in range(pages):
        url = f"http://{HOSTS[number % len(HOSTS)]}:{port}/{mode}/{number}"
        entry = FeedEntry(
            id=url, url=url, title=None, summary=None, authors=[], published_at=None, updated_at=None, language=None
        )
        seen = FetchResult(url=url, status=200, body=b"first", headers={"etag": f'"{number}"'}, elapsed_s=0)
        feed = FeedRef(name="f", url="http://127.0.2.1/feed")
        revisit = first_revisit(DEFAULT_SCHEDULE, key=f"url:{url}", feed=feed, entry=entry, page=seen, now=now)
        if mode == "ignore":  # the server ignores validators, and the bytes are those seen before
            unchanged = body_digest(_page(str(number), "unchanged"))
            revisit = revisit.model_copy(update={"etag": None, "body_sha256": unchanged})
        checkpoint.add_revisit(Output(key=revisit.key, revisit=revisit))
    checkpoint.commit()


def _revisit_all(
    revisiter: Revisiter, checkpoint: PollCheckpoint, metrics: Metrics, now: float, pages: int
) -> tuple[float, float]:
    """Make every due revisit, committing as the poller does; return the CPU and wall seconds it took."""
    before = _made(metrics)
    cpu, wall = time.process_time(), time.monotonic()
    made = 0
    while made_now := revisiter.run(now):
        made += made_now
        checkpoint.commit()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert made == pages and _made(metrics) - before == pages, (made, _made(metrics) - before)
    return cpu, wall


def _count(metrics: Metrics, outcome: str) -> float:
    return metrics.registry.get_sample_value("news_ingest_revisits_total", {"outcome": outcome}) or 0.0


def _made(metrics: Metrics) -> float:
    return _count(metrics, "unchanged") + _count(metrics, "changed")


# -- what a schedule catches --------------------------------------------------------------------------------------


def _update_times(rng: random.Random) -> list[float]:
    """Seconds after publication at which one story is updated (UPDATE_MODEL), sorted."""
    if rng.random() >= UPDATE_MODEL["updated_share"]:
        return []
    count = 1
    p_more = UPDATE_MODEL["extra_updates_mean"] / (1 + UPDATE_MODEL["extra_updates_mean"])
    while rng.random() < p_more:
        count += 1
    mu = math.log(UPDATE_MODEL["median_delay_h"] * 3600)
    return sorted(rng.lognormvariate(mu, UPDATE_MODEL["sigma"]) for _ in range(count))


def simulate(schedule: list[float], stories: int = 100_000, seed: int = 5) -> dict[str, float]:
    """The share of updates a schedule turns into versions, the share of stories whose last version is seen, and
    the delay from an update to the revisit that sees it. Updates between two revisits are seen as one version."""
    rng = random.Random(seed)
    updates = versions = stories_updated = last_seen = 0
    delays: list[float] = []
    for _ in range(stories):
        times = _update_times(rng)
        if not times:
            continue
        stories_updated += 1
        updates += len(times)
        seen_at: set[int] = set()
        for moment in times:
            index = bisect.bisect_left(schedule, moment)
            if index < len(schedule):
                seen_at.add(index)
                delays.append(schedule[index] - moment)
        versions += len(seen_at)
        last_seen += times[-1] <= schedule[-1]
    delays.sort()
    return {
        "requests_per_story": len(schedule),
        "updates": updates,
        "versions_caught_share": versions / updates,
        "last_version_seen_share": last_seen / stories_updated,
        "median_delay_min": delays[len(delays) // 2] / 60 if delays else 0.0,
        "p90_delay_min": delays[int(len(delays) * 0.9)] / 60 if delays else 0.0,
    }


_DEFAULT_NAME = "default (15m, 1h, 3h, 8h, 24h, 48h)"
SCHEDULES = {
    _DEFAULT_NAME: DEFAULT_SCHEDULE,
    "sparse (1h, 24h)": [3600.0, 86400.0],
    "dense early (5m, 15m, 30m, 1h, 2h, 4h, 8h, 16h, 24h, 48h)": [
        300.0,
        900.0,
        1800.0,
        3600.0,
        7200.0,
        14400.0,
        28800.0,
        57600.0,
        86400.0,
        172800.0,
    ],
    "hourly for 48 h": [3600.0 * hour for hour in range(1, 49)],
}


def run(bootstrap: str) -> dict[str, Any]:
    cost = measure(bootstrap)
    caught = {name: simulate(schedule) for name, schedule in SCHEDULES.items()}
    steps = len(DEFAULT_SCHEDULE)
    volume = {}
    for per_day in (10_000, 100_000):
        requests_per_h = per_day * steps / 24
        unchanged_ms = cost["cpu_ms_per_revisit_same"]
        volume[str(per_day)] = {
            "requests_per_hour": requests_per_h,
            "cpu_s_per_hour_all_304": requests_per_h * unchanged_ms / 1000,
            "cpu_s_per_hour_no_validators": requests_per_h * cost["cpu_ms_per_revisit_ignore"] / 1000,
        }
    return {"cost": cost, "volume": volume, "schedules": caught, "update_model": UPDATE_MODEL}


def section(result: dict[str, Any], poll_304_cpu_ms: float | None = None) -> str:
    cost, volume = result["cost"], result["volume"]
    rows = "\n".join(
        f"| {name} | {r['requests_per_story']} | {r['versions_caught_share']:.0%} | {r['last_version_seen_share']:.0%} "
        f"| {r['median_delay_min']:.0f} min | {r['p90_delay_min']:.0f} min |"
        for name, r in result["schedules"].items()
    )
    model = result["update_model"]
    default, hourly = result["schedules"][_DEFAULT_NAME], result["schedules"]["hourly for 48 h"]
    kinds = {
        "same": "304 (its validators hold)",
        "ignore": "200 with the same bytes (the server ignores validators: a body hash)",
        "changing": "200, changed (decoded, checked for a wall, published to the raw topic)",
    }
    cost_rows = "\n".join(
        f"| {what} | {cost[f'cpu_ms_per_revisit_{kind}']:.2f} ms | {cost[f'wall_ms_per_revisit_{kind}']:.2f} ms |"
        for kind, what in kinds.items()
    )
    feed_poll = f" (a 304 feed poll: {poll_304_cpu_ms:.2f} ms in the poller section)" if poll_304_cpu_ms else ""
    volume_rows = "\n".join(
        f"| {int(per_day):,} | {v['requests_per_hour']:,.0f} | {v['cpu_s_per_hour_all_304']:.0f} s "
        f"({v['cpu_s_per_hour_all_304'] / 36:.2f}% of a core) | {v['cpu_s_per_hour_no_validators']:.0f} s |"
        for per_day, v in volume.items()
    )
    return f"""{BEGIN}
## Revisits: what they cost and what they catch

`bench/revisit_bench.py`. **Cost**, through the poller's own code (`ingest/revisiter.py`, the revisits book and
its Kafka transactions on the real broker), {cost["pages"]:,} revisits of each kind against a loopback site of
{PAGE_BYTES // 1000} KB pages on 50 hosts (its server in another process), the poller's CPU over all its threads:

| the page answers | CPU per revisit | wall per revisit |
| --- | ---: | ---: |
{cost_rows}

A revisit that finds nothing new costs {cost["cpu_ms_per_revisit_same"]:.2f} ms of CPU{feed_poll}: a conditional
GET and one small state record in a grouped transaction. A changed page then costs the processor one extraction,
as any page does.

**Volume** at the default schedule ({len(DEFAULT_SCHEDULE)} revisits a story over 48 h), in steady state:

| stories a day | revisit requests / hour | poller CPU / hour, pages answering 304 | ... answering 200, same bytes |
| ---: | ---: | ---: | ---: |
{volume_rows}

Spread over every site the stories come from, and limited per host by `revisits.max_per_host_per_hour` (600).

**What a schedule catches.** Update times are simulated (100,000 stories, seeded): {model["updated_share"]:.0%} of
stories are updated at least once, then a geometric number of further updates (mean {model["extra_updates_mean"]});
each update comes a log-normal time after publication (median {model["median_delay_h"]:.0f} h, sigma
{model["sigma"]}: {_within(6):.0%} within 6 h, {_within(24):.0%} within a day). This is an assumption in the
spirit of what NewsDiffs and the NewsEdits corpus report (most revisions in a story's first hours, a tail over
days), not a fit to their data. Updates that fall between two revisits are seen as one version (the later state).

| schedule | requests a story | updates seen as a version | last update seen | median delay | p90 delay |
| --- | ---: | ---: | ---: | ---: | ---: |
{rows}

Reading it: the default's {len(DEFAULT_SCHEDULE)} requests a story see the final state of
{default["last_version_seen_share"]:.0%} of updated stories and {default["versions_caught_share"]:.0%} of updates as
versions of their own; revisiting hourly for two days costs {hourly["requests_per_story"] // len(DEFAULT_SCHEDULE)}
times the requests and sees {hourly["versions_caught_share"]:.0%}, sooner. Operators trade requests for promptness
with `revisits.schedule`.
{END}
"""


BEGIN, END = "<!-- bench-revisits: begin -->", "<!-- bench-revisits: end -->"


def main() -> None:
    """`make bench-revisits`: this benchmark alone; its section of docs/benchmarks.md and results.json replaced."""
    result = run(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    poll_cpu = report.earlier_results().get("poller", {}).get("cpu_ms_per_304_poll")
    # Where `make bench` puts it: after the poller's section.
    report.save("revisits", result, section(result, poll_cpu), begin=BEGIN, end=END, before="## Publishing")


if __name__ == "__main__":
    main()

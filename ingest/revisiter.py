"""Revisits: published article pages fetched again on their schedule, so that an update only the page shows (an
editor's note and a new paragraph behind an unchanged feed entry) still becomes the story's next version.

Each due revisit (`ingest.revisit_book`) is one conditional GET through the one polite fetch path (per-host spacing
and holds, robots.txt), with the validators and body hash of the page as last seen:

- 304, or the same bytes: `unchanged`; nothing published, the next step of the schedule.
- different bytes: `changed`; a raw document published like the first fetch's (same key), and the processor decides
  whether it is the story's next version or a trivial change.
- 404 or 410: `gone`; the revisits of this page end. Redirected to another page: `gone` too (another article is
  no revision of this one).
- any other failure: `failed`; logged, and the next step (the story itself was published already).
- its host on hold, or an interstitial: `deferred`; asked again after the hold.
- over `revisits.max_per_host_per_hour`: `dropped`, that step skipped (and over `revisits.max_pending`, the oldest
  revisit ends, `dropped` too).

Hosts are revisited at once from `poller.concurrency` threads, one host's revisits in turn; what they find is staged
in the poller's checkpoint by the poller's own thread as it comes, and committed when the checkpoint is due (like
feed polls). Any exception in one revisit is that revisit's failure.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Event

from ingest.checkpoint import Output, PollCheckpoint
from ingest.config import Settings
from ingest.http import FetchError, FetchResult, HttpStatusError, Validators
from ingest.metrics import Metrics
from ingest.pages import fetch_article_page, page_document
from ingest.politeness import HostOnHold, PoliteFetcher, host_name
from ingest.revisit_book import RevisitBook
from ingest.revisit_schedule import Revisit, body_digest, next_revisit, postponed
from processors.errors import Interrupted
from processors.identity import normalize_url
from processors.untrusted import redact

log = logging.getLogger(__name__)

# Due revisits taken in one round; the poller commits after each round and goes back to its feeds. At most
# PER_HOST_PER_ROUND of them for one host (its requests are spaced): a round stays short, feeds are not held up.
REVISITS_PER_ROUND = 200
PER_HOST_PER_ROUND = 10
_GONE_STATUSES = (404, 410)
_RESULT_WAIT_S = 0.5


@dataclass(frozen=True)
class _Found:
    """What one revisit found: its outcome, and the output to stage (None: the revisit is released, not made)."""

    revisit: Revisit
    outcome: str
    output: Output | None


def _host_of(revisit: Revisit) -> str:
    return host_name(revisit.entry.url or revisit.page_url)


class HostBudget:
    """Revisit requests per host in the current clock hour, at most `limit` (kept in memory: a restart resets it)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._hour = -1
        self._used: dict[str, int] = {}

    def take(self, host: str, now: float) -> bool:
        hour = int(now // 3600)
        if hour != self._hour:
            self._hour, self._used = hour, {}
        used = self._used.get(host, 0)
        if used >= self._limit:
            return False
        self._used[host] = used + 1
        return True


class Revisiter:
    def __init__(
        self,
        settings: Settings,
        *,
        book: RevisitBook,
        fetcher: PoliteFetcher,
        checkpoint: PollCheckpoint,
        metrics: Metrics,
        stop: Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._schedule = settings.revisits.schedule
        self._book = book
        self._fetcher = fetcher
        self._checkpoint = checkpoint
        self._metrics = metrics
        self._stop = stop
        self._clock = clock
        self._budget = HostBudget(settings.revisits.max_per_host_per_hour)

    @property
    def next_due_at(self) -> float | None:
        return self._book.next_due_at

    def run(self, now: float) -> int:
        """Make the revisits due by `now` (one round, at most `REVISITS_PER_ROUND`); return how many were made.

        What they found is staged in the checkpoint (the caller commits)."""
        in_round: dict[str, int] = {}

        def room_for(revisit: Revisit) -> bool:
            host = _host_of(revisit)
            in_round[host] = in_round.get(host, 0) + 1
            return in_round[host] <= PER_HOST_PER_ROUND  # the rest of this host's stay due for the next round

        due = self._book.due(now, REVISITS_PER_ROUND, accept=room_for)
        if not due:
            return 0
        by_host: dict[str, list[Revisit]] = {}
        for revisit in due:
            host = _host_of(revisit)
            if self._budget.take(host, now):
                by_host.setdefault(host, []).append(revisit)
            else:
                self._stage(_Found(revisit, "dropped", self._moved_on(revisit, now)))
        made = 0
        found_queue: queue.Queue[_Found] = queue.Queue()  # at most REVISITS_PER_ROUND results
        threads = max(1, min(self._settings.poller.concurrency, len(by_host)))
        given_up = Event()  # set when this thread leaves early (a broker error): the others stop fetching
        with ThreadPoolExecutor(threads, thread_name_prefix="revisit") as pool:
            futures = [pool.submit(self._revisit_host, items, found_queue.put, given_up) for items in by_host.values()]
            try:
                while True:
                    try:
                        found = found_queue.get(timeout=_RESULT_WAIT_S)
                    except queue.Empty:
                        if all(future.done() for future in futures) and found_queue.empty():
                            break
                        continue
                    made += found.output is not None
                    self._stage(found)
                    if self._checkpoint.due:
                        self._checkpoint.commit()  # by count and age, as feed polls: a long round commits as it goes
            finally:
                given_up.set()
        for future in futures:
            future.result()  # never raises (each revisit's failure is its own); a bug would surface here
        return made

    def _stage(self, found: _Found) -> None:
        if found.output is None:
            self._book.release(found.revisit)
            return
        self._metrics.revisits.labels(found.outcome).inc()
        self._checkpoint.add_revisit(found.output)

    def _revisit_host(self, revisits: list[Revisit], found: Callable[[_Found], None], given_up: Event) -> None:
        """One host's due revisits, in turn (any thread). Never raises: a failure is that revisit's outcome."""
        for revisit in revisits:
            if self._stop.is_set() or given_up.is_set():
                found(_Found(revisit, "stopped", None))
                continue
            try:
                found(self._revisit(revisit))
            except Interrupted:
                found(_Found(revisit, "stopped", None))
            except Exception as error:  # a bug or an unforeseen input: this revisit's failure only
                log.error(
                    "unexpected error in a revisit; it counts as failed",
                    extra={"feed": revisit.feed.name, "url": redact(revisit.page_url)},
                    exc_info=error,
                )
                found(_Found(revisit, "failed", self._moved_on(revisit, self._clock())))

    def _revisit(self, revisit: Revisit) -> _Found:
        url = revisit.entry.url or revisit.page_url
        now = self._clock()
        try:
            page = fetch_article_page(
                self._fetcher, self._metrics, url, Validators(revisit.etag, revisit.last_modified)
            )
        except HostOnHold as hold:
            return self._deferred(revisit, now, hold.wait_s)
        except HttpStatusError as error:
            if error.status in _GONE_STATUSES:
                return self._ended(revisit, "gone", f"HTTP {error.status}")
            return self._failed(revisit, now, error)
        except FetchError as error:
            return self._failed(revisit, now, error)
        if page.not_modified or body_digest(page.body) == revisit.body_sha256:
            return _Found(revisit, "unchanged", self._moved_on(revisit, now, page))
        if normalize_url(page.url) != normalize_url(revisit.page_url):
            return self._ended(revisit, "gone", f"redirected to another page, {redact(page.url)}")
        return self._changed(revisit, now, page)

    def _changed(self, revisit: Revisit, now: float, page: FetchResult) -> _Found:
        try:
            document = page_document(
                self._fetcher, self._metrics, page, revisit.feed, revisit.entry, datetime.fromtimestamp(now, UTC)
            )
        except HostOnHold as hold:  # an interstitial: the page is asked for again after its host's hold
            return self._deferred(revisit, now, hold.wait_s)
        value = document.to_json_bytes()
        limit = self._settings.kafka.max_record_bytes
        if len(value) > limit:
            detail = f"the page makes a {len(value)}-byte record, over kafka.max_record_bytes ({limit})"
            return self._failed(revisit, now, FetchError(detail))
        log.info(
            "revisit found the page changed; published for processing",
            extra={"feed": revisit.feed.name, "url": redact(page.url), "step": revisit.step},
        )
        following = next_revisit(self._schedule, revisit, now, page=page)
        output = Output(
            key=revisit.key,
            document=value,
            revisit=following or revisit,
            ends_revisit=following is None,
        )
        return _Found(revisit, "changed", output)

    def _moved_on(self, revisit: Revisit, now: float, page: FetchResult | None = None) -> Output:
        """The revisit's next step (or its end, once the schedule is over), nothing published."""
        following = next_revisit(self._schedule, revisit, now, page=page)
        return Output(key=revisit.key, revisit=following or revisit, ends_revisit=following is None)

    def _ended(self, revisit: Revisit, outcome: str, why: str) -> _Found:
        log.info(
            "revisits of a page ended",
            extra={"feed": revisit.feed.name, "url": redact(revisit.page_url), "outcome": outcome, "detail": why},
        )
        return _Found(revisit, outcome, Output(key=revisit.key, revisit=revisit, ends_revisit=True))

    def _failed(self, revisit: Revisit, now: float, error: FetchError) -> _Found:
        log.warning(
            "revisit failed; the next one is on schedule",
            extra={
                "feed": revisit.feed.name,
                "url": redact(revisit.page_url),
                "reason": error.reason,
                "detail": redact(str(error)),
            },
        )
        return _Found(revisit, "failed", self._moved_on(revisit, now))

    def _deferred(self, revisit: Revisit, now: float, wait_s: float) -> _Found:
        later = postponed(revisit, now + wait_s + 1.0)
        return _Found(revisit, "deferred", Output(key=revisit.key, revisit=later))

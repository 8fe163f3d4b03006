"""The poller role: fetch due feeds, turn new or changed entries into raw documents, publish them.

Replicas share the feeds through a Kafka consumer group (see `ingest.feed_assignment`): each polls its own.
Within a replica, feed requests to different hosts are sent at once from a few threads (`poller.concurrency`; one
request at a time per host); what each answer becomes (`ingest.feed_poll`) is done in the poller's own thread, in
the order answers arrive, so the state table and the transaction (`ingest.checkpoint`) have one writer.

Per feed, what it publishes and the feed's new state (`ingest.feed_state`) go in one Kafka transaction, so a poller
killed at any instant neither loses an entry nor publishes one twice.

**Containment.** Everything done for one feed (its fetch, its parse, its pages, what they become) runs behind one
boundary: any exception there, ours or not, becomes that feed's failure (a dead letter with the reason and the
exception's class, the feed's error streak and backoff, a log line and a counter), and the round goes on. Only the
broker's errors cross it, to the role's recovery. No wait between the threads is unbounded: answers are awaited
with a timeout, and a fetching thread that ended early is noticed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Event

from ingest.checkpoint import Output, PollCheckpoint
from ingest.config import FeedSettings, Settings
from ingest.feed_assignment import FeedAssignment
from ingest.feed_poll import FeedPoll, Fetched, PollStage, Result
from ingest.feed_registry import merged, read_registry
from ingest.feed_state import FeedState, feed_key
from ingest.feeds import parse_feed
from ingest.health import Health
from ingest.http import FetchError, Validators
from ingest.kafka import INFRASTRUCTURE_ERRORS, TransactionalProducer
from ingest.metrics import Metrics
from ingest.politeness import PoliteFetcher, host_name
from ingest.revisit_book import RevisitBook
from ingest.revisiter import Revisiter
from ingest.sandbox import BoundedRunner
from ingest.state import StateTable
from processors.errors import Interrupted, NewsIngestError, Unexpected

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.5"
# How often the feeds-by-status gauge is recounted when nothing was polled (it reads every owned feed's state).
_STATUS_EVERY_S = 30.0
# Due feeds polled in one round; between rounds the poller commits and keeps its place in the poller group.
_FEEDS_PER_ROUND = 500
# What crosses the boundary around one feed: the broker's errors (the role recovers) and a stop under way.
_NOT_CONTAINED: tuple[type[Exception], ...] = (*INFRASTRUCTURE_ERRORS, Interrupted)
# How long the poller's thread waits for one answer before it looks whether the fetching threads are still there.
_ANSWER_WAIT_S = 1.0


class Poller:
    def __init__(
        self,
        settings: Settings,
        *,
        fetcher: PoliteFetcher,
        parser: BoundedRunner,
        producer: TransactionalProducer,
        state: StateTable,
        metrics: Metrics,
        health: Health,
        stop: Event,
        assignment: FeedAssignment | None = None,
        revisits: RevisitBook | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._assignment = assignment
        self._status_counted_at = float("-inf")
        self._stop = stop
        self._settings = settings
        self._fetcher = fetcher
        self._parser = parser
        self._producer = producer
        self._state = state
        self._metrics = metrics
        self._health = health
        self._clock = clock
        self._checkpoint = PollCheckpoint(settings, state, producer, metrics, revisits)
        self._feed_poll = FeedPoll(settings, fetcher, metrics, stop, clock)
        self._book = revisits
        self._revisiter = (
            Revisiter(
                settings,
                book=revisits,
                fetcher=fetcher,
                checkpoint=self._checkpoint,
                metrics=metrics,
                stop=stop,
                clock=clock,
            )
            if revisits is not None
            else None
        )

    def feed_state(self, feed: FeedSettings) -> FeedState:
        value = self._state.get(feed_key(feed.url))
        return FeedState.model_validate(value) if value else FeedState()

    def _next_poll_at(self, feed: FeedSettings) -> float:
        """The one field the schedule needs, read without validating the whole state on every idle tick."""
        return float((self._state.get(feed_key(feed.url)) or {}).get("next_poll_at", 0.0))

    def poll_all(self) -> None:
        """Poll every feed (config file and registry) once, due or not (for --once)."""
        self.poll_many(merged(self._settings.feeds, read_registry(self._settings).values()))
        self.flush()

    def step(self) -> None:
        """Poll this replica's feeds that are due, then wait until the next one is (at most `poller.idle_sleep_s`)."""
        assignment = self._require_assignment()
        self._health.beat("poller")
        self._follow(assignment)
        # State restored, producer connected, feeds assigned: a broker failure resets it.
        self._health.set_ready("poller", assignment.holds_partitions)
        now = self._clock()
        nudged = assignment.take_nudges()  # a WebSub hub said these changed: now, whatever their schedule
        # Callbacks name a feed by its key (credentials in its URL are never given to a hub).
        due = [
            feed for feed in self._feeds(assignment) if self._next_poll_at(feed) <= now or feed_key(feed.url) in nudged
        ]
        polled = False
        for start in range(0, len(due), _FEEDS_PER_ROUND):
            if self._stop.is_set():
                break
            # Ownership is asked again each round: the last round's end may have handed feeds to another replica.
            polled |= bool(
                self.poll_many([feed for feed in due[start : start + _FEEDS_PER_ROUND] if assignment.owns(feed)])
            )
            self.flush()
            # Only with nothing uncommitted: a rebalance never takes feeds whose polls we still hold.
            self._follow(assignment)
        more_due = self.revisit_due() > 0  # one round: the feeds come first again
        owned = assignment.owned(self._feeds(assignment))
        if polled or now - self._status_counted_at >= _STATUS_EVERY_S:
            self._count_statuses(owned)
            self._status_counted_at = now
        next_due = min((self._next_poll_at(feed) for feed in owned), default=now + 60)
        if self._revisiter is not None and (revisit_at := self._revisiter.next_due_at) is not None:
            next_due = min(next_due, revisit_at)
        if more_due:
            next_due = now
        self._stop.wait(max(0.05, min(next_due - self._clock(), self._settings.poller.idle_sleep_s)))

    def revisit_due(self) -> int:
        """One round of the revisits of this replica's pages that are due (`ingest.revisiter`), committed; return
        how many were made (0: none was due)."""
        if self._revisiter is None or self._stop.is_set():
            return 0
        made = self._revisiter.run(self._clock())
        self.flush()
        self._health.beat("poller")
        return made

    def flush(self) -> None:
        """Commit what polls produced since the last commit (`ingest.checkpoint`)."""
        self._checkpoint.commit()

    def _feeds(self, assignment: FeedAssignment) -> list[FeedSettings]:
        """The config file's feeds and the registry's, as the registry stands now (it changes while we run)."""
        return merged(self._settings.feeds, assignment.registered())

    def _count_statuses(self, owned: list[FeedSettings]) -> None:
        """The feeds gauge: how many of this replica's feeds are ok, failing or never polled."""
        counts = dict.fromkeys(("ok", "failing", "gone", "never_polled"), 0)
        for feed in owned:
            counts[self.feed_state(feed).status] += 1
        for status, count in counts.items():
            self._metrics.feeds.labels(status).set(count)

    def _follow(self, assignment: FeedAssignment) -> None:
        """Keep our place in the poller group; on taking over feeds, first read what their last poller wrote."""
        if assignment.update():
            self._state.catch_up()
        else:
            self._state.refresh()
        if self._book is not None:
            self._book.follow(assignment.partitions, progress=lambda: self._health.beat("poller"))

    def _require_assignment(self) -> FeedAssignment:
        if self._assignment is None:
            raise RuntimeError("a polling loop needs a feed assignment (only poll_all runs without one)")
        return self._assignment

    def recover(self) -> None:
        """After a broker error: a new producer and group member, and the feed state as the topic really has it."""
        self._producer.reset()
        if self._assignment is not None:
            self._assignment.reset()
        self._state.restore()  # drops what was staged: polls not yet committed are simply done again
        self._checkpoint.drop()
        if self._book is not None:
            self._book.forget()  # read again from the topic once the group gives us partitions again

    def poll_feed(self, feed: FeedSettings) -> str:
        """Poll one feed; return the outcome (also counted and logged)."""
        return self._answered(self._fetch(feed, self.feed_state(feed)))

    def poll_many(self, feeds: list[FeedSettings]) -> list[str]:
        """Poll `feeds`; return the outcomes in the order the answers came. Commits by count and age, like `step`.

        Each host's feeds are fetched in order by one thread, `poller.concurrency` hosts at once. After a new feed
        body, the host's next feed is fetched only once this thread has dealt with it (fetched its entries' pages):
        one host sees the requests of one poller one at a time and in the order a sequential poller sends them.
        """
        if not feeds:
            return []
        by_host: dict[str, list[tuple[FeedSettings, FeedState]]] = {}
        for feed in feeds:
            by_host.setdefault(host_name(feed.url), []).append((feed, self.feed_state(feed)))
        threads = min(self._settings.poller.concurrency, len(by_host))
        # Bounded: answers (bodies up to http.max_bytes each) wait for this thread at most two per fetching thread.
        answers: queue.Queue[tuple[Fetched, Event] | None] = queue.Queue(maxsize=2 * threads)
        given_up = Event()

        def fetch_host(polls: list[tuple[FeedSettings, FeedState]]) -> None:
            for feed, state in polls:
                if given_up.is_set() or self._stop.is_set():
                    _put(answers, None, given_up)  # the feed stays due, its state untouched
                    continue
                try:
                    fetched = self._fetch(feed, state)
                except Interrupted:  # the worker is stopping: the feed stays due, its state untouched
                    _put(answers, None, given_up)
                    continue
                dealt_with = Event()
                _put(answers, (fetched, dealt_with), given_up)
                if fetched.parsed is not None:
                    while not (dealt_with.wait(_ANSWER_WAIT_S) or given_up.is_set()):
                        pass  # its pages come before the host's next feed

        outcomes: list[str] = []
        with ThreadPoolExecutor(threads, thread_name_prefix="feed-fetch") as pool:
            fetching = [pool.submit(fetch_host, polls) for polls in by_host.values()]
            try:
                for answer in _answers(answers, len(feeds), fetching):
                    if answer is None:
                        continue
                    fetched, dealt_with = answer
                    try:
                        outcomes.append(self._answered(fetched))
                    finally:
                        dealt_with.set()
                    self._health.beat("poller")
                    if self._checkpoint.due:
                        self.flush()
            finally:
                given_up.set()  # after an error here (the broker): the threads end their hosts without fetching
                _release(answers, fetching)
        return outcomes

    def _fetch(self, feed: FeedSettings, state: FeedState) -> Fetched:
        """The feed's conditional GET, and the parse of a new body in a sandboxed child (any thread).

        Never raises: whatever goes wrong is this feed's failure, carried in the answer.
        """
        now = self._clock()
        try:
            with self._metrics.fetch_seconds.labels("feed").time():
                answer = self._fetcher.fetch(
                    state.url_to_poll(feed.url),
                    validators=Validators(state.etag, state.last_modified),
                    accept=FEED_ACCEPT,
                )
        except FetchError as error:
            return Fetched(feed, state, now, error=error)
        except Interrupted:
            raise
        except Exception as error:
            return Fetched(feed, state, now, error=_contained(feed, error))
        if answer.not_modified:
            return Fetched(feed, state, now, answer=answer)
        body_hash = hashlib.sha256(answer.body).hexdigest()
        if body_hash == state.body_sha256:
            # Some servers ignore conditional requests or send stale validators: an identical body is not parsed.
            return Fetched(feed, state, now, answer=answer, body_sha256=body_hash)
        try:
            parsed = self._parser.run(
                parse_feed,
                answer.body,
                url=answer.url,
                content_type=answer.content_type,
                declared_language=feed.language,
                now=datetime.fromtimestamp(now, UTC),
            )
        except Interrupted:
            raise
        except Exception as error:
            return Fetched(feed, state, now, answer=answer, body_sha256=body_hash, parse_error=_contained(feed, error))
        return Fetched(feed, state, now, answer=answer, body_sha256=body_hash, parsed=parsed)

    def _answered(self, fetched: Fetched) -> str:
        """Stage what the answer becomes, committing between stages when the checkpoint is full; any error in
        the feed's own handling ends its poll as a failure, recorded like any other."""
        result = Result()
        stages = self._feed_poll.outcome(fetched, result)
        while True:
            try:
                stage = next(stages, None)
            except _NOT_CONTAINED:
                raise
            except Exception as error:
                self._stage(fetched.feed, self._contained_failure(fetched, error, result))
                return result.outcome
            if stage is None:
                return result.outcome
            self._stage(fetched.feed, stage)

    def _stage(self, feed: FeedSettings, stage: PollStage) -> None:
        self._checkpoint.add(feed, stage.outputs, stage.state)
        if self._checkpoint.full:
            self.flush()  # bounds memory; the loop commits the rest (by count and age)

    def _contained_failure(self, fetched: Fetched, error: Exception, result: Result) -> PollStage:
        """The stage that records an unforeseen error in one feed's handling as that feed's failure."""
        feed = fetched.feed
        wrapped = _contained(feed, error)
        # What earlier stages of this poll staged stays staged: their entries are recorded as seen.
        state = self._state.get(feed_key(feed.url))
        current = FeedState.model_validate(state) if state else fetched.state
        payload = fetched.answer.body if fetched.answer is not None else b""
        letter = Output(
            feed_key(feed.url),
            dead_letter=self._feed_poll.dead_letter(feed, wrapped.reason, str(wrapped), "fetch", payload),
        )
        result.outcome = wrapped.reason
        return self._feed_poll.failure(feed, current, fetched.now, wrapped, letter=letter)


def _contained(feed: FeedSettings, error: BaseException) -> NewsIngestError:
    """`error` as one of ours; one that is not is logged with its traceback (it is a bug or an unforeseen input)."""
    if isinstance(error, NewsIngestError):
        return error
    log.error(
        "unexpected error in one feed's handling; the feed fails, the poller goes on",
        extra={"feed": feed.name, "error_class": type(error).__name__},
        exc_info=error,
    )
    return Unexpected(error)


def _put(answers: queue.Queue[tuple[Fetched, Event] | None], answer: tuple[Fetched, Event] | None, gone: Event) -> None:
    """Hand an answer to the poller's thread, unless it stopped taking them."""
    while not gone.is_set():
        with contextlib.suppress(queue.Full):
            answers.put(answer, timeout=_ANSWER_WAIT_S)
            return


def _answers(
    answers: queue.Queue[tuple[Fetched, Event] | None], expected: int, fetching: list[Future[None]]
) -> Iterator[tuple[Fetched, Event] | None]:
    """The answers as they come, `expected` of them, or fewer if every fetching thread ended (a bug, logged)."""
    received = 0
    while received < expected:
        try:
            answer = answers.get(timeout=_ANSWER_WAIT_S)
        except queue.Empty:
            if all(future.done() for future in fetching) and answers.empty():
                failed = [future.exception() for future in fetching if future.exception() is not None]
                log.error(
                    "feed-fetching threads ended before answering every feed; the rest stay due",
                    extra={"missing": expected - received, "errors": [repr(error) for error in failed][:5]},
                )
                return
            continue
        received += 1
        yield answer


def _release(answers: queue.Queue[tuple[Fetched, Event] | None], fetching: list[Future[None]]) -> None:
    """Let the fetching threads go on to their end (each may wait to put an answer, or for one to be dealt with)."""
    while not all(future.done() for future in fetching):
        with contextlib.suppress(queue.Empty):
            answer = answers.get(timeout=0.05)
            if answer is not None:
                answer[1].set()
    for future in fetching:
        if (error := future.exception()) is not None:
            log.error("a feed-fetching thread failed", exc_info=error)

"""The poller role: fetch due feeds, turn new or changed entries into raw documents, publish them.

Replicas share the feeds through a Kafka consumer group (see `ingest.feed_assignment`): each polls its own.
Within a replica, feed requests to different hosts are sent at once from a few threads (`poller.concurrency`; one
request at a time per host); what each answer becomes (parse, pages, state, publishing) is done in the poller's own
thread, in the order answers arrive, so the state table and the transaction have one writer.

Per feed, what it publishes and the feed's new state (validators, body hash, entries seen, next poll) go in one
Kafka transaction, so a poller killed at any instant neither loses an entry nor publishes one twice: after a
restart the restored state says exactly which entries were published.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import queue
import random
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Event
from typing import Any

from pydantic import BaseModel, ConfigDict
from trafilatura.utils import decode_file

from ingest.config import FeedSettings, Settings
from ingest.feed_assignment import FeedAssignment
from ingest.feed_model import FeedParseError, ParsedEntry, ParsedFeed
from ingest.feed_registry import merged, read_registry
from ingest.feeds import parse_feed
from ingest.health import Health
from ingest.http import FetchError, FetchResult, HttpStatusError, Validators
from ingest.kafka import TransactionalProducer
from ingest.metrics import Metrics
from ingest.politeness import HostOnHold, PoliteFetcher, host_name
from ingest.sandbox import BoundedRunner, OutOfBounds
from ingest.schedule import (
    Bounds,
    ScheduleState,
    backoff_interval,
    http_hint_s,
    next_interval,
    observe,
    rate_from_times,
)
from ingest.state import StateTable
from ingest.websub import lease_due, subscribe
from processors.identity import identity_keys
from processors.records import DeadLetter, FeedEntry, FeedRef, RawDocument, Stage

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHARSET = re.compile(r"charset=([^;]+)", re.IGNORECASE)
# Entries of one feed turned into documents (pages fetched) before they are staged for the next transaction.
ENTRIES_PER_TRANSACTION = 20
# A transaction is committed once it holds this many documents or bytes: bounds the memory pending polls hold.
_DOCUMENTS_PER_TRANSACTION = 100
_BYTES_PER_TRANSACTION = 8 * 2**20
# Feed polls committed together at most (see Poller.flush); they also wait at most 2 s.
_FEEDS_PER_TRANSACTION = 100
# How often the feeds-by-status gauge is recounted when nothing was polled (it reads every owned feed's state).
_STATUS_EVERY_S = 30.0
# Due feeds polled in one round; between rounds the poller commits and keeps its place in the poller group.
_FEEDS_PER_ROUND = 500


class FeedState(BaseModel):
    """What the poller remembers of a feed (compacted topic `<app_id>.feed-state`, key = feed URL)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    seen: dict[str, str] = {}
    """Entry id -> fingerprint, for the entries of the last complete poll."""
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
        return "failing" if self.error_streak else "ok"


@dataclass(frozen=True)
class _Fetched:
    """A feed's answer (or why there is none), fetched at `now` with the validators of `state`, and parsed when
    its body is new (`parsed`, or `parse_error`)."""

    feed: FeedSettings
    state: FeedState
    now: float
    answer: FetchResult | None = None
    error: FetchError | None = None
    body_sha256: str | None = None
    parsed: ParsedFeed | None = None
    parse_error: FeedParseError | OutOfBounds | None = None


@dataclass(frozen=True)
class _Output:
    """What one entry becomes: a raw document (already serialized: its size was checked) or a dead letter."""

    key: str
    document: bytes | None = None
    dead_letter: DeadLetter | None = None


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._assignment = assignment
        self._status_counted_at = float("-inf")
        self._pending_outputs: list[tuple[FeedSettings, _Output]] = []
        self._pending_feeds = 0
        self._pending_bytes = 0
        self._pending_since = 0.0
        self._stop = stop
        self._settings = settings
        self._fetcher = fetcher
        self._parser = parser
        self._producer = producer
        self._state = state
        self._metrics = metrics
        self._health = health
        self._clock = clock

    def feed_state(self, feed: FeedSettings) -> FeedState:
        value = self._state.get(feed.url)
        return FeedState.model_validate(value) if value else FeedState()

    def _next_poll_at(self, feed: FeedSettings) -> float:
        """The one field the schedule needs, read without validating the whole state on every idle tick."""
        return float((self._state.get(feed.url) or {}).get("next_poll_at", 0.0))

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
        due = [feed for feed in self._feeds(assignment) if self._next_poll_at(feed) <= now or feed.url in nudged]
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
        owned = assignment.owned(self._feeds(assignment))
        if polled or now - self._status_counted_at >= _STATUS_EVERY_S:
            self._count_statuses(owned)
            self._status_counted_at = now
        next_due = min((self._next_poll_at(feed) for feed in owned), default=now + 60)
        self._stop.wait(max(0.05, min(next_due - self._clock(), self._settings.poller.idle_sleep_s)))

    def _feeds(self, assignment: FeedAssignment) -> list[FeedSettings]:
        """The config file's feeds and the registry's, as the registry stands now (it changes while we run)."""
        return merged(self._settings.feeds, assignment.registered())

    def _count_statuses(self, owned: list[FeedSettings]) -> None:
        """The feeds gauge: how many of this replica's feeds are ok, failing or never polled."""
        counts = dict.fromkeys(("ok", "failing", "never_polled"), 0)
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
        self._pending_outputs, self._pending_feeds, self._pending_bytes = [], 0, 0

    def poll_feed(self, feed: FeedSettings) -> str:
        """Poll one feed; return the outcome (also counted and logged)."""
        return self._poll_answered(self._fetch(feed, self.feed_state(feed)))

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
        answers: queue.Queue[tuple[_Fetched, Event] | None] = queue.Queue(maxsize=2 * threads)
        given_up = Event()

        def fetch_host(polls: list[tuple[FeedSettings, FeedState]]) -> None:
            for feed, state in polls:
                if given_up.is_set() or self._stop.is_set():
                    answers.put(None)  # the feed stays due, its state untouched
                    continue
                fetched = self._fetch(feed, state)
                dealt_with = Event()
                answers.put((fetched, dealt_with))
                if fetched.parsed is not None:
                    dealt_with.wait()  # its pages come before the host's next feed

        outcomes: list[str] = []
        with ThreadPoolExecutor(threads, thread_name_prefix="feed-fetch") as pool:
            fetching = [pool.submit(fetch_host, polls) for polls in by_host.values()]
            try:
                for _ in feeds:
                    answer = answers.get()
                    if answer is None:
                        continue
                    fetched, dealt_with = answer
                    try:
                        outcomes.append(self._poll_answered(fetched))
                    finally:
                        dealt_with.set()
                    self._health.beat("poller")
                    if self._pending_feeds >= _FEEDS_PER_TRANSACTION or time.monotonic() - self._pending_since >= 2:
                        self.flush()
            finally:
                given_up.set()  # after an error here (the broker): the threads end their hosts without fetching
                _release(answers, fetching)
        return outcomes

    def _fetch(self, feed: FeedSettings, state: FeedState) -> _Fetched:
        """The feed's conditional GET, and the parse of a new body in a sandboxed child (any thread)."""
        now = self._clock()
        try:
            with self._metrics.fetch_seconds.labels("feed").time():
                answer = self._fetcher.fetch(
                    feed.url, validators=Validators(state.etag, state.last_modified), accept=FEED_ACCEPT
                )
        except FetchError as error:
            return _Fetched(feed, state, now, error=error)
        if answer.not_modified:
            return _Fetched(feed, state, now, answer=answer)
        body_hash = hashlib.sha256(answer.body).hexdigest()
        if body_hash == state.body_sha256:
            # Some servers ignore conditional requests or send stale validators: an identical body is not parsed.
            return _Fetched(feed, state, now, answer=answer, body_sha256=body_hash)
        try:
            parsed = self._parser.run(
                parse_feed,
                answer.body,
                url=answer.url,
                content_type=answer.content_type,
                declared_language=feed.language,
                now=datetime.fromtimestamp(now, UTC),
            )
        except (FeedParseError, OutOfBounds) as error:
            return _Fetched(feed, state, now, answer=answer, body_sha256=body_hash, parse_error=error)
        return _Fetched(feed, state, now, answer=answer, body_sha256=body_hash, parsed=parsed)

    def _poll_answered(self, fetched: _Fetched) -> str:
        """What a feed's answer becomes: documents, dead letters and the feed's new state (the poller's thread)."""
        feed, state, now, answer = fetched.feed, fetched.state, fetched.now, fetched.answer
        if isinstance(fetched.error, HostOnHold):
            return self._deferred(feed, state, now, fetched.error)
        if fetched.error is not None:
            error = fetched.error
            self._metrics.fetch_errors.labels("feed", error.reason).inc()
            return self._failed(
                feed, state, now, error.reason, str(error), error.failure_class, retry_after=_retry_after(error)
            )
        assert answer is not None
        if answer.not_modified:
            return self._unchanged(feed, state, now, "not_modified", answer)
        if fetched.parse_error is not None:
            bad = fetched.parse_error
            dead = self._dead_letter(feed, bad.reason, str(bad), "parse", feed.url, answer.body)
            letter = _Output(feed.url, dead_letter=dead)
            return self._failed(feed, state, now, bad.reason, str(bad), "parse", letter=letter)
        parsed, body_hash = fetched.parsed, fetched.body_sha256
        if parsed is None:
            return self._unchanged(feed, state, now, "unchanged", answer)
        fresh = [item for item in parsed.entries if state.seen.get(item.entry.id) != item.fingerprint]
        fresh_ids = {item.entry.id for item in fresh}
        for item in parsed.entries:
            status = (
                "unchanged" if item.entry.id not in fresh_ids else "changed" if item.entry.id in state.seen else "new"
            )
            self._metrics.entries.labels(status).inc()
        seen = dict(state.seen)
        for start in range(0, len(fresh), ENTRIES_PER_TRANSACTION):
            chunk = fresh[start : start + ENTRIES_PER_TRANSACTION]
            outputs = []
            for item in chunk:
                if self._stop.is_set():
                    # What this chunk fetched is dropped; the entries are not in `seen`, so the next poll has them.
                    log.info("feed poll interrupted by stop", extra={"feed": feed.name})
                    return "interrupted"
                try:
                    outputs.append(self._document_for(feed, item))
                except HostOnHold as hold:
                    # Published chunks stay published; this one and the rest come with the poll after the hold.
                    return self._deferred(feed, state.model_copy(update={"seen": seen}), now, hold)
            seen.update({item.entry.id: item.fingerprint for item in chunk})
            self._publish(feed, outputs, state.model_copy(update={"seen": seen}))
        if parsed.hub_url:
            state = self._websub_lease(feed, state, now, parsed.hub_url, parsed.self_url or feed.url)
        current = {item.entry.id for item in parsed.entries}
        dates = [item.entry.published_at.timestamp() for item in parsed.entries if item.entry.published_at]
        final = self._answered(
            feed,
            state,
            now,
            answer,
            new_entries=len(fresh),
            dated_rate=rate_from_times(dates, now),
            changes={
                "etag": answer.validators.etag,
                "last_modified": answer.validators.last_modified,
                "body_sha256": body_hash,
                "seen": {entry_id: fp for entry_id, fp in seen.items() if entry_id in current},
                "feed_hint_s": parsed.poll_hint_s,
            },
        )
        self._publish(feed, [], final)
        outcome = "changed" if fresh else "unchanged"
        self._metrics.polls.labels(outcome).inc()
        log.info(
            "feed polled",
            extra={
                "feed": feed.name,
                "outcome": outcome,
                "entries": len(parsed.entries),
                "published": len(fresh),
            },
        )
        return outcome

    def _document_for(self, feed: FeedSettings, item: ParsedEntry) -> _Output:
        entry = item.entry
        key = entry_key(feed.url, entry)
        fetched_at = datetime.fromtimestamp(self._clock(), UTC)
        ref = FeedRef(name=feed.name, url=feed.url)
        if item.content_text_length() >= self._settings.poller.full_text_min_chars or not entry.url:
            body = item.content_html or entry.summary
            if not body:
                detail = "the entry has neither a link nor any content"
                payload = entry.model_dump_json().encode("utf-8")
                dead = self._dead_letter(feed, "EmptyEntry", detail, "fetch", None, payload)
                return _Output(key=key, dead_letter=dead)
            document = RawDocument(
                feed=ref,
                entry=entry,
                source="feed",
                url=entry.url,
                html=_as_page(entry.title, body, entry.language),
                content_type="text/html",
                content_language=None,
                fetched_at=fetched_at,
            )
            return self._output(feed, key, document)
        try:
            document = fetch_page_document(self._fetcher, self._metrics, ref, entry, fetched_at)
        except HostOnHold:
            raise  # the whole feed waits (poll_feed), this entry is not dead-lettered
        except FetchError as error:
            log.warning(
                "article fetch failed",
                extra={"feed": feed.name, "url": entry.url, "reason": error.reason, "detail": str(error)},
            )
            payload = entry.model_dump_json().encode("utf-8")
            dead = self._dead_letter(feed, error.reason, str(error), "fetch", entry.url, payload)
            return _Output(key=key, dead_letter=dead)
        return self._output(feed, key, document)

    def _output(self, feed: FeedSettings, key: str, document: RawDocument) -> _Output:
        value = document.to_json_bytes()
        limit = self._settings.kafka.max_record_bytes
        if len(value) <= limit:
            return _Output(key=key, document=value)
        detail = f"the page makes a {len(value)}-byte record, over kafka.max_record_bytes ({limit})"
        payload = document.entry.model_dump_json().encode("utf-8")
        return _Output(
            key=key, dead_letter=self._dead_letter(feed, "RecordTooLarge", detail, "fetch", document.url, payload)
        )

    def _dead_letter(
        self, feed: FeedSettings, reason: str, detail: str, stage: Stage, url: str | None, payload: bytes
    ) -> DeadLetter:
        return DeadLetter.of(
            max_payload=self._settings.kafka.max_record_bytes,
            reason=reason,
            detail=detail,
            stage=stage,
            source_url=url,
            feed=FeedRef(name=feed.name, url=feed.url),
            payload=payload,
            failed_at=datetime.fromtimestamp(self._clock(), UTC),
        )

    def flush(self) -> None:
        """Commit what polls produced since the last flush, with the feed states that record it: one transaction.

        Polls are committed in groups (a Kafka transaction costs about 10 ms whatever it holds): at most
        _DOCUMENTS_PER_TRANSACTION documents or _BYTES_PER_TRANSACTION bytes of them, _FEEDS_PER_TRANSACTION feed
        states or 2 seconds wait, and every step
        ends with a flush; the poller group is only consulted with nothing pending. A crash before a flush loses
        nothing: those feeds' states were not committed either, so the next poll finds the same entries new again.
        """
        if not self._pending_feeds:
            return
        outputs, self._pending_outputs = self._pending_outputs, []
        self._pending_feeds = self._pending_bytes = 0
        topics = self._settings.topics
        with self._state.transaction(self._producer) as tx:
            for _, output in outputs:
                if output.document is not None:
                    tx.send(topics.raw, output.key, output.document)
                if output.dead_letter is not None:
                    tx.send(topics.dlq, output.key, output.dead_letter.to_json_bytes())
        self._metrics.transactions.labels("poller", "committed").inc()
        for feed, output in outputs:
            if output.document is not None:
                self._metrics.raw_published.inc()
            if output.dead_letter is not None:
                letter = output.dead_letter
                self._metrics.dlq_records.labels(letter.stage, letter.reason).inc()
                log.warning(
                    "dead-lettered",
                    extra={
                        "feed": feed.name,
                        "url": letter.source_url,
                        "reason": letter.reason,
                        "stage": letter.stage,
                        "detail": letter.detail,
                    },
                )

    def _publish(self, feed: FeedSettings, outputs: list[_Output], state: FeedState) -> None:
        """Add what a poll produced, and the feed state that records it, to the next transaction."""
        self._state.stage({feed.url: state.model_dump(mode="json")})
        if not self._pending_feeds:
            self._pending_since = time.monotonic()
        self._pending_outputs.extend((feed, output) for output in outputs)
        self._pending_bytes += sum(len(output.document or b"") for output in outputs)
        self._pending_feeds += 1
        if len(self._pending_outputs) >= _DOCUMENTS_PER_TRANSACTION or self._pending_bytes >= _BYTES_PER_TRANSACTION:
            self.flush()  # bounds memory; the step loop flushes the rest (by count and age)

    def _unchanged(self, feed: FeedSettings, state: FeedState, now: float, outcome: str, answer: FetchResult) -> str:
        validators = answer.validators
        changes = {
            "etag": validators.etag or state.etag,
            "last_modified": validators.last_modified or state.last_modified,
        }
        answered = self._answered(feed, state, now, answer, new_entries=0, dated_rate=None, changes=changes)
        self._publish(feed, [], answered)
        self._metrics.polls.labels(outcome).inc()
        log.info("feed polled", extra={"feed": feed.name, "outcome": outcome})
        return outcome

    def _websub_lease(self, feed: FeedSettings, state: FeedState, now: float, hub: str, topic: str) -> FeedState:
        """Ask the feed's hub for a lease (or renew it) when WebSub is on; the state records what was asked."""
        settings = self._settings.websub
        if not settings.enabled or (state.websub_hub == hub and not lease_due(state.websub_lease_until, now)):
            return state
        try:
            subscribe(self._fetcher, settings, hub_url=hub, topic_url=topic, feed_url=feed.url)
        except FetchError as error:
            log.warning("websub subscription refused", extra={"feed": feed.name, "hub": hub, "reason": error.reason})
            return state
        log.info("websub subscription requested", extra={"feed": feed.name, "hub": hub, "topic": topic})
        return state.model_copy(update={"websub_hub": hub, "websub_lease_until": now + settings.lease_s})

    def _deferred(self, feed: FeedSettings, state: FeedState, now: float, hold: HostOnHold) -> str:
        """The feed's host asked us to wait: poll again after the hold, without counting it as the feed's failure.

        Validators and body hash stay as they were, so the next poll reads the feed again and finds the entries
        this one did not get to.
        """
        self._publish(feed, [], state.model_copy(update={"next_poll_at": now + hold.wait_s + 1.0}))
        self._metrics.polls.labels("deferred").inc()
        log.info("feed poll deferred", extra={"feed": feed.name, "reason": hold.reason, "retry_in_s": hold.wait_s})
        return "deferred"

    def _answered(
        self,
        feed: FeedSettings,
        state: FeedState,
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
        settings = self._settings.poller
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
            }
        )

    def _failed(
        self,
        feed: FeedSettings,
        state: FeedState,
        now: float,
        reason: str,
        detail: str,
        failure_class: str,
        retry_after: float | None = None,
        letter: _Output | None = None,
    ) -> str:
        """Record the failure (and its dead letter, if any) with the feed's new error state, in one transaction."""
        streak = state.error_streak + 1
        base = state.interval_s or feed.interval_s
        cap = self._settings.poller.max_backoff_s
        wait = backoff_interval(streak, base_interval_s=base, cap_s=cap, retry_after_s=retry_after)
        next_poll = now + wait * random.uniform(1.0, 1.1)  # jitter up only: Retry-After is a floor
        self._publish(
            feed,
            [letter] if letter else [],
            state.model_copy(
                update={
                    "error_streak": streak,
                    "last_error": f"{reason}: {detail}"[:500],
                    "last_error_class": failure_class,
                    "next_poll_at": next_poll,
                    "last_polled_at": now,
                }
            ),
        )
        self._metrics.polls.labels(f"error_{reason}").inc()
        self._metrics.feed_failures.labels(failure_class).inc()
        log.warning(
            "feed poll failed",
            extra={
                "feed": feed.name,
                "reason": reason,
                "detail": detail,
                "error_streak": streak,
                "retry_in_s": round(next_poll - now, 1),
            },
        )
        return reason


def entry_key(feed_url: str, entry: FeedEntry) -> str:
    """The raw topic's key: the entry's most specific identity, so one story's documents share a partition."""
    return identity_keys(feed_url=feed_url, guid=entry.id, urls=[entry.url])[0]


def fetch_page_document(
    fetcher: PoliteFetcher, metrics: Metrics, ref: FeedRef, entry: FeedEntry, fetched_at: datetime
) -> RawDocument:
    """Fetch the entry's article page as a raw document; raise FetchError (counted) when it cannot be had."""
    if not entry.url:
        raise ValueError("an entry without a link has no page to fetch")
    try:
        with metrics.fetch_seconds.labels("page").time():
            page = fetcher.fetch_page(entry.url, accept=PAGE_ACCEPT)
    except HostOnHold:
        raise  # not the page's failure: the host asked us to wait
    except FetchError as error:
        metrics.fetch_errors.labels("page", error.reason).inc()
        raise
    return RawDocument(
        feed=ref,
        entry=entry,
        source="page",
        url=page.url,
        html=_decode(page),
        content_type=page.content_type,
        content_language=page.content_language,
        fetched_at=fetched_at,
    )


def _release(answers: queue.Queue[tuple[_Fetched, Event] | None], fetching: list[Future[None]]) -> None:
    """Let the fetching threads go on to their end (each may wait to put an answer, or for one to be dealt with)."""
    while not all(future.done() for future in fetching):
        with contextlib.suppress(queue.Empty):
            answer = answers.get(timeout=0.05)
            if answer is not None:
                answer[1].set()
    for future in fetching:
        future.result()  # a bug in a fetching thread is raised here, not lost


def _retry_after(error: FetchError) -> float | None:
    if isinstance(error, HttpStatusError) and error.retry_after and error.retry_after.strip().isdigit():
        return float(error.retry_after)
    return None


def _decode(page: FetchResult) -> str:
    """The page as text: UTF-8 when it is valid UTF-8, else the declared charset, else trafilatura's guess.

    Valid UTF-8 wins over a declared charset because servers lie (a template says iso-8859-1 over UTF-8 content),
    and a single-byte charset would "decode" anything into mojibake without an error.
    """
    try:
        return page.body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    charset = _CHARSET.search(page.content_type or "")
    if charset:
        try:
            return page.body.decode(charset.group(1).strip("\"' "))
        except (LookupError, UnicodeDecodeError):
            pass  # an unknown or wrong charset: fall back to detection
    return str(decode_file(page.body))


def _as_page(title: str | None, body: str, language: str | None) -> str:
    lang = f' lang="{html.escape(language)}"' if language else ""
    return (
        f"<html{lang}><head><title>{html.escape(title or '')}</title></head>"
        f"<body><article><h1>{html.escape(title or '')}</h1>{body}</article></body></html>"
    )

"""What one feed's answer becomes: raw documents, dead letters and the feed's next state.

`FeedPoll.outcome` is a generator of stages (documents and the state that records them): the poller adds each to
its pending commit and may commit between two of them, so a feed with many new entries never holds more than a
commit's worth of pages in memory. Whatever a stage raises is the feed's own failure (see `ingest.poller`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from threading import Event

from ingest.checkpoint import Output
from ingest.config import FeedSettings, Settings
from ingest.feed_model import ParsedEntry, ParsedFeed
from ingest.feed_state import FeedState, answered, deferred, failed, feed_key, only_current, with_seen
from ingest.http import FetchError, FetchResult, HttpStatusError
from ingest.metrics import Metrics
from ingest.pages import as_page, entry_key, fetch_article_page, page_document
from ingest.politeness import HostOnHold, PoliteFetcher
from ingest.revisit_schedule import first_revisit
from ingest.schedule import rate_from_times
from ingest.websub import lease_due, subscribe
from processors.errors import NewsIngestError
from processors.records import DeadLetter, FeedRef, RawDocument, Stage
from processors.untrusted import is_web_url, redact

log = logging.getLogger(__name__)

# Entries of one feed turned into documents (pages fetched) before they are staged for the next commit.
ENTRIES_PER_STAGE = 20


@dataclass(frozen=True)
class Fetched:
    """A feed's answer (or why there is none), fetched at `now` with the validators of `state`, and parsed when
    its body is new (`parsed`, or `parse_error`)."""

    feed: FeedSettings
    state: FeedState
    now: float
    answer: FetchResult | None = None
    error: NewsIngestError | None = None
    body_sha256: str | None = None
    parsed: ParsedFeed | None = None
    parse_error: NewsIngestError | None = None


@dataclass(frozen=True)
class PollStage:
    """Documents and dead letters of a poll, and the feed state that records them: committed together."""

    outputs: list[Output]
    state: FeedState


@dataclass
class Result:
    """How the poll ended (filled in as the stages are produced)."""

    outcome: str = "unknown"
    held: list[HostOnHold] = field(default_factory=list)


def feed_ref(feed: FeedSettings) -> FeedRef:
    """The feed as records name it: credentials in its URL are never written anywhere."""
    return FeedRef(name=feed.name, url=feed_key(feed.url))


class FeedPoll:
    """Turns answers into stages; one instance serves every feed of a poller (it keeps no per-feed state)."""

    def __init__(
        self,
        settings: Settings,
        fetcher: PoliteFetcher,
        metrics: Metrics,
        stop: Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._fetcher = fetcher
        self._metrics = metrics
        self._stop = stop
        self._clock = clock

    def outcome(self, fetched: Fetched, result: Result) -> Iterator[PollStage]:
        feed, state, now, answer = fetched.feed, fetched.state, fetched.now, fetched.answer
        if answer is not None and answer.moved_to and answer.moved_to != state.moved_to:
            log.info(
                "feed moved permanently; polled at its new URL from now on",
                extra={"feed": feed.name, "moved_to": redact(answer.moved_to)},
            )
        if isinstance(fetched.error, HostOnHold):
            hold = fetched.error
            # Validators and body hash stay: the next poll reads the feed again and finds what this one missed.
            yield PollStage([], deferred(state, now, hold.wait_s))
            self._metrics.polls.labels("deferred").inc()
            log.info("feed poll deferred", extra={"feed": feed.name, "reason": hold.reason, "retry_in_s": hold.wait_s})
            result.outcome = "deferred"
            return
        if fetched.error is not None:
            error = fetched.error
            self._metrics.fetch_errors.labels("feed", error.reason).inc()
            retry = error.retry_after_s if isinstance(error, HttpStatusError) else None
            gone = isinstance(error, HttpStatusError) and error.status == 410
            if gone and state.gone_since is None:
                log.warning("feed gone (410): polled daily from now on", extra={"feed": feed.name})
            yield self.failure(feed, state, now, error, retry_after_s=retry, gone=gone)
            result.outcome = error.reason
            return
        assert answer is not None
        if answer.not_modified:
            yield self._unchanged(feed, state, now, "not_modified", answer, result)
            return
        if fetched.parse_error is not None:
            bad = fetched.parse_error
            letter = Output(
                feed_key(feed.url), dead_letter=self.dead_letter(feed, bad.reason, str(bad), "parse", answer.body)
            )
            yield self.failure(feed, state, now, bad, letter=letter, failure_class="parse")
            result.outcome = bad.reason
            return
        if fetched.parsed is None:
            yield self._unchanged(feed, state, now, "unchanged", answer, result)
            return
        yield from self._entries(fetched, fetched.parsed, answer, result)

    def _entries(
        self, fetched: Fetched, parsed: ParsedFeed, answer: FetchResult, result: Result
    ) -> Iterator[PollStage]:
        feed, state, now = fetched.feed, fetched.state, fetched.now
        limit = self._settings.poller.max_entries_per_feed
        entries = parsed.entries[:limit]
        if len(parsed.entries) > limit:
            self._metrics.entries.labels("over_limit").inc(len(parsed.entries) - limit)
            log.warning(
                "feed has more entries than poller.max_entries_per_feed; the rest are skipped",
                extra={"feed": feed.name, "entries": len(parsed.entries), "limit": limit},
            )
        if parsed.empty_entries:
            self._metrics.entries.labels("empty").inc(parsed.empty_entries)
            log.warning(
                "feed entries with nothing usable skipped (no id, link, title or text)",
                extra={"feed": feed.name, "entries": parsed.empty_entries},
            )
        fresh = [item for item in entries if not state.is_seen(item.entry.id, item.fingerprint)]
        fresh_ids = {item.entry.id for item in fresh}
        for item in entries:
            known = state.knows(item.entry.id)
            status = "unchanged" if item.entry.id not in fresh_ids else "changed" if known else "new"
            self._metrics.entries.labels(status).inc()
        seen = dict(state.seen)
        for start in range(0, len(fresh), ENTRIES_PER_STAGE):
            chunk = fresh[start : start + ENTRIES_PER_STAGE]
            outputs: list[Output] = []
            done: dict[str, str] = {}
            for item in chunk:
                if self._stop.is_set():
                    # What this chunk fetched is dropped; the entries are not in `seen`, so the next poll has them.
                    log.info("feed poll interrupted by stop", extra={"feed": feed.name})
                    result.outcome = "interrupted"
                    return
                try:
                    outputs.append(self._document_for(feed, item))
                except HostOnHold as hold:
                    # Only this page's host waits: the entry stays unseen and the feed is read again after the hold.
                    result.held.append(hold)
                    self._metrics.entries.labels("deferred").inc()
                    continue
                done[item.entry.id] = item.fingerprint
            seen = with_seen(seen, done)
            yield PollStage(outputs, state.model_copy(update={"seen": seen}))
        if parsed.hub_url:
            state = self._websub_lease(feed, state, now, parsed.hub_url, parsed.self_url or feed_key(feed.url))
        dates = [item.entry.published_at.timestamp() for item in entries if item.entry.published_at]
        changes: dict[str, object] = {
            "seen": only_current(seen, {item.entry.id for item in entries}),
            "feed_hint_s": parsed.poll_hint_s,
        }
        if not result.held:  # else the old validators stay, so that the next poll reads the body again
            changes |= {
                "etag": answer.validators.etag,
                "last_modified": answer.validators.last_modified,
                "body_sha256": fetched.body_sha256,
            }
        final = answered(
            state,
            feed,
            self._settings.poller,
            now,
            answer,
            new_entries=len(fresh),
            dated_rate=rate_from_times(dates, now),
            changes=changes,
        )
        if result.held:
            soonest = min(hold.wait_s for hold in result.held)
            final = final.model_copy(update={"next_poll_at": min(final.next_poll_at, now + soonest + 1.0)})
        yield PollStage([], final)
        outcome = "changed" if fresh else "unchanged"
        self._metrics.polls.labels(outcome).inc()
        log.info(
            "feed polled",
            extra={
                "feed": feed.name,
                "outcome": outcome,
                "entries": len(entries),
                "published": len(fresh) - len(result.held),
                "held_for_host": len(result.held),
            },
        )
        result.outcome = outcome

    def _document_for(self, feed: FeedSettings, item: ParsedEntry) -> Output:
        entry = item.entry
        ref = feed_ref(feed)
        key = entry_key(ref.url, entry)
        fetched_at = datetime.fromtimestamp(self._clock(), UTC)
        # An entry without an http(s) link is published from what the feed says of it: there is no page to fetch.
        if (
            item.content_text_length() >= self._settings.poller.full_text_min_chars
            or entry.url is None
            or not is_web_url(entry.url)
        ):
            body = item.content_html or entry.summary
            if not body:
                detail = "the entry has neither a link nor any content"
                payload = entry.model_dump_json().encode("utf-8")
                return Output(key=key, dead_letter=self.dead_letter(feed, "EmptyEntry", detail, "fetch", payload))
            document = RawDocument(
                feed=ref,
                entry=entry,
                source="feed",
                url=entry.url,
                html=as_page(entry.title, body, entry.language),
                content_type="text/html",
                content_language=None,
                fetched_at=fetched_at,
            )
            return self._output(feed, key, document)
        try:
            page = fetch_article_page(self._fetcher, self._metrics, entry.url)
            document = page_document(self._fetcher, self._metrics, page, ref, entry, fetched_at)
        except HostOnHold:
            raise
        except FetchError as error:
            log.warning(
                "article fetch failed",
                extra={"feed": feed.name, "url": entry.url, "reason": error.reason, "detail": str(error)},
            )
            payload = entry.model_dump_json().encode("utf-8")
            letter = self.dead_letter(feed, error.reason, str(error), "fetch", payload, url=entry.url)
            return Output(key=key, dead_letter=letter)
        output = self._output(feed, key, document)
        revisits = self._settings.revisits
        if output.document is None or not revisits.enabled:
            return output
        # The page is published: from now on it is fetched again on the schedule, in case it changes silently.
        revisit = first_revisit(revisits.schedule, key=key, feed=ref, entry=entry, page=page, now=self._clock())
        return replace(output, revisit=revisit)

    def _output(self, feed: FeedSettings, key: str, document: RawDocument) -> Output:
        value = document.to_json_bytes()
        limit = self._settings.kafka.max_record_bytes
        if len(value) <= limit:
            return Output(key=key, document=value)
        detail = f"the page makes a {len(value)}-byte record, over kafka.max_record_bytes ({limit})"
        payload = document.entry.model_dump_json().encode("utf-8")
        letter = self.dead_letter(feed, "RecordTooLarge", detail, "fetch", payload, url=document.url)
        return Output(key=key, dead_letter=letter)

    def dead_letter(
        self, feed: FeedSettings, reason: str, detail: str, stage: Stage, payload: bytes, url: str | None = None
    ) -> DeadLetter:
        return DeadLetter.of(
            max_payload=self._settings.kafka.max_record_bytes,
            reason=reason,
            detail=redact(detail),
            stage=stage,
            source_url=redact(url or feed.url),
            feed=feed_ref(feed),
            payload=payload,
            failed_at=datetime.fromtimestamp(self._clock(), UTC),
        )

    def failure(
        self,
        feed: FeedSettings,
        state: FeedState,
        now: float,
        error: NewsIngestError,
        *,
        retry_after_s: float | None = None,
        letter: Output | None = None,
        failure_class: str | None = None,
        gone: bool = False,
    ) -> PollStage:
        """The feed's failure (and its dead letter, if any) with its new error state, for one commit."""
        kind = failure_class or error.failure_class
        detail = redact(str(error))
        next_state = failed(
            state,
            feed,
            self._settings.poller,
            now,
            reason=error.reason,
            detail=detail,
            failure_class=kind,
            retry_after_s=retry_after_s,
            gone=gone,
        )
        self._metrics.polls.labels(f"error_{error.reason}").inc()
        self._metrics.feed_failures.labels(kind).inc()
        log.warning(
            "feed poll failed",
            extra={
                "feed": feed.name,
                "reason": error.reason,
                "detail": detail,
                "error_streak": next_state.error_streak,
                "retry_in_s": round(next_state.next_poll_at - now, 1),
            },
        )
        return PollStage([letter] if letter else [], next_state)

    def _unchanged(
        self, feed: FeedSettings, state: FeedState, now: float, outcome: str, answer: FetchResult, result: Result
    ) -> PollStage:
        validators = answer.validators
        changes = {
            "etag": validators.etag or state.etag,
            "last_modified": validators.last_modified or state.last_modified,
        }
        settings = self._settings.poller
        next_state = answered(state, feed, settings, now, answer, new_entries=0, dated_rate=None, changes=changes)
        self._metrics.polls.labels(outcome).inc()
        log.info("feed polled", extra={"feed": feed.name, "outcome": outcome})
        result.outcome = outcome
        return PollStage([], next_state)

    def _websub_lease(self, feed: FeedSettings, state: FeedState, now: float, hub: str, topic: str) -> FeedState:
        """Ask the feed's hub for a lease (or renew it) when WebSub is on; the state records what was asked."""
        settings = self._settings.websub
        if not settings.enabled or (state.websub_hub == hub and not lease_due(state.websub_lease_until, now)):
            return state
        try:
            subscribe(self._fetcher, settings, hub_url=hub, topic_url=topic, feed_url=feed_key(feed.url))
        except FetchError as error:
            log.warning(
                "websub subscription refused", extra={"feed": feed.name, "hub": redact(hub), "reason": error.reason}
            )
            return state
        log.info("websub subscription requested", extra={"feed": feed.name, "hub": redact(hub), "topic": topic})
        return state.model_copy(update={"websub_hub": hub, "websub_lease_until": now + settings.lease_s})

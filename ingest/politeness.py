"""Politeness per host, around the one fetch path: spacing, backoff, robots.txt.

Every request the poller makes goes through `PoliteFetcher`:

- **Spacing.** At least `poller.host_interval_s` between two requests to one host (many feeds and all their pages
  share a host). A slow answer (over `SLOW_ANSWER_S`) doubles that host's spacing, up to a minute; each quick
  answer halves it back. Feeds are spread over poller replicas by host (`ingest/feed_assignment.py`), so the
  spacing holds across replicas without a shared cache, and one replica sends one host one request at a time:
  the poller fetches many hosts at once from several threads, and a host's lock makes its requests take turns.
- **Backoff.** A 429 or 503 puts the host on hold: `Retry-After` when given, else 30 s doubled per refusal in a row
  (capped at an hour). While a host is on hold, its requests raise `HostOnHold` at once instead of being sent.
  A page answered 429/503 raises `HostOnHold` too (the page is not at fault: the feed's poll is deferred); a feed
  answered so is a failed poll, with Retry-After honoured by its backoff.
- **robots.txt**, for article pages only (feeds exist to be polled), when `poller.respect_robots_txt`: fetched once
  per origin and day, read with the standard library's parser under our user agent's product token. As RFC 9309
  says, a missing robots.txt (4xx) allows everything; an unreachable or failing one (5xx) allows nothing for now
  (`RobotsUnavailable`, asked again within the hour).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Event, Lock
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ingest.config import Settings
from ingest.http import Fetcher, FetchError, FetchResult, HttpStatusError, Refused, Validators
from processors.interstitials import RepeatedText
from processors.untrusted import ascii_int, hostname, redact

SLOW_ANSWER_S = 5.0
MAX_SPACING_S = 60.0
FIRST_HOLD_S = 30.0
MAX_HOLD_S = 3600.0
ROBOTS_TTL_S = 86400.0
ROBOTS_FAILURE_TTL_S = 3600.0
_HOLD_STATUSES = (429, 503)


class HostOnHold(FetchError):
    """The host asked us to wait (429/503); nothing was sent."""

    kind = "deferred"

    def __init__(self, host: str, wait_s: float) -> None:
        super().__init__(f"{host} is on hold for {wait_s:.0f} s after a 429/503")
        self.wait_s = wait_s


class Interstitial(HostOnHold):
    """The page is a bot wall, a captcha, a consent screen or a paywall stub, not the article: its host is held
    (30 s doubled per wall in a row, at most an hour) and the page is asked for again after the hold."""

    kind = "interstitial"

    def __init__(self, url: str, wait_s: float, why: str) -> None:
        FetchError.__init__(self, f"{url} is an interstitial ({why}); its host waits {wait_s:.0f} s")
        self.wait_s = wait_s


class RobotsDisallowed(FetchError):
    """The site's robots.txt disallows this page for our user agent."""

    kind = "robots"


class RobotsUnavailable(FetchError):
    """The site's robots.txt could not be read (5xx, unreachable): RFC 9309 says to fetch nothing for now."""

    kind = "robots"


@dataclass
class _Host:
    spacing_s: float
    next_at: float = 0.0
    hold_until: float = 0.0
    refusals: int = 0
    turn: Lock = field(default_factory=Lock)  # held for a request and the spacing before it


@dataclass
class _Robots:
    parser: RobotFileParser | None  # None: no rules (allow everything), or robots.txt unavailable
    available: bool
    expires_at: float


class PoliteFetcher:
    def __init__(
        self,
        fetcher: Fetcher,
        *,
        host_interval_s: float,
        respect_robots_txt: bool,
        user_agent: str,
        stop: Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._interval = host_interval_s
        self._respect_robots = respect_robots_txt
        self._agent_token = user_agent.split("/", 1)[0].strip() or "*"
        self._stop = stop
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = Lock()
        self._robots: dict[str, _Robots] = {}
        self._repeated = RepeatedText()

    def fetch(self, url: str, *, validators: Validators | None = None, accept: str = "*/*") -> FetchResult:
        """GET `url` in its host's turn; raise HostOnHold without sending while the host asked us to wait."""
        host = self._host(url)
        with host.turn:
            now = self._clock()
            if host.hold_until > now:
                raise HostOnHold(host_name(url), host.hold_until - now)
            if host.next_at > now:
                self._stop.wait(host.next_at - now)
            started = self._clock()
            try:
                result = self._fetcher.fetch(url, validators=validators, accept=accept)
            except HttpStatusError as error:
                self._answered(host, started, error.status, error.retry_after)
                raise
            except FetchError:
                self._answered(host, started, None, None)
                raise
            self._answered(host, started, result.status, None)
            return result

    def fetch_page(self, url: str, *, accept: str, validators: Validators | None = None) -> FetchResult:
        """An article page: as `fetch`, after robots.txt said yes."""
        if self._respect_robots and not self._robots_allow(url):
            raise RobotsDisallowed(f"{url}: disallowed by robots.txt for {self._agent_token}")
        try:
            return self.fetch(url, accept=accept, validators=validators)
        except HttpStatusError as error:
            if error.status not in _HOLD_STATUSES:
                raise
            # The host is busy, the page is not at fault: the feed's poll waits for the host instead.
            host = self._host(url)
            raise HostOnHold(host_name(url), max(0.0, host.hold_until - self._clock())) from error

    def repeated_text(self, url: str, text: str) -> bool:
        """True once the same short page text has come from several URLs of `url`'s host (an interstitial)."""
        with self._hosts_lock:
            return self._repeated.is_repeated(host_name(url), url, text)

    def hold(self, url: str) -> float:
        """Hold `url`'s host as after a 429 without Retry-After (doubling per hold in a row); return the wait."""
        host = self._host(url)
        host.refusals += 1
        wait = float(min(FIRST_HOLD_S * 2 ** (host.refusals - 1), MAX_HOLD_S))
        host.hold_until = self._clock() + wait
        return wait

    def post_form(self, url: str, fields: Mapping[str, str]) -> int:
        """A form POST (WebSub subscriptions): rare, so only the HTTP limits apply."""
        return self._fetcher.post_form(url, fields)

    def close(self) -> None:
        self._fetcher.close()

    def _host(self, url: str) -> _Host:
        name = host_name(url)
        with self._hosts_lock:
            if name not in self._hosts:
                self._hosts[name] = _Host(spacing_s=self._interval)
            return self._hosts[name]

    def _answered(self, host: _Host, started: float, status: int | None, retry_after: str | None) -> None:
        now = self._clock()
        elapsed = now - started
        if elapsed > SLOW_ANSWER_S:
            host.spacing_s = min(max(host.spacing_s * 2, self._interval, 1.0), MAX_SPACING_S)
        else:
            host.spacing_s = max(host.spacing_s / 2, self._interval)
        host.next_at = now + host.spacing_s
        if status in _HOLD_STATUSES:
            host.refusals += 1
            seconds = ascii_int(retry_after)
            asked = float(seconds) if seconds is not None else None
            hold = asked if asked is not None else FIRST_HOLD_S * 2 ** (host.refusals - 1)
            host.hold_until = now + min(hold, MAX_HOLD_S)
        elif status is not None and status < 400:
            host.refusals = 0

    def _robots_allow(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError as error:
            raise Refused(f"{redact(url)[:200]!r} is not a URL we can fetch") from error
        origin = f"{parts.scheme}://{parts.netloc}"
        now = self._clock()
        rules = self._robots.get(origin)
        if rules is None or rules.expires_at <= now:
            rules = self._read_robots(origin, now)
            self._robots[origin] = rules
        if not rules.available:
            raise RobotsUnavailable(f"{origin}/robots.txt could not be read; pages of {origin} wait")
        return rules.parser is None or rules.parser.can_fetch(self._agent_token, url)

    def _read_robots(self, origin: str, now: float) -> _Robots:
        try:
            answer = self.fetch(f"{origin}/robots.txt", accept="text/plain")
        except HostOnHold:
            raise  # not an answer about robots.txt: ask again after the hold
        except Refused:
            # An address we may not connect to: the page's own fetch is refused for the same reason, and says so.
            return _Robots(None, available=True, expires_at=now + ROBOTS_FAILURE_TTL_S)
        except HttpStatusError as error:
            if 400 <= error.status < 500 and error.status != 429:
                return _Robots(None, available=True, expires_at=now + ROBOTS_TTL_S)
            return _Robots(None, available=False, expires_at=now + ROBOTS_FAILURE_TTL_S)
        except FetchError:
            return _Robots(None, available=False, expires_at=now + ROBOTS_FAILURE_TTL_S)
        parser = RobotFileParser()
        parser.parse(answer.body.decode("utf-8", errors="replace").splitlines())
        return _Robots(parser, available=True, expires_at=now + ROBOTS_TTL_S)


def polite_fetcher(settings: Settings, stop: Event) -> PoliteFetcher:
    """The fetch path of the poller and of `dlq replay`: our HTTP limits, then our manners."""
    return PoliteFetcher(
        Fetcher(settings.http),
        host_interval_s=settings.poller.host_interval_s,
        respect_robots_txt=settings.poller.respect_robots_txt,
        user_agent=settings.http.user_agent,
        stop=stop,
    )


def host_name(url: str) -> str:
    return hostname(url)

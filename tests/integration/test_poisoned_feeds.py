"""One poisoned feed or page costs only itself: each trigger found against the old main, served from loopback
beside a good feed, through the real worker and the broker. The good feed's article is published, each poisoned
feed or page ends with its logged reason (and a dead letter where a record exists), the worker stays live and
ready, and SIGTERM stops it with 0. The table in docs/reliability.md points here."""

from __future__ import annotations

import contextlib
import gzip
import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.faults.corpus import page

from .support import CLI, ScriptedHandler, http_get, read_topic, topics, validate, wait_until, write_config


def _page_html(path: str) -> str:
    """A distinct article per page path (one story each: none is a repeat of another)."""
    return page(sum(path.encode()) % 997 + 1)[2]


def _rss(base: str, items: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>{base}/</link>'
        f"<description>d</description>{extra}{items}</channel></rss>"
    ).encode()


def _item(base: str, guid: str, link: str | None = None, title: str = "A story") -> str:
    link_xml = f"<link>{link}</link>" if link is not None else ""
    return f"<item><title>{title}</title>{link_xml}<guid>{guid}</guid></item>"


def _brief(n: int) -> str:
    place, person = ("Lyon", "Graz", "Porto", "Medan")[n % 4], ("Rina", "Marc", "Anna", "Tom")[n % 3]
    return f"Brief number {n} from {place}: {person} said the {n}th meeting of the board decided item {n * 7}."


class Poisoned(ScriptedHandler):
    """Every route is one trigger; `base` is this server's own address."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        route: Callable[[], None] | None = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
        if route is not None:
            route()
        elif self.path.startswith("/page/"):
            self._send(200, _page_html(self.path).encode(), {"Content-Type": "text/html; charset=utf-8"})
        elif self.path == "/good.xml":
            self._send(200, _rss(base, _item(base, "good-1", f"{base}/page/good")), {"Content-Type": "text/xml"})
        else:
            self._send(404, b"", {})

    def _raw(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(data)

    def _feed_with_header(self, name: str, value: str) -> None:
        body = _rss(f"http://{self.headers['Host']}", "")
        self.close_connection = True
        self._raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n")
        self._raw(f"{name}: {value}\r\n\r\n".encode("latin-1") + body)

    def route_superscript_length(self) -> None:
        self._feed_with_header("Content-Length", "\xb2")  # "²".isdigit() is True, int("²") raises

    def route_huge_length(self) -> None:
        self._feed_with_header("Content-Length", "9" * 5000)  # more digits than int() takes

    def route_superscript_retry_after(self) -> None:
        self._send(429, b"slow down", {"Retry-After": "\xb9"})

    def route_bad_link(self) -> None:
        base = f"http://{self.headers['Host']}"
        self._send(200, _rss(base, _item(base, "bad-link", "http://[x/")), {"Content-Type": "text/xml"})

    def route_bad_redirect(self) -> None:
        self._send(302, b"", {"Location": "http://[x/"})

    def route_superscript_ttl(self) -> None:
        base = f"http://{self.headers['Host']}"
        self._send(200, _rss(base, "", "<ttl>\u00b2</ttl>"), {"Content-Type": "text/xml; charset=utf-8"})

    def route_deep_json(self) -> None:
        body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        self._send(200, body, {"Content-Type": "application/feed+json"})

    def route_surrogate_json(self) -> None:
        base = f"http://{self.headers['Host']}"
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "j",
            "items": [{"id": "sur-1", "url": f"{base}/page/sur-json", "title": "Lone \ud800 surrogate"}],
        }
        self._send(200, json.dumps(feed).encode("ascii"), {"Content-Type": "application/feed+json"})

    def route_surrogate_xml(self) -> None:
        base = f"http://{self.headers['Host']}"
        items = _item(base, "sur-xml", f"{base}/unicode-escape-page", title="Lone &#xd800; surrogate")
        self._send(200, _rss(base, items), {"Content-Type": "text/xml"})

    def route_unicode_escape_page(self) -> None:
        body = _page_html(self.path).encode("utf-8").replace(b"<body>", b"<body>\\ud800 \xff ")
        self._send(200, body, {"Content-Type": "text/html; charset=unicode_escape"})

    def route_continue_forever(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            for _ in range(100_000):
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                time.sleep(0.01)

    def route_headers_byte_by_byte(self) -> None:
        self.close_connection = True
        self._raw(b"HTTP/1.1 200 OK\r\n")
        with contextlib.suppress(OSError):
            for _ in range(10_000):
                self.wfile.write(b"X")
                time.sleep(0.05)

    def route_endless_trailers(self) -> None:
        self.close_connection = True
        self._raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
        body = _rss(f"http://{self.headers['Host']}", "")
        self._raw(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n")
        with contextlib.suppress(OSError):
            for n in range(100_000):
                self.wfile.write(f"X-Trailer-{n}: x\r\n".encode())
                time.sleep(0.01)

    def route_gzip_of_nothing(self) -> None:
        self.close_connection = True
        self._raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n")
        empty = gzip.compress(b"") * 1000
        with contextlib.suppress(OSError):
            for _ in range(100_000):  # members that decode to nothing, megabytes of them
                self.wfile.write(empty)

    def route_redirect_with_endless_body(self) -> None:
        self.close_connection = True
        self._raw(b"HTTP/1.1 302 Found\r\nLocation: /good-two\r\nContent-Length: 100000000000\r\n\r\n")
        with contextlib.suppress(OSError):
            for _ in range(100_000):
                self.wfile.write(b"x" * 65536)

    def route_good_two(self) -> None:
        base = f"http://{self.headers['Host']}"
        self._send(200, _rss(base, _item(base, "good-2", f"{base}/page/good-2")), {"Content-Type": "text/xml"})

    def route_path_as_body(self) -> None:
        self._send(200, b"/etc/hostname", {"Content-Type": "application/rss+xml"})

    def route_many_entries(self) -> None:
        base = f"http://{self.headers['Host']}"
        items = "".join(
            f"<item><title>Entry {n}</title><guid isPermaLink='false'>urn:many:{n}</guid>"
            f"<description>{_brief(n)}</description></item>"
            for n in range(12_000)
        )
        self._send(200, _rss(base, items), {"Content-Type": "text/xml"})

    def route_slow_page_feed(self) -> None:
        base = f"http://{self.headers['Host']}"
        self._send(200, _rss(base, _item(base, "slow", f"{base}/slow-page")), {"Content-Type": "text/xml"})

    def route_slow_page(self) -> None:
        paragraphs = "".join(f"<p>w{n}</p>" for n in range(170_000))  # ~2 MB: seconds of extraction
        self._send(200, f"<html><body>{paragraphs}</body></html>".encode(), {"Content-Type": "text/html"})


FEEDS = [
    "good.xml",
    "superscript-length",
    "huge-length",
    "superscript-retry-after",
    "bad-link",
    "bad-redirect",
    "superscript-ttl",
    "deep-json",
    "surrogate-json",
    "surrogate-xml",
    "continue-forever",
    "headers-byte-by-byte",
    "endless-trailers",
    "gzip-of-nothing",
    "redirect-with-endless-body",
    "path-as-body",
    "many-entries",
    "slow-page-feed",
]


@pytest.fixture
def hosts() -> Iterator[dict[str, str]]:
    """Each feed on a loopback address of its own, so that a host held by one (429) holds nothing else."""
    servers = []
    addresses: dict[str, str] = {}
    for n, name in enumerate(FEEDS):
        httpd = ThreadingHTTPServer((f"127.0.1.{n + 1}", 0), Poisoned)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        addresses[name] = f"127.0.1.{n + 1}:{httpd.server_address[1]}"
    yield addresses
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _summary(app_id: str, lines: list[str]) -> str:
    articles = {a["feed"]["name"] for a in validate(read_topic(topics(app_id)["articles"]), "article")}
    letters = {
        (d["feed"]["name"], d["reason"], d["detail"][:200])
        for d in validate(read_topic(topics(app_id)["dlq"]), "dead-letter")
    }
    errors = [
        e for e in _events(list(lines)) if e.get("level") in ("ERROR", "error") or "unexpected" in e.get("event", "")
    ]
    names = [e.get("event") for e in _events(list(lines))]
    return f"articles {sorted(articles)}; dead letters {sorted(letters)}; errors {errors[:5]}; events {names[-40:]}"


def _events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_each_poisoned_feed_costs_only_itself(tmp_path: Path, app_id: str, hosts: dict[str, str]) -> None:
    config = write_config(
        tmp_path,
        app_id,
        http={"allow_hosts": list(hosts.values()), "timeout_s": 3, "max_bytes": 3_000_000},
        poller={"adaptive": False, "idle_sleep_s": 0.2, "max_entries_per_feed": 20, "concurrency": 32},
        processor={"extract_timeout_s": 1.5},
        feeds=[],
    )
    text = config.read_text().replace(
        "feeds: []",
        "feeds:\n"
        + "".join(
            f"- {{name: {name}, url: 'http://{address}/{name}', interval_s: 3600}}\n" for name, address in hosts.items()
        ),
    )
    config.write_text(text)
    worker = subprocess.Popen(
        [CLI, "run", "--config", str(config)], stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:

        def outcomes() -> dict[str, str]:
            found = {}
            for event in _events(list(lines)):
                if event.get("event") in ("feed polled", "feed poll failed", "feed poll deferred"):
                    found[event["feed"]] = event.get("outcome") or event.get("reason") or "deferred"
            return found

        wait_until(lambda: set(outcomes()) == set(FEEDS), 120, "an outcome for every feed")
        expected = {"good.xml", "redirect-with-endless-body", "surrogate-json", "surrogate-xml", "many-entries"}
        wait_until(
            lambda: (
                expected <= {a["feed"]["name"] for a in validate(read_topic(topics(app_id)["articles"]), "article")}
            ),
            90,
            f"the good articles ({_summary(app_id, lines)})",
        )
        wait_until(
            lambda: any(
                d["reason"] == "ExtractionTimeout" for d in validate(read_topic(topics(app_id)["dlq"]), "dead-letter")
            ),
            90,
            "the slow page's dead letter",
        )
        letters = validate(read_topic(topics(app_id)["dlq"]), "dead-letter")
        port = next(e["port"] for e in _events(list(lines)) if e.get("event") == "serving /metrics /healthz /readyz")
        assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        assert http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
        reader.join(timeout=10)
    assert code == 0, "".join(lines)[-3000:]
    articles = validate(read_topic(topics(app_id)["articles"]), "article")
    found = outcomes()
    # The good feeds published; a redirect's endless body was never read.
    assert found["good.xml"] == "changed" and found["redirect-with-endless-body"] == "changed"
    by_feed = {article["feed"]["name"]: article for article in articles}
    assert {"good.xml", "redirect-with-endless-body"} <= set(by_feed)
    # Values a header or a feed field chose are read, not trusted: these feeds are polled normally.
    for name in ("superscript-length", "huge-length", "superscript-ttl"):
        assert found[name] == "unchanged", (name, found[name])
    assert found["superscript-retry-after"] == "HttpStatusError"  # a 429 with a Retry-After we cannot read
    # Hostile exchanges end at the one deadline (http.timeout_s) or the byte limit, each with its reason.
    for name in ("continue-forever", "headers-byte-by-byte"):
        assert found[name] == "TimedOut", (name, found[name])
    assert found["endless-trailers"] in ("unchanged", "TimedOut")  # the body is read; the trailers never hold us
    assert found["gzip-of-nothing"] in ("TooLarge", "TimedOut")
    assert found["bad-redirect"] == "BadRedirect"
    # A body that is a path is parsed as bytes, never opened as a file.
    assert found["path-as-body"] == "FeedParseError"
    assert found["deep-json"] == "FeedParseError"
    reasons = {(d["feed"]["name"], d["reason"]) for d in letters}
    assert ("deep-json", "FeedParseError") in reasons and ("path-as-body", "FeedParseError") in reasons
    # Lone surrogates are replaced where they enter, so the documents could be published.
    assert by_feed["surrogate-json"]["title"] == "Lone \ufffd surrogate"
    assert by_feed["surrogate-xml"]["title"] == "Lone \ufffd surrogate"  # and its page, served as unicode_escape
    # An item link urllib cannot take apart is no page to fetch: the entry is dead-lettered as empty, not a crash.
    assert ("bad-link", "EmptyEntry") in reasons
    # A feed of 12,000 entries takes poller.max_entries_per_feed and keeps a small state record.
    assert found["many-entries"] == "changed"
    state = {r.key.decode(): r.value for r in read_topic(f"{app_id}.feed-state")}
    assert len(state[f"http://{hosts['many-entries']}/many-entries"]) < 20_000
    assert sum(1 for a in articles if a["feed"]["name"] == "many-entries") == 20
    # The slow page met the extraction deadline; the processor went on.
    assert ("slow-page-feed", "ExtractionTimeout") in reasons
    events = _events(lines)
    assert not [e for e in events if e.get("event") == "role failed; stopping the worker"]

"""Poller throughput: one process against a loopback server holding 10,000 feeds (80% answer 304, 20% changed).

The feeds live on 50 hosts (loopback addresses 127.0.1.1-50, 200 feeds each), as real feeds are spread over
sites; the poller fetches `poller.concurrency` hosts at once and each host one request at a time. The server runs
in its own process so that its CPU is not counted as the poller's. A first pass primes every feed's validators;
the measured pass polls each feed once, both kinds mixed (polls per second, wall); two more passes poll each
kind alone for the poller's CPU per poll, unchanged (304) and changed.
"""

from __future__ import annotations

import cProfile
import io
import multiprocessing
import pstats
import threading
import time
import uuid
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from typing import Any

from bench.loopback import free_port, serve_hosts
from ingest.config import Settings
from ingest.health import Health
from ingest.kafka import TransactionalProducer, ensure_topics
from ingest.metrics import Metrics
from ingest.politeness import polite_fetcher
from ingest.poller import Poller
from ingest.sandbox import BoundedRunner
from ingest.state import StateTable

HOSTS = [f"127.0.1.{n}" for n in range(1, 51)]


def _serve(port: int, ready: Any) -> None:
    counter = {"n": 0}

    class Feeds(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers
        # http.server writes headers and body separately: without TCP_NODELAY, Nagle's algorithm and delayed ACKs
        # hold every body for 40 ms (the first profile showed exactly that). Real servers do not.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            number = int(self.path.rsplit("/", 1)[1].removesuffix(".xml"))
            changed = number % 5 == 0  # 20% of the feeds publish something new at every poll
            if not changed and self.headers.get("If-None-Match") == f'"{number}"':
                self.send_response(304)
                self.send_header("ETag", f'"{number}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            counter["n"] += 1
            guid = f"{number}-{counter['n']}" if changed else f"{number}-0"
            body = (
                f"<rss version='2.0'><channel><title>f{number}</title><link>https://f{number}.example/</link>"
                f"<description>d</description><item><title>Story {guid}</title>"
                f"<link>https://f{number}.example/{guid}</link><guid>{guid}</guid>"
                f"<description>{'Text of the story. ' * 20}</description></item></channel></rss>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", f'"{number}"' if not changed else f'"{guid}"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    serve_hosts(HOSTS, port, Feeds, ready)


def run(bootstrap: str, feeds: int = 10_000, concurrency: int = 16) -> dict[str, Any]:
    port = free_port()
    ready = multiprocessing.get_context("spawn").Event()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    app_id = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        app_id=app_id,
        instance_id="bench",
        kafka={"bootstrap_servers": bootstrap, "partitions": 1},
        topics={
            "raw": f"{app_id}.raw",
            "articles": f"{app_id}.articles",
            "latest": f"{app_id}.latest",
            "dlq": f"{app_id}.dlq",
        },
        http={"allow_hosts": [f"{host}:{port}" for host in HOSTS]},
        poller={"full_text_min_chars": 0, "host_interval_s": 0, "adaptive": False, "concurrency": concurrency},
        feeds=[{"name": f"f{n}", "url": f"http://{HOSTS[n % len(HOSTS)]}:{port}/f/{n}.xml"} for n in range(feeds)],
    )
    ensure_topics(settings)
    try:
        with ExitStack() as stack:
            state = StateTable(settings.kafka, settings.feed_state_topic)
            state.restore()
            stack.callback(state.close)
            producer = TransactionalProducer(settings.kafka, f"{app_id}.poller.bench")
            stack.callback(producer.close)
            stop = threading.Event()
            fetcher = polite_fetcher(settings, stop)
            stack.callback(fetcher.close)
            parser = BoundedRunner(
                timeout_s=10,
                memory_bytes=1024 * 2**20,
                preload=["ingest.feeds"],
                children=settings.poller.parse_processes,
            )
            stack.callback(parser.close)
            health = Health(600)
            health.register("poller")
            poller = Poller(
                settings,
                fetcher=fetcher,
                parser=parser,
                producer=producer,
                state=state,
                metrics=Metrics(),
                health=health,
                stop=stop,
            )
            poller.poll_all()  # primes every feed's validators
            unchanged = [feed for n, feed in enumerate(settings.feeds) if n % 5]
            changed = [feed for n, feed in enumerate(settings.feeds) if not n % 5]
            # The measured pass: every feed once, both kinds mixed as they come.
            wall = time.monotonic()
            outcomes = poller.poll_many(list(settings.feeds))
            poller.flush()
            wall = time.monotonic() - wall
            # Then each kind alone, for its CPU cost.
            cpu_304, wall_304 = time.process_time(), time.monotonic()
            poller.poll_many(unchanged)
            poller.flush()
            cpu_304, wall_304 = time.process_time() - cpu_304, time.monotonic() - wall_304
            cpu_changed, wall_changed = time.process_time(), time.monotonic()
            poller.poll_many(changed)
            poller.flush()
            cpu_changed, wall_changed = time.process_time() - cpu_changed, time.monotonic() - wall_changed
            # Under the profiler, the same polls in one thread (cProfile sees only its own): where the CPU goes.
            profiler = cProfile.Profile()
            sample = unchanged[:400] + changed[:100]
            profiler.runcall(lambda: [poller.poll_feed(feed) for feed in sample] and poller.flush())
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(22)
    finally:
        server.terminate()
    assert outcomes.count("not_modified") == len(unchanged) and outcomes.count("changed") == len(changed), outcomes[:5]
    return {
        "feeds": feeds,
        "polls_per_s": feeds / wall,
        "cpu_ms_per_304_poll": cpu_304 / len(unchanged) * 1000,
        "cpu_ms_per_changed_poll": cpu_changed / len(changed) * 1000,
        "wall_ms_per_304_poll": wall_304 / len(unchanged) * 1000,
        "wall_ms_per_changed_poll": wall_changed / len(changed) * 1000,
        "concurrency": settings.poller.concurrency,
        "parse_processes": settings.poller.parse_processes,
        "profile": text.getvalue(),
    }

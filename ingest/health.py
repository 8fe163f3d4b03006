"""/metrics, /healthz, /readyz and /startupz on one small HTTP server.

Liveness is "every main loop made progress recently", never a broker check: a broker outage must make pods
not-ready, not restart them all. Readiness is "every role restored its state, is connected and holds work".
Startup (/startupz) is "every role has restored its state once": a startup probe on it gives a large state the
time it needs before liveness applies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingest.config import ServerSettings
from ingest.endpoints import BoundedServer, QuietHandler
from ingest.metrics import Metrics


class Health:
    """Heartbeats and readiness flags that the roles set and the probes read."""

    def __init__(self, liveness_timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = liveness_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._beats: dict[str, float] = {}
        self._ready: dict[str, bool] = {}
        self._started: dict[str, bool] = {}

    def register(self, role: str) -> None:
        with self._lock:
            self._beats[role] = self._clock()
            self._ready[role] = False
            self._started[role] = False

    def set_started(self, role: str) -> None:
        with self._lock:
            self._started[role] = True

    def beat(self, role: str) -> None:
        with self._lock:
            self._beats[role] = self._clock()

    def set_ready(self, role: str, ready: bool) -> None:
        with self._lock:
            self._ready[role] = ready

    def live(self) -> tuple[bool, dict[str, float]]:
        now = self._clock()
        with self._lock:
            ages = {role: round(now - beat, 1) for role, beat in self._beats.items()}
        return all(age <= self._timeout for age in ages.values()), ages

    def ready(self) -> tuple[bool, dict[str, bool]]:
        with self._lock:
            flags = dict(self._ready)
        return bool(flags) and all(flags.values()), flags

    def started(self) -> tuple[bool, dict[str, bool]]:
        with self._lock:
            flags = dict(self._started)
        return bool(flags) and all(flags.values()), flags


class HealthServer:
    def __init__(self, settings: ServerSettings, health: Health, metrics: Metrics) -> None:
        handler = _handler_for(health, metrics)
        self._server = BoundedServer((settings.host, settings.port), handler, setting="server.port")
        self._thread = threading.Thread(target=self._server.serve_forever, name="health-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(health: Health, metrics: Metrics) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self.answer(200, generate_latest(metrics.registry), {"Content-Type": CONTENT_TYPE_LATEST})
            elif self.path == "/healthz":
                ok, ages = health.live()
                self._json(ok, {"live": ok, "seconds_since_progress": ages})
            elif self.path == "/readyz":
                ok, flags = health.ready()
                self._json(ok, {"ready": ok, "roles": flags})
            elif self.path == "/startupz":
                ok, flags = health.started()
                self._json(ok, {"started": ok, "roles": flags})
            else:
                self.answer(404, b"not found\n", {"Content-Type": "text/plain"})

        def _json(self, ok: bool, body: dict[str, object]) -> None:
            self.answer(200 if ok else 503, json.dumps(body).encode(), {"Content-Type": "application/json"})

    return Handler

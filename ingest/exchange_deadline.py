"""One deadline for a whole HTTP exchange, enforced by shutting the connection's socket down.

A read timeout bounds each read, not the exchange: a server answering every read in time (1xx forever, headers a
byte at a time, endless chunked trailers, a compressed stream that decodes to nothing) holds a fetch for as long
as it likes, and a thread cannot be stopped from outside. So each exchange registers its connections here, and one
reaper thread shuts their sockets down at the deadline: whatever the reading thread was blocked in returns with an
error, which the fetch path reports as `TimedOut`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from types import TracebackType
from typing import Any


class Exchange:
    """The deadline of one exchange, current in its thread while the `with` block runs."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._over = False
        self._expired = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self._expired or self.remaining() <= 0

    def watch(self, connection: Any) -> None:
        """Shut `connection`'s socket down if the exchange is still running at its deadline."""
        with self._lock:
            if not any(known is connection for known in self._connections):
                self._connections.append(connection)

    def __enter__(self) -> Exchange:
        _local.exchange = self
        _REAPER.add(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            self._over = True
            self._connections.clear()
        _local.exchange = _UNBOUNDED

    def reap(self) -> None:
        with self._lock:
            if self._over:
                return
            self._expired = True
            for connection in self._connections:
                sock = getattr(connection, "sock", None)
                if isinstance(sock, socket.socket):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)


class _Unbounded(Exchange):
    """Outside any exchange (a connection used directly): nothing is watched."""

    def watch(self, connection: Any) -> None:
        return None


_UNBOUNDED = _Unbounded(float("inf"))


class _Local(threading.local):
    exchange: Exchange = _UNBOUNDED


_local = _Local()


def current_exchange() -> Exchange:
    return _local.exchange


class _Reaper:
    """One daemon thread for every exchange of the process: a heap of deadlines."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, exchange: Exchange) -> None:
        with self._wake:
            heapq.heappush(self._heap, (exchange.deadline, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="exchange-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is exchange:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, exchange = heapq.heappop(self._heap)
            exchange.reap()


_REAPER = _Reaper()

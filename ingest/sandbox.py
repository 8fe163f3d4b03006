"""Run a parse of untrusted bytes in a child process, with a memory ceiling and a deadline.

feedparser runs in pure Python and falls back to a loose parser that can be made to use time and memory out of
proportion to its input. In a child process both are bounded: an address-space limit turns a blow-up into a
MemoryError, and a deadline ends a parse that takes too long by terminating the child (a thread cannot be
stopped). The child is started with "spawn", never forked from a process full of threads and sockets.
"""

from __future__ import annotations

import importlib
import multiprocessing
import queue
import resource
from collections.abc import Callable, Sequence
from multiprocessing.pool import Pool
from typing import Any, TypeVar

T = TypeVar("T")


class OutOfBounds(Exception):
    """The parse used more memory or time than allowed."""

    @property
    def reason(self) -> str:
        return type(self).__name__


def _prepare(memory_bytes: int, modules: Sequence[str]) -> None:
    for module in modules:  # imported before the ceiling is set, and before any deadline runs
        importlib.import_module(module)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _ready() -> bool:
    return True


class BoundedRunner:
    """Calls a module-level function in a child process: `children` calls at once, from as many threads.

    Each call borrows one child for its duration, so a child ended for overrunning its deadline ends only that call.
    """

    def __init__(self, *, timeout_s: float, memory_bytes: int, preload: Sequence[str] = (), children: int = 1) -> None:
        self._timeout_s = timeout_s
        self._memory_bytes = memory_bytes
        self._preload = tuple(preload)
        self._children = [_Child() for _ in range(children)]
        self._idle: queue.Queue[_Child] = queue.Queue()
        for child in self._children:
            self._idle.put(child)

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        child = self._idle.get()
        try:
            pool = child.pool or child.start(self._memory_bytes, self._preload)
            pending = pool.apply_async(function, args, kwargs)
            try:
                return pending.get(timeout=self._timeout_s)
            except multiprocessing.TimeoutError:
                child.close()  # the only way to stop the parse: end the child; its next call starts a new one
                raise OutOfBounds(f"the parse took longer than {self._timeout_s:g} s") from None
            except MemoryError:
                raise OutOfBounds(f"the parse needed more than {self._memory_bytes // 2**20} MiB") from None
        finally:
            self._idle.put(child)

    def close(self) -> None:
        for child in self._children:
            child.close()


class _Child:
    """One child process (a pool of one, started on first use)."""

    def __init__(self) -> None:
        self.pool: Pool | None = None

    def start(self, memory_bytes: int, preload: tuple[str, ...]) -> Pool:
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(1, initializer=_prepare, initargs=(memory_bytes, preload))
        pool.apply(_ready)  # wait for the child to be up: its start-up is not part of any parse's deadline
        self.pool = pool
        return pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

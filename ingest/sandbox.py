"""Run work on untrusted bytes in child processes we own, with a memory ceiling and a deadline.

feedparser runs in pure Python and falls back to a loose parser that can be made to use time and memory out of
proportion to its input; extraction can be quadratic on some pages. In a child process both are bounded: an
address-space limit turns a blow-up into a MemoryError, and a deadline ends work that takes too long by killing
the child (a thread cannot be stopped).

The children are ours, not a `multiprocessing.Pool`'s: a pool's `terminate()` can wait forever once one of its
workers was killed (it waits for a queue lock the dead worker held), which is what a SIGTERM to the whole process
group did. Here each child is one process and one pipe:
- it ignores SIGINT and SIGTERM, so a signal to the process group reaches the parent, which stops them in order;
- it exits by itself when the parent dies (a lifeline pipe that only the parent holds open), even by SIGKILL;
- a child that dies under a call (killed, out of memory) fails that call only, and the next call starts another;
- `close()` ends every child within a deadline: the pipe is closed, then SIGKILL, then reaped;
- a runner never closed is closed as the interpreter exits: multiprocessing's own exit handler sends its daemonic
  children SIGTERM, which ours ignore, and then waits for them forever.
Children are started with "spawn", never forked from a process full of threads and sockets.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from processors.errors import Interrupted, NewsIngestError, Unexpected

T = TypeVar("T")
log = logging.getLogger(__name__)

_STOP_GRACE_S = 1.0


class OutOfBounds(NewsIngestError):
    """The work used more memory or time than allowed (`overran`: time), or its child process died under it."""

    kind = "parse"

    def __init__(self, message: str, *, overran: bool = False) -> None:
        super().__init__(message)
        self.overran = overran


class ChildUnavailable(NewsIngestError):
    """A child process died as it started (its imports or warm-up failed): no call could run, the worker ends."""


class Stopped(Interrupted):
    """The runner was closed (the worker is stopping) while the call waited or ran."""


def _child_main(
    requests: Connection, lifeline: Connection, memory_bytes: int, modules: Sequence[str], warm_up: str | None
) -> None:
    """The child's loop: answer calls until the parent closes the pipe or dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    for module in modules:  # imported before the ceiling is set, and before any deadline runs
        importlib.import_module(module)
    if warm_up:  # "module:function", run once before the first call's deadline starts
        module, _, name = warm_up.partition(":")
        getattr(importlib.import_module(module), name)()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    requests.send(("ready", None))
    while True:
        try:
            function, args, kwargs = requests.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            answer: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except Exception as error:
            answer = ("error", error)
        try:
            requests.send(answer)
        except OSError:
            # The parent gave up on this call (past its deadline) and closed the pipe: exit quietly, not with a
            # traceback on the stderr the worker shares with its JSON logs.
            os._exit(0)
        except Exception as unpicklable:  # an exception or result that does not pickle
            requests.send(("error", Unexpected(unpicklable if answer[0] == "ok" else answer[1])))


def _exit_with_parent(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os._exit(1)


class BoundedRunner:
    """Calls a module-level function in a child process: `children` calls at once, from as many threads.

    Each call borrows one child for its duration, so a child ended for overrunning its deadline ends only that call.
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        memory_bytes: int,
        preload: Sequence[str] = (),
        children: int = 1,
        work: str = "parse",
        warm_up: str | None = None,
    ) -> None:
        """`warm_up`: "module:function" each child runs once when it starts (not part of any call's deadline)."""
        self._work = work
        self._warm_up = warm_up
        self._timeout_s = timeout_s
        self._memory_bytes = memory_bytes
        self._preload = tuple(preload)
        self._children = [_Child() for _ in range(children)]
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._closed = threading.Event()
        for child in self._children:
            self._idle.put(child)
        # Registered after multiprocessing's handler, so run before it (atexit runs last-registered first).
        self._at_exit = _close_at_exit(weakref.ref(self))
        atexit.register(self._at_exit)

    def start(self) -> None:
        """Start every child now (imports and warm-up included), not on its first call: a role calls this before it
        reports itself started, so that its first pages do not pay for a process start."""
        for _ in self._children:
            child = self._borrow()
            try:
                self._ensure_started(child)
            except _Died as died:
                child.close()
                raise ChildUnavailable(f"the {self._work} child process died as it started ({died})") from None
            finally:
                self._idle.put(child)

    def _ensure_started(self, child: _Child) -> None:
        if child.process is None:
            child.start(self._memory_bytes, self._preload, self._warm_up, self._closed)

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        child = self._borrow()
        try:
            self._ensure_started(child)
            child.send((function, args, kwargs))
            status, value = child.answer(self._timeout_s, self._closed)
        except _Overran:
            child.close()  # the only way to stop the work: end the child; its next call starts a new one
            raise OutOfBounds(f"the {self._work} took longer than {self._timeout_s:g} s", overran=True) from None
        except _Died as died:
            child.close()
            if self._closed.is_set():
                raise Stopped("the worker is stopping") from None
            raise OutOfBounds(f"the child process died under the {self._work} ({died})") from None
        finally:
            self._idle.put(child)
        if status == "ok":
            return value  # type: ignore[no-any-return]
        if isinstance(value, MemoryError):
            raise OutOfBounds(f"the {self._work} needed more than {self._memory_bytes // 2**20} MiB") from None
        raise value

    def _borrow(self) -> _Child:
        while True:
            if self._closed.is_set():
                raise Stopped("the worker is stopping")
            try:
                return self._idle.get(timeout=0.2)
            except queue.Empty:
                continue

    def close(self) -> None:
        """End every child (within about two seconds each), whatever it is doing; calls under way raise Stopped."""
        self._closed.set()
        atexit.unregister(self._at_exit)
        for child in self._children:
            child.close()


def _close_at_exit(runner: weakref.ref[BoundedRunner]) -> Callable[[], None]:
    def close() -> None:
        alive = runner()
        if alive is not None:
            alive.close()

    return close


class _Overran(Exception):
    pass


class _Died(Exception):
    pass


class _Child:
    """One child process and its pipe, started on first use."""

    def __init__(self) -> None:
        self.process: BaseProcess | None = None
        self._requests: Connection | None = None
        self._lifeline: Connection | None = None
        self._lock = threading.Lock()

    def start(self, memory_bytes: int, preload: tuple[str, ...], warm_up: str | None, closed: threading.Event) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        lifeline_read, lifeline_write = context.Pipe(duplex=False)
        process = context.Process(
            target=_child_main,
            args=(theirs, lifeline_read, memory_bytes, preload, warm_up),
            name="sandbox",
            daemon=True,
        )
        with self._lock:
            process.start()
            self.process, self._requests, self._lifeline = process, ours, lifeline_write
        theirs.close()
        lifeline_read.close()
        # Wait for the child to be up: its start-up is not part of any call's deadline.
        self.answer(None, closed)

    def send(self, request: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]) -> None:
        assert self._requests is not None
        try:
            self._requests.send(request)
        except (OSError, EOFError) as error:
            raise _Died(self._exit_description()) from error

    def answer(self, timeout_s: float | None, closed: threading.Event) -> tuple[str, Any]:
        """The child's answer; _Overran after `timeout_s`, _Died when it died or the runner was closed."""
        requests = self._requests
        assert requests is not None
        started = time.monotonic()
        while True:
            wait = 0.1 if timeout_s is None else max(0.0, min(0.1, started + timeout_s - time.monotonic()))
            try:
                if requests.poll(wait):
                    result: tuple[str, Any] = requests.recv()
                    return result
            except (OSError, EOFError, ValueError) as error:  # ValueError: the pipe was closed by close()
                raise _Died(self._exit_description()) from error
            if closed.is_set() or (self.process is not None and not self.process.is_alive()):
                raise _Died(self._exit_description())
            if timeout_s is not None and time.monotonic() - started >= timeout_s:
                raise _Overran

    def _exit_description(self) -> str:
        if self.process is not None:
            self.process.join(_STOP_GRACE_S)  # its pipe closed as it died: let it be reaped to read why
        code = self.process.exitcode if self.process is not None else None
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}" if code is not None else "it stopped answering"

    def close(self) -> None:
        with self._lock:
            process, requests, lifeline = self.process, self._requests, self._lifeline
            self.process = self._requests = self._lifeline = None
        for connection in (requests, lifeline):
            if connection is not None:
                connection.close()
        if process is None:
            return
        process.join(_STOP_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join(_STOP_GRACE_S)
        if process.is_alive():
            log.warning("a sandbox child did not end after SIGKILL", extra={"pid": process.pid})

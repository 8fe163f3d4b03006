"""The bounded runner, on real child processes (no broker involved)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingest.sandbox import BoundedRunner, OutOfBounds
from tests.unit import bounded_work


@pytest.fixture
def runner() -> Iterator[BoundedRunner]:
    bounded = BoundedRunner(timeout_s=5, memory_bytes=600 * 2**20)
    yield bounded
    bounded.close()


def test_results_and_exceptions_come_back(runner: BoundedRunner) -> None:
    assert runner.run(bounded_work.allocate, 10) == 10 * 2**20
    with pytest.raises(ValueError, match="bad input"):
        runner.run(bounded_work.fail)


def test_a_blow_up_meets_the_memory_ceiling_and_the_runner_goes_on(runner: BoundedRunner) -> None:
    with pytest.raises(OutOfBounds, match="more than 600 MiB"):
        runner.run(bounded_work.allocate, 2000)
    assert runner.run(bounded_work.allocate, 1) == 2**20


def test_a_parse_past_its_deadline_is_ended() -> None:
    # Preloading heavy modules takes longer than the deadline: start-up must not count against it.
    runner = BoundedRunner(timeout_s=1, memory_bytes=600 * 2**20, preload=["ingest.feeds", "trafilatura"])
    try:
        with pytest.raises(OutOfBounds, match="longer than 1 s"):
            runner.run(bounded_work.sleep, 30)
        assert runner.run(bounded_work.sleep, 0) == "woke"
    finally:
        runner.close()


def test_calls_from_several_threads_run_in_their_own_children() -> None:
    runner = BoundedRunner(timeout_s=3, memory_bytes=600 * 2**20, children=2)
    try:
        with ThreadPoolExecutor(2) as threads:
            overrun = threads.submit(runner.run, bounded_work.sleep, 30)
            quick = threads.submit(runner.run, bounded_work.sleep, 0)
            # The overrunning call ends its own child only: the other call, running beside it, is answered.
            assert quick.result() == "woke"
            assert not overrun.done()
            with pytest.raises(OutOfBounds, match="longer than 3 s"):
                overrun.result()
        assert runner.run(bounded_work.sleep, 0) == "woke"
    finally:
        runner.close()


def test_a_child_that_dies_under_a_call_fails_that_call_only(runner: BoundedRunner) -> None:
    with pytest.raises(OutOfBounds, match=r"died under the parse \(killed by SIGKILL"):
        runner.run(bounded_work.die)
    assert runner.run(bounded_work.sleep, 0) == "woke"


def test_children_ignore_a_group_sigterm_and_close_ends_them(runner: BoundedRunner) -> None:
    import os
    import signal
    import time

    child = runner.run(bounded_work.pid)
    os.kill(child, signal.SIGTERM)  # what a signal to the whole process group does to a child
    os.kill(child, signal.SIGINT)
    assert runner.run(bounded_work.pid) == child  # the same child, still answering
    started = time.monotonic()
    runner.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_a_closed_runner_stops_the_call_under_way() -> None:
    from processors.errors import NewsIngestError

    runner = BoundedRunner(timeout_s=60, memory_bytes=600 * 2**20)
    with ThreadPoolExecutor(1) as threads:
        runner.run(bounded_work.sleep, 0)
        pending = threads.submit(runner.run, bounded_work.sleep, 60)
        import time

        time.sleep(0.5)
        runner.close()
        with pytest.raises(NewsIngestError, match="stopping"):
            pending.result(timeout=10)


def test_a_process_that_never_closes_its_runner_still_exits() -> None:
    """The interpreter's exit closes the runner (multiprocessing alone would wait forever for the children)."""
    import os
    import subprocess
    import sys

    script = (
        "from ingest.sandbox import BoundedRunner\n"
        "from tests.unit import bounded_work\n"
        "runner = BoundedRunner(timeout_s=10, memory_bytes=600 * 2**20)\n"
        "print(runner.run(bounded_work.pid), flush=True)\n"
        "raise SystemExit(7)\n"
    )
    ended = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert ended.returncode == 7, ended.stderr
    with pytest.raises(ProcessLookupError):
        os.kill(int(ended.stdout), 0)


def test_started_children_answer_their_first_call_without_starting() -> None:
    runner = BoundedRunner(timeout_s=10, memory_bytes=600 * 2**20, children=2)
    try:
        runner.start()
        started = {child.process.pid for child in runner._children if child.process is not None}
        assert len(started) == 2
        assert runner.run(bounded_work.pid) in started
    finally:
        runner.close()


def test_a_child_that_cannot_start_ends_the_start_with_our_error() -> None:
    from ingest.sandbox import ChildUnavailable

    runner = BoundedRunner(timeout_s=10, memory_bytes=600 * 2**20, preload=["tests.unit.no_such_module"])
    try:
        with pytest.raises(ChildUnavailable, match="died as it started"):
            runner.start()
    finally:
        runner.close()

"""Module-level functions a spawned child can import, for the sandbox tests."""

import time


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 2**20))


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def fail() -> None:
    raise ValueError("bad input")


def die() -> None:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def pid() -> int:
    import os

    return os.getpid()

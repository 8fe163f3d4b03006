"""Structured logs: one JSON object per line, with the ids passed as `extra` (feed, story_id, ...).

Every record passes `Redacting` on its way out: credentials in any URL it mentions (`https://user:pass@host/`) are
replaced, whatever logged them (our code, a library, a traceback). The fields that carry URLs are redacted where
they are made too; this is the net under them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from processors.untrusted import redact

_STANDARD_FIELDS = set(vars(logging.makeLogRecord({})))


class Redacting(logging.Filter):
    """Replaces URL credentials in a record's message and its extra fields (`_JsonLines`: its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_FIELDS and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class _JsonLines(JsonFormatter):
    def formatException(self, ei: Any) -> str:  # noqa: N802  # the logging module's name
        return redact(str(super().formatException(ei)))


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """Route every logger (ours and the libraries') to JSON lines on `stream` (stderr); quiet the Kafka client."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(Redacting())
    handler.setFormatter(
        _JsonLines(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger", "message": "event"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every reconnect attempt at WARNING/ERROR; our own lines say what matters.
    logging.getLogger("kafka").setLevel(logging.CRITICAL if level != "DEBUG" else logging.INFO)
    for noisy in ("trafilatura", "htmldate", "courlan", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

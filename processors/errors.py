"""Typed rejections: a stage that cannot turn its input into output raises one of these.

The class name is the dead-letter `reason`; `stage` says where it happened. Anything else a stage raises is a bug,
not bad input, and is treated as such by the worker.
"""

from __future__ import annotations

from typing import ClassVar

from processors.records import Stage


class Rejected(Exception):
    """Input that can never be processed as it is: it goes to the dead-letter topic, with this reason."""

    stage: ClassVar[Stage]

    @property
    def reason(self) -> str:
        return type(self).__name__


class BadRecord(Rejected):
    """A record on the raw topic that is not a valid RawDocument."""

    stage = "decode"


class NotHtml(Rejected):
    """The document is not an HTML page."""

    stage = "extract"


class EmptyText(Rejected):
    """Extraction found no article text in the page."""

    stage = "extract"

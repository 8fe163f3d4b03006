"""The one root of the project's errors, and the typed rejections of the pure stages.

Every error we raise for bad input or a failed exchange derives from `NewsIngestError` (as httpx's errors derive
from one `HTTPError`): its class name is the dead-letter `reason`, and its class says the coarse `failure_class`
operators count and alert on. Anything else that escapes a feed's or a page's handling is a bug or an input we did
not foresee; the boundaries that contain it wrap it as `Unexpected`, keeping the original class in the detail.
"""

from __future__ import annotations

from typing import ClassVar

from processors.records import Stage


class NewsIngestError(Exception):
    """Root of our errors. `kind` is the failure class of every instance of the class."""

    kind: ClassVar[str] = "internal"

    @property
    def reason(self) -> str:
        return type(self).__name__

    @property
    def failure_class(self) -> str:
        """The coarse class counted per feed (dns, tls, timeout, http_4xx, parse, ...)."""
        return self.kind


class Unexpected(NewsIngestError):
    """An exception that is not ours, caught at the boundary of one feed or one page so that it costs only that."""

    kind = "internal"

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {str(error)[:300]}")
        self.error_class = type(error).__name__


class Interrupted(NewsIngestError):
    """The worker is stopping: the work under way is not a failure of its input, and is done again after restart."""

    kind = "stopped"


class Rejected(NewsIngestError):
    """Input that can never be processed as it is: it goes to the dead-letter topic, with this reason."""

    kind = "rejected"
    stage: ClassVar[Stage]


class BadRecord(Rejected):
    """A record on the raw topic that is not a valid RawDocument."""

    stage = "decode"


class NotHtml(Rejected):
    """The document is not an HTML page."""

    stage = "extract"


class EmptyText(Rejected):
    """Extraction found no article text in the page."""

    stage = "extract"


class ExtractionTimeout(Rejected):
    """Extraction of the page took longer than `processor.extract_timeout_s`; the work was stopped."""

    stage = "extract"


class ExtractionOutOfBounds(Rejected):
    """Extraction of the page needed more memory than `processor.extract_memory_mb`, or its process died."""

    stage = "extract"

"""`news-ingest backfill`: saved pages (WARC files, or a folder of .html files) through the same processors.

Each page becomes a raw document with `source: backfill`, published to the raw topic like a live one, so the same
extraction, language and dedupe apply; the articles it yields carry `backfill: true` (and go to `topics.backfill`
when one is set), so live consumers are not surprised by old stories.

Resumable: pages are read in a fixed order (files sorted, records in file order) and published in chunks; each
chunk's transaction also records, in `<app_id>.backfill-state`, how many pages of that source are done. A backfill
killed at any moment starts again after the last committed chunk: no page is skipped or sent twice.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from tqdm import tqdm
from trafilatura.utils import decode_file
from warcio.archiveiterator import ArchiveIterator

from ingest.config import Settings
from ingest.kafka import TransactionalProducer
from ingest.pages import entry_key
from ingest.state import StateTable
from processors.records import FeedEntry, FeedRef, RawDocument

log = logging.getLogger(__name__)

CHUNK = 50


@dataclass(frozen=True)
class SavedPage:
    id: str
    url: str | None
    html: bytes
    content_type: str | None
    saved_at: datetime | None


@dataclass(frozen=True)
class Source:
    """One WARC file or one folder: an ordered sequence of saved pages, known by its absolute path."""

    path: Path

    @property
    def key(self) -> str:
        return str(self.path.resolve())

    def pages(self) -> Iterator[SavedPage]:
        return _folder_pages(self.path) if self.path.is_dir() else _warc_pages(self.path)

    def count(self) -> int:
        return sum(1 for _ in self.pages())


def _folder_pages(folder: Path) -> Iterator[SavedPage]:
    for path in sorted(folder.rglob("*.htm*")):
        if path.is_file():
            relative = path.relative_to(folder).as_posix()
            saved = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            yield SavedPage(id=relative, url=None, html=path.read_bytes(), content_type=None, saved_at=saved)


def _warc_pages(path: Path) -> Iterator[SavedPage]:
    """HTML responses with status 200 of a WARC (gzipped or not), in file order."""
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            if record.http_headers.get_statuscode() != "200" or "html" not in content_type.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            saved = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else None
            record_id = record.rec_headers.get_header("WARC-Record-ID") or url
            yield SavedPage(
                id=record_id, url=url, html=record.content_stream().read(), content_type=content_type, saved_at=saved
            )


@dataclass
class BackfillReport:
    sources: int = 0
    pages: int = 0
    published: int = 0
    skipped_as_done: int = 0


class Backfill:
    def __init__(self, settings: Settings, *, producer: TransactionalProducer, state: StateTable) -> None:
        self._settings = settings
        self._producer = producer
        self._state = state

    def run(self, sources: Iterable[Source], *, chunk: int = CHUNK, progress: bool = True) -> BackfillReport:
        sources = list(sources)
        report = BackfillReport(sources=len(sources))
        counts = {source.key: source.count() for source in sources}
        report.pages = sum(counts.values())
        done = {source.key: int((self._state.get(source.key) or {}).get("done", 0)) for source in sources}
        report.skipped_as_done = sum(min(done[key], counts[key]) for key in counts)
        if report.skipped_as_done:
            log.info("resuming backfill", extra={"done": done})
        with tqdm(
            total=report.pages,
            initial=report.skipped_as_done,
            unit="page",
            desc="backfill",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        ) as bar:
            for source in sources:
                pages = islice(source.pages(), done[source.key], None)
                while batch := list(islice(pages, chunk)):
                    done[source.key] += len(batch)
                    self._publish(source, batch, done[source.key])
                    report.published += len(batch)
                    bar.update(len(batch))
        log.info("backfill done", extra=report.__dict__)
        return report

    def _publish(self, source: Source, batch: list[SavedPage], done: int) -> None:
        """One chunk of raw documents and the source's new position: one transaction."""
        feed = FeedRef(name=f"backfill:{source.path.name}", url=source.path.resolve().as_uri())
        self._state.stage({source.key: {"done": done}})
        with self._state.transaction(self._producer) as tx:
            for page in batch:
                document = _raw_document(feed, page)
                tx.send(self._settings.topics.raw, entry_key(feed.url, document.entry), document.to_json_bytes())


def _raw_document(feed: FeedRef, page: SavedPage) -> RawDocument:
    saved_at = page.saved_at or datetime.now(UTC)
    return RawDocument(
        feed=feed,
        entry=FeedEntry(
            id=page.id,
            url=page.url,
            title=None,
            summary=None,
            authors=[],
            published_at=None,
            updated_at=None,
            language=None,
        ),
        source="backfill",
        url=page.url,
        html=_text(page.html),
        content_type=page.content_type or "text/html",
        content_language=None,
        fetched_at=saved_at,
    )


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return str(decode_file(body))

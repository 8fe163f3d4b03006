"""The embedded default of `make run`: bundled demo feeds served from loopback, and a readable view of the output.

`SiteServer` serves a folder like a small news site would: ETag and Last-Modified with 304 answers, so conditional
GET is exercised for real. A file `X.next` beside `X` is a later version of `X`: served instead of `X` once `X` has
been served (auto_advance, for the demo) or after `advance()` (for tests that control time). In text files,
`@BASE_URL@` stands for the server's own address, so the same files serve on any port.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

from ingest.config import KafkaSettings
from ingest.endpoints import BoundedServer, QuietHandler
from ingest.kafka import partitions_of, reading_consumer
from processors.records import Article

_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}


class SiteServer:
    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 0, auto_advance: bool = False) -> None:
        self.root = root.resolve()
        self.auto_advance = auto_advance
        self._advanced: set[str] = set()
        self._lock = threading.Lock()
        self._server = BoundedServer((host, port), _handler_for(self), setting="demo --port")
        self._thread = threading.Thread(target=self._server.serve_forever, name="site-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def advance(self) -> None:
        """From now on, serve every `X.next` in place of `X`."""
        with self._lock:
            self._advanced.update(str(p.with_suffix("")) for p in self.root.rglob("*.next"))

    def resolve(self, url_path: str) -> Path | None:
        """The file to serve for `url_path` now, or None."""
        relative = url_path.split("?", maxsplit=1)[0].lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        later = path.with_name(path.name + ".next")
        with self._lock:
            serve_later = str(path) in self._advanced and later.is_file()
            if self.auto_advance and later.is_file():
                self._advanced.add(str(path))
        return later if serve_later else path


def _handler_for(site: SiteServer) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            path = site.resolve(self.path)
            if path is None:
                self.answer(404, b"not found\n", {"Content-Type": "text/plain"})
                return
            body = path.read_bytes().replace(b"@BASE_URL@", site.base_url.encode())
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            modified = formatdate(path.stat().st_mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag:
                self.answer(304, b"", {"ETag": etag, "Last-Modified": modified})
                return
            stem = path.name.removesuffix(".next")
            content_type = _TYPES.get(Path(stem).suffix, mimetypes.guess_type(stem)[0] or "application/octet-stream")
            self.answer(200, body, {"Content-Type": content_type, "ETag": etag, "Last-Modified": modified})

    return Handler


def follow_articles(kafka: KafkaSettings, topic: str, stop: threading.Event, show: Callable[[Article], None]) -> None:
    """Call `show` for every committed article on `topic`, from the start, until `stop` is set."""
    consumer = reading_consumer(kafka, auto_offset_reset="earliest")
    try:
        partitions = partitions_of(consumer, topic, kafka)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    show(Article.model_validate_json(record.value))
    finally:
        consumer.close()


def describe(article: Article) -> str:
    """One readable line per published version; a second for a revision (what it revises, its note), a copy or a
    translation (the story it copies or translates)."""
    source = ", ".join(filter(None, [article.feed.name, article.agency]))
    line = (
        f"v{article.version:<2} {article.language:>3} {article.language_confidence:4.2f}  "
        f"{(article.title or '(no title)')[:90]}  [{source}]"
    )
    if article.revision_of:
        note = f"; note: {article.update_note[:80]}..." if article.update_note else ""
        line += f"\n       revises {article.revision_of}{note}"
    elif article.duplicate_of:
        line += f"\n       copy of {article.duplicate_of}"
    elif article.translation_of:
        line += f"\n       translation of {article.translation_of}"
    return line

"""Backfill sources: WARC responses and saved folders, read in a fixed order (what makes resuming exact)."""

from __future__ import annotations

from pathlib import Path

from ingest.backfill import Source, _raw_document
from processors.records import FeedRef


def test_a_warc_yields_its_html_responses_with_url_and_date_in_file_order(fixtures: Path) -> None:
    source = Source(fixtures / "backfill" / "saved-site.warc.gz")
    pages = list(source.pages())
    assert [page.url for page in pages] == [f"https://archive.example/news/story-{n}" for n in range(10)]
    assert all(page.saved_at is not None and page.saved_at.year == 2024 for page in pages)
    assert source.count() == 10 and list(source.pages()) == pages


def test_a_folder_yields_its_html_files_sorted_by_path(tmp_path: Path) -> None:
    for name in ("b/2.html", "a/10.htm", "a/1.html", "notes.txt"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body>{name}</body></html>", encoding="utf-8")
    assert [page.id for page in Source(tmp_path).pages()] == ["a/1.html", "a/10.htm", "b/2.html"]


def test_saved_pages_become_raw_documents_marked_backfill(fixtures: Path) -> None:
    page = next(Source(fixtures / "backfill" / "saved-site.warc.gz").pages())
    document = _raw_document(FeedRef(name="backfill:x", url="file:///x"), page)
    assert document.source == "backfill" and document.url == page.url and "<html" in document.html
    assert document.fetched_at == page.saved_at

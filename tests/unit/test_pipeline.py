from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from processors.dedupe import StoryIndex
from processors.language import LanguageDetector
from processors.pipeline import Publish, Skip, process_document
from processors.records import FeedEntry, FeedRef, RawDocument

NOW = datetime(2022, 9, 13, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def raw_page(html: str, *, url: str = "https://kabar.example/news/armenia") -> RawDocument:
    return RawDocument(
        feed=FeedRef(name="kabar", url="https://kabar.example/feed.xml"),
        entry=FeedEntry(
            id="kabar-armenia",
            url=url,
            title="Armenia dan Azerbaijan bentrok",
            summary=None,
            authors=["AFP"],
            published_at=datetime(2022, 9, 13, 1, 10, tzinfo=UTC),
            updated_at=None,
            language="id",
        ),
        source="page",
        url=url,
        html=html,
        content_type="text/html; charset=utf-8",
        content_language=None,
        fetched_at=NOW,
    )


def test_a_page_becomes_version_one_then_a_repeat_then_version_two(demo_site: Path, detector: LanguageDetector) -> None:
    state: dict[str, Any] = {}
    early = (demo_site / "news" / "armenia-azerbaijan-bentrok.html").read_text(encoding="utf-8")
    seed = (demo_site / "news" / "armenia-azerbaijan-bentrok.html.next").read_text(encoding="utf-8")

    first = process_document(raw_page(early), detector=detector, index=StoryIndex(state), now=NOW)
    assert isinstance(first, Publish)
    article = first.article
    assert (article.version, article.language, article.revision_of) == (1, "id", None)
    assert article.title == "Armenia dan Azerbaijan bentrok"
    assert article.first_seen_at == NOW and article.authors == ["AFP"]
    state.update(first.state_updates)

    again = process_document(raw_page(early), detector=detector, index=StoryIndex(state), now=NOW)
    assert isinstance(again, Skip)

    # Same URL with utm parameters: still the same story.
    tracked = raw_page(early, url="https://kabar.example/news/armenia?utm_source=rss")
    assert isinstance(process_document(tracked, detector=detector, index=StoryIndex(state), now=NOW), Skip)

    second = process_document(raw_page(seed), detector=detector, index=StoryIndex(state), now=NOW)
    assert isinstance(second, Publish)
    assert second.article.story_id == article.story_id
    assert second.article.version == 2
    assert second.article.revision_of == f"{article.story_id}-v1"
    assert second.article.first_seen_at == NOW
    assert second.article.language == "id"
    assert second.article.update_note is not None and second.article.update_note.startswith("Diperbarui pada pukul")
    assert "Diperbarui" not in second.article.text


def test_unexpected_errors_are_retried_a_bounded_number_of_times() -> None:
    from processors.errors import EmptyText
    from processors.pipeline import Failed, with_attempts

    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise KeyError("transient")
        return "done"

    seen: list[int] = []
    assert with_attempts(flaky, max_attempts=3, on_error=lambda _e, attempt: seen.append(attempt)) == "done"
    assert seen == [1]

    def broken() -> str:
        raise ZeroDivisionError("always")

    result = with_attempts(broken, max_attempts=3, on_error=lambda _e, _a: None)
    assert isinstance(result, Failed) and result.attempts == 3 and isinstance(result.error, ZeroDivisionError)

    def rejected() -> str:
        raise EmptyText("no text")

    with pytest.raises(EmptyText):  # bad input is not retried: it will never succeed
        with_attempts(rejected, max_attempts=3, on_error=lambda _e, _a: None)


def test_the_pages_author_heuristic_runs_only_when_the_feed_names_no_author(detector: LanguageDetector) -> None:
    from processors.extract import extract_article
    from processors.pipeline import extract_document

    page = (
        "<html><head><title>Storm</title></head><body><div class='author-name'>Jane Roe</div><article><p>"
        + "The storm closed every school in the valley on Tuesday, officials said. " * 4
        + "</p></article></body></html>"
    )
    asked: list[bool] = []

    def extract(html: str, **options: Any) -> Any:
        asked.append(options["find_authors"])
        return extract_article(html, **options)

    named = extract_document(raw_page(page), detector=detector, extract=extract)
    named_raw = raw_page(page)
    unnamed_raw = named_raw.model_copy(update={"entry": named_raw.entry.model_copy(update={"authors": []})})
    unnamed = extract_document(unnamed_raw, detector=detector, extract=extract)
    assert asked == [False, True]
    assert (named.authors, unnamed.authors) == (["AFP"], ["Jane Roe"])

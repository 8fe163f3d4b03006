"""The story-identity cases of tests/fixtures/stories, as pages and raw documents (unit and integration tests)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from processors.records import FeedEntry, FeedRef, RawDocument

STORIES = Path(__file__).resolve().parent / "fixtures" / "stories"
START = datetime(2022, 9, 13, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    number: int
    page: str
    site: str
    path: str
    expect: str  # new | nothing | revision | duplicate | translation
    round: int
    story: str | None = None
    of: str | None = None
    version: int | None = None
    why: str = ""

    @property
    def language(self) -> str:
        return self.page.split("-")[1]

    @property
    def url(self) -> str:
        return f"https://{self.site}{self.path}"

    @property
    def guid(self) -> str:
        return f"{self.site}{self.path}"

    @property
    def at(self) -> datetime:
        return START + timedelta(minutes=10 * self.number)

    def text(self) -> tuple[str, list[str]]:
        title, *paragraphs = (STORIES / f"{self.page}.txt").read_text(encoding="utf-8").splitlines()
        return title, paragraphs

    def html(self, url: str | None = None) -> str:
        """The page as a news site would serve it: navigation, the article, a footer."""
        title, paragraphs = self.text()
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return (
            f'<!DOCTYPE html><html lang="{self.language}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>"
            f'<link rel="canonical" href="{url or self.url}"></head><body>'
            f'<nav><a href="/">{self.site}</a> <a href="/world">World</a> <a href="/business">Business</a></nav>'
            f"<article><h1>{html.escape(title)}</h1>{body}</article>"
            f"<footer><p>Contact us. Terms of use.</p></footer></body></html>"
        )

    def raw_document(self) -> RawDocument:
        title, _ = self.text()
        return RawDocument(
            feed=FeedRef(name=self.site, url=f"https://{self.site}/feed.xml"),
            entry=FeedEntry(
                id=self.guid,
                url=self.url,
                title=title,
                summary=None,
                authors=[],
                published_at=self.at,
                updated_at=None,
                language=None,
            ),
            source="page",
            url=self.url,
            html=self.html(),
            content_type="text/html; charset=utf-8",
            content_language=None,
            fetched_at=self.at,
        )


def cases() -> list[Case]:
    pages = json.loads((STORIES / "cases.json").read_text(encoding="utf-8"))["pages"]
    return [Case(number=n, **page) for n, page in enumerate(pages)]


def kind_of(article: dict[str, Any] | None) -> str:
    """What the dedupe stage decided for a page, read from its article (None: nothing was published)."""
    if article is None:
        return "nothing"
    if article["version"] > 1:
        return "revision"
    if article["duplicate_of"]:
        return "duplicate"
    return "translation" if article["translation_of"] else "new"


def mismatches(results: list[tuple[Case, dict[str, Any] | None]]) -> list[str]:
    """How the published articles (one per case, in case order) differ from the labels; empty when all agree."""
    problems: list[str] = []
    first: dict[str, dict[str, Any]] = {}
    for case, article in results:
        kind = kind_of(article)
        label = f"{case.number} {case.page} at {case.url}"
        if kind != case.expect:
            problems.append(f"{label}: {kind}, expected {case.expect} ({case.why})")
            continue
        if article is None:
            continue
        if kind != "revision":
            first.setdefault(case.page, article)
        story = first.get(case.story or "", {}).get("story_id")
        original = first.get(case.of or "", {})
        checks = {
            "revision": article["story_id"] == story
            and article["version"] == case.version
            and article["revision_of"] == f"{story}-v{(case.version or 1) - 1}"
            and bool(article["changes"] and article["changes"]["paragraphs_added"] > 0),
            "duplicate": article["duplicate_of"] == original.get("story_id")
            and article["cluster_id"] == original.get("cluster_id")
            and article["translation_of"] is None,
            "translation": article["translation_of"] == original.get("story_id")
            and article["duplicate_of"] is None
            and article["language"] != original.get("language"),
            "new": article["cluster_id"] == article["story_id"] and article["version"] == 1,
        }
        if not checks[kind]:
            problems.append(f"{label}: {kind} with the wrong story or fields: {_summary(article)}")
    return problems


def _summary(article: dict[str, Any]) -> dict[str, Any]:
    keys = ("story_id", "version", "revision_of", "duplicate_of", "translation_of", "cluster_id", "changes")
    return {key: article[key] for key in keys}

"""Our reading of a page's metadata gives trafilatura's answers for every field a record carries.

`processors.page_metadata` runs trafilatura's metadata sequence without the categories, tags and licence; this
compares it with `trafilatura.metadata.extract_metadata` on the demo's and the fixtures' pages and on pages that
state their metadata in each of the ways news sites do (JSON-LD, OpenGraph, plain meta tags, none at all).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from trafilatura.json_metadata import normalize_json
from trafilatura.metadata import JSON_MINIFY, extract_metadata

from processors.extract import _DATE_PARAMS
from processors.page_metadata import minified_json, normalized_json, page_metadata

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("title", "author", "url", "date", "sitename")
BODY = "<body><article><h1>Headline of the day</h1><p>" + "A paragraph of the story, long enough. " * 12 + "</p>"
STATED = {
    "json-ld": """<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
        "headline": "Talks resume in Geneva", "datePublished": "2022-09-13T10:00:00Z",
        "author": [{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "John Doe"}],
        "publisher": {"@type": "Organization", "name": "Daily Example"}, "url": "https://news.example/a/1"}</script>""",
    "json-ld graph": """<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "Example Wire"},
        {"@type": "Article", "headline": "Rates held", "datePublished": "2023-01-05",
         "author": {"name": "A. Writer"}}]}</script>""",
    "opengraph": """<meta property="og:title" content="Harvest up 4%"><meta property="og:site_name" content="@farmnews">
        <meta property="og:url" content="https://farm.example/harvest"><meta property="article:published_time"
        content="2024-07-30T08:00:00+02:00"><meta property="article:author" content="Mary Major">""",
    "plain meta": """<title>Storm closes schools | The Gazette</title><meta name="author" content="Sam">
        <meta name="date" content="2021-03-04"><link rel="canonical" href="https://gazette.example/storm">""",
    "broken json-ld": """<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>
        <title>Still a page</title>""",
    "nothing stated": "",
}


def pages() -> list[tuple[str, str, str | None]]:
    found = [(f"stated: {name}", f"<html><head>{head}</head>{BODY}</html>", None) for name, head in STATED.items()]
    for folder in ("demo/site/news", "tests/fixtures/pages", "tests/fixtures/site/pages", "tests/fixtures/hostile"):
        for path in sorted((ROOT / folder).glob("*.html*")):
            found.append(
                (str(path.relative_to(ROOT)), path.read_text("utf-8", "replace"), f"https://{path.stem}.example/")
            )
    return found


@pytest.mark.parametrize(("name", "html", "url"), pages(), ids=[name for name, _, _ in pages()])
def test_every_field_is_trafilaturas(name: str, html: str, url: str | None) -> None:
    ours = page_metadata(lxml_html.document_fromstring(html), url, dict(_DATE_PARAMS))
    theirs = extract_metadata(lxml_html.document_fromstring(html), url, dict(_DATE_PARAMS))
    assert {field: getattr(ours, field) for field in FIELDS} == {field: getattr(theirs, field) for field in FIELDS}
    assert ours.title or name == "stated: nothing stated"  # the pages do state something we read


def test_the_page_tree_is_left_as_it_was() -> None:
    tree = lxml_html.document_fromstring(f"<html><head>{STATED['json-ld']}</head>{BODY}</html>")
    before = lxml_html.tostring(tree)
    page_metadata(tree, None, dict(_DATE_PARAMS))
    assert lxml_html.tostring(tree) == before


# What JSON-LD scripts hold, and what breaks a naive reading of them: quotes, escapes, whitespace in and out of
# strings, unterminated strings, \u escapes (surrogate pairs too), lone surrogates, markup and entities.
_JSON_ALPHABET = st.sampled_from(
    [
        *['"', "\\", " ", "\n", "\t", "\r", "\u00a0", "\u2003", "u", "n", "d", "8", "0", "3", "{", "}", ":", ","],
        *["<", ">", "&", ";", "amp", "é", "\ud83d", "\ude00", "\ud800", "x"],
    ]
)


@given(st.lists(_JSON_ALPHABET, max_size=60).map("".join) | st.text(max_size=200))
@settings(max_examples=2000, deadline=None)
def test_json_ld_scripts_are_cleaned_as_trafilatura_cleans_them(script: str) -> None:
    assert normalized_json(minified_json(script)) == normalize_json(JSON_MINIFY.sub(r"\1", script))


def test_the_author_heuristic_is_skipped_only_when_asked() -> None:
    byline = '<div class="author-name">Jane Roe</div>'
    found_by_heuristic = f"<html><head><title>Storm</title></head><body>{byline}{BODY}</body></html>"
    stated = f"<html><head>{STATED['opengraph']}</head><body>{byline}{BODY}</body></html>"

    def author(html: str, *, find_authors: bool) -> str | None:
        return page_metadata(
            lxml_html.document_fromstring(html), None, dict(_DATE_PARAMS), find_authors=find_authors
        ).author

    assert author(found_by_heuristic, find_authors=True) == "Jane Roe"
    assert author(found_by_heuristic, find_authors=False) is None
    assert author(stated, find_authors=False) == author(stated, find_authors=True) == "Mary Major"

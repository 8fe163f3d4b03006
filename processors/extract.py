"""Article text and metadata out of an HTML page, with trafilatura."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from lxml.etree import ParserError
from trafilatura.settings import Document

from processors.authors import clean_authors
from processors.errors import EmptyText, NotHtml
from processors.language import primary_language_tag
from processors.page_metadata import page_metadata

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class ExtractedArticle:
    """What trafilatura found in a page. Dates are as precise as the page says (often a day)."""

    text: str
    title: str | None
    authors: list[str]
    published_at: datetime | None
    canonical_url: str | None
    declared_language: str | None
    sitename: str | None
    modified_at: datetime | None = None
    """When the page says it was last modified (article:modified_time, JSON-LD dateModified)."""


# Shorter than this is a menu, a caption or a teaser, not an article (the shortest wire briefs run ~150 chars).
MIN_TEXT_CHARS = 50
# Past this many block elements, trafilatura's fallbacks (readability, jusText) are skipped: jusText's revision of
# short paragraphs looks at their neighbours and grows with the square of their number on pages made of thousands
# of them. Real articles have a few hundred blocks; the deadline in the processor bounds what remains.
MAX_BLOCKS_FOR_FALLBACKS = 3000
_BLOCKS = ("p", "div", "li", "td", "br", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "section", "span")


def extract_article(
    html: str,
    *,
    url: str | None,
    content_type: str | None,
    min_text_chars: int = MIN_TEXT_CHARS,
    find_authors: bool = True,
) -> ExtractedArticle:
    """Extract main text and metadata; raise NotHtml or EmptyText when there is no article to publish.

    Reader comments are left out (trafilatura includes them by default), and the page is parsed once: the same
    tree serves the declared `lang`, the metadata and trafilatura's text extraction. `find_authors=False` skips
    trafilatura's author heuristic (the page's stated authors are still read): the caller has the authors already.
    """
    if content_type and content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        raise NotHtml(f"content type {content_type!r} is not HTML")
    if not html.strip():
        raise EmptyText("the page is empty")
    try:
        tree = lxml_html.document_fromstring(html, parser=_HTML_PARSER)
    except (ParserError, ValueError) as exc:
        raise NotHtml(f"not parseable as HTML: {exc}") from exc
    modified_at = _declared_modification(tree)
    declared_language = primary_language_tag(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"))
    # trafilatura works on a copy: this tree stays whole
    metadata = page_metadata(tree, url, dict(_DATE_PARAMS), find_authors=find_authors)
    document = _main_text(tree, url or metadata.url, fallbacks=False)
    if _too_short(document, min_text_chars) and sum(1 for _ in tree.iter(*_BLOCKS)) <= MAX_BLOCKS_FOR_FALLBACKS:
        document = _main_text(tree, url or metadata.url, fallbacks=True)
    if document is None:
        raise EmptyText("no article text found in the page")
    title = _clean(metadata.title)
    text = _without_headline((document.text or "").strip(), title)
    if len(text) < min_text_chars:
        raise EmptyText(f"no article text found in the page ({len(text)} characters)")
    return ExtractedArticle(
        text=text,
        title=title,
        authors=_split_authors(metadata.author),
        published_at=_parse_day(metadata.date),
        canonical_url=_clean(metadata.url),
        declared_language=declared_language,
        sitename=_clean(metadata.sitename),
        modified_at=modified_at,
    )


def _html_parser() -> etree.HTMLParser:
    """lxml.html's parser, with its element classes chosen in C.

    `lxml.html.HTMLParser` picks each element's class (HtmlElement, FormElement, InputElement...) in a Python method
    that lxml calls every time Python code touches an element it has not touched yet: trafilatura touches hundreds
    of thousands on a real page, and that method was a sixth of the extraction's time. A namespace lookup holds the
    same table of tag to class and answers in C: the same classes for every element (tests/unit/test_html_parser.py).
    """
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    for tag, element_class in lxml_html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = element_class
    parser = etree.HTMLParser()  # lxml.html's own parser has the default options too
    parser.set_element_class_lookup(lookup)
    return parser


# Shared like lxml.html's module-level parser: lxml serialises what one parser does across threads.
_HTML_PARSER = _html_parser()

_MODIFIED_META = (
    "//meta[@property='article:modified_time' or @name='article:modified_time' or @property='og:updated_time'"
    " or @itemprop='dateModified']/@content"
)


def _declared_modification(tree: lxml_html.HtmlElement) -> datetime | None:
    for value in tree.xpath(_MODIFIED_META):
        if (moment := _parse_moment(value)) is not None:
            return moment
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        items += [node for item in items if isinstance(item, dict) for node in item.get("@graph", [])]
        for item in items:
            if isinstance(item, dict) and (moment := _parse_moment(item.get("dateModified"))) is not None:
                return moment
    return None


def _parse_moment(value: object) -> datetime | None:
    """An ISO 8601 timestamp as UTC (a zone-less one is taken as UTC); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _without_headline(text: str, title: str | None) -> str:
    """trafilatura keeps the page's <h1> as the first line; the record carries it as `title`, not as text."""
    first, _, rest = text.partition("\n")
    return rest.strip() if title and first.strip() == title else text


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _split_authors(author: str | None) -> list[str]:
    return clean_authors(name for name in (author or "").split(";"))


def _parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def _main_text(tree: lxml_html.HtmlElement, url: str | None, *, fallbacks: bool) -> Document | None:
    """trafilatura's main text of the page. Its own extractor alone first: on the 181 real pages of the extraction
    benchmark it scored F1 0.954 alone and 0.952 with readability and jusText compared in, at 40% more time; the
    fallbacks are for the pages it finds (almost) nothing on, and are skipped past MAX_BLOCKS_FOR_FALLBACKS
    blocks, where jusText's cost grows with the square of their number."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=not fallbacks,
        with_metadata=False,  # read by page_metadata, without what no record carries
        include_comments=False,
        include_tables=False,
    )
    return document if isinstance(document, Document) else None


def _too_short(document: Document | None, min_text_chars: int) -> bool:
    return document is None or len((document.text or "").strip()) < min_text_chars


_WARM_UP_PAGE = (
    "<html lang='en'><head><title>Warm-up</title><meta property='article:published_time' content='2026-01-02'>"
    "</head><body><article><h1>Warm-up</h1><p>"
    + "This page is extracted once at start, so that what trafilatura loads on first use is not paid by a page. " * 3
    + "</p></article></body></html>"
)


def warm_up() -> None:
    """Extract a small page once: the first call loads what later calls reuse (date parsing, stoplists)."""
    extract_article(_WARM_UP_PAGE, url="https://warm-up.invalid/", content_type="text/html")

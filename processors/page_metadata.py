"""A page's metadata (title, author, date, canonical URL, site name): trafilatura's own reading, minus what we drop.

`trafilatura.metadata.extract_metadata` reads the page's meta tags and JSON-LD first, then falls back to its
heuristics for each field still missing; it also collects categories, tags and the licence, which no record of
ours carries and which cost a sixth of the page's extraction time on real pages (docs/benchmarks.md, "The
processor on real pages"). This is the same sequence of trafilatura's functions, in the same order, without those
three: every field we use comes out as trafilatura's would (tests/unit/test_page_metadata.py compares them).

Its JSON-LD reader is the one function here that is ours: trafilatura minifies and cleans each script with a Python
call per string literal and one per character; `_json_ld` does the same with the regular expressions' own loops
(half the time: 0.46 against 0.87 ms a page on the real pages, with the meta tags), then hands the object to
trafilatura's reader of it.
"""

from __future__ import annotations

import json
import logging
import re
from html import unescape
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.json_metadata import JSON_UNICODE_REPLACE, extract_json, extract_json_parse_error
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import HTML_STRIP_TAGS, trim

log = logging.getLogger(__name__)


def page_metadata(
    tree: HtmlElement, url: str | None, date_params: dict[str, Any], *, find_authors: bool = True
) -> Document:
    """trafilatura's metadata of `tree` (not modified) for the fields a record carries.

    `find_authors=False`: no author heuristic when the page states none (a quarter of the metadata's time on real
    pages, and unused when the feed names the authors)."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = _json_ld(tree, metadata)
    except Exception:  # trafilatura guards its JSON-LD reader the same way: its bugs must not cost the page
        log.debug("trafilatura's JSON-LD reader failed on a page", exc_info=True)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author and find_authors:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata


_JSON_LD_SCRIPTS = './/script[@type="application/ld+json" or @type="application/settings+json"]'
# trafilatura's JSON_MINIFY is `("(?:\\.|[^"\\])*")|\s`: string literals kept, whitespace elsewhere dropped.
_JSON_STRING = re.compile(r'("(?:\\.|[^"\\])*")')
_WHITESPACE = re.compile(r"\s")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_ld(tree: HtmlElement, metadata: Document) -> Document:
    """trafilatura's `extract_meta_json`."""
    for element in tree.xpath(_JSON_LD_SCRIPTS):
        if not element.text:
            continue
        text = normalized_json(minified_json(element.text))
        try:
            # strict=False as trafilatura: rarer control characters would otherwise make the script unreadable
            metadata = extract_json(json.loads(text, strict=False), metadata)
        except json.JSONDecodeError:
            metadata = extract_json_parse_error(text, metadata)
    return metadata


def minified_json(text: str) -> str:
    """`JSON_MINIFY.sub(r"\\1", text)`: the same scan (a split finds the string literals where the substitution
    does), without a Python call to expand the template for every literal."""
    parts = _JSON_STRING.split(text)
    parts[0::2] = [_WHITESPACE.sub("", between) for between in parts[0::2]]
    return "".join(parts)


def normalized_json(text: str) -> str:
    """trafilatura's `normalize_json`, the surrogates dropped by a regular expression instead of one by one."""
    if "\\" in text:
        text = text.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        text = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), text)
        text = _SURROGATE.sub("", text)
        text = unescape(text)
    return trim(HTML_STRIP_TAGS.sub("", text))

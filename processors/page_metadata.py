"""A page's metadata (title, author, date, canonical URL, site name): trafilatura's own reading, minus what we drop.

`trafilatura.metadata.extract_metadata` reads the page's meta tags and JSON-LD first, then falls back to its
heuristics for each field still missing; it also collects categories, tags and the licence, which no record of
ours carries and which cost a sixth of the page's extraction time on real pages (docs/benchmarks.md, "The
processor on real pages"). This is the same sequence of trafilatura's functions, in the same order, without those
three: every field we use comes out as trafilatura's would (tests/unit/test_page_metadata.py compares them).
"""

from __future__ import annotations

import logging
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

log = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None, date_params: dict[str, Any]) -> Document:
    """trafilatura's metadata of `tree` (not modified) for the fields a record carries."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # trafilatura guards its JSON-LD reader the same way: its bugs must not cost the page
        log.debug("trafilatura's JSON-LD reader failed on a page", exc_info=True)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
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

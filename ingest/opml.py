"""Feed lists in OPML, the format feed readers import and export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree


def read_opml(path: Path) -> list[dict[str, str | None]]:
    """Every outline with an `xmlUrl`, at any depth, as feed settings: url, name and (if given) language.

    The parser resolves no entities and reaches no network: an OPML file is input, not a program.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not valid OPML: {exc}") from exc
    feeds: list[dict[str, str | None]] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        name = outline.get("title") or outline.get("text") or url
        feeds.append({"url": url.strip(), "name": name.strip(), "language": outline.get("language")})
    return feeds


def write_opml(feeds: Iterable[Mapping[str, Any]], *, title: str = "news-ingest feeds") -> str:
    """An OPML 2.0 document listing `feeds` (url, name, language), as feed readers import it."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    for feed in feeds:
        outline = etree.SubElement(body, "outline", type="rss", text=str(feed["name"]), title=str(feed["name"]))
        outline.set("xmlUrl", str(feed["url"]))
        if feed.get("language"):
            outline.set("language", str(feed["language"]))
    return str(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8"))

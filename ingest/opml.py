"""Feed lists in OPML, the format feed readers import and export."""

from __future__ import annotations

from pathlib import Path

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

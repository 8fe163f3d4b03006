"""Which wire agency a story credits: "YEREVAN (AFP) - ...", "AFP melaporkan.", a byline "Reuters".

Agencies and credit phrases are data (`processors/data/agencies.json`). Matching is deliberately narrow: a
dateline credit in the first paragraph, a credit line as the last paragraph, or a byline naming the agency;
a bare "AP" inside a sentence is never taken as a credit.
"""

from __future__ import annotations

import json
import re
from importlib import resources


def _load() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str]]:
    table = json.loads(resources.files("processors").joinpath("data/agencies.json").read_text("utf-8"))
    canonical = {name: agency for agency, names in table["agencies"].items() for name in names}
    names = "|".join(sorted((re.escape(name) for name in canonical), key=len, reverse=True))
    # "YEREVAN (AFP) - ...", "(AFP) — ...": a place (or nothing), the credit in brackets, then a dash.
    dateline = re.compile(rf"^[^()\n]{{0,60}}\((?P<agency>{names})\)\s*[-\u2013\u2014:]")
    credit = "|".join(
        f"(?:{phrase.replace('{agency}', f'(?P<a{i}>{names})')})" for i, phrase in enumerate(table["credit_phrases"])
    )
    return canonical, dateline, re.compile(credit, re.IGNORECASE)


_CANONICAL, _DATELINE, _CREDIT = _load()


def find_agency(text: str, authors: list[str]) -> str | None:
    """The agency credited by the text or its byline, by its canonical name; None when none is."""
    for author in authors:
        if author.strip() in _CANONICAL:
            return _CANONICAL[author.strip()]
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    if not paragraphs:
        return None
    dateline = _DATELINE.match(paragraphs[0])
    if dateline:
        return _CANONICAL[dateline.group("agency")]
    credit = _CREDIT.search(paragraphs[-1]) if len(paragraphs[-1]) <= 200 else None
    if credit:
        name = next(value for value in credit.groupdict().values() if value)
        return next(agency for alias, agency in _CANONICAL.items() if alias.lower() == name.lower())
    return None

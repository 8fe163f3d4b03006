"""Editors' update notes ("Updated at noon on 13 September to add ..."): taken out of the text into `update_note`.

The markers are data (`processors/data/update_notes.json`, one list per language). A note is the first or last
paragraph of an article when it starts with a marker of any language (a reprint may keep the original's note) and
is short: a long paragraph that happens to start with "Updated" is article text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

MAX_NOTE_CHARS = 300
# Notes are often wrapped: "(Updated ...)", "[UPDATE: ...]", "*Updated ...*", "— Updated ...".
_WRAPPING = "()[]*_-\u2013\u2014"  # brackets, emphasis, hyphen, en dash, em dash
_OPENING = r"^[\s" + re.escape(_WRAPPING) + r"]*(?:"


def _load_markers() -> re.Pattern[str]:
    table = json.loads(resources.files("processors").joinpath("data/update_notes.json").read_text("utf-8"))
    patterns = [pattern for language, entries in table.items() if not language.startswith("_") for pattern in entries]
    return re.compile(_OPENING + "|".join(f"(?:{pattern})" for pattern in patterns) + ")", re.IGNORECASE)


_MARKERS = _load_markers()


@dataclass(frozen=True)
class NoteSplit:
    text: str
    note: str | None


def split_update_note(text: str) -> NoteSplit:
    """The text without its update note, and the note (None when there is none)."""
    paragraphs = text.split("\n")
    if len(paragraphs) < 2:
        return NoteSplit(text, None)
    for index in (0, len(paragraphs) - 1):
        candidate = paragraphs[index].strip()
        if len(candidate) <= MAX_NOTE_CHARS and _MARKERS.match(candidate):
            rest = paragraphs[:index] + paragraphs[index + 1 :]
            return NoteSplit("\n".join(rest).strip(), candidate.strip(" " + _WRAPPING))
    return NoteSplit(text, None)

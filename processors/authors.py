"""Author lists as people: what extraction heuristics (and some feeds) give as authors is cleaned of dates, month
names, job titles and sentences ("Jane Doe is a reporter covering ..."). The words are data, per language:
processors/data/author_noise.json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources

_TABLE = json.loads(resources.files("processors").joinpath("data/author_noise.json").read_text("utf-8"))
_MONTHS = frozenset(_TABLE["months"])
_NOT_NAMES = frozenset(_TABLE["not_names"])
_SENTENCE_WORDS = tuple(_TABLE["sentence_words"])
_WEEKDAYS = frozenset(_TABLE["weekdays"])
_BYLINE = re.compile(r"^(?:by|par|von|por|oleh|penulis|reporter|written by)\s*[:\s]\s*", re.IGNORECASE)
_DATE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}|\b(?:1[89]|20)\d{2}\b|\d{1,2}:\d{2}")
_MAX_WORDS = 6
_MAX_CHARS = 60


def clean_authors(names: Iterable[str]) -> list[str]:
    """The names in `names` that look like people's (or an agency's), bylines stripped, each once, in order."""
    kept: list[str] = []
    for raw in names:
        name = _without_trailing_weekday(_before_a_sentence(_BYLINE.sub("", " ".join(raw.split())).strip(" ,;|-")))
        if _is_a_name(name) and name.casefold() not in {k.casefold() for k in kept}:
            kept.append(name)
    return kept


def _before_a_sentence(name: str) -> str:
    """ "Phil Helsel is a reporter" -> "Phil Helsel": the name a byline sentence starts with."""
    padded = f" {name} "
    cut = min((padded.casefold().find(marker) for marker in _SENTENCE_WORDS if marker in padded.casefold()), default=-1)
    return padded[:cut].strip() if cut > 0 else name


def _without_trailing_weekday(name: str) -> str:
    """ "Jeff Foust Monday" (a byline run into its date) -> "Jeff Foust"."""
    words = name.split()
    return " ".join(words[:-1]) if len(words) > 1 and words[-1].casefold().strip(",.") in _WEEKDAYS else name


def _is_a_name(name: str) -> bool:
    lowered = name.casefold()
    words = lowered.replace(",", " ").split()
    if not words or len(name) > _MAX_CHARS or len(words) > _MAX_WORDS:
        return False
    if lowered in _NOT_NAMES or lowered in _MONTHS:
        return False
    if any(character.isdigit() for character in name) and any(word.strip(".") in _MONTHS for word in words):
        return False  # "12 September", "Sept. 13": a date (a name may hold a month word: April Ryan)
    if _DATE.search(name) or "@" in name or "://" in name:
        return False
    if any(marker in f" {lowered} " for marker in _SENTENCE_WORDS):
        return False
    return any(character.isalpha() for character in name)

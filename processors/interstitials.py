"""Pages that stand between a reader and the article: a bot wall, a captcha, a consent or "enable JavaScript"
screen, a paywall stub. Fetched as a page, one would become a story (and the "original" of every other wall of its
site). Told by their phrases (data per language: processors/data/interstitials.json) on a page with little text,
and by the same short text coming back from several URLs of one site (`RepeatedText`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources

_TABLE = json.loads(resources.files("processors").joinpath("data/interstitials.json").read_text("utf-8"))
_PHRASES = tuple(phrase for key, phrases in _TABLE.items() if not key.startswith("_") for phrase in phrases)
# Scripts and styles are not text; a <noscript> is ("Please enable JavaScript" is often there).
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
# Real articles have more text than this; walls and stubs rarely do.
MAX_TEXT_CHARS = 1500
_LOOKED_AT_CHARS = 300_000


def visible_text(html: str) -> str:
    """The page's text without tags, scripts and styles (of its first 300,000 characters): a cheap look."""
    return _SPACE.sub(" ", _TAGS.sub(" ", html[:_LOOKED_AT_CHARS])).strip()


def interstitial_reason(html: str, repeated: Callable[[str], bool]) -> str | None:
    """Why this page is an interstitial, or None. Only a page with little text can be one (so a real article costs
    one look at its text): then a known phrase says so, or `repeated(text)`, the same text from other URLs of the
    site (`RepeatedText`)."""
    text = visible_text(html)
    if len(text) > MAX_TEXT_CHARS:
        return None
    lowered = text.casefold()
    phrase = next((phrase for phrase in _PHRASES if phrase in lowered), None)
    if phrase is not None:
        return f"it says {phrase!r}"
    return "the same short text from several of its pages" if text and repeated(text) else None


class RepeatedText:
    """Remembers the short texts of recent pages per site: the same one from `urls` different URLs is a wall."""

    def __init__(self, *, urls: int = 3, sites: int = 2000) -> None:
        self._urls = urls
        self._sites = sites
        self._seen: OrderedDict[str, dict[str, set[str]]] = OrderedDict()

    def is_repeated(self, site: str, url: str, text: str) -> bool:
        if len(text) > MAX_TEXT_CHARS or not text:
            return False
        digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
        texts = self._seen.setdefault(site, {})
        self._seen.move_to_end(site)
        if len(self._seen) > self._sites:
            self._seen.popitem(last=False)
        urls = texts.setdefault(digest, set())
        if len(texts) > 64:  # bounded per site: the oldest texts go
            texts.pop(next(iter(texts)))
        urls.add(url)
        if len(urls) > 16:
            urls.pop()
        return len(urls) >= self._urls

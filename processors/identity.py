"""What makes two documents "the same thing": normalized URLs, identity keys, content hashes, story ids."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from importlib import resources
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

from processors.untrusted import web_url_parts

_WHITESPACE = re.compile(r"\s+")


def _tracking() -> tuple[frozenset[str], tuple[str, ...]]:
    table = json.loads(resources.files("processors").joinpath("data/tracking_parameters.json").read_text("utf-8"))
    return frozenset(name.lower() for name in table["names"]), tuple(prefix.lower() for prefix in table["prefixes"])


_TRACKING_NAMES, _TRACKING_PREFIXES = _tracking()


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


@functools.lru_cache(maxsize=16384)
def normalize_url(url: str | None) -> str | None:
    """Canonical form of a URL for comparison: lower-case host, no default port, no fragment, no tracking
    parameters (processors/data/tracking_parameters.json), the other parameters sorted.

    Every parameter that is not tracking is kept, blank ones too: `articleView.html?idxno=1` and `?idxno=2` are two
    articles. (courlan's strict mode, used before, kept only the parameters it knew and so merged them.) Returns
    None for anything that is not an absolute http(s) URL, so junk never becomes an identity. Cached: the same URLs
    come back all the time.
    """
    parts = web_url_parts(url)
    if parts is None:
        return None
    pairs = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name and not is_tracking_parameter(name)
    )
    try:
        base = courlan.normalize_url(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), strict=True)
    except ValueError:
        return None
    if not pairs:
        return str(base)
    scheme, netloc, path, _, _ = urlsplit(base)
    return urlunsplit((scheme, netloc, path or "/", urlencode(pairs), ""))


@functools.lru_cache(maxsize=16384)
def legacy_normalized_url(url: str | None) -> str | None:
    """The form releases before this one gave `url` (courlan's strict mode), when it still names only this article:
    it dropped every parameter it did not know, and a key that lost one could name another article too. Stories
    stored under the old keys stay recognised through it for the length of the dedupe window."""
    parts = web_url_parts(url)
    legacy = _strict_courlan(url)
    if parts is None or legacy is None:
        return None
    kept = {name.lower() for name, _ in parse_qsl(urlsplit(legacy).query, keep_blank_values=True)}
    identifying = {name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    identifying = {name for name in identifying if name and not is_tracking_parameter(name)}
    return legacy if identifying <= kept else None


@functools.lru_cache(maxsize=16384)
def _strict_courlan(url: str | None) -> str | None:
    """What releases before this one made of any http(s) URL (courlan's strict mode)."""
    if url is None or web_url_parts(url) is None:
        return None
    try:
        return str(courlan.normalize_url(url.strip(), strict=True))
    except ValueError:
        return None


def normalize_text(text: str) -> str:
    """Text as compared for identity: NFKC, whitespace collapsed, trimmed. Case and punctuation are kept."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def content_hash(text: str) -> str:
    """sha256 (hex) of the normalized text: equal for texts that differ only in whitespace or Unicode form."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def identity_keys(*, feed_url: str, guid: str | None, urls: list[str | None]) -> list[str]:
    """The keys under which a document's story is known, most specific first, without repeats.

    A GUID is only unique within its feed, so it is scoped by the feed URL; URLs are compared normalized. A URL
    of a site's root names the site, not a story (some sites point every page's canonical link at the home page),
    so it is never an identity; a root with a query (`/?p=12`, WordPress) does name one.
    """
    keys: list[str] = []
    legacy: list[str] = []
    for url in urls:
        normalized = normalize_url(url)
        if normalized and _names_a_page(normalized) and f"url:{normalized}" not in keys:
            keys.append(f"url:{normalized}")
        old = legacy_normalized_url(url)
        if old and old != normalized and _names_a_page(old):
            legacy.append(f"url:{old}")
    if guid:
        keys.append(f"guid:{normalize_url(feed_url) or feed_url}#{guid.strip()}")
        # A GUID is unique within its feed, and one site rarely has two feeds that differ only in a parameter:
        # the old form of the feed URL scopes the old GUID key, whatever it dropped.
        old_feed = _strict_courlan(feed_url)
        if old_feed and old_feed != normalize_url(feed_url):
            legacy.append(f"guid:{old_feed}#{guid.strip()}")
    # The keys of releases before this one come last: they find stories stored under them, never name new ones.
    return keys + [key for key in dict.fromkeys(legacy) if key not in keys]


def _names_a_page(normalized: str) -> bool:
    parts = urlsplit(normalized)
    return bool(parts.path.strip("/") or parts.query)


def story_id_for(primary_key: str) -> str:
    """A story id derived from the identity it was first seen under, so every replica derives the same one."""
    return hashlib.sha256(primary_key.encode("utf-8")).hexdigest()[:20]

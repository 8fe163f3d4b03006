"""What makes two documents "the same thing": normalized URLs, identity keys, content hashes, story ids."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

import courlan

_WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=16384)
def normalize_url(url: str | None) -> str | None:
    """Canonical form of a URL for comparison: lower-case host, no fragment, no tracking parameters.

    Returns None for anything that is not an absolute http(s) URL, so junk never becomes an identity. Cached: the
    same URLs (a feed's own, pages seen again) come back all the time, and courlan costs about 0.1 ms a call.
    """
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        return str(courlan.normalize_url(url, strict=True))
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
    so it is never an identity.
    """
    keys: list[str] = []
    for url in urls:
        normalized = normalize_url(url)
        if normalized and urlsplit(normalized).path.strip("/") and f"url:{normalized}" not in keys:
            keys.append(f"url:{normalized}")
    if guid:
        keys.append(f"guid:{normalize_url(feed_url) or feed_url}#{guid.strip()}")
    return keys


def story_id_for(primary_key: str) -> str:
    """A story id derived from the identity it was first seen under, so every replica derives the same one."""
    return hashlib.sha256(primary_key.encode("utf-8")).hexdigest()[:20]

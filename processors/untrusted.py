"""Reading values an attacker chooses (header values, feed fields, URLs) without letting them raise.

The standard library is generous in ways that raise later: `"²".isdigit()` is true but `int("²")` raises;
`int()` refuses more than 4,300 digits; `urljoin` and `urlsplit` raise ValueError on `http://[x/`; a lone
surrogate decodes fine and fails only when serialised. Every such value goes through these functions first.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urljoin, urlsplit

_ASCII_INT = re.compile(r"[0-9]{1,18}")
_SURROGATES = re.compile("[\ud800-\udfff]")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s:]*)(:[^/@\s]*)?@")


def ascii_int(value: object) -> int | None:
    """A non-negative integer written in ASCII digits (at most 18 of them, surrounding spaces allowed), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return int(text) if _ASCII_INT.fullmatch(text) else None


def safe_urljoin(base: str, link: str) -> str | None:
    """`link` resolved against `base`, or None when either is not a URL urllib can take apart."""
    try:
        joined = urljoin(base, link.strip())
        urlsplit(joined).port  # noqa: B018  # raises ValueError for a port out of range or not a number
    except ValueError:
        return None
    return joined


def web_url_parts(value: str | None) -> SplitResult | None:
    """The parts of an absolute http(s) URL with a host that urllib can take apart (surrounding space ignored),
    else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def is_web_url(value: str | None) -> bool:
    """True for an absolute http(s) URL with a host that urllib can take apart."""
    return web_url_parts(value) is not None


def hostname(url: str) -> str:
    """The lower-cased host of `url`, or "" when there is none or the URL cannot be taken apart."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def clean_text(value: str) -> str:
    """`value` without lone surrogates (they cannot be encoded, and so could never be published)."""
    return _SURROGATES.sub("\ufffd", value)


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it replaced (`https://***@host/`): a user name alone is often
    a token."""
    return _USERINFO.sub(lambda m: f"{m.group(1)}***@", text)

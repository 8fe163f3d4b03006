"""Article pages: fetched through the one polite fetch path and turned into raw documents.

Used by the poller, `dlq replay` and the backfill alike (none of them imports another's role).
"""

from __future__ import annotations

import codecs
import html
import re
from datetime import datetime

from trafilatura.utils import decode_file

from ingest.http import FetchError, FetchResult, Validators
from ingest.metrics import Metrics
from ingest.politeness import HostOnHold, Interstitial, PoliteFetcher
from processors.identity import identity_keys
from processors.interstitials import interstitial_reason
from processors.records import FeedEntry, FeedRef, RawDocument
from processors.untrusted import clean_text, hostname

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHARSET = re.compile(r"charset=([^;]+)", re.IGNORECASE)
# Codecs Python knows that are not character sets a page could be in: they turn escapes into arbitrary code points.
_NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "mbcs", "oem"}


def entry_key(feed_url: str, entry: FeedEntry) -> str:
    """The raw topic's key: the entry's most specific identity, so one story's documents share a partition."""
    return identity_keys(feed_url=feed_url, guid=entry.id, urls=[entry.url])[0]


def fetch_page_document(
    fetcher: PoliteFetcher, metrics: Metrics, ref: FeedRef, entry: FeedEntry, fetched_at: datetime
) -> RawDocument:
    """Fetch the entry's article page as a raw document; raise FetchError (counted) when it cannot be had."""
    if not entry.url:
        raise ValueError("an entry without a link has no page to fetch")
    return page_document(fetcher, metrics, fetch_article_page(fetcher, metrics, entry.url), ref, entry, fetched_at)


def fetch_article_page(
    fetcher: PoliteFetcher, metrics: Metrics, url: str, validators: Validators | None = None
) -> FetchResult:
    """The article page at `url` (a 304 when `validators` still hold); FetchError (counted) when it cannot be had."""
    try:
        with metrics.fetch_seconds.labels("page").time():
            return fetcher.fetch_page(url, accept=PAGE_ACCEPT, validators=validators)
    except HostOnHold:
        raise  # not the page's failure: the host asked us to wait
    except FetchError as error:
        metrics.fetch_errors.labels("page", error.reason).inc()
        raise


def page_document(
    fetcher: PoliteFetcher, metrics: Metrics, page: FetchResult, ref: FeedRef, entry: FeedEntry, fetched_at: datetime
) -> RawDocument:
    """A fetched page as the raw document of `entry`.

    A page that is an interstitial (`processors.interstitials`) is no document: `Interstitial` holds its host and
    the entry is asked for again after the hold; it never becomes a story."""
    text = decode_page(page)
    why = interstitial_reason(text, lambda short_text: fetcher.repeated_text(page.url, short_text))
    if why is not None:
        metrics.interstitials.labels(metrics.domain(hostname(page.url) or "unknown")).inc()
        raise Interstitial(page.url, fetcher.hold(page.url), why)
    return RawDocument(
        feed=ref,
        entry=entry,
        source="page",
        url=page.url,
        html=text,
        content_type=page.content_type,
        content_language=page.content_language,
        fetched_at=fetched_at,
    )


def decode_page(page: FetchResult) -> str:
    """The page as text: UTF-8 when it is valid UTF-8, else the declared charset, else trafilatura's guess.

    Valid UTF-8 wins over a declared charset because servers lie (a template says iso-8859-1 over UTF-8 content),
    and a single-byte charset would "decode" anything into mojibake without an error. A declared "charset" that is
    a Python codec but no character set (unicode_escape, ...) is not used; lone surrogates are replaced.
    """
    try:
        return clean_text(page.body.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    charset = _CHARSET.search(page.content_type or "")
    if charset and (codec := _text_codec(charset.group(1).strip("\"' "))) is not None:
        try:
            return clean_text(page.body.decode(codec))
        except (UnicodeDecodeError, ValueError):
            pass  # a wrong charset: fall back to detection
    return clean_text(str(decode_file(page.body)))


def _text_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    text_encoding = getattr(info, "_is_text_encoding", True)
    return info.name if text_encoding and info.name not in _NOT_CHARSETS else None


def as_page(title: str | None, body: str, language: str | None) -> str:
    """A feed entry's own content as a page the processors read like any other."""
    lang = f' lang="{html.escape(language)}"' if language else ""
    return (
        f"<html{lang}><head><title>{html.escape(title or '')}</title></head>"
        f"<body><article><h1>{html.escape(title or '')}</h1>{body}</article></body></html>"
    )

"""WebSub callbacks: issued URLs resolve back to their feed, forged ones do not; deliveries are signed."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from ingest.config import WebSubSettings
from ingest.websub import callback_url, feed_of_callback, lease_due, signature_valid

SETTINGS = WebSubSettings(enabled=True, callback_url="https://ingest.example/websub/", secret="s3cret")
OTHER = WebSubSettings(enabled=True, callback_url="https://ingest.example/websub", secret="another")


@given(st.text(min_size=1, max_size=200))
def test_a_callback_url_names_its_feed_and_only_our_secret_makes_one(feed_url: str) -> None:
    url = callback_url(SETTINGS, feed_url)
    path = url.removeprefix("https://ingest.example")
    assert url.startswith("https://ingest.example/websub/")
    assert feed_of_callback(SETTINGS, path) == feed_url
    assert feed_of_callback(OTHER, path) is None


@given(st.text(max_size=60), st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_made_up_callback_paths_are_refused_without_error(token: str, mac: str) -> None:
    assert feed_of_callback(SETTINGS, f"/websub/{token}/{mac}") is None


def test_delivery_signatures() -> None:
    body = b"<feed/>"
    for method in ("sha1", "sha256", "sha512"):
        good = f"{method}=" + hmac.new(b"s3cret", body, getattr(hashlib, method)).hexdigest()
        assert signature_valid(SETTINGS, body, good)
        assert not signature_valid(OTHER, body, good)
        assert not signature_valid(SETTINGS, body + b" ", good)
    assert not signature_valid(SETTINGS, body, None)
    assert not signature_valid(SETTINGS, body, "md5=abc")


def test_leases_are_renewed_a_day_before_they_end() -> None:
    assert lease_due(None, 1000.0)
    assert lease_due(1000.0 + 3600, 1000.0)
    assert not lease_due(1000.0 + 3 * 86400, 1000.0)

"""WebSub keys and callbacks: issued URLs resolve back to their feed and intent, forged ones do not; a hub's secret
is its subscription's own, never the master key; deliveries are checked with it."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from ingest.config import WebSubSettings
from ingest.websub import callback_intent, callback_url, delivery_secret, feed_of_callback, lease_due, signature_valid

SETTINGS = WebSubSettings(enabled=True, callback_url="https://ingest.example/websub/", secret="s3cret")
OTHER = WebSubSettings(enabled=True, callback_url="https://ingest.example/websub", secret="another")
ROTATED = WebSubSettings(
    enabled=True, callback_url="https://ingest.example/websub", secret="new", previous_secrets=["s3cret"]
)
FEED = "https://news.example/feed.xml"


@given(st.text(min_size=1, max_size=200))
def test_a_callback_url_names_its_feed_and_only_our_secret_makes_one(feed_url: str) -> None:
    url = callback_url(SETTINGS, feed_url)
    path = url.removeprefix("https://ingest.example")
    assert url.startswith("https://ingest.example/websub/")
    assert feed_of_callback(SETTINGS, path) == feed_url.encode("utf-8", "replace").decode("utf-8")
    assert feed_of_callback(OTHER, path) is None


@given(st.text(max_size=60), st.text(max_size=20), st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_made_up_callback_paths_are_refused_without_error(token: str, intent: str, mac: str) -> None:
    assert feed_of_callback(SETTINGS, f"/websub/{token}/{intent}/{mac}") is None
    assert feed_of_callback(SETTINGS, f"/websub/{token}/{mac}") is None


def test_a_callback_carries_the_intent_it_was_issued_for() -> None:
    path = callback_url(SETTINGS, FEED, mode="subscribe", at=1_800_000_000).removeprefix("https://ingest.example")
    assert callback_intent(SETTINGS, path) == (FEED, "subscribe", 1_800_000_000.0)
    token, intent, mac = path.rsplit("/", 3)[1:]
    # Changing the mode or the time breaks the MAC.
    assert callback_intent(SETTINGS, f"/websub/{token}/u{intent[1:]}/{mac}") is None
    assert callback_intent(SETTINGS, f"/websub/{token}/s1800000001/{mac}") is None


def test_the_hub_secret_is_per_feed_and_never_the_master_key() -> None:
    secret = delivery_secret(SETTINGS, FEED)
    assert secret != "s3cret" and "s3cret" not in secret
    assert secret != delivery_secret(SETTINGS, "https://news.example/other.xml")
    assert secret != delivery_secret(OTHER, FEED)


def test_delivery_signatures_use_the_feeds_own_secret() -> None:
    body = b"<feed/>"
    secret = delivery_secret(SETTINGS, FEED).encode()
    for method in ("sha1", "sha256", "sha512"):
        good = f"{method}=" + hmac.new(secret, body, getattr(hashlib, method)).hexdigest()
        assert signature_valid(SETTINGS, FEED, body, good)
        assert not signature_valid(OTHER, FEED, body, good)
        assert not signature_valid(SETTINGS, "https://news.example/other.xml", body, good)
        assert not signature_valid(SETTINGS, FEED, body + b" ", good)
    master = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert not signature_valid(SETTINGS, FEED, body, master)
    assert not signature_valid(SETTINGS, FEED, body, None)
    assert not signature_valid(SETTINGS, FEED, body, "md5=abc")


def test_a_rotation_keeps_the_old_keys_valid_until_they_are_removed() -> None:
    old_path = callback_url(SETTINGS, FEED).removeprefix("https://ingest.example")
    assert feed_of_callback(ROTATED, old_path) == FEED
    body = b"<feed/>"
    old = "sha256=" + hmac.new(delivery_secret(SETTINGS, FEED).encode(), body, hashlib.sha256).hexdigest()
    assert signature_valid(ROTATED, FEED, body, old)
    assert delivery_secret(ROTATED, FEED) != delivery_secret(SETTINGS, FEED)  # new subscriptions get the new one


def test_leases_are_renewed_a_day_before_they_end() -> None:
    assert lease_due(None, 1000.0)
    assert lease_due(1000.0 + 3600, 1000.0)
    assert not lease_due(1000.0 + 3 * 86400, 1000.0)

from hypothesis import given
from hypothesis import strategies as st

from processors.identity import content_hash, identity_keys, normalize_url, story_id_for


def test_tracking_parameters_fragment_and_host_case_do_not_change_identity() -> None:
    assert normalize_url("https://Example.org/news/a?utm_source=rss&utm_medium=feed#top") == normalize_url(
        "https://example.org/news/a"
    )


def test_meaningful_query_parameters_are_kept() -> None:
    assert normalize_url("https://example.org/article?id=1") != normalize_url("https://example.org/article?id=2")


def test_non_http_urls_are_not_identities() -> None:
    assert normalize_url("javascript:alert(1)") is None
    assert normalize_url("/relative/path") is None
    assert normalize_url("") is None


def test_a_site_root_never_identifies_a_story() -> None:
    keys = identity_keys(feed_url="https://site.example/feed", guid=None, urls=["https://site.example/"])
    assert keys == []


def test_guid_is_scoped_by_its_feed() -> None:
    a = identity_keys(feed_url="https://a.example/feed", guid="123", urls=[])
    b = identity_keys(feed_url="https://b.example/feed", guid="123", urls=[])
    assert a != b


def test_keys_are_ordered_and_unique() -> None:
    keys = identity_keys(
        feed_url="https://a.example/feed",
        guid="g1",
        urls=["https://a.example/canonical", "https://a.example/canonical?utm_campaign=x", "https://a.example/page"],
    )
    assert keys == ["url:https://a.example/canonical", "url:https://a.example/page", "guid:https://a.example/feed#g1"]


def test_content_hash_ignores_whitespace_and_unicode_form_only() -> None:
    assert content_hash("Café  au\n lait ") == content_hash("Cafe\u0301 au lait")
    assert content_hash("Café au lait") != content_hash("café au lait")


def test_story_id_is_stable() -> None:
    assert story_id_for("url:https://a.example/x") == story_id_for("url:https://a.example/x")
    assert len(story_id_for("url:https://a.example/x")) == 20


@given(st.text())
def test_normalize_url_never_raises(text: str) -> None:
    result = normalize_url(text)
    assert result is None or result.startswith(("http://", "https://"))

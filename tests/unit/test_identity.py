from urllib.parse import urlencode

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from processors.identity import content_hash, identity_keys, is_tracking_parameter, normalize_url, story_id_for


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


ARTICLES_APART = [
    # Korean news CMS, PHP boards, naver, Joomla, WordPress, ASP.NET-style ids: different articles, different stories.
    (
        "http://www.entermedia.co.kr/news/news_view.html?idx=8576",
        "http://www.entermedia.co.kr/news/news_view.html?idx=8723",
    ),
    (
        "https://www.example.kr/news/articleView.html?idxno=1001",
        "https://www.example.kr/news/articleView.html?idxno=1002",
    ),
    ("https://board.example/read.php?no=17", "https://board.example/read.php?no=18"),
    (
        "https://n.news.naver.com/read.nhn?oid=001&aid=0013450001",
        "https://n.news.naver.com/read.nhn?oid=001&aid=0013450002",
    ),
    (
        "https://n.news.naver.com/read.nhn?oid=001&aid=0013450001",
        "https://n.news.naver.com/read.nhn?oid=002&aid=0013450001",
    ),
    (
        "https://j.example/index.php?option=com_content&view=article&id=5",
        "https://j.example/index.php?option=com_content&view=article&id=6",
    ),
    (
        "https://j.example/index.php?option=com_content&view=article&id=5",
        "https://j.example/index.php?option=com_k2&view=item&id=5",
    ),
    ("https://blog.example/?p=12", "https://blog.example/?p=13"),
    ("https://news.example/view.asp?newsid=7", "https://news.example/view.asp?newsid=8"),
    ("https://news.example/a.php?nid=1&sid=2&seq=3", "https://news.example/a.php?nid=1&sid=2&seq=4"),
    ("https://news.example/a.aspx?Num=1", "https://news.example/a.aspx?Num=2"),
    ("https://news.example/a?articleid=1&news_id=2", "https://news.example/a?articleid=1&news_id=3"),
]
ONE_ARTICLE = [
    (
        "https://www.example.kr/news/articleView.html?idxno=1001",
        "https://WWW.example.kr:443/news/articleView.html?utm_source=naver&idxno=1001&fbclid=abc#comments",
    ),
    ("https://blog.example/?p=12", "https://blog.example/?p=12&utm_medium=rss&utm_campaign=daily"),
    ("https://news.example/a?b=2&a=1", "https://news.example/a?a=1&b=2&gclid=x&mc_cid=y&_ga=z"),
    ("https://news.example/story/1", "https://news.example/story/1?ref=rss&amp=1&source=feed"),
]


@pytest.mark.parametrize(("one", "other"), ARTICLES_APART)
def test_different_articles_stay_different_stories(one: str, other: str) -> None:
    keys = identity_keys(feed_url="https://f.example/rss", guid=None, urls=[one])
    other_keys = identity_keys(feed_url="https://f.example/rss", guid=None, urls=[other])
    assert keys and other_keys and not set(keys) & set(other_keys)


@pytest.mark.parametrize(("one", "variant"), ONE_ARTICLE)
def test_tracking_variants_of_one_url_stay_one_identity(one: str, variant: str) -> None:
    assert normalize_url(one) == normalize_url(variant) is not None


PARAMETER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda name: not is_tracking_parameter(name)
)
VALUE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=8)


@given(st.dictionaries(PARAMETER, VALUE, min_size=1, max_size=4), PARAMETER, VALUE, VALUE)
def test_urls_differing_in_any_non_tracking_parameter_never_share_an_identity(
    common: dict[str, str], name: str, value: str, other_value: str
) -> None:
    assume(value != other_value)
    base = "https://news.example/article.php?"
    one = base + urlencode({**common, name: value})
    other = base + urlencode({**common, name: other_value})
    keys = identity_keys(feed_url="https://news.example/rss", guid=None, urls=[one])
    other_keys = identity_keys(feed_url="https://news.example/rss", guid=None, urls=[other])
    assert not set(keys) & set(other_keys)


def test_urls_urllib_cannot_take_apart_are_no_identity() -> None:
    assert normalize_url("http://[x/") is None and normalize_url("http://a:99999/x") is None
    assert identity_keys(feed_url="http://[x/", guid=None, urls=["http://[x/"]) == []


def test_a_wordpress_root_with_an_id_names_a_story_and_a_bare_root_does_not() -> None:
    assert identity_keys(feed_url="https://b.example/feed", guid=None, urls=["https://b.example/?p=12"])
    assert identity_keys(feed_url="https://b.example/feed", guid=None, urls=["https://b.example/?utm_source=x"]) == []

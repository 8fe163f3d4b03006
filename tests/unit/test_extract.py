from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.errors import EmptyText, NotHtml, Rejected
from processors.extract import extract_article


def test_article_text_without_navigation_footer_or_most_read_box(demo_site: Path) -> None:
    html = (demo_site / "news" / "armenia-azerbaijan-clashes.html").read_text(encoding="utf-8")
    html = html.replace("@BASE_URL@", "https://worldwire.example")
    article = extract_article(html, url="https://mirror.example/a?utm_source=x", content_type=None)
    assert article.text.startswith("YEREVAN (AFP) - Armenia and Azerbaijan accused each other")
    assert "Nagorno-Karabakh" in article.text
    for boilerplate in ("Most read", "Weather warning", "All rights reserved", "Privacy"):
        assert boilerplate not in article.text
    assert article.title == "Armenia and Azerbaijan trade blame over deadly border clashes"
    assert article.authors == ["AFP"]
    assert article.canonical_url == "https://worldwire.example/news/armenia-azerbaijan-clashes.html"
    assert article.declared_language == "en"
    assert article.published_at is not None and article.published_at.date().isoformat() == "2022-09-13"


def test_page_without_article_text_is_rejected(fixtures: Path) -> None:
    with pytest.raises(EmptyText):
        extract_article((fixtures / "pages" / "no-article.html").read_text(), url=None, content_type="text/html")


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json; charset=utf-8"])
def test_non_html_content_is_rejected(content_type: str) -> None:
    with pytest.raises(NotHtml):
        extract_article("<html><body><p>text</p></body></html>", url=None, content_type=content_type)


def test_empty_page_is_rejected() -> None:
    with pytest.raises(EmptyText):
        extract_article("   ", url=None, content_type="text/html; charset=utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=3000)
    | st.lists(
        st.sampled_from(["<p>", "</p>", "<div>", "<html lang='x'>", "&amp;", "<!--", "<![CDATA[", "text ", "<script>"])
    ).map("".join)
)
def test_any_input_gives_an_article_or_a_rejection(html: str) -> None:
    try:
        article = extract_article(html, url=None, content_type="text/html")
    except Rejected:
        return
    assert article.text.strip()

"""Our HTML parser is lxml.html's, with the element classes chosen in C: the same tree, the same classes, the same
extraction (processors/extract.py, `_html_parser`)."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

import processors.extract
from processors.errors import Rejected
from processors.extract import _HTML_PARSER, ExtractedArticle, extract_article
from tests.unit.test_page_metadata import pages

FORMS = (
    "<html><body><form action='/s'><label for='q'>Search</label><input id='q' name='q'><textarea>t</textarea>"
    "<select name='s'><option>a</option></select><INPUT type='checkbox'></form><!-- note --><?pi x?>"
    "<p>&amp; text</p></body></html>"
)
PAGES = [*pages(), ("forms", FORMS, None)]


@pytest.mark.parametrize(("name", "html", "url"), PAGES, ids=[name for name, _, _ in PAGES])
def test_every_element_has_lxml_htmls_class(name: str, html: str, url: str | None) -> None:
    theirs = lxml_html.document_fromstring(html)
    ours = lxml_html.document_fromstring(html, parser=_HTML_PARSER)
    assert lxml_html.tostring(ours) == lxml_html.tostring(theirs)
    assert [type(node) for node in ours.iter()] == [type(node) for node in theirs.iter()]


@pytest.mark.parametrize(("name", "html", "url"), PAGES, ids=[name for name, _, _ in PAGES])
def test_the_extraction_is_the_same_as_with_lxml_htmls_parser(
    name: str, html: str, url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = _extracted(html, url)
    monkeypatch.setattr(processors.extract, "_HTML_PARSER", lxml_html.html_parser)
    assert _extracted(html, url) == ours


def _extracted(html: str, url: str | None) -> ExtractedArticle | str:
    try:
        return extract_article(html, url=url, content_type="text/html")
    except Rejected as rejected:
        return repr(rejected)

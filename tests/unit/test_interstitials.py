"""Bot walls, consent screens and paywall stubs are told from articles."""

from processors.interstitials import RepeatedText, interstitial_reason, visible_text
from tests.faults.corpus import page

POLISH_WALL = (
    "<html><head><title>Weryfikacja</title></head><body><div>Przykro nam, ale z adresu IP 10.1.2.3 wykryliśmy "
    "nietypowy ruch. Zaznacz pole poniżej i wybierz 'Nie jestem robotem'.</div></body></html>"
)


def test_a_bot_wall_is_an_interstitial_and_an_article_is_not() -> None:
    assert interstitial_reason(POLISH_WALL, never) in (
        "it says 'przykro nam, ale z adresu ip'",
        "it says 'nie jestem robotem'",
    )
    assert interstitial_reason("<html><body><p>Please enable JavaScript to view this site.</p></body></html>", never)
    assert interstitial_reason("<html><body><noscript>Please enable JavaScript.</noscript></body></html>", never)
    assert interstitial_reason(page(1)[2], never) is None


def test_an_article_that_mentions_a_phrase_is_not_a_wall() -> None:
    long_text = "<p>" + "The council debated how sites verify you are a human with captchas. " * 40 + "</p>"
    assert interstitial_reason(f"<html><body><article>{long_text}</article></body></html>", always) is None


def never(text: str) -> bool:
    return False


def always(text: str) -> bool:
    return True


def test_the_same_short_text_from_several_urls_of_a_site_is_a_wall() -> None:
    assert interstitial_reason("<html><body><p>One moment, please...</p></body></html>", always)
    assert interstitial_reason("<html><body><p>One moment, please...</p></body></html>", never) is None
    repeated = RepeatedText(urls=3)
    text = visible_text("<html><body><p>One moment, please...</p><script>var x = 1;</script></body></html>")
    assert text == "One moment, please..."
    assert not repeated.is_repeated("a.example", "https://a.example/1", text)
    assert not repeated.is_repeated("a.example", "https://a.example/1", text)  # the same URL again: not yet
    assert not repeated.is_repeated("a.example", "https://a.example/2", text)
    assert repeated.is_repeated("a.example", "https://a.example/3", text)
    assert not repeated.is_repeated("b.example", "https://b.example/1", text)  # per site

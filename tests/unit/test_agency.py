import pytest

from processors.agency import find_agency

BODY = "The council approved the plan on Tuesday."


@pytest.mark.parametrize(
    ("text", "authors", "agency"),
    [
        ("YEREVAN (AFP) - Armenia and Azerbaijan accused each other.\n" + BODY, [], "AFP"),
        ("LONDON (Reuters) - Britain's economy grew.\n" + BODY, [], "Reuters"),
        ("MADRID (EFE) - El Gobierno aprobó.\n" + BODY, [], "EFE"),
        ("BERLIN (dpa) - Die Bundesregierung hat.\n" + BODY, [], "dpa"),
        ("JAKARTA (ANTARA) - Pemerintah.\n" + BODY, [], "ANTARA"),
        (BODY + "\nAFP melaporkan.", [], "AFP"),
        (BODY + "\nAFP reported.", [], "AFP"),
        (BODY + "\nselon l'AFP", [], "AFP"),
        (BODY + "\nberichtete dpa.", [], "dpa"),
        (BODY + "\n— Reuters", [], "Reuters"),
        (BODY + "\nReporting by Jane Doe in London; editing by Reuters staff", [], "Reuters"),
        (BODY + "\nSecond paragraph.", ["Associated Press"], "AP"),
        (BODY + "\nSecond paragraph.", ["Bernama"], "Bernama"),
    ],
)
def test_credits(text: str, authors: list[str], agency: str) -> None:
    assert find_agency(text, authors) == agency


@pytest.mark.parametrize(
    "text",
    [
        BODY + "\nThe AP style guide was cited by the editors.",  # a bare name inside a sentence
        BODY + "\nAnadolu is the Asian part of Turkey.",
        "The rapper (AP) released an album.\n" + BODY.replace("council", "council of " * 30),  # not a dateline
        "",
        BODY,
    ],
)
def test_no_credit(text: str) -> None:
    assert find_agency(text, ["Jane Doe"]) is None

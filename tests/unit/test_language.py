import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.language import UNDETERMINED, LanguageDetector

SEED = Path(__file__).resolve().parents[2] / "demo" / "site" / "news" / "armenia-azerbaijan-bentrok.html.next"

INDONESIAN = (
    "Harga beras medium di sejumlah daerah di Indonesia naik hingga sepuluh persen dalam dua pekan terakhir, "
    "menurut data Badan Pangan Nasional yang dirilis pada hari Senin. Pemerintah berencana menggelar operasi pasar."
)
MALAY = (
    "Kerajaan akan memperuntukkan sebanyak RM1.5 bilion bagi membaiki sekolah-sekolah daif di seluruh negara tahun "
    "depan, kata Menteri Kewangan. Beliau berkata peruntukan itu merupakan sebahagian daripada usaha kerajaan."
)
FRENCH = (
    "Le gouvernement français a présenté mercredi un plan de sobriété énergétique visant à réduire de dix pour cent "
    "la consommation d'énergie du pays, afin d'éviter des coupures cet hiver."
)


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_same_text_same_answer_across_detectors(detector: LanguageDetector) -> None:
    answers = {detector.detect(INDONESIAN, declared=[]) for _ in range(5)}
    answers.add(LanguageDetector().detect(INDONESIAN, declared=[]))
    assert len(answers) == 1
    (guess,) = answers
    assert guess.language == "id"
    assert guess.confidence > 0.9


def test_declared_language_settles_a_confusable_pair(detector: LanguageDetector) -> None:
    # langdetect has no Malay profile and answers "id"; the page says "ms".
    assert detector.detect(MALAY, declared=[]).language == "id"
    assert detector.detect(MALAY, declared=["ms"]).language == "ms"


def test_site_wide_template_language_does_not_override_a_clear_detection(detector: LanguageDetector) -> None:
    assert detector.detect(INDONESIAN, declared=["en"]).language == "id"
    assert detector.detect(FRENCH, declared=["de"]).language == "fr"


def test_first_declared_hint_wins(detector: LanguageDetector) -> None:
    assert detector.detect(MALAY, declared=[None, "ms", "id"]).language == "ms"


def test_too_little_text_is_undetermined_without_a_hint(detector: LanguageDetector) -> None:
    assert detector.detect("12 345 -- !!", declared=[]).language == UNDETERMINED
    assert detector.detect("12 345 -- !!", declared=[]).confidence == 0.0
    assert detector.detect("OK", declared=["pt"]).language == "pt"


def test_the_seed_is_indonesian(detector: LanguageDetector) -> None:
    from processors.extract import extract_article

    article = extract_article(SEED.read_text(encoding="utf-8"), url=None, content_type="text/html")
    guess = detector.detect(article.text, declared=[article.declared_language])
    assert guess.language == "id"


# ---- the two engines: langdetect (the reference) and langdetect-rs answer alike


@pytest.fixture(scope="module")
def engines() -> tuple[LanguageDetector, LanguageDetector]:
    return LanguageDetector(engine="langdetect"), LanguageDetector(engine="langdetect-rs")


@functools.cache
def profile_texts() -> list[tuple[str, str]]:
    """For each of langdetect's 55 language profiles, a text of its most frequent words' n-grams, in its script."""
    import json

    import langdetect

    folder = Path(langdetect.__file__).parent / "profiles"
    texts = []
    for path in sorted(folder.iterdir()):
        frequencies = json.loads(path.read_text(encoding="utf-8"))["freq"]
        grams = sorted((gram for gram in frequencies if len(gram) == 3 and " " not in gram), key=frequencies.get)
        texts.append((path.name, " ".join(reversed(grams[-120:]))[:400]))
    return texts


def fixture_texts() -> list[tuple[str, str]]:
    root = Path(__file__).resolve().parents[2]
    paths = sorted((root / "tests" / "fixtures" / "stories").glob("*.txt"))
    paths += sorted((root / "demo" / "site" / "news").glob("*.html*"))
    return [(path.name, path.read_text(encoding="utf-8", errors="replace")[:2000]) for path in paths]


@pytest.mark.parametrize(("name", "text"), profile_texts() + fixture_texts())
def test_both_engines_give_the_same_probabilities(
    engines: tuple[LanguageDetector, LanguageDetector], name: str, text: str
) -> None:
    reference, fast = engines
    if name in {profile for profile, _ in profile_texts()}:  # each profile's text is taken for its language
        assert reference.probabilities(text)[0][0] == name
    for start in range(0, len(text), 400):
        sample = text[start : start + 400]
        assert fast.probabilities(sample) == reference.probabilities(sample), (name, start)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_both_engines_agree_on_any_text(engines: tuple[LanguageDetector, LanguageDetector], text: str) -> None:
    reference, fast = engines
    assert fast.probabilities(text) == reference.probabilities(text)

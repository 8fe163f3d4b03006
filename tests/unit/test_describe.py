from datetime import UTC, datetime

from ingest.demo import describe
from processors.records import Article, FeedRef

NOW = datetime(2022, 9, 13, tzinfo=UTC)


def article(**changes: object) -> Article:
    fields: dict[str, object] = {
        "story_id": "s1",
        "version": 1,
        "version_id": "s1-v1",
        "url": None,
        "canonical_url": None,
        "feed": FeedRef(name="kabar-dunia", url="http://x/feed"),
        "title": "Judul",
        "text": "Teks.",
        "language": "id",
        "language_confidence": 1.0,
        "authors": [],
        "published_at": None,
        "updated_at": None,
        "first_seen_at": NOW,
        "fetched_at": NOW,
        "update_note": None,
        "revision_of": None,
        "changes": None,
        "duplicate_of": None,
        "cluster_id": "s1",
        "translation_of": None,
        "agency": "AFP",
        "content_hash": "h",
    }
    return Article(**(fields | changes))  # type: ignore[arg-type]


def test_a_first_version_is_one_line() -> None:
    assert describe(article()) == "v1   id 1.00  Judul  [kabar-dunia, AFP]"


def test_a_revision_names_what_it_revises_and_its_note() -> None:
    line = describe(article(version=2, version_id="s1-v2", revision_of="s1-v1", update_note="Diperbarui pada pukul 12"))
    assert line.splitlines() == [
        "v2   id 1.00  Judul  [kabar-dunia, AFP]",
        "       revises s1-v1; note: Diperbarui pada pukul 12...",
    ]


def test_a_copy_and_a_translation_name_their_original() -> None:
    assert describe(article(duplicate_of="s0")).splitlines()[1] == "       copy of s0"
    assert describe(article(translation_of="s0")).splitlines()[1] == "       translation of s0"

"""The dedupe decision: identities first, then content (near duplicates), then anchors (translations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from processors.dedupe import Document, NewStory, Repeat, Revision, StoryIndex, state_updates
from processors.fingerprint import fingerprint
from processors.identity import content_hash, story_id_for
from processors.translations import anchors

NOW = datetime(2022, 9, 13, 12, 0, tzinfo=UTC)
LATER = datetime(2022, 9, 13, 13, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
KEYS = ["url:https://a.example/story", "guid:https://a.example/feed#1"]

STORY = [
    "JAKARTA (ANTARA) - The city council of Jakarta approved on Monday a plan to rebuild the old harbour at "
    "Sunda Kelapa, after 41 of its 60 members voted in favour.",
    "Governor Rina Wulandari said the work would start in March 2024 and cost about 3,200 billion rupiah, paid "
    "for in part by a loan from the Asian Development Bank.",
    "Fishermen who use the harbour welcomed the decision but asked for temporary moorings at Muara Angke while "
    "the quays are rebuilt over the next three years.",
    "The harbour, built by the Dutch East India Company in the 17th century, has been damaged by land "
    "subsidence and floods, which hit it again in January.",
]


def doc(keys: list[str], paragraphs: list[str], *, site: str = "a.example", language: str = "en") -> Document:
    text = "\n".join(paragraphs)
    return Document(
        identities=keys,
        content_hash=content_hash(text),
        fingerprint=fingerprint(text),
        title=paragraphs[0][:40],
        site=site,
        language=language,
        anchors=anchors(text),
    )


def remember(table: dict[str, Any], document: Document, at: datetime = NOW) -> Any:
    decision = StoryIndex(table).decide(document, at)
    table.update(state_updates(decision, document, now=at))
    return decision


def test_an_unknown_document_is_a_new_story_with_a_stable_id() -> None:
    decision = StoryIndex({}).decide(doc(KEYS, STORY), NOW)
    assert decision == NewStory(story_id_for(KEYS[0]))


def test_same_identity_same_content_is_a_repeat() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    assert isinstance(StoryIndex(table).decide(doc(KEYS, STORY), NOW), Repeat)


def test_a_paragraph_added_is_the_next_version_with_its_changes() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    added = "Work on the northern quay will begin first, the port authority said in a statement on Tuesday."
    second = StoryIndex(table).decide(doc(KEYS, [*STORY, added]), LATER)
    assert isinstance(second, Revision) and second.previous.version == 1 and second.matched_by == "identity"
    assert (second.changes.paragraphs_added, second.changes.paragraphs_removed) == (1, 0)
    assert not second.changes.title_changed
    table.update(state_updates(second, doc(KEYS, [*STORY, added]), now=LATER))
    story = StoryIndex(table).story_for(KEYS[0])
    assert story is not None
    assert (story.version, story.first_seen_at, story.last_seen_at) == (2, NOW, LATER)


def test_trivial_differences_are_not_a_new_version() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    boxes = ["Most read", "Five things to know about the rate decision", "Advertisement", "Subscribe now."]
    spaced = [f"  {p}  " for p in STORY]
    assert isinstance(StoryIndex(table).decide(doc(KEYS, [*STORY, *boxes]), LATER), Repeat)
    assert isinstance(StoryIndex(table).decide(doc(KEYS, spaced), LATER), Repeat)


def test_a_rewritten_sentence_is_a_revision_counted_both_ways() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    edited = [STORY[0], STORY[1].replace("3,200", "3,450"), *STORY[2:]]
    decision = StoryIndex(table).decide(doc(KEYS, edited), LATER)
    assert isinstance(decision, Revision)
    assert (decision.changes.paragraphs_added, decision.changes.paragraphs_removed) == (1, 1)


def test_a_story_is_found_under_any_of_its_identities() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    decision = StoryIndex(table).decide(doc(["url:https://a.example/moved", KEYS[1]], STORY), NOW)
    assert isinstance(decision, Repeat)
    assert decision.story.story_id == story_id_for(KEYS[0])


def test_going_back_to_an_earlier_text_is_not_a_new_version() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    remember(table, doc(KEYS, [*STORY, "A fifth paragraph, added later in the day by the desk editor."]), LATER)
    assert isinstance(StoryIndex(table).decide(doc(KEYS, STORY), LATER), Repeat)


def test_the_same_site_republishing_under_a_new_url_is_a_revision() -> None:
    table: dict[str, Any] = {}
    first = remember(table, doc(KEYS, STORY))
    added = "The port authority said on Tuesday that work on the northern quay would begin first, in February."
    decision = StoryIndex(table).decide(doc(["url:https://a.example/story-updated"], [*STORY, added]), LATER)
    assert isinstance(decision, Revision) and decision.matched_by == "content"
    assert decision.previous.story_id == first.story_id


def test_another_site_running_the_story_is_a_duplicate_in_its_cluster() -> None:
    table: dict[str, Any] = {}
    first = remember(table, doc(KEYS, STORY))
    copy = [STORY[0].replace("JAKARTA (ANTARA) - ", "Jakarta, Sept 13 (ANTARA) — "), *STORY[1:3], "Source: ANTARA"]
    decision = remember(table, doc(["url:https://b.example/copy"], copy, site="b.example"))
    assert isinstance(decision, NewStory)
    assert decision.duplicate_of == first.story_id and decision.cluster == first.story_id
    # A copy of the copy points at the original, in the same cluster.
    again = StoryIndex(table).decide(doc(["url:https://c.example/x"], copy, site="c.example"), LATER)
    assert isinstance(again, NewStory) and again.duplicate_of == first.story_id and again.cluster == first.story_id


def test_a_different_story_on_the_same_topic_is_new() -> None:
    table: dict[str, Any] = {}
    remember(table, doc(KEYS, STORY))
    other = [
        "JAKARTA (ANTARA) - Jakarta's governor Rina Wulandari postponed on Thursday the rebuilding of the Sunda "
        "Kelapa harbour, saying the Asian Development Bank had not yet approved the loan.",
        "The council had approved the plan in September; fishermen said they were relieved the moorings at Muara "
        "Angke would stay open through the rainy season.",
        STORY[3],
    ]
    decision = StoryIndex(table).decide(doc(["url:https://a.example/other"], other), LATER)
    assert decision == NewStory(story_id_for("url:https://a.example/other"))


def test_a_translation_is_linked_by_its_names_and_numbers() -> None:
    table: dict[str, Any] = {}
    first = remember(table, doc(KEYS, STORY))
    indonesian = [
        "JAKARTA (ANTARA) - Dewan kota Jakarta pada hari Senin menyetujui rencana membangun kembali pelabuhan tua "
        "Sunda Kelapa, setelah 41 dari 60 anggotanya memberikan suara setuju.",
        "Gubernur Rina Wulandari mengatakan pekerjaan akan dimulai pada Maret 2024 dan menelan biaya sekitar 3.200 "
        "miliar rupiah, sebagian dibiayai pinjaman dari Asian Development Bank.",
        "Para nelayan menyambut baik keputusan itu tetapi meminta tambatan sementara di Muara Angke selama dermaga "
        "dibangun kembali dalam tiga tahun ke depan.",
        "Pelabuhan yang dibangun oleh Dutch East India Company pada abad ke-17 itu rusak akibat penurunan tanah "
        "dan banjir, yang kembali melandanya pada bulan Januari.",
    ]
    decision = StoryIndex(table).decide(doc(["url:https://k.example/id"], indonesian, language="id"), LATER)
    assert isinstance(decision, NewStory) and decision.duplicate_of is None
    assert decision.translation_of == first.story_id and decision.cluster == first.story_id
    # The same anchors in the same language are not a translation (and too different in words to be a copy).
    same_language = StoryIndex(table).decide(doc(["url:https://k.example/en"], indonesian, language="en"), LATER)
    assert same_language == NewStory(story_id_for("url:https://k.example/en"))
    # Nor is a story first seen outside the translation window.
    late = StoryIndex(table).decide(doc(["url:https://k.example/x"], indonesian, language="id"), NOW + timedelta(7))
    assert late == NewStory(story_id_for("url:https://k.example/x"))


def test_equally_similar_stories_are_chosen_by_story_id() -> None:
    table: dict[str, Any] = {}
    for n in (1, 2):  # two sites that published the same text, each taken for an original
        document = doc([f"url:https://b{n}.example/s"], STORY, site=f"b{n}.example")
        table.update(state_updates(NewStory(story_id_for(document.identities[0])), document, now=NOW))
    ids = sorted(story_id_for(f"url:https://b{n}.example/s") for n in (1, 2))
    decision = StoryIndex(table).decide(doc(["url:https://c.example/s"], STORY, site="c.example"), LATER)
    assert isinstance(decision, NewStory) and decision.duplicate_of == ids[0]


def test_the_most_specific_identity_decides_between_two_stories() -> None:
    table: dict[str, Any] = {}
    a, b = ["url:https://a.example/1"], ["url:https://a.example/2"]
    remember(table, doc(a, STORY[:2]))
    remember(table, doc(b, STORY[2:]))
    decision = StoryIndex(table).decide(doc([b[0], a[0]], STORY[2:]), NOW)
    assert isinstance(decision, Repeat) and decision.story.story_id == story_id_for(b[0])


def test_a_document_without_identity_is_a_bug() -> None:
    with pytest.raises(ValueError):
        StoryIndex({}).decide(doc([], STORY), NOW)


def test_state_survives_a_json_round_trip_and_rebuilds_the_indexes() -> None:
    table: dict[str, Any] = {}
    first = remember(table, doc(KEYS, STORY))
    restored = StoryIndex(json.loads(json.dumps(table)))
    assert isinstance(restored.decide(doc(KEYS, STORY), NOW), Repeat)
    copy = restored.decide(doc(["url:https://b.example/c"], STORY, site="b.example"), NOW)
    assert isinstance(copy, NewStory) and copy.duplicate_of == first.story_id


def test_stories_not_seen_within_the_window_are_evicted_with_their_aliases() -> None:
    table: dict[str, Any] = {}
    old = remember(table, doc(KEYS, STORY), NOW)
    fresh = remember(
        table,
        doc(
            ["url:https://b.example/other"],
            [
                "BANDUNG (ANTARA) - A landslide blocked the main road between Bandung and Garut on Friday, "
                "stranding hundreds of travellers, the regional disaster agency said."
            ],
        ),
        LATER,
    )
    index = StoryIndex(table)
    tombstones = index.expired(before=NOW + timedelta(minutes=30))
    assert tombstones == {f"story:{old.story_id}": None, **{f"alias:{key}": None for key in KEYS}}
    assert index.expired(before=NOW + timedelta(minutes=30)) == tombstones  # until the tombstones are written
    for key, value in tombstones.items():
        table.pop(key)
        index.observe(key, value)
    assert index.story(fresh.story_id) is not None
    assert len(index.near_duplicates) == 1 and len(index.translations) == 1
    assert StoryIndex(table).decide(doc(KEYS, STORY), LATER) == NewStory(story_id_for(KEYS[0]))


def test_a_story_seen_again_is_not_evicted_and_an_alias_that_moved_stays() -> None:
    table: dict[str, Any] = {}
    first = remember(table, doc(KEYS, STORY), NOW)
    remember(table, doc(KEYS, STORY), LATER)  # a repeat: seen again
    index = StoryIndex(table)
    assert index.expired(before=NOW + timedelta(minutes=30)) == {}
    landslide = "BANDUNG (ANTARA) - A landslide blocked the main road between Bandung and Garut on Friday."
    other = remember(table, doc(["url:https://b.example/other"], [landslide], site="b.example"), LATER + HOUR)
    assert isinstance(other, NewStory)
    table[f"alias:{KEYS[1]}"] = {"story_id": other.story_id}  # the GUID now names another story
    index = StoryIndex(table)
    assert index.expired(before=LATER + timedelta(minutes=1)) == {
        f"story:{first.story_id}": None,
        f"alias:{KEYS[0]}": None,
    }


def test_stories_written_before_they_listed_their_aliases_are_still_evicted_with_them() -> None:
    table: dict[str, Any] = {}
    old = remember(table, doc(KEYS, STORY), NOW)
    table[f"story:{old.story_id}"] = {k: v for k, v in table[f"story:{old.story_id}"].items() if k != "aliases"}
    tombstones = StoryIndex(table).expired(before=LATER)
    assert tombstones == {f"story:{old.story_id}": None, **{f"alias:{key}": None for key in KEYS}}


def test_a_story_is_evicted_to_the_microsecond() -> None:
    table: dict[str, Any] = {}
    story = remember(table, doc(KEYS, STORY), NOW + timedelta(milliseconds=900))
    index = StoryIndex(table)
    assert index.expired(before=NOW + timedelta(milliseconds=500)) == {}
    assert f"story:{story.story_id}" in index.expired(before=NOW + timedelta(milliseconds=950))


OTHER_STORY = [
    "SEOUL - The national assembly passed a bill on Tuesday that raises the minimum wage for delivery riders by "
    "12 percent from next January, after a vote of 180 to 95.",
    "Labour minister Kim Ji-won said the measure would cover about 450,000 workers and be reviewed in 2027.",
    "Platform companies said they would comply but warned that fees for restaurants could rise as a result.",
]


UPDATE = (
    "On Tuesday the governor signed the decree that releases the first 800 billion rupiah, and the port authority "
    "said the tender for the new quays would open in February."
)


def test_stories_stored_under_the_old_keys_are_still_known_after_the_upgrade() -> None:
    """A state written by the release that used courlan's strict mode (it dropped `idxno` and the feed URL's
    `type`): the same article is still its story, and a different article is not taken for it."""
    from processors.identity import identity_keys

    feed = "https://www.example.kr/rss/allArticle.xml?type=all"
    page = "https://www.example.kr/news/articleView.html?idxno=1001"
    old_keys = [
        "url:https://www.example.kr/news/articleView.html",
        "guid:https://www.example.kr/rss/allArticle.xml#1001",
    ]
    table: dict[str, Any] = {}
    first = remember(table, doc(old_keys, STORY))
    assert isinstance(first, NewStory)

    keys = identity_keys(feed_url=feed, guid="1001", urls=[page])
    assert keys[0] == f"url:{page}"  # the new identity keeps idxno
    # The same page again: a repeat of the stored story, not a new one.
    assert isinstance(StoryIndex(table).decide(doc(keys, STORY), LATER), Repeat)
    # The same article updated: the next version of the stored story.
    revised = StoryIndex(table).decide(doc(keys, [*STORY, UPDATE]), LATER)
    assert isinstance(revised, Revision) and revised.previous.story_id == first.story_id
    # Rewritten from top to bottom (no content match possible): its feed's GUID, under the old key, still says.
    rewritten = StoryIndex(table).decide(doc(keys, [UPDATE, *OTHER_STORY[1:]]), LATER)
    assert isinstance(rewritten, Revision) and rewritten.previous.story_id == first.story_id
    # Another article of the site (idxno=1002), which the old keys could not tell apart: a story of its own.
    other = identity_keys(feed_url=feed, guid="1002", urls=["https://www.example.kr/news/articleView.html?idxno=1002"])
    assert isinstance(StoryIndex(table).decide(doc(other, OTHER_STORY), LATER), NewStory)

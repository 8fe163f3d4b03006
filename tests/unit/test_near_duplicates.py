"""The compact near-duplicate index answers as a plain scan would, through merges, removals and compactions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors import near_duplicates
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, estimated_jaccard
from processors.near_duplicates import NearDuplicateIndex

STORY_IDS = [f"{n:020x}" for n in range(12)]

# A small alphabet so that band keys and signature bytes collide often; bands follow from the signature, as the
# MinHash values they are both made of do.
fingerprints = st.binary(min_size=SIGNATURE_BYTES, max_size=SIGNATURE_BYTES).map(
    lambda b: Fingerprint(
        bands=tuple(x % 4 if x % 4 != 3 else 2**32 - 1 for x in b[:BANDS]),
        signature=bytes(x % 4 * 17 for x in b),
        paragraphs=(),
    )
)
operations = st.lists(
    st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from(STORY_IDS), fingerprints, st.sampled_from("ab")),
    max_size=60,
)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Merges and compactions after a handful of operations, so that every path is taken.
    monkeypatch.setattr(near_duplicates, "_MERGE_EVERY", 3)
    monkeypatch.setattr(near_duplicates, "_GROW_ROWS", 4)


@settings(max_examples=150, deadline=None)
@given(operations, fingerprints, st.sampled_from([0.0, 0.3, 0.6]))
def test_matches_equal_a_scan(
    steps: list[tuple[str, str, Fingerprint, str]], query: Fingerprint, threshold: float
) -> None:
    index = NearDuplicateIndex()
    model: dict[str, tuple[Fingerprint, str]] = {}
    for operation, story_id, fingerprint, site in steps:
        if operation == "add":
            index.add(story_id, fingerprint, site)
            model[story_id] = (fingerprint, site)
        else:
            index.remove(story_id)
            model.pop(story_id, None)
    expected = sorted(
        (
            (-estimated_jaccard(fp.signature, query.signature), story_id, site)
            for story_id, (fp, site) in model.items()
            if any(a == b for a, b in zip(fp.bands, query.bands, strict=True))
            and estimated_jaccard(fp.signature, query.signature) >= threshold
        ),
    )
    found = [(-m.similarity, m.story_id, m.site) for m in index.matches(query, threshold)]
    assert found == expected
    assert len(index) == len(model)


def test_a_text_too_short_to_compare_is_not_indexed() -> None:
    index = NearDuplicateIndex()
    index.add(STORY_IDS[0], Fingerprint((), b"", ("abcd1234",)), "a")
    assert len(index) == 0 and index.matches(Fingerprint((), b"", ()), 0.0) == []

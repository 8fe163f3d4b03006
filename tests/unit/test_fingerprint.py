"""A story's fingerprint and anchors are stored and compared for the whole dedupe window: they never change.

`tests/fixtures/fingerprints/stories.json` holds what the fixture stories gave when written; a faster
implementation, or a new version of datasketch, must give the same values, or every story already stored would
stop matching its copies and revisions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.fingerprint import fingerprint
from processors.translations import anchors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "fingerprints" / "stories.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_story_gives_the_fingerprint_it_always_gave(name: str) -> None:
    text = (FIXTURES / "stories" / name).read_text(encoding="utf-8")
    found = fingerprint(text)
    assert {
        "bands": list(found.bands),
        "signature": found.signature.hex(),
        "paragraphs": list(found.paragraphs),
        "size": found.size,
        "anchors": list(anchors(text)),
    } == EXPECTED[name]
    assert found.comparable

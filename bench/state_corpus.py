"""Realistic dedupe-state documents for the state benchmarks: real texts' fingerprints and anchors, random hashes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bench.dedupe_corpus import background_stories
from processors.dedupe import Document
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, fingerprint
from processors.translations import anchors

Template = tuple[Fingerprint, tuple[str, ...]]


def story_templates(texts: int = 500) -> list[Template]:
    """Fingerprints and anchors of real texts, which the generated stories take turns to carry."""
    return [(fingerprint(story.text), anchors(story.text)) for story in background_stories(texts)]


def story_documents(stories: int, templates: list[Template], *, seed: int = 3) -> Iterator[Document]:
    """`stories` documents of distinct stories on 997 sites, as the dedupe step would see them."""
    rng = np.random.default_rng(seed)
    for number in range(stories):
        site = f"site{number % 997}.example"
        template, story_anchors = templates[number % len(templates)]
        yield Document(
            identities=[f"url:https://{site}/news/2026/11/{number}-a-story-slug", f"guid:https://{site}/rss#{number}"],
            content_hash=rng.bytes(32).hex(),
            fingerprint=Fingerprint(
                tuple(rng.integers(0, 2**32, size=BANDS, dtype=np.uint64).tolist()),
                rng.integers(0, 256, size=SIGNATURE_BYTES, dtype=np.uint8).tobytes(),
                template.paragraphs,
                template.size,
            ),
            title=f"Story {number} of the day",
            site=site,
            language="en",
            anchors=story_anchors,
        )

"""Realistic dedupe-state documents for the state benchmarks: real texts' fingerprints and anchors, random hashes."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

from bench.dedupe_corpus import background_stories
from processors.dedupe import Document
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, fingerprint
from processors.translations import anchors

Template = tuple[Fingerprint, tuple[str, ...]]


def story_templates(texts: int = 500) -> list[Template]:
    """Fingerprints and anchors of real texts, which the generated stories take turns to carry."""
    return [(fingerprint(story.text), anchors(story.text)) for story in background_stories(texts)]


def story_documents(stories: int, templates: list[Template], *, seed: int = 3, start: int = 0) -> Iterator[Document]:
    """The documents of distinct stories start..stories-1 on 997 sites, as the dedupe step would see them.

    A story's random parts (content hash, band keys, signature) come from its number and `seed` alone, so any
    range of stories can be made again, in any process.
    """
    for number in range(start, stories):
        site = f"site{number % 997}.example"
        template, story_anchors = templates[number % len(templates)]
        noise = hashlib.shake_128(f"{seed}:{number}".encode()).digest(32 + 4 * BANDS + SIGNATURE_BYTES)
        yield Document(
            identities=[f"url:https://{site}/news/2026/11/{number}-a-story-slug", f"guid:https://{site}/rss#{number}"],
            content_hash=noise[:32].hex(),
            fingerprint=Fingerprint(
                struct.unpack_from(f"<{BANDS}I", noise, 32),
                noise[32 + 4 * BANDS :],
                template.paragraphs,
                template.size,
            ),
            title=f"Story {number} of the day",
            site=site,
            language="en",
            anchors=story_anchors,
        )

"""The dedupe indexes kept in the story store rather than on the heap: what they hold costs disk, not memory.

Each answers exactly as its in-memory counterpart in `processors` (tests/unit/test_stored_indexes.py compares
them): the near-duplicate index (`processors.near_duplicates`), the translation index (`processors.translations`),
the expiry queue (`processors.dedupe.ExpiryQueue`). They are written while the store's batch of a table write is
open (`StoredTable` tells the `StoryIndex` of every write, the index tells them), so an index entry is on disk
exactly when the entry it derives from is.

Keys (big-endian numbers, so that key order is numeric order; a story id is its 10 bytes):

- ``N`` band, band key, story -> ``b""``; ``S`` story -> bands, size, signature, site (the fingerprint indexed);
- ``A`` anchor hash, story -> language; ``F`` anchor hash -> how many stories of the window hold it;
  ``W`` story -> first seen, language, anchor hashes; ``O`` first seen, story -> ``b""`` (the window's order);
  ``M`` + "translations" -> how many stories the window holds;
- ``E`` last seen, story -> ``b""`` (a story noted again leaves its earlier item, dropped when it comes up).
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import numpy as np

from ingest.story_store import META, StoryStore
from processors.dedupe import DerivedIndexes
from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, estimated_jaccards
from processors.near_duplicates import Match
from processors.translations import TranslationScoring

_BANDS = struct.Struct(f">{BANDS}IH")
_BAND = struct.Struct(">BI")
_STAMP = struct.Struct(">q")
_COUNT = struct.Struct(">I")
_ID = 10
_TRANSLATIONS = META + b"translations"
_FREQUENCIES_CACHED = 200_000
_HOLDERS_CACHED = 500_000  # (story, language) pairs: ~60 MB at most


def _story(story_id: str) -> bytes:
    return bytes.fromhex(story_id)


def _millis(moment: datetime | float) -> int:
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return int(seconds * 1000)


class StoredNearDuplicates:
    """MinHash-LSH band buckets as keys: a lookup is one prefix seek a band, then the candidates' fingerprints."""

    def __init__(self, store: StoryStore) -> None:
        self._store = store

    def add(self, story_id: str, fingerprint: Fingerprint, site: str) -> None:
        story = _story(story_id)
        known = self._store.get(b"S" + story)
        if not fingerprint.comparable:
            self._drop(story, known)
            return
        record = (
            _BANDS.pack(*fingerprint.bands, min(max(1, fingerprint.size), 0xFFFF))
            + fingerprint.signature
            + site.encode()
        )
        if known == record:
            return  # already indexed: the table tells of a story again when its write is read back
        self._drop(story, known)
        self._store.put(b"S" + story, record)
        for band, band_key in enumerate(fingerprint.bands):
            self._store.put(b"N" + _BAND.pack(band, band_key) + story, b"")

    def remove(self, story_id: str) -> None:
        story = _story(story_id)
        self._drop(story, self._store.get(b"S" + story))

    def _drop(self, story: bytes, known: bytes | None) -> None:
        if known is None:
            return
        self._store.delete(b"S" + story)
        for band, band_key in enumerate(_BANDS.unpack_from(known)[:BANDS]):
            self._store.delete(b"N" + _BAND.pack(band, band_key) + story)

    def matches(self, fingerprint: Fingerprint, threshold: float) -> list[Match]:
        """Stories whose estimated similarity is at least `threshold`: most similar first, then by story id."""
        if not fingerprint.comparable:
            return []
        stories: set[bytes] = set()
        for band, band_key in enumerate(fingerprint.bands):
            stories.update(key[-_ID:] for key, _ in self._store.scan(b"N" + _BAND.pack(band, band_key)))
        if not stories:
            return []
        found: list[tuple[bytes, int, str]] = []
        signatures: list[bytes] = []
        for story in sorted(stories):
            record = self._store.get(b"S" + story)
            if record is None:
                continue
            size = _BANDS.unpack_from(record)[BANDS]
            signature_end = _BANDS.size + SIGNATURE_BYTES
            signatures.append(record[_BANDS.size : signature_end])
            found.append((story, size, record[signature_end:].decode()))
        if not found:
            return []
        rows = np.frombuffer(b"".join(signatures), dtype=np.uint8).reshape(len(found), SIGNATURE_BYTES)
        similarities = estimated_jaccards(rows, np.frombuffer(fingerprint.signature, dtype=np.uint8))
        matched = [
            Match(story.hex(), float(similarity), site, size)
            for (story, size, site), similarity in zip(found, similarities.tolist(), strict=True)
            if similarity >= threshold
        ]
        return sorted(matched, key=lambda match: (-match.similarity, match.story_id))


class StoredTranslations(TranslationScoring):
    """The anchors of the window's stories by anchor hash, with their frequencies, in the store."""

    def __init__(self, store: StoryStore, window: timedelta, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self.window = window
        self._clock = clock  # a story first seen before the window is not added: it could never be linked
        # Frequencies and holders read by decisions, kept in step with the writes: the common anchors of the news
        # of the day are read by most decisions, and a thousand holders read from disk cost milliseconds.
        self._frequencies: dict[bytes, int] = {}
        self._holders_of: dict[bytes, dict[bytes, str]] = {}
        self._holders_cached = 0

    def __len__(self) -> int:
        value = self._store.get(_TRANSLATIONS)
        return _COUNT.unpack(value)[0] if value else 0

    def add(self, story_id: str, language: str, story_anchors: tuple[str, ...], first_seen_at: datetime) -> None:
        story = _story(story_id)
        known = self._store.get(b"W" + story)
        first_seen = _window_entry(known)[0] if known is not None else _millis(first_seen_at)  # a revision keeps it
        if first_seen < _millis(self._clock() - self.window.total_seconds()):
            if known is not None:
                self._drop(story, known)
            return  # older than any translation the window would take (most of a rebuild: read past quickly)
        tokens = tuple(dict.fromkeys(self._token(anchor) for anchor in story_anchors))
        if known is not None:
            if _window_entry(known)[2] == tokens:
                return
            self._drop(story, known)  # a revision: its new anchors, its first sighting
        if not tokens:
            return
        encoded_language = language.encode()
        self._store.put(
            b"W" + story, _STAMP.pack(first_seen) + bytes([len(encoded_language)]) + encoded_language + b"".join(tokens)
        )
        self._store.put(b"O" + _STAMP.pack(first_seen) + story, b"")
        for token in tokens:
            self._store.put(b"A" + token + story, encoded_language)
            self._count(b"F" + token, +1)
            cached = self._holders_of.get(token)
            if cached is not None:
                cached[story] = language
        self._count(_TRANSLATIONS, +1)

    def remove(self, story_id: str) -> None:
        story = _story(story_id)
        known = self._store.get(b"W" + story)
        if known is not None:
            self._drop(story, known)

    def _drop(self, story: bytes, known: bytes) -> None:
        first_seen, _, tokens = _window_entry(known)
        self._store.delete(b"W" + story)
        self._store.delete(b"O" + _STAMP.pack(first_seen) + story)
        for token in tokens:
            self._store.delete(b"A" + token + story)
            self._count(b"F" + token, -1)
            cached = self._holders_of.get(token)
            if cached is not None:
                cached.pop(story, None)
        self._count(_TRANSLATIONS, -1)

    def _count(self, key: bytes, change: int) -> None:
        value = self._store.get(key)
        count = (_COUNT.unpack(value)[0] if value else 0) + change
        if count > 0:
            self._store.put(key, _COUNT.pack(count))
        else:
            self._store.delete(key)
        token = key[1:]
        if key != _TRANSLATIONS and token in self._frequencies:
            self._frequencies[token] = max(count, 0)

    def forget_before(self, now: datetime) -> None:
        stop = b"O" + _STAMP.pack(_millis(now - self.window))
        leaving = [key[-_ID:] for key, _ in self._store.range(b"O", stop)]
        if not leaving:
            return
        with self._store.writing():
            for story in leaving:
                known = self._store.get(b"W" + story)
                if known is not None:
                    self._drop(story, known)

    def _token(self, anchor: str) -> bytes:
        return hashlib.blake2b(anchor.encode(), digest_size=8).digest()

    def _frequency(self, token: bytes) -> int:
        count = self._frequencies.get(token)
        if count is None:
            value = self._store.get(b"F" + token)
            count = _COUNT.unpack(value)[0] if value else 0
            if len(self._frequencies) >= _FREQUENCIES_CACHED:
                self._frequencies.clear()
            self._frequencies[token] = count
        return count

    def _holders(self, token: bytes) -> Iterator[tuple[str, str]]:
        cached = self._holders_of.get(token)
        if cached is None:
            cached = {key[-_ID:]: language.decode() for key, language in self._store.scan(b"A" + token)}
            if self._holders_cached + len(cached) > _HOLDERS_CACHED:
                self._holders_of.clear()
                self._holders_cached = 0
            self._holders_of[token] = cached
            self._holders_cached += len(cached)
        for story in sorted(cached):  # key order, as the store's scan gives them
            yield story.hex(), cached[story]

    def _tokens_of(self, story_id: str) -> tuple[bytes, ...]:
        known = self._store.get(b"W" + _story(story_id))
        return _window_entry(known)[2] if known else ()


def _window_entry(value: bytes) -> tuple[int, str, tuple[bytes, ...]]:
    first_seen = _STAMP.unpack_from(value)[0]
    length = value[_STAMP.size]
    start = _STAMP.size + 1 + length
    language = value[_STAMP.size + 1 : start].decode()
    return first_seen, language, tuple(value[at : at + 8] for at in range(start, len(value), 8))


class StoredExpiry:
    """The expiry queue: (last seen, story) in key order, so the stories due are a range read, never a scan."""

    def __init__(self, store: StoryStore) -> None:
        self._store = store

    def note(self, story_id: str, last_seen: float) -> None:
        self._store.put(b"E" + _STAMP.pack(_millis(last_seen)) + _story(story_id), b"")

    def take_before(self, before: float) -> list[tuple[float, str]]:
        """Remove and return the items noted before `before`, oldest first."""
        items = list(self._store.range(b"E", b"E" + _STAMP.pack(_millis(before))))
        with self._store.writing():
            for key, _ in items:
                self._store.delete(key)
        return [(_STAMP.unpack_from(key, 1)[0] / 1000, key[-_ID:].hex()) for key, _ in items]

    def put_back(self, items: list[tuple[float, str]]) -> None:
        with self._store.writing():
            for stamp, story_id in items:
                self.note(story_id, stamp)


def stored_indexes(
    store: StoryStore, translation_window: timedelta, clock: Callable[[], float] = time.time
) -> DerivedIndexes:
    """The dedupe step's derived indexes, in `store` (`clock`: the processor's, which dates what it decides)."""
    return DerivedIndexes(
        StoredNearDuplicates(store), StoredTranslations(store, translation_window, clock), StoredExpiry(store)
    )

"""The near-duplicate index: which known stories share enough of a text to be its revision or its copy.

MinHash-LSH (the fingerprints of `processors.fingerprint`) over compact arrays rather than datasketch's
MinHashLSH, which keeps Python sets per band bucket: about 2 KiB per story where the budget is 256 bytes
(docs/benchmarks.md). Per story the index holds one uint32 key and one uint32 row per band, a 64-byte b-bit
signature, a 10-byte story id, a 4-byte site number, a 2-byte size and about 25 bytes of the story-id table.

Band keys live in one sorted array per band (binary search) plus a small dict of recent inserts, merged into the
arrays in bulk; removed stories are masked and swept out at the next merge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from processors.fingerprint import BANDS, SIGNATURE_BYTES, Fingerprint, estimated_jaccards

_MERGE_EVERY = 4096
_ID_BYTES = 10  # story ids are 20 hex digits
_GROW_ROWS = 65_536
_LAST_KEY = 2**32 - 1
_EMPTY = 0
_REMOVED = 1


class _RowTable:
    """story id -> row: open addressing over two uint32 arrays, about 17 bytes a story where a dict costs 100.

    Keys are 32-bit hashes of the story id, so two stories can share one: a slot answers only when `same(row,
    story_id)` confirms the row is that story's.
    """

    def __init__(self, same: Callable[[int, bytes], bool], capacity: int = 1024) -> None:
        self._same = same
        self._keys = np.zeros(capacity, dtype=np.uint32)
        self._rows = np.zeros(capacity, dtype=np.uint32)
        self._count = 0
        self._used = 0  # live and removed slots: probing stops only at empty ones

    def __len__(self) -> int:
        return self._count

    @staticmethod
    def _key(story_id: bytes) -> int:
        digest = int.from_bytes(hashlib.blake2b(story_id, digest_size=4).digest(), "little")
        return max(2, digest)  # 0 and 1 mark empty and removed slots

    def _slot(self, key: int, story_id: bytes) -> int:
        """The slot holding `story_id`, else the empty slot where it would go."""
        keys, rows = self._keys, self._rows
        mask = len(keys) - 1
        slot = key & mask
        while True:
            found = int(keys[slot])
            if found == _EMPTY or (found == key and self._same(int(rows[slot]), story_id)):
                return slot
            slot = (slot + 1) & mask

    def get(self, story_id: bytes) -> int | None:
        slot = self._slot(self._key(story_id), story_id)
        return int(self._rows[slot]) if self._keys[slot] != _EMPTY else None

    def put(self, story_id: bytes, row: int) -> None:
        """Map `story_id` to `row` (which must already hold the story's id)."""
        key = self._key(story_id)
        slot = self._slot(key, story_id)
        if self._keys[slot] == _EMPTY:
            self._count += 1
            self._used += 1
        self._keys[slot], self._rows[slot] = key, row
        if self._used * 3 > len(self._keys) * 2:
            self._resize(max(1024, 1 << (self._count * 3 // 2).bit_length()))

    def pop(self, story_id: bytes) -> int | None:
        slot = self._slot(self._key(story_id), story_id)
        if self._keys[slot] == _EMPTY:
            return None
        self._keys[slot] = _REMOVED
        self._count -= 1
        return int(self._rows[slot])

    def renumber(self, renumber: np.ndarray) -> None:
        live = self._keys > _REMOVED
        self._rows[live] = renumber[self._rows[live]]

    def _resize(self, capacity: int) -> None:
        keys, rows = self._keys, self._rows
        live = keys > _REMOVED
        self._keys = np.zeros(capacity, dtype=np.uint32)
        self._rows = np.zeros(capacity, dtype=np.uint32)
        mask = capacity - 1
        for key, row in zip(keys[live].tolist(), rows[live].tolist(), strict=True):
            slot = key & mask
            while self._keys[slot] != _EMPTY:
                slot = (slot + 1) & mask
            self._keys[slot], self._rows[slot] = key, row
        self._used = self._count

    def nbytes(self) -> int:
        return int(self._keys.nbytes + self._rows.nbytes)


@dataclass(frozen=True)
class Match:
    story_id: str
    similarity: float
    site: str
    size: int


class NearDuplicateIndex:
    def __init__(self) -> None:
        self._keys = [np.empty(0, dtype=np.uint32) for _ in range(BANDS)]
        self._rows = [np.empty(0, dtype=np.uint32) for _ in range(BANDS)]
        self._pending: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]
        self._pending_count = 0
        self._signatures = np.empty((0, SIGNATURE_BYTES), dtype=np.uint8)
        self._story_ids = np.empty((0, _ID_BYTES), dtype=np.uint8)  # not "S10": it drops trailing zero bytes
        self._sites = np.empty(0, dtype=np.uint32)
        self._sizes = np.empty(0, dtype=np.uint16)
        self._row_of = _RowTable(lambda row, key: self._story_ids[row].tobytes() == key)
        self._site_numbers: dict[str, int] = {}
        self._site_names: list[str] = []
        self._used = 0

    def __len__(self) -> int:
        return len(self._row_of)

    def add(self, story_id: str, fingerprint: Fingerprint, site: str) -> None:
        """Index (or re-index) a story's latest text."""
        key = bytes.fromhex(story_id)
        row = self._row_of.get(key)
        if not fingerprint.comparable:
            self._drop(key, row)
            return
        site_number = self._site_number(site)
        if (
            row is not None
            and self._sites[row] == site_number
            and self._signatures[row].tobytes() == fingerprint.signature
        ):
            return  # already indexed: the table tells us of a story again when its write is read back
        self._drop(key, row)
        row = self._new_row()
        self._signatures[row] = np.frombuffer(fingerprint.signature, dtype=np.uint8)
        self._story_ids[row] = np.frombuffer(key, dtype=np.uint8)
        self._sites[row] = site_number
        self._sizes[row] = max(1, fingerprint.size)  # a size of 0 marks a removed row
        self._row_of.put(key, row)
        for band, band_key in enumerate(fingerprint.bands):
            self._pending[band].setdefault(band_key, []).append(row)
        self._pending_count += 1
        if self._pending_count >= _MERGE_EVERY:
            self._merge()

    def remove(self, story_id: str) -> None:
        key = bytes.fromhex(story_id)
        self._drop(key, self._row_of.get(key))

    def _drop(self, key: bytes, row: int | None) -> None:
        if row is not None:
            self._row_of.pop(key)
            self._sizes[row] = 0

    def matches(self, fingerprint: Fingerprint, threshold: float) -> list[Match]:
        """Stories whose estimated similarity is at least `threshold`: most similar first, then by story id."""
        if not fingerprint.comparable or not len(self._row_of):
            return []
        rows: set[int] = set()
        for band, band_key in enumerate(fingerprint.bands):
            keys = self._keys[band]
            # The probe must be uint32 like the keys: a Python int makes numpy convert the whole array first.
            if band_key < _LAST_KEY:
                start, stop = keys.searchsorted(np.array([band_key, band_key + 1], dtype=np.uint32)).tolist()
            else:
                start, stop = int(keys.searchsorted(np.uint32(band_key))), len(keys)
            if stop > start:
                rows.update(self._rows[band][start:stop].tolist())
            rows.update(self._pending[band].get(band_key, ()))
        candidates = np.fromiter(rows, dtype=np.int64, count=len(rows))
        candidates = candidates[self._sizes[candidates] != 0]
        if not len(candidates):
            return []
        signature = np.frombuffer(fingerprint.signature, dtype=np.uint8)
        similarities = estimated_jaccards(self._signatures[candidates], signature)
        found = [
            Match(
                self._story_ids[row].tobytes().hex(),
                float(similarity),
                self._site_names[int(self._sites[row])],
                int(self._sizes[row]),
            )
            for row, similarity in zip(candidates.tolist(), similarities.tolist(), strict=True)
            if similarity >= threshold
        ]
        return sorted(found, key=lambda match: (-match.similarity, match.story_id))

    def nbytes(self) -> int:
        """Bytes held by the arrays (the pending inserts, at most a few thousand, are measured by the bench)."""
        arrays: list[np.ndarray] = [*self._keys, *self._rows, self._signatures, self._story_ids, self._sites]
        arrays.append(self._sizes)
        return sum(array.nbytes for array in arrays) + self._row_of.nbytes()

    def _site_number(self, site: str) -> int:
        number = self._site_numbers.get(site)
        if number is None:
            number = self._site_numbers[site] = len(self._site_names)
            self._site_names.append(site)
        return number

    def _new_row(self) -> int:
        if self._used == len(self._sizes):
            grow = max(_GROW_ROWS, len(self._sizes) // 16)
            self._signatures = np.concatenate([self._signatures, np.zeros((grow, SIGNATURE_BYTES), dtype=np.uint8)])
            self._story_ids = np.concatenate([self._story_ids, np.zeros((grow, _ID_BYTES), dtype=np.uint8)])
            self._sites = np.concatenate([self._sites, np.zeros(grow, dtype=np.uint32)])
            self._sizes = np.concatenate([self._sizes, np.zeros(grow, dtype=np.uint16)])
        self._used += 1
        return self._used - 1

    def _merge(self) -> None:
        """Move the pending inserts into the sorted arrays (an O(n) insert, no re-sort); compact when half is dead."""
        for band in range(BANDS):
            pending = self._pending[band]
            new_keys = np.fromiter((k for k, rows in pending.items() for _ in rows), dtype=np.uint32)
            new_rows = np.fromiter((r for rows in pending.values() for r in rows), dtype=np.uint32)
            order = np.argsort(new_keys, kind="stable")
            new_keys, new_rows = new_keys[order], new_rows[order]
            at = np.searchsorted(self._keys[band], new_keys, side="right")
            self._keys[band] = np.insert(self._keys[band], at, new_keys)
            self._rows[band] = np.insert(self._rows[band], at, new_rows)
            pending.clear()
        self._pending_count = 0
        if self._used - len(self._row_of) > max(_GROW_ROWS, len(self._row_of)):
            self._compact()

    def _compact(self) -> None:
        """Drop the rows of removed stories and renumber the rest (evictions would otherwise grow the arrays)."""
        live = np.flatnonzero(self._sizes[: self._used])
        renumber = np.full(len(self._sizes), np.iinfo(np.uint32).max, dtype=np.uint32)
        renumber[live] = np.arange(len(live), dtype=np.uint32)
        for band in range(BANDS):
            keep = self._sizes[self._rows[band]] != 0
            self._keys[band] = self._keys[band][keep]
            self._rows[band] = renumber[self._rows[band][keep]]
        self._signatures = self._signatures[live].copy()
        self._story_ids = self._story_ids[live].copy()
        self._sites = self._sites[live].copy()
        self._sizes = self._sizes[live].copy()
        self._used = len(live)
        self._row_of.renumber(renumber)

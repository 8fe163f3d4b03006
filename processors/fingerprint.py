"""What the dedupe stage remembers of a text: compact, comparable, and the same in every process.

- `bands`: MinHash-LSH band keys of the text's word shingles. Two texts share a band when their MinHash values
  agree on every row of it, which becomes likely as their Jaccard similarity grows: the candidate lookup.
- `signature`: the low 4 bits of each MinHash value (b-bit MinHash; 128 values in 64 bytes), to estimate the
  Jaccard similarity of a candidate without keeping the text. For the same bytes, 128 values of 4 bits estimate
  closer than 64 of 8 bits (standard deviation 0.047 against 0.062 at a similarity of 0.45).
- `paragraphs`: short hashes of the substantive paragraphs, to tell a real revision (paragraphs added, removed or
  rewritten) from a trivial one (whitespace, a changed "most read" box, an ad line) and to summarise the change.

The numbers (shingle size, permutations, bands) were chosen with `make bench-dedupe` (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash  # type: ignore[import-untyped]

SHINGLE_WORDS = 3
NUM_PERM = 128
SIGNATURE_BYTES = NUM_PERM // 2
BAND_ROWS = 3
BANDS = 18
# Fewer shingles than this and a MinHash says little: such texts are matched by their identity only.
MIN_SHINGLES = 12
_SEED = 20220913
MAX_SIZE = 65535

_WORD = re.compile(r"\w+")
# Sentence ends: ASCII, the ellipsis, CJK full stops and marks, closing quotes and brackets.
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u00bb\"\u201d\u2019)]\s*$")
# A paragraph shorter than this, or one that does not end a sentence and is short, is a headline in a box, an ad,
# a "Read more" line or a caption: it never makes a revision.
_SUBSTANTIVE_CHARS = 80
_LONG_PARAGRAPH_CHARS = 200


@dataclass(frozen=True)
class Fingerprint:
    bands: tuple[int, ...]
    signature: bytes
    paragraphs: tuple[str, ...]
    size: int = 0
    """How many distinct shingles the text has (at most 65535): turns a similarity into a containment."""

    @property
    def comparable(self) -> bool:
        """Whether the text was long enough for a MinHash (else `bands` is empty)."""
        return bool(self.bands)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    tokens = words(text)
    return {" ".join(tokens[i : i + size]).encode("utf-8") for i in range(max(0, len(tokens) - size + 1))}


def _hash32(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little")


# The seed's permutations, drawn once: a MinHash draws them anew from the seed each time it is made, which cost
# more than hashing the shingles of a real page.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32").permutations


def minhash(items: set[bytes]) -> np.ndarray:
    """MinHash values (uint32) of a set, with a fixed seed and hash: equal in every process and every run."""
    sketch = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=_hash32, permutations=_PERMUTATIONS, scheme="affine32")
    sketch.update_batch(list(items))  # a minimum per permutation: the order of the items does not matter
    return np.asarray(sketch.hashvalues, dtype=np.uint32)


def band_keys(values: np.ndarray) -> tuple[int, ...]:
    rows = values[: BANDS * BAND_ROWS].reshape(BANDS, BAND_ROWS)
    return tuple(_hash32(struct.pack(f"<{BAND_ROWS}I", *row)) for row in rows.tolist())


def paragraph_hashes(text: str) -> tuple[str, ...]:
    """8-hex hashes of the substantive paragraphs, in order; the whole text's when none is substantive."""
    paragraphs = [" ".join(words(p)) for p in text.split("\n") if _substantive(p.strip())]
    if not paragraphs:
        paragraphs = [" ".join(words(text))]
    return tuple(hashlib.sha256(p.encode("utf-8")).hexdigest()[:8] for p in paragraphs)


def _substantive(paragraph: str) -> bool:
    if len(paragraph) < _SUBSTANTIVE_CHARS:
        return False
    return bool(_SENTENCE_END.search(paragraph)) or len(paragraph) >= _LONG_PARAGRAPH_CHARS


def fingerprint(text: str) -> Fingerprint:
    items = shingles(text)
    if len(items) < MIN_SHINGLES:
        return Fingerprint(bands=(), signature=b"", paragraphs=paragraph_hashes(text), size=len(items))
    values = minhash(items)
    return Fingerprint(
        bands=band_keys(values),
        signature=_pack_nibbles(values),
        paragraphs=paragraph_hashes(text),
        size=min(len(items), MAX_SIZE),
    )


def containment(similarity: float, size: int, other_size: int) -> float:
    """The share of a text (of `size` shingles) found in another (`other_size`), from their Jaccard similarity."""
    if size <= 0:
        return 0.0
    shared = similarity * (size + other_size) / (1 + similarity)
    return min(1.0, shared / size)


def _pack_nibbles(values: np.ndarray) -> bytes:
    low = (values & 0xF).astype(np.uint8)
    return (low[0::2] | (low[1::2] << 4)).tobytes()


def estimated_jaccards(signatures: np.ndarray, signature: np.ndarray) -> np.ndarray:
    """Jaccard similarities of a signature with each row of `signatures` (packed 4-bit MinHash values), corrected
    for chance agreement (1 in 16)."""
    differ = np.bitwise_xor(signatures, signature)
    agreeing = np.count_nonzero((differ & 0x0F) == 0, axis=-1) + np.count_nonzero((differ >> 4) == 0, axis=-1)
    return np.asarray(np.maximum(0.0, (agreeing / NUM_PERM - 1 / 16) / (1 - 1 / 16)), dtype=np.float64)


def estimated_jaccard(a: bytes, b: bytes) -> float:
    left, right = np.frombuffer(a, dtype=np.uint8), np.frombuffer(b, dtype=np.uint8)
    return float(estimated_jaccards(left[np.newaxis, :], right)[0])


@dataclass(frozen=True)
class ParagraphChanges:
    added: int
    removed: int


def paragraph_changes(before: tuple[str, ...], after: tuple[str, ...]) -> ParagraphChanges:
    """Substantive paragraphs added and removed (a rewritten paragraph counts once each way)."""
    old, new = Counter(before), Counter(after)
    return ParagraphChanges(added=sum((new - old).values()), removed=sum((old - new).values()))

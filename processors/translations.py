"""Is a new story a translation of a recent one in another language? Judged on what translation keeps.

Words change in translation; numbers and names do not. A story's anchors are its multi-digit numbers (separators
dropped, so "6,500", "6.500" and "6 500" agree) and its capitalised words that do not start a sentence (names of
people, places, organisations). Two stories in different languages are linked when the anchors they share weigh
at least `threshold` of the lighter story's anchors, each anchor weighted by its rarity among recent stories (a
year or "Putin" says little; "Pashinyan" and "6500" say much), and at least `MIN_SHARED` anchors are shared.

Only stories first seen within the window are candidates: translations of news follow within hours or days.
The threshold was chosen with `make bench-dedupe`, which reports the precision and recall it gives.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MIN_SHARED = 4
MAX_ANCHORS = 64
# Candidates are proposed by the story's rarest anchors, until this many holders were looked at, and only those
# sharing the most weight with it are scored in full: a decision costs about the same at any window size.
HOLDERS_SCANNED = 1024
CANDIDATES_SCORED = 32

_NUMBER = re.compile(r"\d+(?:[.,\s:]\d{2,3})*")
_TOKEN = re.compile(r"\w+|[.!?…。]")


def _fold(word: str) -> str:
    """Lower case without accents: "Peskov" and "Peskóv", "Shoigu" and "SHOIGU" agree."""
    if word.isascii():  # most anchors: nothing to decompose, no accent to drop
        return word.casefold()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def anchors(text: str) -> tuple[str, ...]:
    """The story's anchors: at most MAX_ANCHORS, those with the smallest hashes (a bottom-k sample, so that two
    long texts keep the same anchors where they share them), sorted."""
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 2:
            found.add(f"#{digits}")
    sentence_start = True
    for token in _TOKEN.findall(unicodedata.normalize("NFKC", text)):
        if token in ".!?…。":
            sentence_start = True
            continue
        if not sentence_start and len(token) >= 3 and token[0].isupper() and not token.isdigit():
            found.add(_fold(token))
        sentence_start = False
    return tuple(sorted(sorted(found, key=_rank)[:MAX_ANCHORS]))


def _rank(anchor: str) -> bytes:
    return hashlib.blake2b(anchor.encode("utf-8"), digest_size=8).digest()


@dataclass(frozen=True)
class TranslationMatch:
    story_id: str
    score: float
    shared: int


@dataclass
class _Entry:
    language: str
    anchors: tuple[str, ...]
    first_seen_at: datetime


class TranslationScoring(ABC):
    """How a story's translation is chosen among the window's stories, whatever holds them (memory, the store).

    An anchor is held under a token: the anchor itself in memory, its hash on disk; scoring reads only the hooks.
    """

    window: timedelta

    @abstractmethod
    def __len__(self) -> int:
        """How many stories the window holds."""

    @abstractmethod
    def _token(self, anchor: str) -> Hashable: ...

    @abstractmethod
    def _frequency(self, token: Any) -> int:
        """How many stories of the window hold the anchor."""

    @abstractmethod
    def _holders(self, token: Any) -> Iterable[tuple[str, str]]:
        """(story id, language) of the stories of the window holding the anchor."""

    @abstractmethod
    def _tokens_of(self, story_id: str) -> tuple[Any, ...]:
        """The tokens of a story of the window."""

    def best(self, language: str, story_anchors: tuple[str, ...], threshold: float) -> TranslationMatch | None:
        """The recent story in another language sharing the most anchor weight, if it reaches `threshold`.

        Candidates are proposed by the story's rarest anchors: a wire's name or a year is held by a good part of the
        window (tens of thousands of stories: scoring every holder took 200 ms a document at 90k stories), weighs
        little, and still counts in the score of the candidates the rarer anchors propose. A translation shares
        most of its anchors with its original, so the rarest of them propose it.
        """
        if not story_anchors:
            return None
        total = len(self) + 1
        frequencies: dict[Any, int] = {}
        weights: dict[Any, float] = {}

        def frequency(token: Any) -> int:
            if token not in frequencies:
                frequencies[token] = self._frequency(token)
            return frequencies[token]

        def weight(token: Any) -> float:
            # An anchor no other story holds weighs as one held once: a story's own unshared words must not outweigh
            # what it shares, or whether a translation is linked depends on what arrived before it.
            if token not in weights:
                weights[token] = math.log(total / (1 + max(1, frequency(token)))) + 1.0
            return weights[token]

        tokens = {anchor: self._token(anchor) for anchor in story_anchors}
        proposed: dict[str, float] = {}
        scanned = 0
        for anchor in sorted(story_anchors, key=lambda a: (frequency(tokens[a]), a)):
            token = tokens[anchor]
            if scanned and scanned + frequency(token) > HOLDERS_SCANNED:
                break
            anchor_weight = weight(token)
            for story_id, holder_language in self._holders(token):
                scanned += 1
                if holder_language != language:
                    proposed[story_id] = proposed.get(story_id, 0.0) + anchor_weight
        mine = set(tokens.values())
        own = sum(weight(t) for t in mine)
        best: TranslationMatch | None = None
        for story_id in sorted(proposed, key=lambda s: (-proposed[s], s))[:CANDIDATES_SCORED]:
            other = self._tokens_of(story_id)
            common = [t for t in other if t in mine]
            if len(common) < MIN_SHARED:
                continue
            shared = sum(weight(t) for t in common)
            # Every weight is at least 1 (no anchor is held by more stories than the window has): the candidate's
            # own anchors, whose frequencies are not read yet, weigh at least that. When even then the score
            # could not count, their frequencies (a read each from the store) are not needed.
            at_most = shared / min(own, shared + len(other) - len(common)) * (1 + 1e-9)
            if at_most < threshold or (best is not None and at_most < best.score):
                continue
            score = shared / min(own, sum(weight(t) for t in other))
            if score < threshold or (best is not None and (score, best.story_id) <= (best.score, story_id)):
                continue  # ties go to the smaller story id
            best = TranslationMatch(story_id, score, len(common))
        return best


class TranslationIndex(TranslationScoring):
    """Anchors of the stories first seen within `window`, by anchor, with document frequencies, in memory."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._entries: dict[str, _Entry] = {}
        self._by_anchor: dict[str, set[str]] = {}
        self._frequency_of: Counter[str] = Counter()
        self._order: deque[tuple[datetime, str]] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, story_id: str, language: str, story_anchors: tuple[str, ...], first_seen_at: datetime) -> None:
        known = self._entries.get(story_id)
        if known is not None and known.anchors == story_anchors:
            return
        if known is not None:  # a revision: its new anchors, its first sighting
            self.remove(story_id)
            first_seen_at = known.first_seen_at
        if not story_anchors:
            return
        self._entries[story_id] = _Entry(language, story_anchors, first_seen_at)
        self._order.append((first_seen_at, story_id))
        for anchor in story_anchors:
            self._by_anchor.setdefault(anchor, set()).add(story_id)
            self._frequency_of[anchor] += 1

    def remove(self, story_id: str) -> None:
        entry = self._entries.pop(story_id, None)
        if entry is None:
            return
        for anchor in entry.anchors:
            holders = self._by_anchor[anchor]
            holders.discard(story_id)
            self._frequency_of[anchor] -= 1
            if not holders:
                del self._by_anchor[anchor], self._frequency_of[anchor]

    def forget_before(self, now: datetime) -> None:
        while self._order and self._order[0][0] < now - self.window:
            _, story_id = self._order.popleft()
            self.remove(story_id)

    def _token(self, anchor: str) -> str:
        return anchor

    def _frequency(self, token: str) -> int:
        return self._frequency_of.get(token, 0)

    def _holders(self, token: str) -> Iterator[tuple[str, str]]:
        for story_id in sorted(self._by_anchor.get(token, ())):  # sorted: the same order as the store's
            yield story_id, self._entries[story_id].language

    def _tokens_of(self, story_id: str) -> tuple[str, ...]:
        return self._entries[story_id].anchors

"""When a published article page is fetched again, and what a revisit leaves for the next one (pure functions).

A page is revisited at fixed offsets after it was first fetched (`revisits.schedule`: 15 min, 1 h, 3 h, 8 h, 24 h,
48 h by default), because that is when news pages change: most revisions of a story come in its first hours
(NewsDiffs and the NewsEdits corpus were collected the same way). A revisit that comes late (the poller was down)
goes on with the first step still ahead: steps already past are not made up.

A `Revisit` holds what the next revisit needs: the page's validators and body hash (an unchanged page costs a
conditional GET, nothing more) and the feed entry it was published for (a changed page is published like the first
one, under the same raw-topic key, so the processor sees the same story's next version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from ingest.http import FetchResult
from processors.records import FeedEntry, FeedRef


class Revisit(BaseModel):
    """One article page's pending revisit; its record in `<app_id>.revisits` is keyed by `key`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str  # the raw topic's key of the page's documents: the entry's most specific identity
    feed: FeedRef
    entry: FeedEntry  # as the feed described it (its summary left out: the processor does not read it)
    page_url: str  # where the first fetch ended, after redirects: a revisit that ends elsewhere is another page
    first_seen: float
    step: int  # revisits made (or skipped) so far: the next is schedule[step] after first_seen
    due_at: float
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def first_revisit(
    schedule: Sequence[float], *, key: str, feed: FeedRef, entry: FeedEntry, page: FetchResult, now: float
) -> Revisit:
    """The revisit of a page just fetched and published at `now`."""
    validators = page.validators
    return Revisit(
        key=key,
        feed=feed,
        entry=entry.model_copy(update={"summary": None}),
        page_url=page.url,
        first_seen=now,
        step=0,
        due_at=now + schedule[0],
        etag=validators.etag,
        last_modified=validators.last_modified,
        body_sha256=body_digest(page.body),
    )


def next_revisit(
    schedule: Sequence[float], revisit: Revisit, now: float, *, page: FetchResult | None = None
) -> Revisit | None:
    """The revisit after the one made (or skipped) at `now`; None once the schedule is over.

    `page`: the page as this revisit found it (a 200), whose validators and body the next one compares with."""
    step = revisit.step + 1
    while step < len(schedule) and revisit.first_seen + schedule[step] <= now:
        step += 1  # late: steps already past are not made up
    if step >= len(schedule):
        return None
    changes: dict[str, object] = {"step": step, "due_at": revisit.first_seen + schedule[step]}
    if page is not None and not page.not_modified:
        validators = page.validators
        changes |= {
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "body_sha256": body_digest(page.body),
        }
    return revisit.model_copy(update=changes)


def postponed(revisit: Revisit, until: float) -> Revisit:
    """The same revisit, asked for again at `until` (its host asked us to wait)."""
    return revisit.model_copy(update={"due_at": until})

"""The group assignor sees only subscribed topics, and assigns exactly as kafka-python's cooperative-sticky one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor

from ingest.kafka import SubscribedStickyAssignor


class _Cluster:
    """A broker holding many topics, of which the group reads two."""

    def __init__(self, topics: int) -> None:
        self._partitions = {f"other-{n}": {0, 1, 2} for n in range(topics)}
        self._partitions |= {"news.raw": set(range(6)), "app.extracted": {0}}

    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        return set(self._partitions)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self._partitions.get(topic)


def _members(count: int) -> list[SimpleNamespace]:
    subscription = CooperativeStickyAssignor().metadata(["news.raw", "app.extracted"])
    return [SimpleNamespace(member_id=f"member-{n}", metadata=subscription) for n in range(count)]


def _assigned(assignment: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    return {
        member: sorted(
            (topic, partition) for topic, partitions in value.assigned_partitions for partition in partitions
        )
        for member, value in assignment.items()
    }


def test_the_same_assignment_without_looking_at_other_topics() -> None:
    cluster, members = _Cluster(topics=300), _members(3)
    ours = _assigned(SubscribedStickyAssignor().assign(cluster, members))
    assert ours == _assigned(CooperativeStickyAssignor().assign(cluster, members))
    assigned = sorted(tp for partitions in ours.values() for tp in partitions)
    assert assigned == [("app.extracted", 0), *(("news.raw", n) for n in range(6))]
    assert sorted(len(partitions) for partitions in ours.values()) == [2, 2, 3]

"""The producer's partitioner must place every key where Kafka's default partitioner (and the Java client) does."""

from hypothesis import given
from hypothesis import strategies as st
from kafka.partitioner import DefaultPartitioner

from ingest.kafka import _CachedPartitioner


class _Cluster:
    def __init__(self, partitions: int) -> None:
        self._partitions = set(range(partitions))

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions


@given(key=st.binary(max_size=200), partitions=st.integers(min_value=1, max_value=64))
def test_a_key_goes_where_the_default_partitioner_sends_it(key: bytes, partitions: int) -> None:
    cluster = _Cluster(partitions)
    expected = DefaultPartitioner().partition("t", None, key, None, None, cluster)
    assert _CachedPartitioner().partition("t", None, key, None, None, cluster) == expected
    assert _CachedPartitioner().partition("t", None, key, None, None, cluster) == expected  # from the cache


def test_records_without_a_key_go_to_some_partition() -> None:
    assert _CachedPartitioner().partition("t", None, None, None, b"v", _Cluster(3)) in {0, 1, 2}

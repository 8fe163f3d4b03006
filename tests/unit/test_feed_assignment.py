"""Feeds belong to the partition of their host, as Kafka's own partitioner would place a record keyed by it."""

from __future__ import annotations

from kafka.partitioner.default import DefaultPartitioner

from ingest.feed_registry import host_partition


class _Cluster:
    def __init__(self, partitions: int) -> None:
        self._partitions = set(range(partitions))

    def topics(self) -> set[str]:
        return {"feeds"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions


def test_the_partition_is_the_one_kafka_gives_the_host_as_a_key() -> None:
    for host in ["www.antaranews.com", "feeds.bbci.co.uk", "127.0.0.7", "xn--80ak6aa92e.com"]:
        for partitions in (1, 6, 24):
            expected = DefaultPartitioner().partition("feeds", host, host.encode(), None, None, _Cluster(partitions))
            assert host_partition(f"https://{host}/rss.xml", partitions) == expected


def test_all_feeds_of_a_host_share_a_partition_whatever_the_path_port_or_case() -> None:
    urls = [
        "https://www.antaranews.com/rss/terkini.xml",
        "https://WWW.ANTARANEWS.COM/rss/dunia.xml",
        "http://www.antaranews.com:8080/feed",
    ]
    assert len({host_partition(url, 12) for url in urls}) == 1


def test_hosts_spread_over_the_partitions() -> None:
    partitions = {host_partition(f"https://site-{n}.example/feed", 6) for n in range(200)}
    assert partitions == set(range(6))

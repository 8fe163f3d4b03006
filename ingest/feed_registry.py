"""The live feed registry: feeds added, changed or removed while pollers run, without a restart.

Topic `<app_id>.feeds` (compacted): key = the feed URL, value = the feed's settings as JSON, a tombstone when the
feed is removed; keys `nudge:<feed URL>` carry WebSub's "poll it now" (ingest/websub.py). Each record goes to the
partition of its feed's host (`ingest/feed_assignment.py`), so the poller replica that owns a host reads exactly
the definitions of its own feeds. Writes are transactions through the one producer wrapper; readers read
committed records only.

The config file's feeds stay where they are: the registry adds feeds to them and overrides a config feed of the
same URL. A feed defined in the config file is removed by editing the config file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from kafka.partitioner.default import murmur2
from pydantic import ValidationError

from ingest.config import ConfigError, FeedSettings, Settings
from ingest.kafka import TransactionalProducer, partitions_of, reading_consumer

log = logging.getLogger(__name__)

# Keys of "poll this feed now" records (WebSub deliveries, ingest/websub.py); every other key is a feed URL.
NUDGE_PREFIX = "nudge:"


def host_partition(url: str, partitions: int) -> int:
    """The partition of a feed: Kafka's default partitioner applied to the feed's host name."""
    host = (urlsplit(url).hostname or "").lower()
    return int(murmur2(host.encode("utf-8")) & 0x7FFFFFFF) % partitions


def decode(value: bytes | None) -> FeedSettings | None:
    """A registry record's feed; None for a tombstone or a record that is not a valid feed (logged, skipped)."""
    if value is None:
        return None
    try:
        return FeedSettings.model_validate(json.loads(value))
    except (ValueError, ValidationError) as error:
        log.warning("skipping an invalid feed definition", extra={"detail": str(error)[:300]})
        return None


def merged(config_feeds: Iterable[FeedSettings], registered: Iterable[FeedSettings]) -> list[FeedSettings]:
    """The feeds to poll: the config file's, then the registry's; a registry feed replaces one with its URL."""
    feeds = {feed.url: feed for feed in config_feeds}
    feeds.update((feed.url, feed) for feed in registered)
    return list(feeds.values())


def read_registry(settings: Settings, timeout_s: float = 60.0) -> dict[str, FeedSettings]:
    """Every feed in the registry now (URL -> settings), read to the topic's end."""
    consumer = reading_consumer(settings.kafka, consumer_timeout_ms=1000)
    try:
        partitions = partitions_of(consumer, settings.feed_registry_topic, settings.kafka)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        feeds: dict[str, FeedSettings] = {}
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.key.startswith(NUDGE_PREFIX.encode()):
                        continue
                    feed = decode(record.value)
                    if feed is None:
                        feeds.pop(record.key.decode("utf-8"), None)
                    else:
                        feeds[feed.url] = feed
        return feeds
    finally:
        consumer.close()


class FeedRegistry:
    """Writes to the registry, checked against the config file's feeds and the registry's own."""

    def __init__(self, settings: Settings, producer: TransactionalProducer) -> None:
        self.settings = settings
        self._producer = producer

    def all_feeds(self) -> list[tuple[FeedSettings, str]]:
        """Every feed with where it is defined: 'config' or 'registry'."""
        registered = read_registry(self.settings)
        config = [(feed, "config") for feed in self.settings.feeds if feed.url not in registered]
        return config + [(feed, "registry") for feed in registered.values()]

    def add(self, feeds: Iterable[Mapping[str, Any]]) -> list[FeedSettings]:
        """Add or update feeds (validated like the config file's); return those written."""
        known = {feed.url: feed for feed, _ in self.all_feeds()}
        names = {feed.name: feed.url for feed in known.values()}
        accepted: list[FeedSettings] = []
        for raw in feeds:
            try:
                feed = FeedSettings.model_validate(raw)
            except ValidationError as error:
                raise ConfigError(f"feed {raw.get('url')!r}: {error.errors()[0]['msg']}") from None
            if names.get(feed.name, feed.url) != feed.url:
                raise ConfigError(f"feed name {feed.name!r} is already used by {names[feed.name]}")
            names[feed.name] = feed.url
            accepted.append(feed)
        self._write({feed.url: feed.model_dump_json().encode("utf-8") for feed in accepted})
        return accepted

    def remove(self, urls_or_names: Iterable[str]) -> list[str]:
        """Remove registry feeds by URL or name; return the URLs removed. Config-file feeds are refused."""
        feeds = self.all_feeds()
        removed: dict[str, bytes | None] = {}
        for wanted in urls_or_names:
            match = next(((feed, source) for feed, source in feeds if wanted in (feed.url, feed.name)), None)
            if match is None:
                raise ConfigError(f"no feed {wanted!r} in the config file or the registry")
            feed, source = match
            if source == "config":
                raise ConfigError(f"feed {wanted!r} is defined in the config file: remove it there")
            removed[feed.url] = None
        self._write(removed)
        return list(removed)

    def _write(self, records: Mapping[str, bytes | None]) -> None:
        if not records:
            return
        partitions = len(self._producer.partitions_for(self.settings.feed_registry_topic))
        with self._producer.transaction() as tx:
            for url, value in records.items():
                tx.send(self.settings.feed_registry_topic, url, value, partition=host_partition(url, partitions))
        log.info(
            "feed registry updated",
            extra={"feeds": list(records), "removed": [u for u, v in records.items() if v is None]},
        )

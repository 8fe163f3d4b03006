"""Everything that talks to Kafka's client library: connection options, the producer wrapper, consumers, topics."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from threading import Event
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    ProducerFencedError,
    TopicAlreadyExistsError,
    TransactionalIdAuthorizationFailedError,
    for_code,
)
from kafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2
from kafka.structs import OffsetAndMetadata

from ingest.config import KafkaSettings, Settings
from processors.errors import NewsIngestError

log = logging.getLogger(__name__)


_murmur2 = functools.lru_cache(maxsize=65536)(murmur2)


class _CachedPartitioner(DefaultPartitioner):  # type: ignore[misc]
    """Kafka's default partitioner (the Java client's murmur2, so every client agrees on a key's partition), with
    the hash of a key remembered: the same keys (feed URLs, story ids) come back all the time, and kafka-python's
    murmur2 is pure Python (about 5% of the poller's CPU, in the poller benchmark's profile)."""

    def partition(
        self, topic: str, key: Any, serialized_key: bytes | None, value: Any, serialized_value: Any, cluster: Any
    ) -> int:
        partitions = cluster.partitions_for_topic(topic)
        if serialized_key is None or not partitions:  # no key, or an unknown topic: as the library does
            return int(super().partition(topic, key, serialized_key, value, serialized_value, cluster))
        ordered = sorted(partitions)
        return int(ordered[(_murmur2(serialized_key) & 0x7FFFFFFF) % len(ordered)])


class _SubscribedTopics:
    """The cluster as the group's assignor should see it: only the topics the group's members subscribe to."""

    def __init__(self, cluster: Any, topics: set[str]) -> None:
        self._cluster = cluster
        self._topics = topics

    def topics(self, *args: Any, **kwargs: Any) -> set[str]:
        return {topic for topic in self._cluster.topics(*args, **kwargs) if topic in self._topics}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster, name)


class SubscribedStickyAssignor(CooperativeStickyAssignor):  # type: ignore[misc]
    """kafka-python's cooperative-sticky assignor, shown only the subscribed topics.

    kafka-python 3.0.12's sticky algorithm walks every partition of every topic in the client's metadata and removes
    the unsubscribed ones from a list one by one: quadratic in the cluster's partitions. On a broker holding 5,400
    topics (this project's test broker, or any shared cluster) each rebalance cost the group leader seconds of CPU
    (a quarter of the processor benchmark's CPU). The assignment is the same: unsubscribed partitions have no
    potential owner and are never assigned.
    """

    def assign(self, cluster: Any, members: Any) -> Any:
        topics = {topic for member in members for topic in self.parse_member_metadata(member.metadata).subscription}
        return super().assign(_SubscribedTopics(cluster, topics), members)


class BrokerError(NewsIngestError):
    """The broker, not one feed or page: the role backs off and recovers, or the process ends."""

    kind = "broker"


class BrokerUnavailable(BrokerError):
    """No broker answered in time, or it refused our credentials: kafka-python cannot tell the two apart."""


class MissingTopic(BrokerError):
    """A topic this deployment needs is not on the cluster (or not visible to our credentials)."""


class ConsumerStalled(BrokerError):
    """Records wait on our partitions but the consumer receives none: it must be replaced."""


class FatalProducerError(BrokerError):
    """The producer cannot go on (fenced by a newer instance, or not authorized): the process must end."""


# The header naming the deployment (app_id) that wrote a record: a processor reads only its own raw documents.
ORIGIN_HEADER = "news-ingest-app"


def origin_of(headers: list[tuple[str, bytes]] | None) -> str | None:
    """The app_id a record's headers name, or None (a record written before the header existed, or by a tool)."""
    for name, value in headers or ():
        if name == ORIGIN_HEADER:
            return value.decode("utf-8", "replace")
    return None


# Errors after which a role backs off, rebuilds its clients and goes on (anything else ends the process).
RECOVERABLE_ERRORS: tuple[type[Exception], ...] = (KafkaError, BrokerUnavailable, ConsumerStalled, TimeoutError)
# What crosses the boundary around one feed's or one page's handling (everything else is that feed's failure).
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (KafkaError, BrokerError)


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Connection and security options shared by every client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "security_protocol": settings.security_protocol,
        # How long a client waits for its first broker; kafka-python then raises "Unable to bootstrap".
        "bootstrap_timeout_ms": settings.max_block_ms,
    }
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        value = getattr(settings, name)
        if value is not None:
            options[name] = str(value)
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_check_hostname"] = True
    return options


def _data_client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Options of the clients that read and write records (the admin client takes `client_options` alone)."""
    # A producer or consumer naming a missing topic would otherwise have the broker create it with the broker's
    # defaults (one partition, no compaction): a state topic that is never compacted, or a topic of the wrong
    # size, with nothing said. Topics are created by `ensure_topics` (or by the operator) only.
    return client_options(settings) | {"allow_auto_create_topics": False}


def _unavailable(settings: KafkaSettings, error: Exception) -> BrokerUnavailable:
    hints = [" or the broker refused the credentials"] if settings.sasl_mechanism else []
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        hints.append(" or its TLS certificate is not trusted (kafka.ssl_cafile) or not for that host name")
    hint = "".join(hints)
    return BrokerUnavailable(
        f"cannot use Kafka at {settings.bootstrap_servers} ({settings.security_protocol}): no broker answered in "
        f"{settings.max_block_ms} ms{hint} ({type(error).__name__}: {error})"
    )


class TransactionalProducer:
    """The one producer wrapper: idempotent, acks=all, transactional; every send's result is checked.

    Settings that decide delivery are passed explicitly, never inherited from defaults: kafka-python 3.x turns
    idempotence off without a word when another setting conflicts, unless it was asked for, so it is asked for
    and then checked.
    """

    def __init__(self, settings: KafkaSettings, transactional_id: str, *, origin: str | None = None) -> None:
        """`origin`: the deployment's app_id, carried by every record in the `ORIGIN_HEADER` header."""
        self._settings = settings
        self.transactional_id = transactional_id
        self._headers = [(ORIGIN_HEADER, origin.encode("utf-8"))] if origin else None
        self._producer = self._connect()
        self._pending: list[Any] = []

    @classmethod
    def of_role(cls, settings: Settings, role: str) -> TransactionalProducer:
        """The producer of one of this deployment's roles: id `<app_id>.<role>.<instance_id>` (the same after a
        restart, so that it fences its previous instance), records stamped with the app_id."""
        return cls(settings.kafka, f"{settings.app_id}.{role}.{settings.instance_id}", origin=settings.app_id)

    def _connect(self) -> KafkaProducer:
        settings = self._settings
        transactional_id = self.transactional_id
        try:
            producer = KafkaProducer(
                **_data_client_options(settings),
                enable_idempotence=True,
                acks="all",
                transactional_id=transactional_id,
                transaction_timeout_ms=settings.transaction_timeout_ms,
                max_block_ms=settings.max_block_ms,
                # A dead letter carries a whole raw record, escaped inside JSON: allow for that.
                max_request_size=3 * settings.max_record_bytes,
                # Raw pages and articles are text: zstd shrinks them several times on the wire and on disk, at a
                # third of gzip's CPU; with 20 ms batches it published 2x gzip's records/s (docs/benchmarks.md).
                compression_type="zstd",
                # Every record is read at its transaction's commit, which flushes the batches: a long linger
                # delays no reader and halved the sender thread's CPU on real pages (docs/benchmarks.md).
                linger_ms=settings.linger_ms,
                batch_size=262_144,
                partitioner=_CachedPartitioner(),
                retries=2**31 - 1,
            )
            if producer.config.get("enable_idempotence") is not True:
                raise FatalProducerError("the Kafka producer started without idempotence; refusing to run")
            # Fences any older producer with this id and completes or aborts its open transaction.
            producer.init_transactions()
        except KafkaTimeoutError as exc:
            raise _unavailable(settings, exc) from exc
        except TransactionalIdAuthorizationFailedError as exc:
            raise FatalProducerError(f"not authorized to use transactional id {transactional_id!r}") from exc
        return producer

    def reset(self) -> None:
        """Replace the producer after a broker error: the old one may hold a transaction in an unknown state."""
        with suppress(Exception):  # it is being thrown away; whatever it raises on the way out changes nothing
            self._producer.close(timeout=0)
        self._producer = self._connect()

    @contextmanager
    def transaction(self) -> Iterator[TransactionalProducer]:
        """Begin; yield for sends; commit when the block ends (after every send is acknowledged), else abort."""
        self._producer.begin_transaction()
        self._pending = []
        try:
            yield self
            for future in self._pending:
                future.get(timeout=self._settings.max_block_ms / 1000)
        except ProducerFencedError as exc:
            raise FatalProducerError(
                f"producer {self.transactional_id!r} was fenced: another instance with this id took over"
            ) from exc
        except BaseException:
            self._abort()
            raise
        self._commit()

    def send(self, topic: str, key: str, value: bytes | None, *, partition: int | None = None) -> None:
        """Send within the transaction; `partition` overrides the key's hash (the feed registry places by host)."""
        self._pending.append(
            self._producer.send(topic, key=key.encode("utf-8"), value=value, partition=partition, headers=self._headers)
        )

    def partitions_for(self, topic: str) -> set[int]:
        """The topic's partitions, as the producer's metadata knows them (fetched if need be)."""
        return set(self._producer.partitions_for(topic))

    def send_offsets(self, offsets: Mapping[TopicPartition, int], consumer: KafkaConsumer) -> None:
        """Commit `offsets` (the next offset to read, per partition) with the current transaction."""
        manager = self._producer._transaction_manager
        offsets_and_metadata = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
        self._await(
            manager.send_offsets_to_transaction(offsets_and_metadata, consumer.group_metadata()),
            "sending the consumer offsets of",
        )

    def _commit(self) -> None:
        try:
            self._await(self._producer._transaction_manager.begin_commit(), "committing")
        except ProducerFencedError as exc:
            raise FatalProducerError(
                f"producer {self.transactional_id!r} was fenced: another instance with this id took over"
            ) from exc

    def _await(self, result: Any, what: str) -> None:
        """Wait for a transactional request, at most max_block_ms.

        kafka-python's commit_transaction(), abort_transaction() and send_offsets_to_transaction() take these same
        steps but wait without a deadline: through a broker outage a role would hang there, neither backing off nor
        beating its liveness heartbeat. (kafka-python is pinned; tests/faults/test_broker_restart.py covers this.)
        """
        self._producer._sender.wakeup()
        if not result.wait(timeout_ms=self._settings.max_block_ms):
            raise KafkaTimeoutError(f"{what} the transaction took longer than {self._settings.max_block_ms} ms")

    def _abort(self) -> None:
        try:
            self._await(self._producer._transaction_manager.begin_abort(), "aborting")
        except KafkaError as exc:
            # An abort that fails leaves the producer unusable: the caller's error is the one worth raising,
            # and the next transaction on this producer would fail loudly.
            log.error("transaction abort failed", extra={"error": repr(exc), "producer": self.transactional_id})

    def close(self, timeout_s: float = 10.0) -> None:
        """Close at shutdown; a producer that cannot flush (the broker is away) is logged, never fatal.

        Whatever it had not committed is aborted by the broker: closing cannot lose anything.
        """
        try:
            self._producer.close(timeout=timeout_s)
        except KafkaError as exc:
            log.warning(
                "producer closed without flushing", extra={"producer": self.transactional_id, "error": repr(exc)}
            )


def group_consumer(settings: Settings, topics: list[str], group_id: str) -> KafkaConsumer:
    """A consumer-group member reading only committed records; offsets are committed by transactions only.

    Processors use it on the raw and extracted topics, pollers on the feed registry (to share the feeds),
    `dlq replay` on the DLQ.
    """
    try:
        consumer = KafkaConsumer(
            **_data_client_options(settings.kafka),
            group_id=group_id,
            client_id=f"{settings.app_id}-{settings.instance_id}",
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=settings.processor.batch_size,
            request_timeout_ms=max(30_000, settings.kafka.max_block_ms + 5000),
            session_timeout_ms=settings.processor.session_timeout_ms,
            heartbeat_interval_ms=max(1000, settings.processor.session_timeout_ms // 4),
            # Work is committed at the end of every poll loop, so nothing is in flight at a rebalance: the
            # incremental protocol only moves the partitions that must move.
            partition_assignment_strategy=(SubscribedStickyAssignor,),
            # With a stable instance_id (a StatefulSet's pod name), a restarted replica takes its partitions back
            # at once instead of after a rebalance.
            group_instance_id=(
                f"{settings.app_id}.{settings.instance_id}" if settings.processor.static_membership else None
            ),
        )
    except KafkaTimeoutError as exc:
        raise _unavailable(settings.kafka, exc) from exc
    # Join with the topics' partitions known: a first join without them is answered with an empty assignment and a
    # second rebalance, and kafka-python 3.0.12 sometimes never finished that second one (a processor that joined,
    # then fetched nothing; seen in about half of the fresh starts of the latency benchmark).
    for topic in topics:
        partitions_of(consumer, topic, settings.kafka)
    consumer.subscribe(topics)
    return consumer


def start_group_at(settings: Settings, group_id: str, topic: str, since: datetime) -> None:
    """Commit, for a group that has not started, the first offsets of `topic` at or after `since`."""
    consumer = reading_consumer(settings.kafka, group_id=group_id)
    try:
        partitions = partitions_of(consumer, topic, settings.kafka)
        consumer.assign(partitions)
        found = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
        ends = consumer.end_offsets(partitions)
        starts = {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in starts.items()})
    finally:
        consumer.close()


def reading_consumer(settings: KafkaSettings, **options: Any) -> KafkaConsumer:
    """A consumer that assigns its partitions itself (state restore, tailing), outside any group unless
    `group_id` is given (to commit a group's starting offsets)."""
    try:
        return KafkaConsumer(
            **_data_client_options(settings),
            enable_auto_commit=False,
            **({"group_id": None, "isolation_level": "read_committed"} | options),
        )
    except KafkaTimeoutError as exc:
        raise _unavailable(settings, exc) from exc


def written_end(settings: KafkaSettings, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Where a read_committed reader of `partitions` has seen everything committed so far: the high watermarks.

    A read_committed consumer's end_offsets is the last stable offset, which trails a commit until the transaction
    coordinator has written its markers into the partition (asynchronously, after the producer's commit returns):
    asked right after a commit, it can leave out what was just committed. A reader reaches the high watermark once
    every transaction below it is settled: at once for ours, after the transaction timeout for a dead writer's.
    """
    consumer = reading_consumer(settings, isolation_level="read_uncommitted")
    try:
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def drain(
    consumer: KafkaConsumer,
    topics: list[str],
    step: Callable[[], int],
    stop: Event,
    settings: KafkaSettings,
    idle_timeout_s: float | None = None,
) -> None:
    """Run `step` until this group member has read every partition of `topics` to its end, including what the
    steps themselves wrote to those topics meanwhile (the processor's extraction feeds its dedupe step).

    For one-shot runs (`--once`, `dlq replay`) where this process is the group's only member. Without progress for
    `idle_timeout_s` (by default the transaction timeout and 30 s more: a dead writer's open transaction holds
    readers back that long) it gives up with TimeoutError.
    """
    partitions = [tp for topic in topics for tp in partitions_of(consumer, topic, settings)]
    if idle_timeout_s is None:
        idle_timeout_s = settings.transaction_timeout_ms / 1000 + 30
    end = written_end(settings, partitions)
    deadline = time.monotonic() + idle_timeout_s
    while not stop.is_set():
        progressed = step()
        assigned = consumer.assignment()
        if len(assigned) == len(partitions) and all(consumer.position(tp) >= end[tp] for tp in assigned):
            now = written_end(settings, partitions)
            if now == end:
                return
            end = now  # the steps wrote more: go on to the new end
        if progressed:
            deadline = time.monotonic() + idle_timeout_s
        elif time.monotonic() > deadline:
            raise TimeoutError(f"no progress on {', '.join(topics)} for {idle_timeout_s:.0f} s")


def partitions_of(consumer: KafkaConsumer, topic: str, settings: KafkaSettings) -> list[TopicPartition]:
    """The partitions of `topic`, which must exist; waits (up to `max_block_ms`) until the client's metadata shows
    them, else raises MissingTopic.

    kafka-python answers an empty set, not an error, for a topic its metadata does not list: a missing one, or one
    just created whose leader is not elected yet (metadata answers with an error for it, and kafka-python leaves it
    out). Read as "no partitions", a state table would restore as empty and a registry as holding no feeds, with
    nothing said.
    """
    deadline = time.monotonic() + settings.max_block_ms / 1000
    while not (partitions := consumer.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            raise MissingTopic(
                f"topic {topic} not found on {settings.bootstrap_servers} within {settings.max_block_ms} ms: create it "
                "(kafka.create_topics: true does, at start) or give these credentials access to it"
            )
        time.sleep(0.1)
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def ensure_topics(settings: Settings) -> list[str]:
    """Create the topics this deployment uses if they are missing (existing ones are left as they are), and return
    once they are usable (every partition has a leader); raise MissingTopic if the broker refuses one.

    Return the names of the topics created.
    """
    kafka = settings.kafka
    large = {"max.message.bytes": str(kafka.max_record_bytes + 100_000)}  # room for the batch's own headers
    # Raw pages are kept so that `news-ingest reprocess` can re-run extraction and dedupe after an upgrade.
    kept = {"retention.ms": str(int(settings.topics.raw_retention_days * 86_400_000))}
    letters = {"max.message.bytes": str(3 * kafka.max_record_bytes + 100_000)}
    compacted = {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
    partitions, replicas = kafka.partitions, kafka.replication_factor
    wanted = {
        settings.topics.raw: (partitions, large | kept),
        settings.topics.articles: (partitions, large),
        settings.topics.latest: (partitions, large | compacted),
        settings.topics.dlq: (partitions, letters),
        settings.feed_state_topic: (partitions, compacted),
        settings.extracted_topic: (1, large | kept),
        settings.story_state_topic: (partitions, compacted),
        settings.feed_registry_topic: (partitions, compacted),
        # As many partitions as the registry: partition p of both belongs to one poller replica (by feed host).
        settings.revisit_topic: (partitions, compacted),
        settings.backfill_state_topic: (1, compacted),
    }
    if settings.topics.backfill:
        wanted[settings.topics.backfill] = (partitions, large)
    try:
        admin = KafkaAdminClient(**client_options(kafka), request_timeout_ms=kafka.max_block_ms)
    except KafkaTimeoutError as exc:
        raise _unavailable(kafka, exc) from exc
    try:
        existing = set(admin.list_topics())
        missing = {name: spec for name, spec in wanted.items() if name not in existing}
        if missing:
            answer = admin.create_topics(
                {
                    name: {"num_partitions": count, "replication_factor": replicas, "configs": configs}
                    for name, (count, configs) in missing.items()
                },
                raise_errors=False,
            )
            refused = {
                topic["name"]: for_code(topic["error_code"]).__name__
                for topic in answer["topics"]
                # another replica may have created it between our list and our create
                if topic["error_code"] and for_code(topic["error_code"]) is not TopicAlreadyExistsError
            }
            if refused:
                raise MissingTopic(f"could not create topics: {refused}")
            # Usable when we return: a topic whose partitions have no leader yet is invisible to clients' metadata.
            admin.wait_for_topics(list(missing), timeout_ms=kafka.max_block_ms)
            log.info("topics created", extra={"topics": list(missing)})
        return list(missing)
    finally:
        admin.close()

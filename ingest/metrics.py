"""Every Prometheus metric the worker exports, on one registry owned by the process (no global registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Distinct values of the `domain` label one process reports (each costs a series per metric on every scrape).
MAX_DOMAINS = 500

# Fetches range from a fast 304 on a local network to a slow page over the world.
_FETCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.polls = Counter("news_ingest_feed_polls", "Feed polls by outcome.", ["outcome"], registry=r)
        self.fetch_seconds = Histogram(
            "news_ingest_fetch_seconds", "HTTP fetch duration.", ["kind"], buckets=_FETCH_BUCKETS, registry=r
        )
        self.feed_failures = Counter(
            "news_ingest_feed_failures",
            "Failed feed polls by class: dns, tls, timeout, http_4xx, http_5xx, parse, refused, ...",
            ["failure_class"],
            registry=r,
        )
        self.feeds = Gauge("news_ingest_feeds", "Feeds this poller owns, by status.", ["status"], registry=r)
        self.fetch_errors = Counter(
            "news_ingest_fetch_errors",
            "HTTP fetches that failed, by kind and reason.",
            ["kind", "reason"],
            registry=r,
        )
        self.entries = Counter(
            "news_ingest_feed_entries",
            "Feed entries seen, by whether they were new, changed or unchanged.",
            ["status"],
            registry=r,
        )
        self.raw_published = Counter(
            "news_ingest_raw_documents_published", "Raw documents published for processing.", registry=r
        )
        self.articles_published = Counter(
            "news_ingest_articles_published",
            "Article versions published, by language.",
            ["language"],
            registry=r,
        )
        self.dedupe_decisions = Counter(
            "news_ingest_dedupe_decisions",
            "Dedupe decisions: new, duplicate (syndicated copy), translation, revision, repeat.",
            ["decision"],
            registry=r,
        )
        self.dlq_records = Counter(
            "news_ingest_dlq_records",
            "Records sent to the dead-letter topic.",
            ["stage", "reason"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "news_ingest_consumer_lag",
            "Records not yet processed, per partition.",
            ["topic", "partition"],
            registry=r,
        )
        self.broker_errors = Counter(
            "news_ingest_broker_errors",
            "Kafka errors that made a role back off, by role and error.",
            ["role", "error"],
            registry=r,
        )
        self.transactions = Counter(
            "news_ingest_transactions",
            "Kafka transactions by role and outcome.",
            ["role", "outcome"],
            registry=r,
        )
        # Extraction quality per source domain: a site redesign that breaks extraction shows up here first.
        self.extractions = Counter("news_ingest_extractions", "Pages extracted, per domain.", ["domain"], registry=r)
        self.extraction_empty = Counter(
            "news_ingest_extraction_empty_text",
            "Pages with no article text found, per domain.",
            ["domain"],
            registry=r,
        )
        self.extraction_missing_date = Counter(
            "news_ingest_extraction_missing_date",
            "Articles published without any date, per domain.",
            ["domain"],
            registry=r,
        )
        self.language_undetermined = Counter(
            "news_ingest_language_undetermined",
            "Articles whose language could not be told, per domain.",
            ["domain"],
            registry=r,
        )
        self.records_skipped = Counter(
            "news_ingest_records_skipped",
            "Records a processor did not process, by reason (other_deployment: another app_id wrote it).",
            ["reason"],
            registry=r,
        )
        self.interstitials = Counter(
            "news_ingest_interstitials",
            "Pages that were a bot wall, captcha, consent screen or paywall stub (the host is held), per domain.",
            ["domain"],
            registry=r,
        )
        self.revisits = Counter(
            "news_ingest_revisits",
            "Article pages fetched again (revisits), by outcome: unchanged, changed, gone, failed, deferred, dropped.",
            ["outcome"],
            registry=r,
        )
        self.revisits_pending = Gauge(
            "news_ingest_revisits_pending", "Revisits this poller replica holds (its partitions').", registry=r
        )
        self._domains: set[str] = set()
        self.state_entries = Gauge(
            "news_ingest_state_entries", "Entries held in a restored state table.", ["table"], registry=r
        )
        self.story_store_bytes = Gauge(
            "news_ingest_story_store_bytes",
            "Bytes on disk of the processor's story store (the story-state topic's local copy and its indexes).",
            registry=r,
        )

    def domain(self, host: str) -> str:
        """The `domain` label for `host`: page hosts come from feeds we do not control, so the label set is bounded
        (the first MAX_DOMAINS hosts seen; every later one is "other")."""
        if host in self._domains:
            return host
        if len(self._domains) < MAX_DOMAINS:
            self._domains.add(host)
            return host
        return "other"

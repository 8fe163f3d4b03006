"""Label sets stay bounded whatever the input: page hosts are chosen by whoever writes the feeds."""

from __future__ import annotations

from prometheus_client import generate_latest

from ingest.metrics import MAX_DOMAINS, Metrics


def test_the_domain_label_is_bounded() -> None:
    metrics = Metrics()
    for n in range(MAX_DOMAINS + 5000):
        metrics.extractions.labels(metrics.domain(f"host-{n}.example")).inc()
    samples = [s for f in metrics.registry.collect() for s in f.samples if s.name == "news_ingest_extractions_total"]
    assert len(samples) == MAX_DOMAINS + 1
    assert metrics.domain("host-0.example") == "host-0.example" and metrics.domain("new.example") == "other"
    assert len(generate_latest(metrics.registry)) < 200_000

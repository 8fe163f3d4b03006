"""The I/O shell of news-ingest: CLI, config, HTTP, Kafka, state, metrics, health."""

"""Fixtures for tests against the real local broker (`make kafka-up`) and a loopback HTTP server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from ingest.demo import SiteServer

from .support import BOOTSTRAP


@pytest.fixture(scope="session", autouse=True)
def broker() -> str:
    """The local broker must be up: these tests fail (never skip) without it."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=5000, bootstrap_timeout_ms=10_000)
        admin.list_topics()
        admin.close()
    except KafkaError as error:
        pytest.fail(f"no Kafka broker at {BOOTSTRAP} ({error}): run `make kafka-up`")
    return BOOTSTRAP


@pytest.fixture
def app_id() -> str:
    """A fresh deployment identity per test, so tests never share topics, groups or state."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def demo_server(demo_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(demo_site).start()
    yield server
    server.close()


@pytest.fixture
def fixture_server(fixtures: Path) -> Iterator[SiteServer]:
    server = SiteServer(fixtures / "site").start()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _no_inherited_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's config file, not the developer's shell, decides what the worker does."""
    for name in list(os.environ):
        if name.startswith("NEWS_INGEST_"):
            monkeypatch.delenv(name)

"""Authenticated Kafka: a broker with SASL/SCRAM listeners, one of them over TLS (SASL_SSL, as in production).
Right credentials work; wrong ones, or a broker certificate we do not trust, end the worker at once with a clear
message (exit 3), without a retry storm."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from ingest.demo import SiteServer

from .support import CLI, DEMO_FEEDS, kafka_sh, read_topic, topics, write_config

REPO = Path(__file__).resolve().parents[2]
SASL = "127.0.0.1:29094"
SASL_SSL = "127.0.0.1:29095"
PLAIN = "127.0.0.1:29092"
USER, PASSWORD = "ingest", "correct-horse-battery"
HOME = REPO / ".local" / "kafka-sasl"
TLS = HOME / "tls"
BROKER_ENV = {
    "KAFKA_HOME_DIR": str(HOME),
    "KAFKA_PORT": "29092",
    "KAFKA_CONTROLLER_PORT": "29093",
    "KAFKA_EXTRA_PROPERTIES": str(HOME / "extra.properties"),
    "KAFKA_FORMAT_ARGS": f"--add-scram SCRAM-SHA-512=[name={USER},password={PASSWORD}]",
}


def broker(action: str) -> None:
    kafka_sh(action, BROKER_ENV)


def _certificates() -> Path:
    """A test CA and the broker's certificate for 127.0.0.1 (an IP SAN: clients check the host name); return the
    broker's PEM keystore (PKCS#8 key, then the chain: what Kafka's PEM keystore reads)."""
    TLS.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca.cert_pem.write_to_path(str(TLS / "ca.pem"))
    trustme.CA(key_type=trustme.KeyType.RSA).cert_pem.write_to_path(str(TLS / "other-ca.pem"))
    issued = ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA)
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), password=None)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    keystore = TLS / "broker.pem"
    keystore.write_bytes(pkcs8 + b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    return keystore


@pytest.fixture(scope="module")
def sasl_broker() -> Iterator[str]:
    keystore = _certificates()
    sasl = (REPO / "deploy" / "kafka" / "sasl.properties").read_text(encoding="utf-8")
    tls = f"ssl.keystore.type=PEM\nssl.keystore.location={keystore}\n"
    (HOME / "extra.properties").write_text(sasl + tls, encoding="utf-8")
    broker("up")
    yield SASL
    broker("down")


def run_with_password(config: Path, password: str) -> tuple[subprocess.CompletedProcess[str], float]:
    # The secret comes from the environment, as a Kubernetes Secret would provide it: never from the file.
    env = {**os.environ, "NEWS_INGEST_KAFKA__SASL_PASSWORD": password}
    started = time.monotonic()
    result = subprocess.run(
        [CLI, "run", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return result, time.monotonic() - started


def sasl_config(tmp_path: Path, app_id: str, site: SiteServer | None, user: str, *, ca: Path | None = None) -> Path:
    """SASL/SCRAM; with `ca`, over TLS (SASL_SSL) trusting that CA."""
    kafka = {
        "bootstrap_servers": SASL,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": user,
        "max_block_ms": 5000,
    }
    if ca is not None:
        kafka |= {"bootstrap_servers": SASL_SSL, "security_protocol": "SASL_SSL", "ssl_cafile": str(ca)}
    return write_config(tmp_path, app_id, site, DEMO_FEEDS if site else [], kafka=kafka)


def test_right_credentials_work(tmp_path: Path, app_id: str, sasl_broker: str, demo_server: SiteServer) -> None:
    result, _ = run_with_password(sasl_config(tmp_path, app_id, demo_server, USER), PASSWORD)
    assert result.returncode == 0, result.stderr[-3000:]
    assert PASSWORD not in result.stderr, "the secret must never be logged"
    assert len(read_topic(topics(app_id)["articles"], bootstrap=PLAIN)) == 9


@pytest.mark.parametrize(("user", "password"), [(USER, "wrong-password"), ("nobody", PASSWORD)])
def test_refused_credentials_end_the_worker_with_a_clear_error(
    tmp_path: Path, app_id: str, sasl_broker: str, user: str, password: str
) -> None:
    result, elapsed = run_with_password(sasl_config(tmp_path, app_id, None, user), password)
    assert result.returncode == 3, result.stderr[-3000:]
    assert (
        f"cannot use Kafka at {SASL} (SASL_PLAINTEXT): no broker answered in 5000 ms or the broker refused "
        "the credentials" in result.stderr
    )
    assert password not in result.stderr
    # One bootstrap window, then out: no loop of retries (the orchestrator's restart back-off takes over).
    assert elapsed < 30


def test_sasl_over_tls_works(tmp_path: Path, app_id: str, sasl_broker: str, demo_server: SiteServer) -> None:
    result, _ = run_with_password(sasl_config(tmp_path, app_id, demo_server, USER, ca=TLS / "ca.pem"), PASSWORD)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(read_topic(topics(app_id)["articles"], bootstrap=PLAIN)) == 9


def test_a_broker_certificate_we_do_not_trust_ends_the_worker_with_a_clear_error(
    tmp_path: Path, app_id: str, sasl_broker: str
) -> None:
    result, elapsed = run_with_password(sasl_config(tmp_path, app_id, None, USER, ca=TLS / "other-ca.pem"), PASSWORD)
    assert result.returncode == 3, result.stderr[-3000:]
    assert (
        f"cannot use Kafka at {SASL_SSL} (SASL_SSL): no broker answered in 5000 ms or the broker refused the "
        "credentials or its TLS certificate is not trusted (kafka.ssl_cafile)" in result.stderr
    )
    assert elapsed < 30

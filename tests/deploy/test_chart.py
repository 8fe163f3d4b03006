"""The deployment artefacts, checked offline: the Dockerfile, the Helm chart and its alerts.

The tools come from the project's own setup (`make tools`: helm and promtool built from the Go module proxy into
.local/bin; hadolint and kubernetes-validate from PyPI into the venv). A missing tool fails these tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.config import load_settings
from ingest.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "news-ingest"
PRODUCTION = CHART / "ci" / "production-values.yaml"
TOOLS = Path(os.environ.get("NEWS_INGEST_TOOLS_BIN", ROOT / ".local" / "bin"))
VENV_BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.33.0"


def tool(name: str) -> str:
    for folder in (TOOLS, VENV_BIN):
        if (folder / name).is_file():
            return str(folder / name)
    pytest.fail(f"{name} is not installed: run `make tools`")


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def render(*options: str) -> list[dict[str, Any]]:
    output = run(tool("helm"), "template", "news", str(CHART), "--kube-version", KUBERNETES_VERSION, *options).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def production() -> list[dict[str, Any]]:
    return render("--namespace", "newsroom", "-f", str(PRODUCTION))


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("chart")
    files = {}
    for name, documents in {"default": render(), "production": production()}.items():
        files[name] = folder / f"{name}.yaml"
        files[name].write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    yield files


def test_the_dockerfile_passes_hadolint() -> None:
    run(tool("hadolint"), str(ROOT / "deploy" / "Dockerfile"))


def test_helm_lint_passes_with_default_and_production_values() -> None:
    run(tool("helm"), "lint", "--strict", str(CHART))
    run(tool("helm"), "lint", "--strict", str(CHART), "-f", str(PRODUCTION))


def test_rendered_manifests_validate_against_the_kubernetes_schemas(rendered: dict[str, Path]) -> None:
    result = run(
        tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, *(str(path) for path in rendered.values())
    )
    # Only the custom resources (Prometheus Operator, KEDA) lack schemas in the Kubernetes set.
    unchecked = [line for line in result.stdout.splitlines() if line.startswith("WARN")]
    assert all(
        any(crd in line for crd in ("PrometheusRule", "ServiceMonitor", "ScaledObject", "TriggerAuthentication"))
        for line in unchecked
    ), unchecked


def test_values_outside_the_schema_are_refused() -> None:
    for bad in ("kafka.securityProtocol=SASL_TLS", "topics.partitions=0", "replicaz=3"):
        result = subprocess.run(
            [tool("helm"), "template", "news", str(CHART), "--kube-version", KUBERNETES_VERSION, "--set", bad],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0 and "values don't meet the specifications of the schema" in result.stderr, bad


def test_the_configmap_is_a_valid_worker_config_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWS_INGEST_KAFKA__SASL_PASSWORD", "from-the-secret")
    monkeypatch.setenv("NEWS_INGEST_WEBSUB__SECRET", "from-another-secret")
    for documents in (render(), production()):
        config_map = of_kind(documents, "ConfigMap")["news-news-ingest-config"]
        path = tmp_path / "config.yaml"
        path.write_text(config_map["data"]["config.yaml"], encoding="utf-8")
        settings = load_settings(path)  # raises ConfigError, naming the key, if the chart wrote a bad config
        assert settings.server.port == 8000
        assert "password" not in config_map["data"]["config.yaml"]
    assert settings.kafka.security_protocol == "SASL_SSL" and settings.kafka.create_topics is False
    assert str(settings.kafka.ssl_cafile) == "/etc/news-ingest-tls/ca.crt"
    assert settings.kafka.partitions == 24 and len(settings.feeds) == 2
    assert settings.websub.enabled and settings.websub.secret is not None
    assert settings.websub.secret.get_secret_value() == "from-another-secret" and settings.websub.port == 8001


def test_each_role_runs_as_its_own_hardened_deployment_with_the_three_probes() -> None:
    documents = production()
    deployments = {**of_kind(documents, "Deployment"), **of_kind(documents, "StatefulSet")}
    assert set(of_kind(documents, "Deployment")) == {"news-news-ingest-poller"}
    assert set(of_kind(documents, "StatefulSet")) == {"news-news-ingest-processor"}  # its story store
    for role, deployment in (
        ("poll", deployments["news-news-ingest-poller"]),
        ("process", deployments["news-news-ingest-processor"]),
    ):
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["args"] == [role, "--config", "/etc/news-ingest/config.yaml"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        startup = container["startupProbe"]
        assert startup["httpGet"]["path"] == "/startupz"
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 3600  # room for a story store rebuild
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp", "/etc/news-ingest"}
        assert pod["terminationGracePeriodSeconds"] > 20  # longer than the worker's own grace period
        password = next(e for e in container["env"] if e["name"] == "NEWS_INGEST_KAFKA__SASL_PASSWORD")
        assert password["valueFrom"]["secretKeyRef"] == {"name": "news-ingest-kafka", "key": "password"}
        env = {e["name"]: e for e in container["env"]}
        if role == "poll":  # only pollers hold the WebSub master key
            websub = env["NEWS_INGEST_WEBSUB__SECRET"]
            assert websub["valueFrom"]["secretKeyRef"] == {"name": "news-ingest-websub", "key": "secret"}
        else:
            assert "NEWS_INGEST_WEBSUB__SECRET" not in env and env["NEWS_INGEST_WEBSUB__ENABLED"]["value"] == "false"
        assert pod["topologySpreadConstraints"]
    assert "replicas" not in deployments["news-news-ingest-processor"]["spec"]  # KEDA owns it
    poller_ports = deployments["news-news-ingest-poller"]["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert {port["name"] for port in poller_ports} == {"http-metrics", "websub"}
    assert (
        of_kind(documents, "Service")["news-news-ingest-websub"]["spec"]["selector"]["app.kubernetes.io/component"]
        == "poller"
    )
    assert set(of_kind(documents, "PodDisruptionBudget")) == set(deployments)
    scaled = of_kind(documents, "ScaledObject")["news-news-ingest-processor"]
    trigger = scaled["spec"]["triggers"][0]["metadata"]
    assert trigger["consumerGroup"] == "newsroom-prod.processor" and trigger["sasl"] == "scram_sha512"
    assert scaled["spec"]["maxReplicaCount"] <= 24
    hpa = of_kind(render(), "HorizontalPodAutoscaler")["news-news-ingest-processor"]
    assert hpa["spec"]["maxReplicas"] <= 12  # never more replicas than partitions


def test_the_processor_keeps_its_story_store_on_a_volume_of_its_own_or_rebuilds_it() -> None:
    documents = render()
    processor = of_kind(documents, "StatefulSet")["news-news-ingest-processor"]
    container = processor["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    store_dir = env["NEWS_INGEST_DEDUPE__STORE_DIR"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["story-store"] == store_dir
    (claim,) = processor["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "story-store" and claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert processor["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] == "Retain"
    assert (
        of_kind(documents, "HorizontalPodAutoscaler")["news-news-ingest-processor"]["spec"]["scaleTargetRef"]["kind"]
        == "StatefulSet"
    )
    assert "NEWS_INGEST_DEDUPE__STORE_DIR" not in {
        e["name"]
        for e in of_kind(documents, "Deployment")["news-news-ingest-poller"]["spec"]["template"]["spec"]["containers"][
            0
        ]["env"]
    }

    ephemeral = render("--set", "processor.storyStore.persistent=false")
    assert "StatefulSet" not in {document["kind"] for document in ephemeral}
    pod = of_kind(ephemeral, "Deployment")["news-news-ingest-processor"]["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes["story-store"]  # an empty volume: a rebuild from the topic, never a wrong answer


def test_network_policy_lets_pollers_reach_only_public_web_addresses() -> None:
    policies = of_kind(production(), "NetworkPolicy")
    poller, processor = policies["news-news-ingest-poller"], policies["news-news-ingest-processor"]
    web = [rule for rule in poller["spec"]["egress"] if any("ipBlock" in peer for peer in rule["to"])]
    assert len(web) == 1
    v4 = next(peer["ipBlock"] for peer in web[0]["to"] if peer["ipBlock"]["cidr"] == "0.0.0.0/0")
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"} <= set(v4["except"])
    assert {port["port"] for port in web[0]["ports"]} == {80, 443}
    v6 = next(peer["ipBlock"] for peer in web[0]["to"] if peer["ipBlock"]["cidr"] == "::/0")
    # The IPv6 forms that carry or reach an IPv4 address, and deprecated local scopes, are no way around it.
    assert {"fc00::/7", "fe80::/10", "::1/128", "fec0::/10", "64:ff9b::/96", "::/96", "::ffff:0:0/96"} <= set(
        v6["except"]
    )
    assert not any("ipBlock" in peer for rule in processor["spec"]["egress"] for peer in rule["to"])
    # The topics Job reaches DNS and the brokers only, and takes no connections.
    topics = policies["news-news-ingest-topics"]["spec"]
    assert topics["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "topics"
    assert topics["ingress"] == [] and not any("ipBlock" in peer for rule in topics["egress"] for peer in rule["to"])
    job = of_kind(production(), "Job")["news-news-ingest-topics"]["spec"]["template"]["spec"]["containers"][0]
    assert "NEWS_INGEST_WEBSUB__SECRET" not in {e["name"] for e in job["env"]}


def test_the_alert_rules_pass_promtool_and_fire_on_what_they_name(tmp_path: Path) -> None:
    rule = next(iter(of_kind(production(), "PrometheusRule").values()))
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}), encoding="utf-8")
    shutil.copy(ROOT / "deploy" / "alerts" / "alerts_test.yaml", tmp_path)
    run(tool("promtool"), "check", "rules", "rules.yaml", cwd=tmp_path)
    run(tool("promtool"), "test", "rules", "alerts_test.yaml", cwd=tmp_path)
    names = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert names == {
        "NewsIngestConsumerLagGrowing",
        "NewsIngestDeadLettersHigh",
        "NewsIngestFeedErrorRatioHigh",
        "NewsIngestNothingPublished",
    }


def test_topics_are_provisioned_by_a_hook_job_before_the_workers_start() -> None:
    documents = production()
    job = of_kind(documents, "Job")["news-news-ingest-topics"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["topics", "create"]
    hook_config = of_kind(documents, "ConfigMap")["news-news-ingest-topics-config"]
    weight = int(hook_config["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert weight < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])  # the config exists first


def test_the_grafana_dashboard_queries_only_metrics_the_worker_exports(tmp_path: Path) -> None:
    exported: set[str] = set()
    for family in Metrics().registry.collect():
        exported |= {family.name, f"{family.name}_total", f"{family.name}_bucket", f"{family.name}_count"}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "news-ingest.json").read_text(encoding="utf-8"))
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in expressions for name in re.findall(r"\b(news_ingest_[a-z_]+)", expr)}
    assert used and used <= exported, used - exported
    # Every expression is valid PromQL: promtool parses it as a recording rule.
    rules = {
        "groups": [
            {"name": "dashboard", "rules": [{"record": f"panel:{i}", "expr": e} for i, e in enumerate(expressions)]}
        ]
    }
    text = yaml.safe_dump(rules).replace("$job", ".*").replace("$namespace", ".*")
    (tmp_path / "dashboard-rules.yaml").write_text(text, encoding="utf-8")
    run(tool("promtool"), "check", "rules", "dashboard-rules.yaml", cwd=tmp_path)

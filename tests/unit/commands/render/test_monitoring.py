"""Monitoring in the renderings (commands/render/monitoring.py, workloads.py, compose.py): every
role pod announces its metrics port and role, the PodMonitor selects every role pod and labels
its series as the local stack's discovery files do, the alert rules travel unchanged, and the
brokers export the metric GovbusUnderReplicatedPartitions reads."""
from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from commands.deploy_cmd import Target
from commands.render.model import ROLE_LABEL
from commands.render.monitoring import ALERT_RULES, JMX_RULES, KAFKA_METRICS_CONFIG, KAFKA_METRICS_KEY
from govbus.core.settings import ROLE_METRICS_PORTS
from tests.support.deploy_render import rendered


def _documents() -> list[dict]:
    return [doc for text in rendered(Target.STRIMZI).values() for doc in yaml.safe_load_all(text)]


def _of_kind(kind: str) -> list[dict]:
    return [doc for doc in _documents() if doc["kind"] == kind]


def test_every_role_pod_announces_its_metrics_port_and_role():
    deployments = _of_kind("Deployment")
    assert deployments
    for deployment in deployments:
        template = deployment["spec"]["template"]
        port = template["spec"]["containers"][0]["ports"][0]["containerPort"]
        assert template["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}
        assert template["metadata"]["labels"][ROLE_LABEL] in ROLE_METRICS_PORTS
        # The selector stays what it was: it cannot change on an existing Deployment.
        assert ROLE_LABEL not in deployment["spec"]["selector"]["matchLabels"]


def _selects(selector: dict, labels: dict) -> bool:
    matched = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        matched = matched and labels.get(expression["key"]) in expression["values"]
    return matched


def test_the_roles_pod_monitor_selects_every_role_pod_and_labels_its_role():
    monitor = next(m for m in _of_kind("PodMonitor") if m["metadata"]["name"] == "govbus-roles")
    for deployment in _of_kind("Deployment"):
        assert _selects(monitor["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics" and endpoint["honorLabels"] is True
    targets = {r["targetLabel"]: r["sourceLabels"] for r in endpoint["relabelings"]}
    assert targets["role"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
    assert targets["instance_name"] == ["__meta_kubernetes_pod_name"]
    # The brokers' pods are not govbus roles.
    assert not _selects(monitor["spec"]["selector"], {"strimzi.io/cluster": "govbus", "strimzi.io/kind": "Kafka"})


def test_the_prometheus_rule_is_the_alert_rules_file():
    [rule] = _of_kind("PrometheusRule")
    assert rule["spec"]["groups"] == yaml.safe_load(ALERT_RULES.read_text())["groups"]


def test_the_brokers_export_the_under_replicated_partitions_metric():
    [kafka] = _of_kind("Kafka")
    reference = kafka["spec"]["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    [config_map] = [c for c in _of_kind("ConfigMap") if c["metadata"]["name"] == KAFKA_METRICS_CONFIG]
    assert reference == {"name": KAFKA_METRICS_CONFIG, "key": KAFKA_METRICS_KEY}
    rules = yaml.safe_load(config_map["data"][KAFKA_METRICS_KEY])
    assert rules == JMX_RULES
    # The JMX exporter's naming, applied to the broker's MBean (a Java regex; these are Python's too).
    bean = "kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value"
    rule = next(r for r in rules["rules"] if re.fullmatch(r["pattern"], bean))
    name = re.fullmatch(rule["pattern"], bean).expand(rule["name"].replace("$", "\\"))
    assert name.lower() == "kafka_server_replicamanager_underreplicatedpartitions"
    assert "kafka_server_replicamanager_underreplicatedpartitions" in ALERT_RULES.read_text()


def test_the_compose_prometheus_labels_every_role_and_loads_the_rules(tmp_path):
    files = rendered(Target.COMPOSE)
    config = yaml.safe_load(files["prometheus.yml"])
    [job] = config["scrape_configs"]
    assert {c["labels"]["role"] for c in job["static_configs"]} <= set(ROLE_METRICS_PORTS)
    assert yaml.safe_load(files["alerts.yml"]) == yaml.safe_load(ALERT_RULES.read_text())
    # promtool reads it as Prometheus would, with the rules where the container mounts them.
    (tmp_path / "alerts.yml").write_text(files["alerts.yml"])
    config["rule_files"] = [str(tmp_path / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `apt-get install prometheus` (.ci/run installs it)"
    done = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

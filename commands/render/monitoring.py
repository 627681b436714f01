"""Monitoring on Kubernetes with the Prometheus Operator (docs/deploy.md#monitoring): a
``PodMonitor`` for the govbus roles (their ``http`` port's /metrics, the pod's role label as the
series' ``role``), one for the Kafka pods' JMX exporter (Strimzi's ``metricsConfig``, which
exports ``kafka_server_replicamanager_underreplicatedpartitions`` among others), and the alert
rules of deploy/monitoring/alerts.yml as a ``PrometheusRule``. The pods also carry the
``prometheus.io/*`` annotations (commands/render/workloads.py) for a Prometheus without the
operator."""
from __future__ import annotations

from typing import Any

import yaml

from commands.render.model import ROLE_LABEL, DeployInputs
from govbus.core.settings import PROJECT_ROOT, ROLE_METRICS_PORTS

API = "monitoring.coreos.com/v1"
ALERT_RULES = PROJECT_ROOT / "deploy" / "monitoring" / "alerts.yml"
KAFKA_METRICS_CONFIG = "govbus-kafka-metrics"
KAFKA_METRICS_KEY = "kafka-metrics-config.yml"
# Strimzi's JMX exporter port on each Kafka pod.
KAFKA_METRICS_PORT = "tcp-prometheus"
# The JMX exporter's rules: the broker's and controller's gauges and counters, names lower case
# (ReplicaManager UnderReplicatedPartitions → kafka_server_replicamanager_underreplicatedpartitions).
JMX_RULES = {
    "lowercaseOutputName": True,
    "rules": [
        {"pattern": "kafka.server<type=(.+), name=(.+)><>Value", "name": "kafka_server_$1_$2", "type": "GAUGE"},
        {"pattern": "kafka.server<type=(.+), name=(.+)><>Count", "name": "kafka_server_$1_$2_total",
         "type": "COUNTER"},
        {"pattern": "kafka.controller<type=(.+), name=(.+)><>Value", "name": "kafka_controller_$1_$2",
         "type": "GAUGE"},
    ],
}
_PART_OF = {"app.kubernetes.io/part-of": "govbus"}


def kafka_metrics_config(inputs: DeployInputs) -> dict[str, Any]:
    """``spec.kafka.metricsConfig`` of the Kafka resource."""
    return {"type": "jmxPrometheusExporter",
            "valueFrom": {"configMapKeyRef": {"name": KAFKA_METRICS_CONFIG, "key": KAFKA_METRICS_KEY}}}


def kafka_metrics_config_map(inputs: DeployInputs) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": KAFKA_METRICS_CONFIG, "labels": _PART_OF},
            "data": {KAFKA_METRICS_KEY: yaml.safe_dump(JMX_RULES, sort_keys=False)}}


def roles_pod_monitor() -> dict[str, Any]:
    """Every govbus role's pods; ``role`` and ``instance_name`` as the local stack's file-based
    discovery gives them (govbus.core.metrics_endpoint), so that the alerts read the same."""
    roles = sorted(r for r in ROLE_METRICS_PORTS if r != "sql-producer")  # the SQL poller is not deployed
    return {"apiVersion": API, "kind": "PodMonitor", "metadata": {"name": "govbus-roles", "labels": _PART_OF},
            "spec": {"selector": {"matchLabels": _PART_OF,
                                  "matchExpressions": [{"key": ROLE_LABEL, "operator": "In", "values": roles}]},
                     "podMetricsEndpoints": [{
                         "port": "http", "path": "/metrics", "interval": "15s", "honorLabels": True,
                         "relabelings": [
                             {"sourceLabels": [f"__meta_kubernetes_pod_label_{_meta(ROLE_LABEL)}"],
                              "targetLabel": "role"},
                             {"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "instance_name"}]}]}}


def kafka_pod_monitor(inputs: DeployInputs) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "PodMonitor", "metadata": {"name": "govbus-kafka", "labels": _PART_OF},
            "spec": {"selector": {"matchLabels": {"strimzi.io/cluster": inputs.cluster, "strimzi.io/kind": "Kafka"}},
                     "podMetricsEndpoints": [{
                         "port": KAFKA_METRICS_PORT, "path": "/metrics", "interval": "15s",
                         "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_name"],
                                          "targetLabel": "instance"}]}]}}


def alert_rules() -> dict[str, Any]:
    """deploy/monitoring/alerts.yml as a PrometheusRule (the same groups)."""
    groups = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8"))["groups"]
    return {"apiVersion": API, "kind": "PrometheusRule", "metadata": {"name": "govbus-alerts", "labels": _PART_OF},
            "spec": {"groups": groups}}


def monitoring_documents(inputs: DeployInputs) -> list[dict[str, Any]]:
    return [roles_pod_monitor(), kafka_pod_monitor(inputs), alert_rules()]


def _meta(label: str) -> str:
    """A pod label as Prometheus' Kubernetes discovery names it (every other character → ``_``)."""
    return "".join(c if c.isalnum() else "_" for c in label)

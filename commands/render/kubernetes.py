"""The Kubernetes rendering: one file per layer, applied in name order (docs/deploy.md#kubernetes)."""
from __future__ import annotations

from commands.render import monitoring, platform, strimzi, workloads
from commands.render.model import DeployInputs
from commands.render.text import header, yaml_documents


def render_kubernetes(inputs: DeployInputs, command: str) -> dict[str, str]:
    """File name -> text. Kafka first (its operator makes the CA and user Secrets the roles
    mount), then topics and users, PostgreSQL and the registry, then the roles."""
    files = {
        "00-kafka.yaml": ("The Kafka cluster (Strimzi): KRaft, combined nodes, its JMX exporter's rules",
                          [strimzi.kafka_cluster(inputs), strimzi.node_pool(inputs),
                           monitoring.kafka_metrics_config_map(inputs)]),
        "10-topics.yaml": ("A KafkaTopic per topic of the topic plan", strimzi.kafka_topics(inputs)),
        "20-users.yaml": ("A KafkaUser per bus identity, with the ACLs compiled from the catalogue and agreements",
                          strimzi.kafka_users(inputs)),
        "30-platform.yaml": ("PostgreSQL (CloudNativePG) and the schema registry (Apicurio Registry 3 operator)",
                             platform.platform_documents(inputs.oidc_issuer)),
        "40-roles.yaml": ("The govbus roles: Deployments, disruption budgets, lag-based autoscaling (KEDA)",
                          [doc for role in inputs.roles for doc in workloads.role_documents(inputs, role)]),
        "50-monitoring.yaml": ("Prometheus Operator: PodMonitors of the roles and the brokers, the alert rules",
                               monitoring.monitoring_documents(inputs)),
    }
    return {name: yaml_documents(docs, header(command, what)) for name, (what, docs) in files.items()}

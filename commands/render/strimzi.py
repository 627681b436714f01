"""The Kafka cluster as the Strimzi operator runs it: ``Kafka`` + ``KafkaNodePool`` (KRaft,
combined controller+broker nodes), a ``KafkaTopic`` per planned topic and a ``KafkaUser`` per
identity carrying the ACLs govbus.core.access compiles (Strimzi's API ``kafka.strimzi.io/v1``)."""
from __future__ import annotations

from itertools import groupby
from typing import Any

from commands.render.model import DeployInputs, PlannedTopic, k8s_name
from commands.render.monitoring import kafka_metrics_config
from govbus.core.access import AclRule, Operation, Pattern, Resource

API = "kafka.strimzi.io/v1"
LISTENER_PORT = 9093
_RESOURCE = {Resource.TOPIC: "topic", Resource.GROUP: "group", Resource.CLUSTER: "cluster",
             Resource.TRANSACTIONAL_ID: "transactionalId"}
_PATTERN = {Pattern.LITERAL: "literal", Pattern.PREFIXED: "prefix"}
_OPERATION = {Operation.READ: "Read", Operation.WRITE: "Write", Operation.CREATE: "Create",
              Operation.DELETE: "Delete", Operation.ALTER: "Alter", Operation.DESCRIBE: "Describe",
              Operation.DESCRIBE_CONFIGS: "DescribeConfigs", Operation.ALTER_CONFIGS: "AlterConfigs",
              Operation.CLUSTER_ACTION: "ClusterAction", Operation.IDEMPOTENT_WRITE: "IdempotentWrite",
              Operation.ALL: "All"}


def bootstrap(inputs: DeployInputs) -> str:
    """The in-cluster bootstrap address of the TLS + SCRAM listener (Strimzi's service name)."""
    return f"{inputs.cluster}-kafka-bootstrap:{LISTENER_PORT}"


def ca_secret(inputs: DeployInputs) -> str:
    """The Secret Strimzi keeps the cluster CA's certificate in (key ``ca.crt``)."""
    return f"{inputs.cluster}-cluster-ca-cert"


def _labels(inputs: DeployInputs) -> dict[str, str]:
    return {"strimzi.io/cluster": inputs.cluster, "app.kubernetes.io/part-of": "govbus"}


def kafka_cluster(inputs: DeployInputs) -> dict[str, Any]:
    """Replication 3 with min.insync 2 (acks=all survives one broker down), no unclean leader
    election, no auto-created topics (every topic comes from the plan), deny by default with the
    one super user, and SCRAM-SHA-512 over TLS as in the local stack (docs/security.md)."""
    rf, isr = min(3, inputs.brokers), inputs.min_insync_replicas
    config = {"default.replication.factor": rf, "min.insync.replicas": isr,
              "offsets.topic.replication.factor": rf, "transaction.state.log.replication.factor": rf,
              "transaction.state.log.min.isr": isr, "unclean.leader.election.enable": False,
              "auto.create.topics.enable": False, "allow.everyone.if.no.acl.found": False}
    return {"apiVersion": API, "kind": "Kafka",
            "metadata": {"name": inputs.cluster, "labels": {"app.kubernetes.io/part-of": "govbus"}},
            "spec": {"kafka": {"version": inputs.kafka_version,
                               "listeners": [{"name": "tls", "port": LISTENER_PORT, "type": "internal", "tls": True,
                                              "authentication": {"type": "scram-sha-512"}}],
                               "authorization": {"type": "simple", "superUsers": [inputs.super_user]},
                               "config": config, "metricsConfig": kafka_metrics_config(inputs)},
                     "entityOperator": {"topicOperator": {}, "userOperator": {}}}}


def node_pool(inputs: DeployInputs) -> dict[str, Any]:
    """Combined KRaft nodes (controller and broker), as the local stack's `--brokers 3`: three
    voters in the quorum, the metadata log on the data volume."""
    return {"apiVersion": API, "kind": "KafkaNodePool",
            "metadata": {"name": "combined", "labels": _labels(inputs)},
            "spec": {"replicas": inputs.brokers, "roles": ["controller", "broker"],
                     "storage": {"type": "jbod", "volumes": [
                         {"id": 0, "type": "persistent-claim", "size": "100Gi", "deleteClaim": False,
                          "kraftMetadata": "shared"}]},
                     "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
                     "jvmOptions": {"-Xms": "2g", "-Xmx": "2g"}}}


def kafka_topics(inputs: DeployInputs) -> list[dict[str, Any]]:
    """One KafkaTopic per planned topic; its object name is the topic's made Kubernetes-safe, the
    real name is ``spec.topicName``."""
    names = [k8s_name(t.name) for t in inputs.topics]
    if len(set(names)) != len(names):
        raise ValueError("two topics map to one KafkaTopic name")
    return [{"apiVersion": API, "kind": "KafkaTopic", "metadata": {"name": name, "labels": _labels(inputs)},
             "spec": _topic_spec(t)} for name, t in sorted(zip(names, inputs.topics, strict=True), key=lambda p: p[0])]


def _topic_spec(topic: PlannedTopic) -> dict[str, Any]:
    """A replication factor of -1 (the broker's default) is left to the cluster's
    ``default.replication.factor``."""
    spec: dict[str, Any] = {"topicName": topic.name, "partitions": topic.partitions}
    if topic.replication_factor > 0:
        spec["replicas"] = topic.replication_factor
    return spec | {"config": dict(sorted(topic.config.items()))}


def acl_entries(rules: tuple[AclRule, ...]) -> list[dict[str, Any]]:
    """Strimzi's ACL list for one user: one entry per resource and pattern, its operations."""
    def key(rule: AclRule) -> tuple[str, str, str]:
        return rule.resource.value, rule.name, rule.pattern.value

    entries = []
    for (_kind, _name, _pattern), same in groupby(sorted(rules, key=key), key=key):
        group = list(same)
        resource: dict[str, Any] = {"type": _RESOURCE[group[0].resource]}
        if group[0].resource is not Resource.CLUSTER:
            resource |= {"name": group[0].name, "patternType": _PATTERN[group[0].pattern]}
        entries.append({"type": "allow", "resource": resource, "host": "*",
                        "operations": sorted({_OPERATION[r.operation] for r in group})})
    return entries


def kafka_users(inputs: DeployInputs) -> list[dict[str, Any]]:
    """A SCRAM-SHA-512 KafkaUser per identity; the User Operator generates each password into a
    Secret of the user's name (key ``password``). The super user gets no ACLs: it needs none."""
    users = []
    for identity in sorted({inputs.super_user, *inputs.acls}):
        spec: dict[str, Any] = {"authentication": {"type": "scram-sha-512"}}
        if identity != inputs.super_user:
            spec["authorization"] = {"type": "simple", "acls": acl_entries(inputs.acls[identity])}
        users.append({"apiVersion": API, "kind": "KafkaUser",
                      "metadata": {"name": k8s_name(identity), "labels": _labels(inputs),
                                   "annotations": {"govbus/identity": identity}},
                      "spec": spec})
    return users

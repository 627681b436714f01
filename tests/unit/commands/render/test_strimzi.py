from __future__ import annotations

from dataclasses import replace

import pytest

from commands.render.model import k8s_name
from commands.render.strimzi import acl_entries, kafka_topics, kafka_users
from govbus.core.access import AclRule, Operation, Pattern, Resource
from tests.support.deploy_render import example_inputs

R, W, D = Operation.READ, Operation.WRITE, Operation.DESCRIBE
TOPIC, GROUP, CLUSTER = Resource.TOPIC, Resource.GROUP, Resource.CLUSTER
LIT, PRE = Pattern.LITERAL, Pattern.PREFIXED


@pytest.mark.parametrize(("name", "expected"), [
    ("svc.processor", "svc.processor"),
    ("recv.public_security_350100", "recv.public-security-350100"),
    ("raw.hotline.work_order", "raw.hotline.work-order"),
    ("bus-admin", "bus-admin"),
])
def test_k8s_name(name: str, expected: str) -> None:
    assert k8s_name(name) == expected


@pytest.mark.parametrize("name", ["", "-x", "x-", "a" * 254, "a/b", "A B"])
def test_k8s_name_refuses_what_no_object_may_be_called(name: str) -> None:
    with pytest.raises(ValueError, match="Kubernetes object name"):
        k8s_name(name)


@pytest.mark.parametrize(("rules", "expected"), [
    ((AclRule("u", TOPIC, "raw.a", LIT, W), AclRule("u", TOPIC, "raw.a", LIT, D)),
     [{"type": "allow", "resource": {"type": "topic", "name": "raw.a", "patternType": "literal"}, "host": "*",
       "operations": ["Describe", "Write"]}]),
    ((AclRule("u", GROUP, "u.", PRE, R), AclRule("u", TOPIC, "raw.", PRE, R)),
     [{"type": "allow", "resource": {"type": "group", "name": "u.", "patternType": "prefix"}, "host": "*",
       "operations": ["Read"]},
      {"type": "allow", "resource": {"type": "topic", "name": "raw.", "patternType": "prefix"}, "host": "*",
       "operations": ["Read"]}]),
    ((AclRule("u", CLUSTER, "kafka-cluster", LIT, Operation.IDEMPOTENT_WRITE),),
     [{"type": "allow", "resource": {"type": "cluster"}, "host": "*", "operations": ["IdempotentWrite"]}]),
    ((AclRule("u", TOPIC, "t", LIT, Operation.DESCRIBE_CONFIGS), AclRule("u", TOPIC, "t", PRE, R)),
     [{"type": "allow", "resource": {"type": "topic", "name": "t", "patternType": "literal"}, "host": "*",
       "operations": ["DescribeConfigs"]},
      {"type": "allow", "resource": {"type": "topic", "name": "t", "patternType": "prefix"}, "host": "*",
       "operations": ["Read"]}]),
])
def test_acl_entries_group_operations_per_resource(rules: tuple[AclRule, ...], expected: list[dict]) -> None:
    assert acl_entries(rules) == expected


def test_each_user_carries_exactly_the_compiled_acls() -> None:
    inputs = example_inputs()
    users = {u["metadata"]["annotations"]["govbus/identity"]: u for u in kafka_users(inputs)}
    assert set(users) == {inputs.super_user, *inputs.acls}
    assert "authorization" not in users[inputs.super_user]["spec"]
    for identity, rules in inputs.acls.items():
        listed = {(e["resource"]["type"], e["resource"].get("name"), op)
                  for e in users[identity]["spec"]["authorization"]["acls"] for op in e["operations"]}
        assert len(listed) == len(rules), identity
        assert users[identity]["spec"]["authentication"] == {"type": "scram-sha-512"}


def test_a_kafka_topic_per_planned_topic_with_its_partitions_and_config() -> None:
    inputs = example_inputs()
    topics = {t["spec"]["topicName"]: t for t in kafka_topics(inputs)}
    assert set(topics) == {t.name for t in inputs.topics}
    for planned in inputs.topics:
        spec = topics[planned.name]["spec"]
        assert (spec["partitions"], spec["replicas"]) == (planned.partitions, 3)
        assert spec["config"]["min.insync.replicas"] == "2"
    audit = topics["audit.deliveries"]["spec"]
    assert (audit["partitions"], audit["config"]["retention.ms"]) == (1, "-1")


def test_a_topic_left_to_the_brokers_default_replication_names_no_replicas() -> None:
    inputs = example_inputs()
    spec = inputs.topics[0]
    defaulted = replace(inputs, topics=(type(spec)(spec.name, 6, -1, {"retention.ms": "1"}),))
    assert kafka_topics(defaulted)[0]["spec"] == {"topicName": spec.name, "partitions": 6,
                                                  "config": {"retention.ms": "1"}}

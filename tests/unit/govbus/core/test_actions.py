"""Operator actions (govbus/core/actions.py): names of the action topics and of operators, the
ACLs that make the actor unforgeable, the reason every action needs."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from govbus.core import identities
from govbus.core.access import Operation, Pattern, Resource, RoleGroups, compile_acls, operator_acls
from govbus.core.actions import Act, action_record, reason_problem, stable_action_id
from govbus.core.topics import TopicNames
from tests.support.agreements import catalogue

GROUPS = RoleGroups(processor="govbus-processor", detector="govbus-detector", sink="govbus-sink",
                    audit="govbus-sink-audit")
AT = datetime(2026, 12, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize(("prefix", "identity", "topic"), [
    ("", "op.alice", "audit.actions.op.alice"),
    ("", "bus-admin", "audit.actions.bus_admin"),
    ("", "svc.processor", "audit.actions.svc.processor"),
    ("t1", "op.alice", "t1.audit.actions.op.alice"),
])
def test_action_topics_name_their_identity_both_ways(prefix, identity, topic) -> None:
    topics = TopicNames(prefix)
    assert topics.audit_actions(identity) == topic
    assert topics.actor_of(topic) == identity


@pytest.mark.parametrize("topic", ["audit.deliveries", "audit.actions.", "audit.actions.Op.X",
                                   "t1.audit.actions.op.alice", "raw.audit.actions.op.alice"])
def test_other_topics_have_no_actor(topic) -> None:
    assert TopicNames().actor_of(topic) is None


@pytest.mark.parametrize(("name", "kind"), [("op.alice", "operator"), ("op.li_wei", "operator"),
                                            ("dept.hotline", "adapter"), ("bus-admin", "admin")])
def test_operators_are_bus_identities(name, kind) -> None:
    assert identities.kind_of(name) == kind


@pytest.mark.parametrize("name", ["op.", "op.Alice", "op.a-b", "ops.alice"])
def test_malformed_operator_names_are_refused(name) -> None:
    with pytest.raises(ValueError):
        identities.kind_of(name)
    if name.startswith("op.") and name != "op.":
        with pytest.raises(ValueError):
            identities.operator(name[3:])


def _writers(rules, topic: str) -> set[str]:
    """Who may WRITE ``topic``, matched the way Kafka matches literal and prefixed ACLs."""
    return {r.principal for r in rules if r.resource is Resource.TOPIC and r.operation is Operation.WRITE
            and (r.name == topic if r.pattern is Pattern.LITERAL else topic.startswith(r.name))}


@pytest.mark.parametrize("prefix", ["", "t1"])
def test_only_its_identity_may_write_an_action_topic(prefix) -> None:
    topics = TopicNames(prefix)
    rules = compile_acls(catalogue(), [], topics, GROUPS, AT, [], operators=["op.al", "op.alice", "op.bob"])
    for actor in ("op.al", "op.alice", "op.bob", "svc.processor", "svc.feed"):
        assert _writers(rules, topics.audit_actions(actor)) == {actor}
    assert _writers(rules, topics.audit_actions("op.mallory")) == set()  # no credential, no ACL
    assert _writers(rules, topics.audit_actions("bus-admin")) == set()   # the super user needs none


def test_an_operator_reads_dead_letters_redrives_and_acts_on_incidents_only() -> None:
    topics = TopicNames()
    mine = operator_acls(topics, GROUPS, ["op.alice"])
    granted = {(r.operation.value, r.name) for r in mine if r.resource is Resource.TOPIC}
    assert ("WRITE", "raw.") in granted and ("READ", "dlq.") in granted
    assert ("WRITE", "govbus-detector-observations") in granted and ("READ", "emergency.incidents") in granted
    assert not any(r.resource is Resource.CLUSTER or r.name.startswith("shared.") for r in mine)
    assert not {("READ", "raw."), ("WRITE", "audit.deliveries")} & granted


@pytest.mark.parametrize(("reason", "ok"), [("ticket 4711", True), ("", False), ("   ", False), (None, False)])
def test_every_action_needs_a_reason(reason, ok) -> None:
    assert (reason_problem(reason) is None) is ok


def test_an_action_record_is_sorted_and_deterministic_when_asked() -> None:
    record = action_record(Act.DLQ_VIEW, " looked ", "dlq.x@1", AT, event_ids=["b", "a", "a"],
                           agreement=("agr", 2), details={"n": 3}, action_id=stable_action_id("x", 1))
    assert (record["reason"], record["event_ids"], record["agreement_version"]) == ("looked", ["a", "b"], 2)
    assert record["details"] == {"n": "3"} and record["action_id"] == stable_action_id("x", 1)
    assert action_record(Act.DLQ_VIEW, "x", "t", AT)["action_id"] != action_record(Act.DLQ_VIEW, "x", "t", AT)["action_id"]

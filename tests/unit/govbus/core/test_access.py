"""ACLs compiled from the shipped catalogue and agreements (govbus/core/access.py), the plan's
difference with the broker, and the conversion to confluent-kafka's bindings (kafka_acl.py).

The expected access comes from tests/support/access_matrix.py, worked out from the data by rules
of its own; ``grants`` below evaluates ACLs the way Kafka's StandardAuthorizer matches them.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

from govbus.core.access import (
    REGISTRY_TOPICS,
    AclRule,
    Operation,
    Pattern,
    Resource,
    RoleGroups,
    plan_acls,
    removal_reason,
    required_acls,
)
from govbus.core.agreements import Agreement, Status, load_agreements
from govbus.core.kafka_acl import from_binding, to_binding, to_filter
from govbus.core.rules import load_rules
from govbus.core.topics import TopicNames
from tests.support.access_matrix import bus_facts, expected_matrix
from tests.support.agreements import CATALOGUE_DIR, NOW, catalogue, hotline_agreement, schemas

GROUPS = RoleGroups(processor="govbus-processor", detector="govbus-detector", sink="govbus-sink",
                    audit="govbus-sink-audit")
PLAIN = TopicNames()


@cache
def agreements() -> tuple[Agreement, ...]:
    return tuple(load_agreements(CATALOGUE_DIR).agreements.values())


@cache
def rule_datasets() -> frozenset[str]:
    return frozenset(r.dataset for r in load_rules(CATALOGUE_DIR, schemas()).rules.values())


def acls(agreement_list=None, topics: TopicNames = PLAIN, now: datetime = NOW,
         groups: RoleGroups = GROUPS) -> frozenset[AclRule]:
    chosen = agreements() if agreement_list is None else agreement_list
    return required_acls(catalogue(), chosen, topics, groups, now, rule_datasets())


def grants(rules: frozenset[AclRule], principal: str, topic: str, operation: str) -> bool:
    """Kafka's matching: an ALLOW on the topic, literally or by prefix, for this operation."""
    return any(r.principal == principal and r.resource is Resource.TOPIC and r.permission == "ALLOW"
               and r.operation in (Operation(operation), Operation.ALL)
               and (r.name == topic if r.pattern is Pattern.LITERAL else topic.startswith(r.name))
               for r in rules)


def topic_rules(rules: frozenset[AclRule], principal: str, operation: Operation) -> set[str]:
    return {r.name for r in rules
            if r.principal == principal and r.resource is Resource.TOPIC and r.operation is operation}


def lapsed(agreement_id: str, **update) -> tuple[Agreement, ...]:
    return tuple(a.model_copy(update=update) if a.id == agreement_id else a for a in agreements())


# --- the matrix: every identity x topic family x READ/WRITE -----------------------------------

@pytest.mark.parametrize("prefix", ["", "t1a2b3c4"])
@pytest.mark.parametrize("now", [NOW, datetime(2030, 1, 1, tzinfo=timezone.utc)], ids=["in-force", "all-expired"])
def test_compiled_acls_grant_exactly_the_matrix(prefix: str, now: datetime) -> None:
    topics = TopicNames(prefix)
    rules = acls(topics=topics, now=now)
    cases = expected_matrix(bus_facts(catalogue(), agreements(), rule_datasets(), topics, now))
    wrong = [c for c in cases if grants(rules, c.identity, c.topic, c.operation) != c.allowed]
    assert not wrong, "\n".join(f"{c.identity} {c.operation} {c.topic} ({c.family}): expected "
                                f"{'allow' if c.allowed else 'deny'}" for c in wrong)
    assert len({c.identity for c in cases}) >= 8 + 7 + 7  # departments, recipients, services


# --- adapters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("department", sorted({e.provider.department for e in catalogue().entries.values()}))
def test_every_adapter_writes_exactly_its_own_raw_topics(department: str) -> None:
    own = sorted(d for d, e in catalogue().entries.items() if e.provider.department == department)
    writes = topic_rules(acls(), f"dept.{department}", Operation.WRITE)
    assert {t for t in writes if t.startswith("raw.")} == {f"raw.{d}" for d in own}
    assert writes == {f"raw.{d}" for d in own} | {f"dlq.{d}" for d in own}
    assert topic_rules(acls(), f"dept.{department}", Operation.READ) == (
        {f"dlq.{d}" for d in own} | {"bus.keys", f"feedback.{department}"})  # its own scorecards only


# --- recipients -------------------------------------------------------------------------------

PS_HOTLINE = AclRule("recv.public_security_350100", Resource.TOPIC,
                     "shared.public_security_350100.hotline.work_order", Pattern.LITERAL, Operation.READ)


@pytest.mark.parametrize(("change", "why"), [
    ({"status": Status.revoked}, "is revoked"),
    ({"status": Status.suspended}, "is suspended"),
    ({"valid_to": NOW - timedelta(seconds=1), "valid_from": NOW - timedelta(days=30)}, "expired at"),
    ({"valid_from": NOW + timedelta(days=1), "valid_to": NOW + timedelta(days=30)}, "is not valid before"),
])
def test_an_agreement_not_in_force_removes_the_recipients_read(change: dict, why: str) -> None:
    before = acls()
    after = acls(lapsed("hotline-to-public-security-fz", **change))
    assert PS_HOTLINE in before and PS_HOTLINE not in after
    # The recipient keeps its other agreement (market) and with it its group prefix.
    assert {r for r in before - after} == {PS_HOTLINE, PS_HOTLINE.__class__(
        PS_HOTLINE.principal, Resource.TOPIC, PS_HOTLINE.name, Pattern.LITERAL, Operation.DESCRIBE)}
    plan = plan_acls(after, before)
    assert plan.lines() == [f"- User:recv.public_security_350100 {op} TOPIC "
                            f"shared.public_security_350100.hotline.work_order LITERAL"
                            for op in ("DESCRIBE", "READ")]
    assert why in removal_reason(PS_HOTLINE, lapsed("hotline-to-public-security-fz", **change), PLAIN, NOW)


def test_a_recipients_last_agreement_lapsing_removes_its_group_too() -> None:
    after = acls(lapsed("population-to-health-fz", status=Status.revoked))
    assert not {r for r in after if r.principal == "recv.health_350100"}


def test_a_new_agreement_adds_the_recipients_read_and_group() -> None:
    new = Agreement.model_validate(hotline_agreement(
        id="hotline-to-transport-fz", recipient={"department": "transport", "region_code": "350100", "level": "city"}))
    added = acls(agreements() + (new,)) - acls()
    topic = "shared.transport_350100.hotline.work_order"
    assert added == {AclRule("recv.transport_350100", Resource.TOPIC, name, Pattern.LITERAL, op)
                     for op in (Operation.READ, Operation.DESCRIBE) for name in (topic, "bus.keys")} | {
        AclRule("recv.transport_350100", Resource.GROUP, "recv.transport_350100.", Pattern.PREFIXED, Operation.READ)}
    assert plan_acls(acls(agreements() + (new,)), acls()).lines()[0].startswith("+ User:recv.transport_350100")


# --- services ---------------------------------------------------------------------------------

def test_only_the_processor_and_the_detector_read_raw_and_the_detector_only_its_rule_datasets() -> None:
    readers = {(r.principal, r.name, r.pattern) for r in acls()
               if r.resource is Resource.TOPIC and r.operation is Operation.READ and r.name.startswith("raw.")}
    assert readers == {("svc.processor", "raw.", Pattern.PREFIXED), ("svc.quality", "raw.", Pattern.PREFIXED)} | {
        ("svc.detector", f"raw.{d}", Pattern.LITERAL) for d in rule_datasets()}


def test_only_the_detector_writes_incidents_and_only_the_audit_sink_reads_audit() -> None:
    rules = acls()
    assert {r.principal for r in rules if r.operation is Operation.WRITE
            and "emergency.incidents".startswith(r.name)} == {"svc.detector"}
    assert {r.principal for r in rules if r.operation is Operation.READ
            and r.resource is Resource.TOPIC and r.name.startswith("audit.")} == {"svc.audit"}


def test_families_are_prefixed_so_a_new_dataset_needs_no_new_processor_acl() -> None:
    processor = {r for r in acls() if r.principal == "svc.processor"}
    assert {(r.name, r.pattern) for r in processor if r.operation is Operation.WRITE} == {
        ("shared.", Pattern.PREFIXED), ("dlq.", Pattern.PREFIXED), ("audit.deliveries", Pattern.LITERAL),
        ("govbus-processor-", Pattern.PREFIXED), ("audit.actions.svc.processor", Pattern.LITERAL),
        ("bus.keys", Pattern.LITERAL)}


@pytest.mark.parametrize("prefix", ["t1", "t9f8e7d6"])
def test_every_bus_topic_name_and_prefix_carries_the_topic_prefix(prefix: str) -> None:
    groups = RoleGroups(f"{prefix}-proc", f"{prefix}-govbus-detector", f"{prefix}-sink", f"{prefix}-sink-audit")
    names = {r.name for r in acls(topics=TopicNames(prefix), groups=groups) if r.resource is Resource.TOPIC}
    outside = {n for n in names if not n.startswith(f"{prefix}.")}
    # Faust's internal topics carry the app id (which carries the prefix); Apicurio's are its own.
    assert outside == set(REGISTRY_TOPICS) | {f"{prefix}-proc-", f"{prefix}-govbus-detector-",
                                              f"{prefix}-govbus-detector-observations"}


def test_no_cluster_or_transactional_acl_is_needed() -> None:
    # KIP-679: WRITE on any topic lets an idempotent producer get its producer id.
    assert {r.resource for r in acls()} == {Resource.TOPIC, Resource.GROUP}
    assert all(r.permission == "ALLOW" for r in acls())


def test_every_identity_name_is_a_bus_identity() -> None:
    from govbus.core.identities import kind_of

    assert {kind_of(r.principal) for r in acls()} == {"adapter", "recipient", "service"}


# --- the plan ---------------------------------------------------------------------------------

def test_plan_adds_what_is_missing_removes_only_managed_extras_and_leaves_the_rest() -> None:
    required = acls()
    missing = PS_HOTLINE
    stale = AclRule("recv.gone_350100", Resource.TOPIC, "shared.gone_350100.x.y", Pattern.LITERAL, Operation.READ)
    people = AclRule("alice", Resource.TOPIC, "raw.", Pattern.PREFIXED, Operation.READ)
    admin = AclRule("bus-admin", Resource.TOPIC, "raw.", Pattern.PREFIXED, Operation.ALL)
    deny = AclRule("dept.hotline", Resource.TOPIC, "raw.fire.alarm", Pattern.LITERAL, Operation.WRITE, "DENY")
    plan = plan_acls(required, (required - {missing}) | {stale, people, admin, deny})
    assert plan.add == {missing} and plan.remove == {stale}
    assert plan.foreign == {people, admin, deny}
    assert plan.lines() == [f"+ {missing}", "- User:recv.gone_350100 READ TOPIC shared.gone_350100.x.y LITERAL"]
    assert plan.drift
    assert not plan_acls(required, required | {people}).drift


def test_a_prefixed_bus_removes_only_acls_named_with_its_prefix() -> None:
    topics = TopicNames("t1")
    required = acls(topics=topics)
    mine = AclRule("recv.gone_350100", Resource.TOPIC, "t1.shared.gone_350100.x.y", Pattern.LITERAL, Operation.READ)
    my_group = AclRule("svc.sink", Resource.GROUP, "t1-old-sink", Pattern.LITERAL, Operation.READ)
    another_bus = AclRule("svc.processor", Resource.TOPIC, "t2.raw.", Pattern.PREFIXED, Operation.READ)
    production = AclRule("svc.processor", Resource.TOPIC, "raw.", Pattern.PREFIXED, Operation.READ)
    plan = plan_acls(required, required | {mine, my_group, another_bus, production}, "t1")
    assert plan.remove == {mine, my_group} and plan.foreign == {another_bus, production}
    assert plan_acls(acls(), acls() | {another_bus}).remove == {another_bus}  # production owns all


def test_removal_reason_when_nothing_requires_it() -> None:
    stale = AclRule("svc.sink", Resource.TOPIC, "pool.", Pattern.PREFIXED, Operation.READ)
    assert removal_reason(stale, agreements(), PLAIN, NOW) == "no catalogue entry or agreement in force requires it"


# --- confluent-kafka bindings -----------------------------------------------------------------

def test_every_rule_converts_to_a_binding_and_back() -> None:
    for rule in acls():
        assert from_binding(to_binding(rule)) == rule
        f = to_filter(rule)
        assert (f.name, f.principal, f.host) == (rule.name, f"User:{rule.principal}", "*")


@pytest.mark.parametrize(("principal", "host", "restype"), [
    ("Group:ops", "*", ResourceType.TOPIC),
    ("User:dept.hotline", "10.0.0.1", ResourceType.TOPIC),
])
def test_bindings_an_acl_rule_cannot_say_are_not_converted(principal: str, host: str, restype) -> None:
    binding = AclBinding(restype, "raw.", ResourcePatternType.PREFIXED, principal, host,
                         AclOperation.READ, AclPermissionType.ALLOW)
    assert from_binding(binding) is None


def test_cluster_acls_use_confluent_kafkas_broker_type() -> None:
    rule = AclRule("svc.ingest", Resource.CLUSTER, "kafka-cluster", Pattern.LITERAL, Operation.IDEMPOTENT_WRITE)
    assert to_binding(rule).restype is ResourceType.BROKER
    assert from_binding(to_binding(rule)) == rule


def test_the_pool_sink_writes_dead_letters_but_reads_no_dlq() -> None:
    sink = {r for r in acls() if r.principal == "svc.sink"}
    assert {(r.name, r.pattern, r.operation) for r in sink if r.name.startswith("dlq.")} == {
        ("dlq.", Pattern.PREFIXED, Operation.WRITE), ("dlq.", Pattern.PREFIXED, Operation.DESCRIBE)}
    assert {(r.name, r.operation) for r in sink if r.operation is Operation.WRITE} == {("dlq.", Operation.WRITE)}


def test_only_the_audit_sink_writes_the_checkpoints_of_the_chain() -> None:
    writers = {(r.principal, r.pattern) for r in acls() if r.operation is Operation.WRITE
               and r.resource is Resource.TOPIC and "audit.checkpoints".startswith(r.name)}
    assert writers == {("svc.audit", Pattern.LITERAL)}


def test_the_feed_reads_what_was_shared_with_the_emergency_recipients_while_agreements_hold():
    from govbus.core.access import compile_acls

    recipients = ("emergency_management_350100", "emergency_management_350000")
    rules = frozenset(compile_acls(catalogue(), agreements(), PLAIN, GROUPS, NOW, rule_datasets(),
                                   feed_recipients=recipients))
    shared = {f"shared.{a.recipient_id}.{a.dataset}" for a in agreements() if a.in_force(NOW)}
    readable = {t for t in shared if grants(rules, "svc.feed", t, "READ")}
    assert readable == {t for t in shared if t.split(".")[1] in recipients}
    assert "shared.emergency_management_350000.hotline.work_order" in readable
    assert not any(grants(rules, "svc.feed", t, "WRITE") for t in shared)
    later = frozenset(compile_acls(catalogue(), agreements(), PLAIN, GROUPS, NOW + timedelta(days=3650),
                                   rule_datasets(), feed_recipients=recipients))
    assert not any(grants(later, "svc.feed", t, "READ") for t in shared)   # every agreement ended

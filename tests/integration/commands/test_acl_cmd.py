"""`govbus acl plan | apply` against a real broker: plan shows the drift, apply removes it and
records each change on audit.acl_changes, plan then shows none.

ACLs need an authorizer on the broker (a broker without one keeps none: SECURITY_DISABLED), so
these tests skip on a broker without one, saying so. The enforcement matrix connects as each
identity of the secure stack (its file in the stack's identities/ folder) and tries.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import cache

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from typer.testing import CliRunner

from commands.acl_cmd import acl_app
from govbus.core import kafka_acl
from govbus.core.access import AclRule, Operation, Pattern, Resource
from govbus.core.agreements import load_agreements
from govbus.core.catalogue import load_catalogue
from govbus.core.kafka_admin import create_missing_topics
from govbus.core.result import Ok
from govbus.core.rules import load_rules
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config
from govbus.core.topics import TopicNames
from tests.support.access_matrix import READ, WRITE, bus_facts, expected_matrix
from tests.support.acl_probe import reads, writes

runner = CliRunner()


@cache
def _authorizer(broker) -> str:
    return kafka_acl.authorizer_of(AdminClient(broker.client_config()))


@pytest.fixture
def bus(broker, unique):
    """The environment of a bus with a topic prefix of this test's own (its ACLs, topics and
    groups named with it); the prefix's ACLs are removed at the end."""
    if not _authorizer(broker):
        # A failure, not a skip: security is on by default, so a broker without it is a wrong setup.
        pytest.fail("the broker has no authorizer, so it keeps no ACLs: run against the secure stack "
                    "(or any broker with authorizer.class.name set)")
    prefix = f"t{unique}"
    env = broker.env() | {"GOVBUS_TOPIC_PREFIX": prefix, "GOVBUS_PROCESSOR_GROUP": f"{prefix}-processor",
                          "GOVBUS_SINK_GROUP": f"{prefix}-sink", "GOVBUS_METRICS_PORT": "-1", "COLUMNS": "250"}
    yield env
    admin = AdminClient(broker.client_config())
    mine = {r for r in kafka_acl.describe(admin).rules if r.name.startswith((f"{prefix}.", f"{prefix}-"))}
    kafka_acl.delete(admin, frozenset(mine))  # leave the broker as found, apart from shared grants


def acl(env, *args):
    return runner.invoke(acl_app, list(args), env=env)


def lines_of(result, prefix: str, sign: str) -> set[str]:
    return {line for line in result.output.splitlines() if line.startswith(sign) and f" {prefix}" in line}


def read_all(settings: GovbusSettings, topic: str, expect: int, timeout: float = 30.0) -> list[dict]:
    serde = Serde.from_settings(settings)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{topic}-reader"}))
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    records, deadline = [], time.monotonic() + timeout
    try:
        while len(records) < expect and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                decoded = serde.decode(message.value())
                assert isinstance(decoded, Ok), decoded
                records.append(decoded.value)
    finally:
        consumer.close()
    return records


def test_plan_apply_plan_and_every_change_is_audited(broker, bus, tmp_path) -> None:
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    first = acl(bus, "plan")
    assert first.exit_code == 2, first.output
    added = lines_of(first, prefix, "+ ")
    assert f"+ User:svc.processor READ TOPIC {prefix}.raw. PREFIXED" in added
    assert (f"+ User:recv.public_security_350100 READ TOPIC {prefix}.shared.public_security_350100."
            f"hotline.work_order LITERAL") in added
    assert not any("IDEMPOTENT_WRITE" in line for line in first.output.splitlines())

    applied = acl(bus, "apply", "--reason", "ticket GB-12")
    assert applied.exit_code == 0, applied.output
    again = acl(bus, "plan")
    assert again.exit_code == 0, again.output
    assert "0 to add, 0 to remove" in again.output

    settings = broker.settings(tmp_path, topic_prefix=prefix)
    total = len([line for line in first.output.splitlines() if line.startswith(("+ ", "- "))])
    records = read_all(settings, TopicNames(prefix).audit_acl_changes, total)
    assert len(records) == total
    hotline = next(r for r in records if r["resource_name"].endswith("public_security_350100.hotline.work_order")
                   and r["operation"] == "READ")
    assert hotline["change"] == "add" and hotline["applied_by"] == broker.kafka_user  # the identity, not a free-text name
    assert "agreement hotline-to-public-security-fz v" in hotline["reason"] and "ticket GB-12" in hotline["reason"]


def test_apply_removes_stale_acls_of_bus_identities_and_leaves_others_alone(broker, bus) -> None:
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    admin = AdminClient(broker.client_config())
    stale = AclRule("recv.gone_350100", Resource.TOPIC, f"{prefix}.shared.gone_350100.hotline.work_order",
                    Pattern.LITERAL, Operation.READ)
    person = AclRule(f"alice_{prefix}", Resource.TOPIC, f"{prefix}.raw.", Pattern.PREFIXED, Operation.READ)
    kafka_acl.create(admin, frozenset({stale, person}))
    try:
        plan = acl(bus, "plan")
        assert f"- {stale}" in plan.output.splitlines()
        assert any(line.startswith(f"= {person}") for line in plan.output.splitlines())
        assert acl(bus, "apply").exit_code == 0
        on_broker = kafka_acl.describe(admin).rules
        assert stale not in on_broker and person in on_broker
    finally:
        kafka_acl.delete(admin, frozenset({person}))


# --- enforcement: each identity tries ------------------------------------------------------

def seed(broker, topics: set[str]) -> None:
    """Create the topics (as bus-admin) and put one record in each, so that a reader has
    something to fetch."""
    admin_config = broker.client_config()
    create_missing_topics(AdminClient(admin_config), [NewTopic(t, 1, -1) for t in sorted(topics)])
    producer = Producer(admin_config)
    for topic in sorted(topics):
        producer.produce(topic, b"seed")
    assert producer.flush(30) == 0


def test_each_identity_can_do_exactly_what_the_matrix_says(broker, bus) -> None:
    """Every identity x topic family x READ/WRITE against the broker, as applied by `acl apply`
    for this test's prefix; expected from tests/support/access_matrix.py (266 cells with the
    shipped catalogue)."""
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    assert acl(bus, "apply").exit_code == 0
    settings = GovbusSettings()
    catalogue_dir = settings.catalogue_dir
    rules = load_rules(catalogue_dir, load_schemas(settings.schemas_dir)).rules.values()
    facts = bus_facts(load_catalogue(catalogue_dir), load_agreements(catalogue_dir).agreements.values(),
                      {r.dataset for r in rules}, TopicNames(prefix), datetime.now(timezone.utc))
    cases = expected_matrix(facts)
    seed(broker, {c.topic for c in cases})
    actual: dict[tuple[str, str, str], bool] = {}
    for identity in sorted({c.identity for c in cases}):
        config = broker.client_config(identity)
        mine = [c for c in cases if c.identity == identity]
        written = writes(config, {c.topic for c in mine if c.operation == WRITE})
        actual |= {(identity, t, WRITE): err is None for t, err in written.items()}
        actual |= {(identity, t, READ): ok for t, ok in reads(config, {c.topic for c in mine
                                                                         if c.operation == READ}).items()}
    wrong = [c for c in cases if actual[(c.identity, c.topic, c.operation)] != c.allowed]
    assert len(cases) > 200 and any(c.allowed for c in cases)
    assert not wrong, "\n".join(f"{c.identity} {c.operation} {c.family} {c.topic}: expected "
                                f"{'allow' if c.allowed else 'deny'}" for c in wrong)

"""`govbus acl plan | apply` against a real broker: plan shows the drift, apply removes it and
records each change on audit.acl_changes, plan then shows none.

ACLs need an authorizer on the broker (a broker without one keeps none: SECURITY_DISABLED), so
these tests skip on a broker without one, saying so. The enforcement matrix (each identity tries
to read and write each topic family) needs the secure stack's per-identity credentials and runs
only when the broker fixture reports ``authorization_enabled``.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import cache

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
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
from govbus.core.settings import GovbusSettings
from govbus.core.topics import TopicNames
from tests.support.access_matrix import WRITE, bus_facts, expected_matrix

runner = CliRunner()


@cache
def _authorizer(bootstrap: str) -> str:
    return kafka_acl.authorizer_of(AdminClient({"bootstrap.servers": bootstrap}))


@pytest.fixture
def bus(broker, unique):
    if not _authorizer(broker.bootstrap):
        pytest.skip("the broker has no authorizer, so it keeps no ACLs: run against the secure stack "
                    "(or any broker with authorizer.class.name set)")
    prefix = f"t{unique}"
    env = {"GOVBUS_BOOTSTRAP_SERVERS": broker.bootstrap, "GOVBUS_REGISTRY_URL": broker.registry_url,
           "GOVBUS_TOPIC_PREFIX": prefix, "GOVBUS_PROCESSOR_GROUP": f"{prefix}-processor",
           "GOVBUS_SINK_GROUP": f"{prefix}-sink", "GOVBUS_METRICS_PORT": "-1", "COLUMNS": "250"}
    yield env
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    mine = {r for r in kafka_acl.describe(admin).rules if r.name.startswith((f"{prefix}.", f"{prefix}-"))}
    kafka_acl.delete(admin, frozenset(mine))  # leave the broker as found, apart from shared grants


def acl(env, *args):
    return runner.invoke(acl_app, list(args), env=env)


def lines_of(result, prefix: str, sign: str) -> set[str]:
    return {line for line in result.output.splitlines() if line.startswith(sign) and f" {prefix}" in line}


def read_all(settings: GovbusSettings, topic: str, expect: int, timeout: float = 30.0) -> list[dict]:
    serde = Serde.from_settings(settings)
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": f"{topic}-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
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


def test_plan_apply_plan_and_every_change_is_audited(bus) -> None:
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    first = acl(bus, "plan")
    assert first.exit_code == 2, first.output
    added = lines_of(first, prefix, "+ ")
    assert f"+ User:svc.processor READ TOPIC {prefix}.raw. PREFIXED" in added
    assert (f"+ User:recv.public_security_350100 READ TOPIC {prefix}.shared.public_security_350100."
            f"hotline.work_order LITERAL") in added
    assert not any("IDEMPOTENT_WRITE" in line for line in first.output.splitlines())

    applied = acl(bus, "apply", "--reason", "ticket GB-12", "--operator", "tester")
    assert applied.exit_code == 0, applied.output
    again = acl(bus, "plan")
    assert again.exit_code == 0, again.output
    assert "0 to add, 0 to remove" in again.output

    settings = GovbusSettings(bootstrap_servers=bus["GOVBUS_BOOTSTRAP_SERVERS"],
                              registry_url=bus["GOVBUS_REGISTRY_URL"], topic_prefix=prefix)
    total = len([line for line in first.output.splitlines() if line.startswith(("+ ", "- "))])
    records = read_all(settings, TopicNames(prefix).audit_acl_changes, total)
    assert len(records) == total
    hotline = next(r for r in records if r["resource_name"].endswith("public_security_350100.hotline.work_order")
                   and r["operation"] == "READ")
    assert hotline["change"] == "add" and hotline["applied_by"] == "tester"
    assert "agreement hotline-to-public-security-fz v" in hotline["reason"] and "ticket GB-12" in hotline["reason"]


def test_apply_removes_stale_acls_of_bus_identities_and_leaves_others_alone(bus) -> None:
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    admin = AdminClient({"bootstrap.servers": bus["GOVBUS_BOOTSTRAP_SERVERS"]})
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


# --- enforcement: wired when the secure stack lands ------------------------------------------

def _try(config: dict, topic: str, operation: str) -> bool:
    """Whether the broker lets this client read (fetch) or write (produce) ``topic``."""
    if operation == WRITE:
        failures: list[KafkaError] = []
        producer = Producer(config | {"enable.idempotence": True, "acks": "all", "message.timeout.ms": 10000})
        producer.produce(topic, b"probe", on_delivery=lambda err, _m: failures.append(err) if err else None)
        producer.flush(15)
        return not failures
    consumer = Consumer(config | {"group.id": "probe-unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                return False
            if error is None:
                return True
        return False
    finally:
        consumer.close()


def test_each_identity_can_do_exactly_what_the_matrix_says(broker, bus) -> None:
    if not getattr(broker, "authorization_enabled", False):
        pytest.skip("enforcement needs the secure stack (SASL identities, allow.everyone.if.no.acl.found=false); "
                    "wired when it merges")
    prefix = bus["GOVBUS_TOPIC_PREFIX"]
    assert acl(bus, "apply").exit_code == 0
    settings = GovbusSettings()
    topics = TopicNames(prefix)
    catalogue_dir = settings.catalogue_dir
    rules = load_rules(catalogue_dir, load_schemas(settings.schemas_dir)).rules.values()
    facts = bus_facts(load_catalogue(catalogue_dir), load_agreements(catalogue_dir).agreements.values(),
                      {r.dataset for r in rules}, topics, datetime.now(timezone.utc))
    cases = expected_matrix(facts)
    admin_config = broker.client_config("bus-admin")
    create_missing_topics(AdminClient(admin_config), [NewTopic(t, 1, -1) for t in {c.topic for c in cases}])
    seed = Producer(admin_config)
    for topic in {c.topic for c in cases}:
        seed.produce(topic, b"seed")  # something to fetch
    assert seed.flush(30) == 0
    wrong = [c for c in cases if _try(broker.client_config(c.identity), c.topic, c.operation) != c.allowed]
    assert not wrong, "\n".join(f"{c.identity} {c.operation} {c.topic}: expected "
                                f"{'allow' if c.allowed else 'deny'}" for c in wrong)

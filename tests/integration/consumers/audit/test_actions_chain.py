"""Operators' actions on the audit chain, on the secure stack and PostgreSQL: an operator identity
made with `govbus identities create op.<name>` re-drives a dead letter and acknowledges an
incident; both reach the hash chain (the actions sink) under that identity, taken from the topic,
and `who-received --id-no` lists the re-drive of the person's record with the operator's note.
The same identity writing an action on another identity's topic is refused by the broker.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from typer.testing import CliRunner

from bench.databases import fresh_database
from commands.exits import REFUSED, Failure
from commands.localstack.identities import identity_path
from commands.main import app
from consumers.audit.actions_sink import ActionsSink
from consumers.audit.main import open_audit_stores
from govbus.core import kafka_acl, scram
from govbus.core.deadletter import Origin, load_bus_schema
from govbus.core.kafka_admin import create_missing_topics
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from govbus.core.topics import value_subject
from stream_processors.detect.main import detector_id, observations_topic
from stream_processors.main import build_pipeline
from tests.support.helpers import work_order
from tests.support.samples import BUS_SAMPLES

DATASET = "hotline.work_order"
BAD_ID = "110105194912310021"  # wrong check character: the processor dead-letters the record
INCIDENT = "t.burst/350102/20261203T050000.000Z"
IDLE = 8.0
runner = CliRunner()


@pytest.fixture
def bus(broker, tmp_path, unique, postgres_url):
    """A bus of this test's own (topic prefix, audit database) and an operator identity made by
    `govbus identities create`; the identity, its file and its ACLs are removed at the end."""
    prefix, operator = f"t{unique}", f"op.t{unique}"
    admin = AdminClient(broker.client_config())
    with fresh_database(postgres_url, "actions") as url:
        env = broker.env() | {"GOVBUS_TOPIC_PREFIX": prefix, "GOVBUS_PROCESSOR_GROUP": f"{prefix}-processor",
                              "GOVBUS_SINK_GROUP": f"{prefix}-sink", "GOVBUS_METRICS_PORT": "-1",
                              "GOVBUS_POOL_URL": url, "GOVBUS_STACK_DIR": str(broker.stack_dir()), "COLUMNS": "250"}
        settings = broker.settings(tmp_path, topic_prefix=prefix, sink_group=f"{prefix}-sink",
                                   sink_batch_seconds=0.5, pool_url=url)
        path = identity_path(broker.stack_dir(), operator)
        try:
            yield SimpleNamespace(prefix=prefix, operator=operator, env=env, settings=settings,
                                  as_operator=env | {"GOVBUS_KAFKA_USER": operator,
                                                     "GOVBUS_KAFKA_PASSWORD_FILE": str(path)})
        finally:
            scram.delete(admin, operator, "SCRAM-SHA-512")
            path.unlink(missing_ok=True)
            mine = {r for r in kafka_acl.describe(admin).rules
                    if r.principal == operator or r.name.startswith((f"{prefix}.", f"{prefix}-"))}
            kafka_acl.delete(admin, frozenset(mine))


def _created(bus) -> None:
    made = runner.invoke(app, ["identities", "create", bus.operator, "--note", "new steward (ticket 17)"],
                         env=bus.env)
    assert made.exit_code == 0, made.output
    assert "ACL changes" in made.output, made.output


def _dead_letter(bus) -> None:
    """A record the processor refuses (bad ID check character) on the dlq topic, as the processor puts it."""
    topics = topic_names(bus.settings)
    admin = AdminClient(kafka_config(bus.settings, "admin"))
    create_missing_topics(admin, [NewTopic(t, 1, -1) for t in (topics.raw(DATASET), topics.dlq(DATASET))])
    pipeline = build_pipeline(bus.settings)
    raw = topics.raw(DATASET)
    bad = pipeline.serde.encode(f"{raw}-value", work_order(caller_id_no=BAD_ID))
    [letter] = pipeline.process(Origin(raw, 0, 7, b"GD1", bad))
    producer = Producer(kafka_config(bus.settings, "producer"))
    producer.produce(letter.topic, letter.value, letter.key, headers=letter.headers)
    assert producer.flush(30) == 0


def _open_incident(bus) -> None:
    """One open incident on the bus's incidents topic, and the detector's command topic."""
    topics = topic_names(bus.settings)
    admin = AdminClient(kafka_config(bus.settings, "admin"))
    create_missing_topics(admin, [NewTopic(topics.emergency_incidents, 1, -1),
                                  NewTopic(observations_topic(detector_id(bus.settings)), 1, -1)])
    serde = Serde.from_settings(bus.settings)
    subject = value_subject(topics.emergency_incidents)
    serde.prepare(subject, load_bus_schema(bus.settings.schemas_dir, "govbus.bus.EmergencyIncident"))
    incident = BUS_SAMPLES["govbus.bus.EmergencyIncident"] | {"incident_id": INCIDENT, "rule_id": "t.burst"}
    producer = Producer(kafka_config(bus.settings, "producer"))
    producer.produce(topics.emergency_incidents, serde.encode(subject, incident), INCIDENT.encode())
    assert producer.flush(30) == 0


def test_a_redrive_and_an_acknowledgement_reach_the_chain_under_the_operator_identity(bus) -> None:
    _created(bus)
    _dead_letter(bus)
    _open_incident(bus)

    refused = runner.invoke(app, ["dlq", "redrive", DATASET, "--note", " "], env=bus.as_operator)
    # commands.main.main prints a Failure's line and exits with its code.
    assert isinstance(refused.exception, Failure) and refused.exception.code == REFUSED, refused.output
    assert "a reason is required" in refused.exception.line
    redrive = runner.invoke(app, ["dlq", "redrive", DATASET, "--note", "caller fixed the ID (ticket 4711)"],
                            env=bus.as_operator)
    assert redrive.exit_code == 0 and f"re-drove 1 letters to {bus.prefix}.raw.{DATASET} as {bus.operator}" \
        in redrive.output, redrive.output
    # No detector runs here: the command waits in its topic ("pending"), and is recorded as such.
    ack = runner.invoke(app, ["incident", "ack", INCIDENT, "--wait", "1", "--note", "seen on the wall"],
                        env=bus.as_operator)
    assert ack.exit_code == 0 and "ack sent" in ack.output, ack.output

    store, actions = open_audit_stores(bus.settings)
    try:
        sink = ActionsSink(bus.settings, Serde.from_settings(bus.settings), actions)
        sink.run(idle_exit_seconds=IDLE)
        mine = {a["action"]: a for a in actions.by_operator(bus.operator)}
        assert set(mine) == {"dlq.redrive", "incident.ack"}, mine
        assert mine["dlq.redrive"]["reason"] == "caller fixed the ID (ticket 4711)"
        assert mine["dlq.redrive"]["source_topic"] == f"{bus.prefix}.audit.actions.{bus.operator}"
        assert (mine["incident.ack"]["target"], mine["incident.ack"]["outcome"]) == (INCIDENT, "pending")
        admin_actions = actions.by_operator("bus-admin")
        assert any(a["action"] == "identity.create" and a["target"] == bus.operator for a in admin_actions)
        assert any(a["action"] == "acl.add" and f"User:{bus.operator} WRITE" in a["target"] for a in admin_actions)
        verdict = store.verify()
        assert verdict.ok and verdict.rows == sink.appended == len(admin_actions) + 2, verdict
    finally:
        store.close()

    report = runner.invoke(app, ["audit", "who-received", "--id-no", BAD_ID, "--format", "json"], env=bus.env)
    assert report.exit_code == 0, report.output
    [entry] = json.loads(report.output)["entries"]
    assert (entry["kind"], entry["who"], entry["purpose"]) == ("dlq.redrive", bus.operator,
                                                               "caller fixed the ID (ticket 4711)")
    table = runner.invoke(app, ["audit", "who-received", "--id-no", BAD_ID], env=bus.env)
    assert table.exit_code == 0 and bus.operator in table.output and BAD_ID not in table.output, table.output


def test_an_operator_cannot_write_an_action_as_another_identity(broker, bus) -> None:
    _created(bus)
    topics = topic_names(bus.settings)
    others = [topics.audit_actions(f"op.{bus.prefix}x"), topics.audit_actions("svc.processor"),
              topics.audit_actions("bus-admin"), topics.audit_deliveries]
    own = topics.audit_actions(bus.operator)
    create_missing_topics(AdminClient(broker.client_config()), [NewTopic(t, 1, -1) for t in [*others, own]])
    outcomes: dict[str, KafkaError | None] = {}
    producer = Producer(broker.client_config(bus.operator, **{"message.timeout.ms": 15000}))
    for topic in [*others, own]:
        producer.produce(topic, b"forged", on_delivery=lambda err, msg: outcomes.__setitem__(msg.topic(), err))
    producer.flush(30)
    refused = {t for t, err in outcomes.items()
               if err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED}
    assert refused == set(others), outcomes
    assert own in outcomes and outcomes[own] is None  # its own topic: the broker accepts it

"""The audit sink and `govbus audit verify | who-received` against the real broker and registry,
with the audit store on SQLite and on PostgreSQL.

Audit events are produced as the processor produces them (Serde, the AuditDelivery schema, keyed
by event id); then the stored chain is tampered with by plain SQL, as an insider would.
"""
from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from commands.audit_cmd import audit_app
from commands.exits import FINDINGS, Failure
from consumers.audit.checkpoint import create_key_files
from consumers.audit.sink import AuditSink, AuditTopicError
from consumers.audit.store import AUDIT_TABLE, HEAD_TABLE, AuditStore
from consumers.pool.store import REJECTS_TABLE
from govbus.core.deadletter import load_bus_schema
from govbus.core.metrics import new_metrics
from govbus.core.serde import Serde
from govbus.core.settings import connection_env, kafka_config, pseudonym_master_key, topic_names
from govbus.core.topics import value_subject
from stream_processors.route import masking
from stream_processors.route.logic import audit_key
from tests.support.audit_samples import audit_event

IDLE = 4.0  # seconds without records before a test run of the sink returns
ID_NO = "11010519491231002X"
runner = CliRunner()


@pytest.fixture
def settings(broker, tmp_path, unique, db_url):
    """This test's own topics, consumer group, audit database and checkpoint signing key."""
    key = tmp_path / "secrets" / "audit-signing.key"
    create_key_files(key)
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                           sink_batch_seconds=0.5, pool_url=db_url, audit_signing_key_file=key)


class AuditBus:
    """Produces framed audit events to this test's audit.deliveries, as the processor does."""

    def __init__(self, settings, partitions=1):
        self.settings = settings
        self.topic = topic_names(settings).audit_deliveries
        self.subject = value_subject(self.topic)
        self.serde = Serde.from_settings(settings)
        self.serde.prepare(self.subject, load_bus_schema(settings.schemas_dir, "govbus.bus.AuditDelivery"))
        admin = AdminClient(kafka_config(settings, "admin"))
        for future in admin.create_topics([NewTopic(self.topic, partitions, 1)]).values():
            future.result(30)

    def produce(self, *items):
        producer = Producer(kafka_config(self.settings, "producer"))
        failures = []
        for item in items:
            value = item if isinstance(item, bytes) else self.serde.encode(self.subject, item)
            key = b"garbage" if isinstance(item, bytes) else item["event_id"].encode()
            producer.produce(self.topic, value=value, key=key,
                             on_delivery=lambda err, _msg: err and failures.append(err))
        assert producer.flush(30) == 0 and not failures, failures


def run_sink(settings):
    return AuditSink(settings, Serde.from_settings(settings), new_metrics()).run(idle_exit_seconds=IDLE)


def sql(settings, statement, **params):
    engine = create_engine(settings.pool_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else result.rowcount
    finally:
        engine.dispose()


def cli(settings, *args):
    env = {"GOVBUS_POOL_URL": settings.pool_url, **connection_env(settings),
           "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
           "GOVBUS_SINK_GROUP": settings.sink_group, "GOVBUS_SINK_BATCH_SECONDS": "0.5",
           "GOVBUS_METRICS_PORT": "-1", "COLUMNS": "250"}
    if settings.audit_url:
        env["GOVBUS_AUDIT_URL"] = settings.audit_url
    if settings.audit_signing_key_file:
        env["GOVBUS_AUDIT_SIGNING_KEY_FILE"] = str(settings.audit_signing_key_file)
    return runner.invoke(audit_app, list(args), env=env)


def said(result):
    """What a command run through `govbus` would print and its exit code (a Failure is one line)."""
    if isinstance(result.exception, Failure):
        return result.exception.code, result.exception.line
    return result.exit_code, result.output


def verify(settings):
    store = AuditStore(settings.pool_url)
    try:
        return store.verify()
    finally:
        store.close()


def test_sink_chains_each_audit_event_once_and_resumes(settings):
    bus = AuditBus(settings)
    events = [audit_event(i, event_id=str(uuid.uuid4())) for i in range(1, 6)]
    redelivered = events[1] | {"delivered_at": events[4]["delivered_at"]}  # at-least-once upstream
    bus.produce(*events[:3], b"not avro", redelivered, *events[3:])

    first = run_sink(settings)
    assert (first.records, first.appended, first.duplicates, first.rejects) == (7, 5, 1, 1)
    assert sql(settings, f"SELECT seq, audit_id FROM {AUDIT_TABLE} ORDER BY seq") == [
        (i, e["audit_id"]) for i, e in enumerate(events, 1)]
    assert sql(settings, f"SELECT reason, value FROM {REJECTS_TABLE}") == [("undecodable", b"not avro")]
    assert verify(settings).ok and verify(settings).head.seq == 5

    second = run_sink(settings)
    assert (second.records, second.appended, second.batches) == (0, 0, 0)

    later = audit_event(6, event_id=str(uuid.uuid4()))
    bus.produce(events[0], later)  # an old redelivery and one new event
    third = run_sink(settings)
    assert (third.appended, third.duplicates) == (1, 1)
    result = verify(settings)
    assert result.ok and result.rows == 6
    assert sql(settings, f"SELECT seq, hash FROM {HEAD_TABLE}") == [(6, result.head.hash)]


def test_verify_names_a_tampered_row_and_a_deleted_row(settings):
    bus = AuditBus(settings)
    bus.produce(*(audit_event(i, event_id=str(uuid.uuid4())) for i in range(1, 6)))
    result = cli(settings, "sink", "--idle-exit", str(IDLE))
    assert result.exit_code == 0, result.output
    code, ok = said(cli(settings, "verify"))
    assert code == 0 and ok.startswith("OK: 5 audit rows") and "anchored" in ok, ok

    sql(settings, f"UPDATE {AUDIT_TABLE} SET recipient = 'somebody_else' WHERE seq = 3")
    code, tampered = said(cli(settings, "verify"))
    assert code == FINDINGS
    assert tampered.startswith("BROKEN at seq 3 (hash_mismatch)"), tampered

    sql(settings, f"UPDATE {AUDIT_TABLE} SET recipient = 'police' WHERE seq = 3")
    assert said(cli(settings, "verify"))[0] == 0  # the original content verifies again

    sql(settings, f"DELETE FROM {AUDIT_TABLE} WHERE seq = 2")
    code, deleted = said(cli(settings, "verify"))
    assert code == FINDINGS
    assert deleted.startswith("BROKEN at seq 2 (missing)"), deleted
    assert "1 rows before it are intact" in deleted


def swap_rows(settings, a, b):
    """Swap the seq numbers of two rows (through negatives: PostgreSQL checks uniqueness per row)."""
    sql(settings, f"UPDATE {AUDIT_TABLE} SET seq = -seq WHERE seq IN ({a}, {b})")
    sql(settings, f"UPDATE {AUDIT_TABLE} SET seq = {a + b} + seq WHERE seq IN ({-a}, {-b})")


def test_verify_names_a_reordering_and_a_cut_off_tail(settings):
    AuditBus(settings).produce(*(audit_event(i, event_id=str(uuid.uuid4())) for i in range(1, 5)))
    assert run_sink(settings).appended == 4
    swap_rows(settings, 2, 3)
    broken = verify(settings).broken
    assert (broken.seq, broken.kind) == (2, "prev_hash_mismatch")

    swap_rows(settings, 2, 3)  # back in order
    assert verify(settings).ok
    sql(settings, f"DELETE FROM {AUDIT_TABLE} WHERE seq = 4")
    broken = verify(settings).broken
    assert (broken.seq, broken.kind) == (4, "missing")


def test_who_received_answers_by_event_by_subject_and_by_id_no(settings):
    person = masking.pseudonym(audit_key(pseudonym_master_key(settings)), "GB11643", ID_NO)
    record = str(uuid.uuid4())
    AuditBus(settings).produce(
        audit_event(1, event_id=record, recipient="police", subjects=[person]),
        audit_event(2, event_id=record, recipient="health", subjects=[person], purpose=None),
        audit_event(3, event_id=str(uuid.uuid4()), subjects=[person, "v1:" + "ab" * 32]),
        audit_event(4, event_id=str(uuid.uuid4()), subjects=["v1:" + "cd" * 32]))
    assert run_sink(settings).appended == 4

    by_event = cli(settings, "who-received", "--event", record)
    assert by_event.exit_code == 0, by_event.output
    lines = by_event.output.splitlines()
    assert sum("agr-hotline-police@3" in line for line in lines) == 2
    assert any("2025-03-01 08:30:01.000Z" in line and "police" in line and "handle complaints" in line
               and "order_no, content, caller_phone" in line for line in lines), by_event.output

    by_subject = cli(settings, "who-received", "--subject", person)
    by_id = cli(settings, "who-received", "--id-no", ID_NO.lower())  # any spelling of the ID
    for result in (by_subject, by_id):
        assert result.exit_code == 0, result.output
        assert result.output.count("agr-hotline-police@3") == 3, result.output
        assert record in result.output and ID_NO not in result.output

    nobody = cli(settings, "who-received", "--subject", "v1:" + "ee" * 32)
    assert nobody.exit_code == 0 and nobody.output.startswith("no deliveries recorded")
    assert cli(settings, "who-received").exit_code == 2
    assert cli(settings, "who-received", "--event", record, "--id-no", ID_NO).exit_code == 2


def test_the_sink_refuses_an_audit_topic_with_several_partitions(broker, tmp_path, unique):
    """A topic check: the embedded database is enough."""
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}")
    AuditBus(settings, partitions=3)
    with pytest.raises(AuditTopicError, match="3 partitions"):
        run_sink(settings)

"""Tamper tests of the audit chain against its anchor (real broker, SQLite and PostgreSQL): a
database writer who changes a row and recomputes every hash and the head, or cuts the tail off,
is caught by the signed checkpoints on ``audit.checkpoints``; without that topic verify says the
anchor is missing, never OK. The audit store lives in its own database (GOVBUS_AUDIT_URL), apart
from the pool database."""
from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import MetaData, create_engine, inspect, select, text

from commands.exits import FINDINGS
from consumers.audit.checkpoint import create_key_files
from consumers.audit.logic import chain_hash, from_columns
from consumers.audit.store import AUDIT_TABLE, CHAIN, HEAD_TABLE, AuditStore, audit_tables
from govbus.core.settings import kafka_config, topic_names
from tests.integration.consumers.audit.test_sink import AuditBus, cli, said
from tests.support.audit_samples import audit_event

IDLE = "3"


@pytest.fixture
def settings(broker, tmp_path, unique, db_url):
    """The audit store in its own database (``db_url``), the pools in another; checkpoints every
    2 events."""
    key = tmp_path / "secrets" / "audit-signing.key"
    create_key_files(key)
    return broker.settings(tmp_path, topic_prefix=f"t{unique}", sink_group=f"sink-{unique}",
                           sink_batch_seconds=0.5, audit_url=db_url, audit_signing_key_file=key,
                           audit_checkpoint_events=2)


def sink_round(settings, bus, events):
    bus.produce(*events)
    result = cli(settings, "sink", "--idle-exit", IDLE)
    assert result.exit_code == 0, result.output


def recompute(settings, change_seq, column, value):
    """What a database writer covering their tracks does: change one row, then recompute every
    hash from it on and the head, so the chain alone verifies."""
    engine = create_engine(settings.audit_url)
    deliveries, _head = audit_tables(MetaData())  # typed columns: timestamps come back as datetimes
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {AUDIT_TABLE} SET {column} = :v WHERE seq = :s"), {"v": value, "s": change_seq})
            rows = conn.execute(select(deliveries).order_by(deliveries.c.seq)).mappings().all()
            prev = rows[0]["prev_hash"]
            for row in rows:
                digest = chain_hash(prev, from_columns(row))
                conn.execute(text(f"UPDATE {AUDIT_TABLE} SET prev_hash = :p, hash = :h WHERE seq = :s"),
                             {"p": prev, "h": digest, "s": row["seq"]})
                prev = digest
            conn.execute(text(f"UPDATE {HEAD_TABLE} SET seq = :s, hash = :h WHERE chain = :c"),
                         {"s": rows[-1]["seq"], "h": prev, "c": CHAIN})
    finally:
        engine.dispose()


def cut_tail(settings, last_kept):
    engine = create_engine(settings.audit_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {AUDIT_TABLE} WHERE seq > :s"), {"s": last_kept})
            kept = conn.execute(text(f"SELECT hash FROM {AUDIT_TABLE} WHERE seq = :s"), {"s": last_kept}).scalar_one()
            conn.execute(text(f"UPDATE {HEAD_TABLE} SET seq = :s, hash = :h WHERE chain = :c"),
                         {"s": last_kept, "h": kept, "c": CHAIN})
    finally:
        engine.dispose()


def chain_alone_verifies(settings):
    store = AuditStore(settings.audit_url)
    try:
        return store.verify().ok
    finally:
        store.close()


def test_a_recomputed_chain_and_a_cut_tail_are_caught_by_the_signed_checkpoints(settings):
    bus = AuditBus(settings)
    sink_round(settings, bus, [audit_event(i, event_id=str(uuid.uuid4())) for i in range(1, 4)])
    sink_round(settings, bus, [audit_event(i, event_id=str(uuid.uuid4())) for i in range(4, 6)])
    code, ok = said(cli(settings, "verify"))
    assert code == 0 and ok.startswith("OK: 5 audit rows"), ok
    assert "latest at seq 5" in ok
    assert AUDIT_TABLE not in inspect(create_engine(settings.pool_url)).get_table_names()  # its own database

    cut_tail(settings, 4)
    assert chain_alone_verifies(settings)
    code, cut = said(cli(settings, "verify"))
    assert code == FINDINGS and cut.startswith("DIVERGES at seq 5:") and "rows 5..5 were deleted" in cut, cut

    recompute(settings, 2, "recipient", "somebody_else")
    assert chain_alone_verifies(settings)  # the database alone no longer tells
    code, rewritten = said(cli(settings, "verify"))
    assert code == FINDINGS and rewritten.startswith("DIVERGES at seq 3:"), rewritten
    assert "a row in seq 1..3 was changed and the chain recomputed" in rewritten


def test_without_the_checkpoint_topic_the_anchor_is_missing_never_ok(settings):
    bus = AuditBus(settings)
    sink_round(settings, bus, [audit_event(i, event_id=str(uuid.uuid4())) for i in range(1, 3)])
    assert said(cli(settings, "verify"))[0] == 0

    topic = topic_names(settings).audit_checkpoints
    admin = AdminClient(kafka_config(settings, "admin"))
    admin.delete_topics([topic])[topic].result(30)
    deadline = time.monotonic() + 30
    while topic in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.5)
    code, missing = said(cli(settings, "verify"))
    assert code == FINDINGS and missing.startswith("ANCHOR MISSING:") and "OK" not in missing, missing
    assert len(missing.splitlines()) == 1

    unsigned = settings.model_copy(update={"audit_signing_key_file": None})  # a sink without its key
    sink_round(unsigned, bus, [audit_event(9, event_id=str(uuid.uuid4()))])
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)  # there, but empty
    code, empty = said(cli(settings, "verify"))
    assert code == FINDINGS and empty.startswith("ANCHOR MISSING:"), empty

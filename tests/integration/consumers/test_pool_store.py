"""consumers.pool.store against real databases: a SQLite file and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from consumers.pool.logic import OffsetMark, Reject, plan_for, row_for, table_for
from consumers.pool.store import PoolStore, SchemaConflict, upsert_statement
from govbus.core.result import Fault

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
ENVELOPE = {"type": "record", "name": "Envelope", "namespace": "govbus.common", "fields": [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}


def schema(*extra_fields, key="k"):
    return {"type": "record", "name": "T", "namespace": "test", "key": key, "fields": [
        {"name": "envelope", "type": ENVELOPE}, {"name": "k", "type": "string"},
        {"name": "n", "type": "long"}, *extra_fields]}


def record(k, n, **more):
    return {"envelope": {"event_id": uuid.uuid4(), "event_time": T0}, "k": k, "n": n, **more}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A fresh pool on each supported dialect: the upsert SQL differs between them."""
    if request.param == "sqlite":
        pool = PoolStore(f"sqlite:///{tmp_path / 'pool.db'}")
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"pool_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        pool = PoolStore(base.rsplit("/", 1)[0] + f"/{name}")
    yield pool
    pool.close()


def rows_of(store, table):
    with store.engine.connect() as conn:
        return {r.k: r for r in conn.execute(select(table))}


def reject(offset, value=b"not avro"):
    return Reject.of(Fault("undecodable", "wire.magic", "bad magic"), "t", 0, offset, value, None, T0)


def test_write_batch_upserts_rows_rejects_and_offsets(store):
    plan = plan_for(schema()).value
    table = store.ensure_table(plan, "pool_a__b")
    store.write_batch({table: [row_for(record("x", 1), plan), row_for(record("y", 1), plan)]},
                      [reject(2)], [OffsetMark("g", "t", 0, 3), OffsetMark("g", "t", 1, 7)])
    store.write_batch({table: [row_for(record("x", 2), plan)]}, [reject(2, b"again")],
                      [OffsetMark("g", "t", 0, 5)])
    rows = rows_of(store, table)
    assert {k: r.n for k, r in rows.items()} == {"x": 2, "y": 1}
    assert rows["x"].env_event_time.replace(tzinfo=timezone.utc) == T0  # SQLite keeps UTC, naive
    with store.engine.connect() as conn:
        assert conn.execute(select(store.rejects.c.offset, store.rejects.c.value)).all() == [(2, b"again")]
    assert store.stored_offsets("g", "t", [0, 1, 2]) == {0: 5, 1: 7}
    assert store.stored_offsets("other", "t", [0]) == {}
    assert store.stored_offsets("g", "t", []) == {}


def test_a_failing_batch_stores_nothing(store):
    plan = plan_for(schema()).value
    table = store.ensure_table(plan, "pool_a__b")
    bad = row_for(record("y", None), plan)  # n is NOT NULL
    with pytest.raises(IntegrityError):
        store.write_batch({table: [row_for(record("x", 1), plan), bad]}, [reject(0)], [OffsetMark("g", "t", 0, 2)])
    assert rows_of(store, table) == {}
    assert store.stored_offsets("g", "t", [0]) == {}
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.rejects)).scalar() == 0


def test_a_newer_schema_version_adds_nullable_columns(store):
    v1 = plan_for(schema()).value
    v2 = plan_for(schema({"name": "note", "type": ["null", "string"], "default": None},
                         {"name": "flag", "type": "boolean", "default": False})).value
    t1 = store.ensure_table(v1, "pool_a__b")
    store.write_batch({t1: [row_for(record("x", 1), v1)]}, [], [])
    t2 = store.ensure_table(v2, "pool_a__b")
    store.write_batch({t2: [row_for(record("y", 2, note="hi", flag=True), v2)]}, [], [])
    store.write_batch({t1: [row_for(record("z", 3), v1)]}, [], [])  # old writers keep working
    rows = rows_of(store, t2)
    assert {k: (r.n, r.note, r.flag) for k, r in rows.items()} == {
        "x": (1, None, None), "y": (2, "hi", True), "z": (3, None, None)}
    assert store.ensure_table(v2, "pool_a__b") is t2  # cached


def test_an_existing_table_with_another_key_is_a_conflict(store):
    store.ensure_table(plan_for(schema()).value, "pool_a__b")
    with pytest.raises(SchemaConflict):
        store.ensure_table(plan_for(schema(key="n")).value, "pool_a__b")


def test_tables_survive_a_new_store_on_the_same_database(store):
    plan = plan_for(schema()).value
    store.write_batch({store.ensure_table(plan, "pool_a__b"): [row_for(record("x", 1), plan)]},
                      [], [OffsetMark("g", "t", 0, 1)])
    again = PoolStore(str(store.engine.url.render_as_string(hide_password=False)))
    try:
        assert again.stored_offsets("g", "t", [0]) == {0: 1}
        assert set(rows_of(again, again.ensure_table(plan, "pool_a__b"))) == {"x"}
    finally:
        again.close()


def test_only_sqlite_and_postgresql_are_supported():
    table = table_for(schema(), "t", MetaData())
    with pytest.raises(ValueError):
        upsert_statement(table, "mysql")

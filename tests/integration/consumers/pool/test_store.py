"""consumers.pool.store against real databases: a SQLite file and PostgreSQL."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timezone
from datetime import time as dt_time
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.exc import IntegrityError

from consumers.pool.logic import OffsetMark, Reject, plan_for, row_for, table_for
from consumers.pool.pools import TableRef, table_ref
from consumers.pool.store import PartitionMoved, PoolStore, SchemaConflict, upsert_statement
from govbus.core.result import Fault

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
ENVELOPE = {"type": "record", "name": "Envelope", "namespace": "govbus.common", "fields": [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}


def schema(*extra_fields, key="k", n="long"):
    """The test schema: envelope, key k, a NOT NULL long n (``n=None`` drops it), extras."""
    n_field = [] if n is None else [{"name": "n", "type": n}]
    return {"type": "record", "name": "T", "namespace": "test", "key": key, "fields": [
        {"name": "envelope", "type": ENVELOPE}, {"name": "k", "type": "string"}, *n_field, *extra_fields]}


def record(k, n, **more):
    return {"envelope": {"event_id": uuid.uuid4(), "event_time": T0}, "k": k, "n": n, **more}


@pytest.fixture
def store(pool_url):
    """A fresh pool on each supported dialect: the upsert SQL differs between them."""
    pool = PoolStore(pool_url)
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


@pytest.mark.parametrize(("stored_first", "expected", "moves"), [
    (None, None, True),    # nothing stored, nothing expected: the first batch of a partition
    (3, 3, True),          # stored where this sink left it
    (3, None, False),      # another sink stored the partition's first batch meanwhile
    (9, 3, False),         # another sink has moved it on since
])
def test_an_offset_moves_only_from_where_the_sink_expects_it(store, stored_first, expected, moves):
    """A sink presumed dead that wakes with a batch in hand must not write over the partition's
    new owner: its whole batch is refused (rows too), and the stored offset stays."""
    plan = plan_for(schema()).value
    table = store.ensure_table(plan, "pool_a__fence")
    if stored_first is not None:
        store.write_batch({table: [row_for(record("x", 1), plan)]}, [], [OffsetMark("g", "t", 0, stored_first)])
    write = lambda: store.write_batch({table: [row_for(record("x", 2), plan)]}, [],  # noqa: E731
                                      [OffsetMark("g", "t", 0, 12), OffsetMark("g", "t", 1, 4)],
                                      {("t", 0): expected, ("t", 1): None})
    if moves:
        write()
    else:
        with pytest.raises(PartitionMoved) as refused:
            write()
        assert refused.value.partitions == [("t", 0)]
    assert store.stored_offsets("g", "t", [0, 1]) == ({0: 12, 1: 4} if moves else {0: stored_first})
    assert rows_of(store, table)["x"].n == (2 if moves else 1)


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


def test_pools_are_schemas_on_postgresql_and_table_prefixes_on_sqlite(store):
    plan = plan_for(schema()).value
    for resource_class in ("base", "theme", "department"):
        ref = table_ref(store.dialect, resource_class, "police", "a.b")
        table = store.ensure_table(plan, ref)
        store.write_batch({table: [row_for(record(resource_class, 1), plan)]}, [], [])
        assert set(rows_of(store, table)) == {resource_class}  # each pool has its own table
    found = inspect(store.engine)
    if store.dialect == "postgresql":
        for pool in ("base", "theme", "dept"):
            assert found.get_table_names(schema=pool) == ["pool_police__a_b"]
    else:
        assert {"base_pool_police__a_b", "theme_pool_police__a_b",
                "dept_pool_police__a_b"} <= set(found.get_table_names())


def test_a_pool_schema_and_table_survive_a_new_store(store):
    ref = table_ref(store.dialect, "base", "police", "a.b")
    plan = plan_for(schema()).value
    store.write_batch({store.ensure_table(plan, ref): [row_for(record("x", 1), plan)]}, [], [])
    again = PoolStore(store.engine.url.render_as_string(hide_password=False))
    try:
        assert set(rows_of(again, again.ensure_table(plan, ref))) == {"x"}
    finally:
        again.close()


@pytest.mark.parametrize("newer, change", [
    (schema(n="string"), 'column "n": type change BIGINT -> TEXT'),
    (schema(n="double"), 'column "n": type change BIGINT -> '),
    (schema({"name": "m", "type": "long"}), 'column "m": new NOT NULL column without a default'),
    (schema(n=None), 'column "n": NOT NULL in the table, absent from the writer schema'),
    (schema(n=["null", "long"]), 'column "n": NOT NULL in the table, nullable in the writer schema'),
])
def test_an_incompatible_change_is_refused_naming_table_column_and_change(store, newer, change):
    ref = table_ref(store.dialect, "department", "police", "a.b")
    v1 = plan_for(schema()).value
    t1 = store.ensure_table(v1, ref)
    store.write_batch({t1: [row_for(record("x", 1), v1)]}, [], [])
    columns_before = inspect(store.engine).get_columns(ref.name, schema=ref.schema)
    with pytest.raises(SchemaConflict) as refused:
        store.ensure_table(plan_for(newer).value, ref)
    assert f"pool table {ref}: incompatible schema change" in str(refused.value)
    assert change in str(refused.value)
    after = inspect(store.engine).get_columns(ref.name, schema=ref.schema)
    assert [(c["name"], str(c["type"])) for c in after] == [(c["name"], str(c["type"])) for c in columns_before]
    assert {k: r.n for k, r in rows_of(store, t1).items()} == {"x": 1}


def test_a_refused_change_adds_no_column_even_beside_a_compatible_one(store):
    ref = TableRef("pool_a__b")
    store.ensure_table(plan_for(schema()).value, ref)
    newer = schema({"name": "note", "type": ["null", "string"], "default": None}, n="string")
    with pytest.raises(SchemaConflict):
        store.ensure_table(plan_for(newer).value, ref)
    assert "note" not in {c["name"] for c in inspect(store.engine).get_columns(ref.name)}


EVERY_KIND = {"type": "record", "name": "Every", "namespace": "test", "key": "k", "fields": [
    {"name": "k", "type": "string"},
    {"name": "i", "type": "int"}, {"name": "l", "type": "long"}, {"name": "f", "type": "float"},
    {"name": "d", "type": "double"}, {"name": "b", "type": "boolean"}, {"name": "raw", "type": "bytes"},
    {"name": "fx", "type": {"type": "fixed", "name": "F4", "size": 4}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "lts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["red", "blue"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "either", "type": ["null", "string", "long"]},
    {"name": "maybe", "type": ["null", "long"], "default": None}]}


def every_kind_record(k, n):
    return {"k": k, "i": n, "l": 2 ** 40 + n, "f": 1.5, "d": 2.25, "b": n % 2 == 0, "raw": bytes([0, n, 255]),
            "fx": b"\x01\x02\x03\x04", "day": date(2025, 3, n), "tm": dt_time(8, 30, n),
            "ts": T0.replace(second=n), "lts": datetime(2025, 3, 1, 16, 30, n), "amount": Decimal(f"{n}.25"),
            "id": uuid.UUID(int=n), "colour": "blue", "tags": ["a", "b"], "either": n, "maybe": None}


def test_every_column_kind_round_trips_and_updates(store):
    plan = plan_for(EVERY_KIND).value
    table = store.ensure_table(plan, table_ref(store.dialect, "theme", "police", "every.kind"))
    for n in (1, 2):  # the second write updates every non-key column
        rows = [row_for(every_kind_record(k, n), plan) for k in ("x", "y")]
        store.write_batch({table: rows}, [], [])
    with store.engine.connect() as conn:
        found = {r.k: r._asdict() for r in conn.execute(select(table))}
    expected = {row["k"]: row for row in rows}
    if store.dialect == "sqlite":  # SQLite keeps UTC timestamps naive
        for row in found.values():
            row["ts"] = row["ts"].replace(tzinfo=timezone.utc)
    assert found == expected


def test_a_table_of_key_columns_only_keeps_each_key_once(store):
    plan = plan_for({"type": "record", "name": "K", "key": "k", "fields": [{"name": "k", "type": "string"}]}).value
    table = store.ensure_table(plan, "pool_a__keys")
    for _ in range(2):
        store.write_batch({table: [{"k": "x"}, {"k": "y"}]}, [], [])
    assert set(rows_of(store, table)) == {"x", "y"}


def test_sinks_creating_one_pool_table_at_once_all_get_it(pool_url):
    """Several sink workers meet a new dataset at the same moment: each must end up with the
    table (PostgreSQL's CREATE … IF NOT EXISTS alone failed on pg_type's unique index)."""
    plan = plan_for(schema()).value
    stores = [PoolStore(pool_url) for _ in range(4)]
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def create(store: PoolStore) -> None:
        start.wait()
        try:
            store.ensure_table(plan, table_ref(store.dialect, "department", "police", "race.table"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=create, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert failures == []
        table = stores[0].ensure_table(plan, table_ref(stores[0].dialect, "department", "police", "race.table"))
        stores[1].write_batch({table: [row_for(record("x", 1), plan)]}, [], [])
        assert set(rows_of(stores[0], table)) == {"x"}
    finally:
        for store in stores:
            store.close()

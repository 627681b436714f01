"""consumers.pool.evolution: which schema changes a pool table takes and which stop the sink.

Reflected columns are given as the dicts SQLAlchemy's inspector returns, with the types each
dialect reflects for what the store created (checked against real databases in
tests/integration/consumers/pool/test_store.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, DateTime, Float, MetaData, Numeric, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION, TIMESTAMP

from consumers.pool.evolution import Evolution, evolve, type_sql
from consumers.pool.logic import plan_for, table_for

PG, LITE = postgresql.dialect(), sqlite.dialect()


def schema(*fields):
    return {"type": "record", "name": "T", "key": "k",
            "fields": [{"name": "k", "type": "string"}, {"name": "n", "type": "long"}, *fields]}


def reflected(**columns):
    """name=(type, nullable) -> the inspector's column dicts."""
    return [{"name": name, "type": type_, "nullable": nullable} for name, (type_, nullable) in columns.items()]


V1 = reflected(k=(Text(), False), n=(BigInteger(), False))


def evolution(avro_schema, existing=V1, primary=("k",), dialect=LITE):
    plan = plan_for(avro_schema).value
    return evolve(table_for(plan, "t", MetaData()), plan, existing, primary, dialect)


@pytest.mark.parametrize("created, reflected_as, dialect", [
    (Float(), DOUBLE_PRECISION(), PG),
    (DateTime(timezone=True), TIMESTAMP(timezone=True), PG),
    (Numeric(12, 2), Numeric(12, 2), PG),
    (Float(), Float(), LITE),
])
def test_a_created_type_and_its_reflection_compare_equal(created, reflected_as, dialect):
    assert type_sql(created, dialect) == type_sql(reflected_as, dialect)


def test_timestamps_with_and_without_zone_differ_on_postgresql():
    assert type_sql(DateTime(timezone=True), PG) != type_sql(DateTime(timezone=False), PG)


def test_the_same_schema_changes_nothing():
    assert evolution(schema()) == Evolution((), ())


def test_nullable_fields_and_fields_with_defaults_are_added():
    result = evolution(schema({"name": "note", "type": ["null", "string"], "default": None},
                              {"name": "flag", "type": "boolean", "default": False}))
    assert [c.name for c in result.add] == ["note", "flag"] and result.conflicts == ()


@pytest.mark.parametrize("avro_schema, existing, conflict", [
    (schema(), reflected(k=(Text(), False), n=(Text(), False)), 'column "n": type change TEXT -> BIGINT'),
    (schema({"name": "m", "type": "long"}), V1, 'column "m": new NOT NULL column without a default'),
    ({**schema(), "fields": schema()["fields"][:1]}, V1,
     'column "n": NOT NULL in the table, absent from the writer schema'),
    ({**schema(), "fields": [{"name": "k", "type": "string"}, {"name": "n", "type": ["null", "long"]}]}, V1,
     'column "n": NOT NULL in the table, nullable in the writer schema'),
])
def test_incompatible_changes_name_the_column_and_the_change(avro_schema, existing, conflict):
    result = evolution(avro_schema, existing)
    assert any(c.startswith(conflict) for c in result.conflicts) and result.add == ()


def test_a_dropped_nullable_column_is_fine():
    result = evolution(schema(), V1 + reflected(old=(Text(), True)))
    assert result.conflicts == ()


def test_another_primary_key_is_a_conflict():
    assert evolution(schema(), primary=("n",)).conflicts == (
        "primary key ('n',) in the table, ('k',) in the writer schema",)


def test_every_conflict_is_reported_at_once():
    existing = reflected(k=(Text(), False), n=(Text(), False))
    result = evolution(schema({"name": "m", "type": "long"}), existing)
    assert len(result.conflicts) == 2

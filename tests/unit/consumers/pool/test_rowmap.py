"""consumers.pool.rowmap: the compiled record -> row mapping and the staged-upsert SQL."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql

from consumers.pool.logic import plan_for, table_for
from consumers.pool.pgcopy import staged_upsert
from consumers.pool.rowmap import compile_row, to_json, utc, value_at

COLUMNS = (("env_id", ("envelope", "id"), "text"), ("env_at", ("envelope", "at"), "datetime"),
           ("n", ("n",), "bigint"), ("tags", ("tags",), "json"), ("deep", ("a", "b", "c"), "text"),
           ("raw", ("raw",), "bytes"))


def test_columns_come_out_in_order_with_their_conversions():
    at = datetime(2025, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    some_id = uuid.uuid4()
    row = compile_row(COLUMNS)({"envelope": {"id": some_id, "at": at}, "n": 3, "tags": ["a", "中"],
                                "a": {"b": {"c": 7}}, "raw": bytearray(b"\x00")})
    assert list(row) == [name for name, _path, _kind in COLUMNS]
    assert row == {"env_id": str(some_id), "env_at": at.astimezone(timezone.utc), "n": 3,
                   "tags": '["a", "中"]', "deep": "7", "raw": b"\x00"}
    assert row["env_at"].tzinfo is timezone.utc


@pytest.mark.parametrize("record", [{}, {"envelope": None, "a": None}, {"envelope": "not a record", "a": 5}])
def test_missing_or_odd_parents_give_nulls(record):
    assert set(compile_row(COLUMNS)(record).values()) == {None}


def test_compiled_functions_are_shared_per_column_layout():
    assert compile_row(COLUMNS) is compile_row(tuple(COLUMNS))


def test_names_are_literals_not_code():
    odd = (("x'); import os; ('", ("x'); import os; ('",), "text"),)
    assert compile_row(odd)({"x'); import os; ('": 1}) == {"x'); import os; ('": "1"}


def test_json_matches_the_standard_encoder():
    value = {"b": [1, 2.5, None, True, "中\"文"], "t": datetime(2025, 1, 1, tzinfo=timezone.utc), "raw": b"\x01"}
    assert json.loads(to_json(value)) == {"b": [1, 2.5, None, True, "中\"文"],
                                          "t": "2025-01-01T00:00:00+00:00", "raw": "AQ=="}
    assert to_json("x") == '"x"' and to_json([]) == "[]"


def test_utc_and_value_at():
    naive = datetime(2025, 1, 1, 8)
    assert utc(naive) == naive.replace(tzinfo=timezone.utc) and utc("x") == "x"
    assert value_at({"a": {"b": 1}}, ("a", "b")) == 1 and value_at({"a": 1}, ("a", "b")) is None


def test_the_staged_upsert_updates_every_other_column_or_does_nothing():
    schema = {"type": "record", "name": "T", "key": "k", "fields": [
        {"name": "k", "type": "string"}, {"name": "n", "type": "long"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}
    dialect = postgresql.dialect()
    staged = staged_upsert(table_for(plan_for(schema).value, "t", MetaData(), "dept"), dialect)
    assert staged.types == ("text", "int8", "timestamptz")
    assert "INSERT INTO dept.t (k, n, at) SELECT k, n, at FROM" in staged.insert
    assert staged.insert.endswith("ON CONFLICT (k) DO UPDATE SET n = EXCLUDED.n, at = EXCLUDED.at")
    assert staged.values({"at": 1, "n": 2, "k": 3}) == (3, 2, 1)
    keys_only = {"type": "record", "name": "K", "key": "k", "fields": [{"name": "k", "type": "string"}]}
    staged = staged_upsert(table_for(plan_for(keys_only).value, "t", MetaData()), dialect)
    assert staged.insert.endswith("ON CONFLICT (k) DO NOTHING") and staged.values({"k": 1}) == (1,)


def test_staging_tables_differ_when_the_columns_do():
    dialect = postgresql.dialect()
    v1 = {"type": "record", "name": "T", "key": "k", "fields": [{"name": "k", "type": "string"}]}
    v2 = {**v1, "fields": [*v1["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}
    first, second = (staged_upsert(table_for(plan_for(v).value, "t", MetaData()), dialect) for v in (v1, v2))
    assert first.copy.split()[1] != second.copy.split()[1]

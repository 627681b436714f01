"""`govbus pool query` (commands/pool_cmd.py) against pool tables on SQLite and PostgreSQL.

The tables are laid out by the pool sink's own code (consumers.pool), so the command reads what
the sink writes; no broker is needed.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from consumers.pool.logic import plan_for, row_for
from consumers.pool.pools import pool_table_ref
from consumers.pool.store import PoolStore
from commands.pool_cmd import pool_app
from govbus.core.settings import GovbusSettings

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
SCHEMA = {"type": "record", "name": "Order", "namespace": "test", "dataset": "hotline.work_order",
          "key": "order_no", "fields": [
              {"name": "envelope", "type": {"type": "record", "name": "Envelope", "fields": [
                  {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}}]}},
              {"name": "order_no", "type": "string"},
              {"name": "count", "type": "long"},
              {"name": "urgent", "type": "boolean"},
              {"name": "accepted_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
              {"name": "note", "type": ["null", "string"], "default": None}]}
runner = CliRunner()


@pytest.fixture
def pool(db_url):
    """A police pool holding three work orders."""
    plan = plan_for(SCHEMA).value
    store = PoolStore(db_url)
    ref = pool_table_ref(GovbusSettings(pool_url=db_url), "police", "hotline.work_order")
    table = store.ensure_table(plan, ref)
    rows = [row_for({"envelope": {"event_id": uuid.uuid4()}, "order_no": f"WO-{i}", "count": i,
                     "urgent": i == 2, "accepted_at": T0.replace(hour=8 + i), "note": None if i == 3 else "n"},
                    plan) for i in (3, 1, 2)]
    store.write_batch({table: rows}, [], [])
    store.close()
    return db_url


@pytest.fixture(autouse=True)
def _bus(broker, unique, monkeypatch):
    """Each query is recorded as a view action (on the broker): a topic prefix of the test's own."""
    for key, value in (broker.env() | {"GOVBUS_TOPIC_PREFIX": f"t{unique}"}).items():
        monkeypatch.setenv(key, value)


def query(url, *args):
    return runner.invoke(pool_app, ["query", *args, "--note", "pool test"],
                         env={"GOVBUS_POOL_URL": url, "COLUMNS": "200"})


def data_lines(result):
    return [line for line in result.output.splitlines() if "WO-" in line]


def test_query_prints_rows_in_key_order_without_the_envelope(pool):
    result = query(pool, "police", "hotline.work_order")
    assert result.exit_code == 0, result.output
    assert "pool_police__hotline_work_order: 3 row(s)" in result.output.splitlines()[0]
    assert [line.split()[1] for line in data_lines(result)] == ["WO-1", "WO-2", "WO-3"]
    assert "env_event_id" not in result.output and "accepted_at" in result.output
    assert "env_event_id" in query(pool, "police", "hotline.work_order", "--envelope").output


@pytest.mark.parametrize("where,expected", [
    (["count=2"], ["WO-2"]),
    (["urgent=false"], ["WO-1", "WO-3"]),
    (["urgent=false", "note=n"], ["WO-1"]),
    (["order_no=WO-3"], ["WO-3"]),
    (["accepted_at=2025-03-01T10:30:00+00:00"], ["WO-2"]),
    (["accepted_at=2025-03-01T17:30:00+08:00"], ["WO-1"]),
    (["count=7"], []),
])
def test_query_filters_with_typed_values(pool, where, expected):
    args = [arg for item in where for arg in ("--where", item)]
    result = query(pool, "police", "hotline.work_order", *args)
    assert result.exit_code == 0, result.output
    assert [line.split()[1] for line in data_lines(result)] == expected


def test_query_limits_rows(pool):
    result = query(pool, "police", "hotline.work_order", "--limit", "2")
    assert "2 row(s) (limit 2)" in result.output and len(data_lines(result)) == 2


@pytest.mark.parametrize("where,message", [
    ("colour=red", "col one of"), ("count", "col one of"), ("count=many", "invalid literal"),
    ("urgent=perhaps", "not a boolean"),
])
def test_query_refuses_a_bad_where(pool, where, message):
    result = query(pool, "police", "hotline.work_order", "--where", where)
    assert result.exit_code == 2 and message in result.output, result.output


def test_query_names_the_pool_tables_when_the_dataset_has_none(pool):
    result = query(pool, "police", "fire.alarm")
    assert result.exit_code == 1
    assert "no pool table " in result.output and "pool_police__fire_alarm for police" in result.output
    assert "pool_police__hotline_work_order" in result.output

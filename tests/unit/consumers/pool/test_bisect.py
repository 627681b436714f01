"""Finding the records a pool refuses: the bisection, the refusal classification and the sink
letter, with plain values (the real databases are in tests/integration/consumers/pool)."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc

from commands.dlq_cmd import letter_row, wanted
from consumers.pool.bisect import Refusal, isolate, refusal_of, refused_column
from consumers.pool.letters import Pending, field_path, reject_of, sink_letter
from consumers.pool.logic import plan_for, table_for
from govbus.core.deadletter import Origin, redrivable
from tests.support.helpers import hotline_schema

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=timezone.utc)
NUL = Refusal("pool.postgresql.22021", 'invalid byte sequence for encoding "UTF8": 0x00', "content")


class Trials:
    """An ``attempt`` that refuses any set holding a bad entry, and counts its calls."""

    def __init__(self, bad):
        self.bad, self.calls = set(bad), 0

    def __call__(self, entries):
        self.calls += 1
        hit = sorted(set(entries) & self.bad)
        return Refusal(f"pool.test.{hit[0]}", "refused") if hit else None


@pytest.mark.parametrize(("size", "bad"), [
    (1, []), (1, [0]), (2, [1]), (7, [0, 6]), (100, [37]), (100, [0, 1, 2]), (500, [499]),
    (500, list(range(0, 500, 50))), (8, list(range(8))),
])
def test_isolate_finds_exactly_the_refused_entries(size, bad):
    trials = Trials(bad)
    found = isolate(range(size), trials)
    assert [entry for entry, _refusal in found] == sorted(bad)
    assert all(refusal.rule == f"pool.test.{entry}" for entry, refusal in found)


def test_isolate_costs_logarithmic_trials_for_one_bad_record():
    trials = Trials([313])
    isolate(range(1000), trials)
    assert trials.calls <= 2 * 10 + 1  # two halves per level, ten levels


def test_isolate_blames_no_one_when_only_the_whole_fails():
    def whole_only(entries):
        return Refusal("pool.test.x", "together") if len(entries) == 4 else None
    assert isolate(range(4), whole_only) == []


def _orig(sqlstate=None, **diag):
    error = type("PgError", (Exception,), {})(f"first line {sqlstate}\nDETAIL: value 'secret'")
    error.sqlstate = sqlstate
    error.diag = SimpleNamespace(column_name=diag.get("column"), context=diag.get("context"),
                                 constraint_name=diag.get("constraint"))
    return error


@pytest.mark.parametrize(("error", "rule", "column", "constraint"), [
    (sa_exc.DataError("COPY", None, _orig("22021", context="COPY govbus_stage_x, line 3, column content")),
     "pool.postgresql.22021", "content", ""),
    (sa_exc.OperationalError("INSERT", None, _orig("54000", constraint="pool_x_pkey")),
     "pool.postgresql.54000", "", "pool_x_pkey"),
    (sa_exc.IntegrityError("INSERT", None, _orig("23502", column="order_no")), "pool.postgresql.23502", "order_no", ""),
    (sa_exc.DataError("INSERT", None, type("DataError", (Exception,), {"sqlite_errorname": "SQLITE_TOOBIG"})(
        "string or blob too big")), "pool.postgresql.SQLITE_TOOBIG", "", ""),
    (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
     "pool.postgresql.UnicodeEncodeError", "", ""),
    (OverflowError("int too big to convert"), "pool.postgresql.OverflowError", "", ""),
])
def test_data_refusals_are_told_apart(error, rule, column, constraint):
    refusal = refusal_of(error, "postgresql")
    assert refusal is not None
    assert (refusal.rule, refusal.column, refusal.constraint) == (rule, column, constraint)
    assert "secret" not in refusal.message and "\n" not in refusal.message  # no DETAIL: it may quote values


@pytest.mark.parametrize("error", [
    sa_exc.OperationalError("SELECT 1", None, _orig("08006")),            # connection failure
    sa_exc.OperationalError("SELECT 1", None, _orig("57P01")),            # admin shutdown
    sa_exc.OperationalError("SELECT 1", None, _orig("53100")),            # disk full
    sa_exc.OperationalError("SELECT 1", None, _orig("40P01")),            # deadlock: retry, not data
    sa_exc.DataError("SELECT 1", None, _orig("22021"), connection_invalidated=True),
    ConnectionResetError("reset by peer"),
    RuntimeError("a bug"),
])
def test_infrastructure_faults_are_not_refusals(error):
    assert refusal_of(error, "postgresql") is None


@pytest.mark.parametrize(("refusal", "row", "column"), [
    (NUL, {"order_no": "A", "content": "x"}, "content"),
    (Refusal("r", "m", constraint="pool_x_pkey"), {"order_no": "A" * 5000}, "order_no"),
    (Refusal("r", "m"), {"order_no": "A", "content": "a\x00b", "address": "long" * 100}, "content"),
    (Refusal("r", "m"), {"order_no": "A", "caller_name": "\udced"}, "caller_name"),
    (Refusal("r", "m"), {"order_no": "A", "n": 2**70}, "n"),
    (Refusal("r", "m"), {"order_no": "A", "content": "x" * 100_000}, "content"),
    (Refusal("r", "m"), {"n": 1}, ""),
])
def test_refused_column(refusal, row, column):
    assert refused_column(refusal, row, ("order_no",)) == column


def _pending(**row):
    plan = plan_for(hotline_schema().schema).value
    table = table_for(plan, "pool_police__hotline_work_order", MetaData(), "department_pool")
    origin = Origin("t1.shared.police.hotline.work_order", 2, 41, b"GD1", b"\x00\x00\x00\x00\x07body",
                    (("trace", b"x"),))
    full = {"env_source_department": "hotline", "env_event_id": "e-1", "order_no": "GD1", **row}
    return Pending(table, full, plan, origin, "hotline.work_order", "police")


def test_a_sink_letter_names_recipient_table_column_and_offset():
    letter = sink_letter(NUL, _pending(content="a\x00b"), NOW)
    assert (letter["stage"], letter["recipient"], letter["pool_table"], letter["pool_column"]) == (
        "sink", "police", "department_pool.pool_police__hotline_work_order", "content")
    assert (letter["reason"], letter["rule"], letter["field_path"]) == ("pool_refused", "pool.postgresql.22021",
                                                                        "content")
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        "t1.shared.police.hotline.work_order", 2, 41)
    assert letter["original_value"] == b"\x00\x00\x00\x00\x07body" and letter["original_key"] == b"GD1"
    assert (letter["owner_department"], letter["event_id"]) == ("hotline", "e-1")
    assert "0x00" in letter["message"] and "column content" in letter["message"]
    reject = reject_of(letter, NOW)
    assert (reject.offset, reject.field, reject.reason) == (41, "content", "pool_refused")
    refusal = redrivable(letter, "t1.raw.hotline.work_order")
    assert refusal is not None and "pool of police" in refusal.message


def test_field_path_of_envelope_columns():
    plan = plan_for(hotline_schema().schema).value
    assert field_path(plan, "env_region_code") == "envelope.region_code"
    assert field_path(plan, "order_no") == "order_no"
    assert field_path(plan, "") == ""


def test_dlq_list_shows_the_stage_and_the_pool():
    letter = sink_letter(NUL, _pending(content="a\x00b"), NOW)
    row = letter_row(7, letter)
    assert row[:2] == ("7", "sink") and "police: department_pool.pool_police__hotline_work_order.content" in row[5]
    assert row[-1] == "t1.shared.police.hotline.work_order@2:41"
    assert wanted(letter, None, "sink") and not wanted(letter, None, "process")
    older = {"processor": "stream_processors.pipeline", "reason": "bad_format"}  # written before `stage`
    assert letter_row(1, older)[1] == "process" and wanted(older, "bad_format", "process")

"""Pure functions of SQL polling: row → record, watermark order and persistence."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from govbus.core.records import CHINA_STANDARD_TIME
from govbus.core.result import Fault, Ok
from producers.sdk import Source, event_id_for
from producers.sql.logic import (ColumnMapping, PollError, Watermark, advance, decode_value,
                                 dump_watermark, encode_value, is_after, load_mapping,
                                 load_watermark, mapping_problems, row_bytes, row_to_data,
                                 row_to_record, safe_url, state_key)
from tests.support.helpers import hotline_schema
from tests.support.department import ZH_COLUMNS, order_row

SOURCE = Source("hotline", "city", "350100", "producers.sql")


def test_mapping_file_is_the_file_importers_format(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("dataset: hotline.work_order\ncolumns: {工单编号: order_no}\n"
                    "values: {channel: {电话: phone, 1: web}}\nconstants: {urgency: urgent}\n"
                    "ignore: [备注]\n", encoding="utf-8")
    mapping = load_mapping(path, "hotline.work_order")
    assert mapping == ColumnMapping({"工单编号": "order_no"}, {"urgency": "urgent"},
                                    {"channel": {"电话": "phone", "1": "web"}}, frozenset({"备注"}))
    assert load_mapping(None, "x") == ColumnMapping()
    with pytest.raises(PollError, match="not fire.alarm"):
        load_mapping(path, "fire.alarm")
    path.write_text("colums: {}\n", encoding="utf-8")
    with pytest.raises(PollError, match="unknown key"):
        load_mapping(path, "hotline.work_order")


def test_row_to_data_renames_translates_and_keeps_fields():
    row = {"工单编号": "GD1", "渠道": 1, "id": 7, "content": "c"}
    mapping = ColumnMapping({"工单编号": "order_no", "渠道": "channel"}, {"urgency": "urgent"},
                            {"channel": {"1": "web"}})
    data = row_to_data(row, mapping, frozenset({"order_no", "channel", "content", "urgency"}))
    assert data == {"order_no": "GD1", "channel": "web", "content": "c", "urgency": "urgent"}


def test_unknown_labels_pass_through_for_validation_to_refuse():
    mapping = ColumnMapping(values={"channel": {"电话": "phone"}})
    assert row_to_data({"channel": "传真"}, mapping, frozenset({"channel"})) == {"channel": "传真"}


def test_mapping_problems_name_every_column_that_would_be_lost():
    mapping = ColumnMapping({"工单编号": "order_no", "gone": "content", "x": "nope"},
                            {"bogus": 1}, ignore=frozenset({"备注"}))
    problems = mapping_problems(["id", "updated_at", "工单编号", "备注", "extra", "x"], mapping,
                                frozenset({"order_no", "content"}), {"id", "updated_at"})
    assert len(problems) == 5
    assert any("'extra'" in p for p in problems) and any("'gone'" in p for p in problems)
    assert any("'nope'" in p for p in problems) and any("'bogus'" in p for p in problems)
    assert mapping_problems(["order_no"], ColumnMapping(), frozenset({"order_no"}), set()) == []


def test_numeric_values_keep_their_exact_text_for_the_coercer():
    assert row_to_data({"v": Decimal("500.10")}, ColumnMapping(), frozenset({"v"})) == {"v": "500.10"}


def test_row_becomes_a_record_with_a_deterministic_event_id():
    zh_row = {c: order_row(1)[f] for c, f in ZH_COLUMNS.items()} | {"id": 1}
    mapping = ColumnMapping(dict(ZH_COLUMNS), ignore=frozenset({"id"}))
    first = row_to_record(hotline_schema(), zh_row, mapping, SOURCE)
    again = row_to_record(hotline_schema(), zh_row, mapping, SOURCE)
    assert isinstance(first, Ok) and isinstance(again, Ok)
    envelope = first.value["envelope"]
    assert envelope["event_id"] == again.value["envelope"]["event_id"]
    # Naive local time (UTC+8) becomes UTC; the envelope's event time is the acceptance time.
    assert first.value["accepted_at"] == datetime(2025, 3, 1, 0, 1, tzinfo=timezone.utc)
    assert envelope["event_time"] == first.value["accepted_at"]
    assert "internal_note" not in first.value and "id" not in first.value


def test_event_id_follows_the_content_not_the_clock_or_the_session_time_zone():
    def event_id(row):
        return row_to_record(hotline_schema(), row, ColumnMapping(ignore=frozenset(
            {"id", "updated_at", "internal_note"})), SOURCE).value["envelope"]["event_id"]
    row = order_row(1)
    same_instant_in_utc = row["accepted_at"].replace(tzinfo=CHINA_STANDARD_TIME).astimezone(
        timezone.utc)
    assert event_id(row) == event_id(row | {"accepted_at": same_instant_in_utc})
    assert event_id(row) == event_id(row | {"updated_at": datetime(2030, 1, 1)})  # not published
    updated = event_id(row | {"urgency": "urgent"})  # the same order, changed: a new event
    assert updated != event_id(row)
    assert event_id(row) != event_id_for("hotline.work_order", "hotline", row["order_no"])


def test_bad_row_is_a_fault_naming_the_field():
    result = row_to_record(hotline_schema(), order_row(2, channel="fax"), ColumnMapping(), SOURCE)
    assert isinstance(result, Fault) and result.field == "channel" and result.reason == "bad_enum"


def test_row_bytes_is_json_of_the_whole_row():
    data = json.loads(row_bytes({"id": 1, "t": datetime(2025, 1, 1), "b": b"\x00", "d": Decimal("1.5")}))
    assert data == {"id": 1, "t": "2025-01-01T00:00:00", "b": "AA==", "d": "1.5"}


T = datetime(2025, 3, 1, 8, 0)


@pytest.mark.parametrize("candidate, previous, expected", [
    (Watermark(T, 2), None, True),
    (Watermark(T, 2), Watermark(T, 1), True),
    (Watermark(T, 1), Watermark(T, 1), False),
    (Watermark(T, 1), Watermark(T, 2), False),
    (Watermark(T + timedelta(seconds=1), 1), Watermark(T, 9), True),
    (Watermark(T - timedelta(seconds=1), 9), Watermark(T, 1), False),
    # text follows the database's collation: only "not the same row" can be checked
    (Watermark(T, "a"), Watermark(T, "B"), True),
    (Watermark(T, "a"), Watermark(T, "a"), False),
])
def test_is_after_in_keyset_order(candidate, previous, expected):
    assert is_after(candidate, previous, with_tiebreak=True) is expected


def test_is_after_without_tiebreak_needs_a_larger_watermark():
    assert is_after(Watermark(5), Watermark(4), with_tiebreak=False)
    assert not is_after(Watermark(5), Watermark(5), with_tiebreak=False)


def test_advance_returns_the_last_row_and_refuses_disorder():
    marks = [Watermark(T, 1), Watermark(T, 2), Watermark(T + timedelta(1), 0)]
    assert advance(None, marks, True) == marks[-1]
    with pytest.raises(PollError, match="increasing"):
        advance(Watermark(T, 2), marks, True)  # the first row is not after the saved watermark
    with pytest.raises(PollError):
        advance(None, [], True)


@pytest.mark.parametrize("value", [
    None, 42, 1.5, "GD001", T, datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=8))),
    date(2025, 3, 1), Decimal("10.50"), b"\x01\x02"])
def test_watermark_values_survive_persistence_with_their_type(value):
    assert decode_value(json.loads(json.dumps(encode_value(value)))) == value
    mark = Watermark(value, 7)
    assert load_watermark(dump_watermark(mark)) == mark
    assert type(load_watermark(dump_watermark(mark)).value) is type(value)


def test_state_key_never_holds_the_password():
    url = "postgresql+psycopg://govbus:s3cret@db:5432/hotline"
    assert "s3cret" not in safe_url(url)
    key = state_key(url, "orders", "hotline.work_order", "t1")
    assert "s3cret" not in key and key.endswith("|orders|hotline.work_order|t1")
    assert state_key(url, "orders", "d") != state_key(url, "other", "d")

"""Table-driven tests for consumers.pool.logic: type mapping, envelope flattening, key choice,
row conversion, table names and in-batch deduplication."""
from __future__ import annotations

import io
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import fastavro
import pytest
from sqlalchemy import (BigInteger, Boolean, Date, DateTime, Float, LargeBinary, MetaData, Numeric,
                        Text, Time)

from consumers.pool.logic import (OffsetMark, Reject, latest_per_key, plan_for, pool_table_name,
                                  row_for, table_for)
from govbus.core.result import Fault, Ok
from govbus.core.schemas import load_schemas
from govbus.core.settings import GovbusSettings

ENVELOPE = {
    "type": "record", "name": "Envelope", "namespace": "govbus.common",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "dataset", "type": "string"},
        {"name": "lineage", "type": {"type": "array", "items": "string"}},
    ],
}


def record_schema(*fields, key=None, envelope=True, **attrs):
    """A dataset-like record schema with ``fields`` (and the envelope first unless told not to)."""
    all_fields = ([{"name": "envelope", "type": ENVELOPE}] if envelope else []) + list(fields)
    schema = {"type": "record", "name": "Thing", "namespace": "test", "fields": all_fields, **attrs}
    if key is not None:
        schema["key"] = key
    return schema


def column_of(avro_type, name="x"):
    plan = plan_for(record_schema({"name": name, "type": avro_type})).value
    return next(c for c in plan.columns if c.name == name)


@pytest.mark.parametrize("avro_type, sql_type, nullable", [
    ("string", Text, False),
    ({"type": "enum", "name": "E", "symbols": ["a", "b"]}, Text, False),
    ({"type": "string", "logicalType": "uuid"}, Text, False),
    ({"type": "long", "logicalType": "timestamp-millis"}, DateTime, False),
    ({"type": "long", "logicalType": "timestamp-micros"}, DateTime, False),
    ({"type": "long", "logicalType": "local-timestamp-millis"}, DateTime, False),
    ({"type": "int", "logicalType": "date"}, Date, False),
    ({"type": "int", "logicalType": "time-millis"}, Time, False),
    ({"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}, Numeric, False),
    ({"type": "int", "logicalType": "no-such-logical-type"}, BigInteger, False),  # spec: fall back
    ("int", BigInteger, False),
    ("long", BigInteger, False),
    ("float", Float, False),
    ("double", Float, False),
    ("boolean", Boolean, False),
    ("bytes", LargeBinary, False),
    ({"type": "fixed", "name": "F", "size": 4}, LargeBinary, False),
    ({"type": "array", "items": "string"}, Text, False),
    ({"type": "map", "values": "long"}, Text, False),
    ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}, Text, False),
    (["null", "string"], Text, True),
    (["string", "null"], Text, True),
    (["null", {"type": "long", "logicalType": "timestamp-millis"}], DateTime, True),
    (["null", {"type": "int", "logicalType": "date"}], Date, True),
    (["null", "string", "long"], Text, True),  # several types: JSON text
    (["string", "long"], Text, False),
])
def test_type_mapping(avro_type, sql_type, nullable):
    column = column_of(avro_type)
    assert isinstance(column.sql_type(), sql_type)
    assert column.nullable is nullable


@pytest.mark.parametrize("avro_type, kind", [
    ({"type": "long", "logicalType": "timestamp-millis"}, "datetime"),
    ({"type": "long", "logicalType": "local-timestamp-millis"}, "local_datetime"),
    ({"type": "array", "items": "string"}, "json"),
    (["null", "string", "long"], "json"),
    ({"type": "enum", "name": "E", "symbols": ["a"]}, "text"),
])
def test_kinds_that_share_a_sql_type(avro_type, kind):
    assert column_of(avro_type).kind == kind


def test_timestamps_are_timezone_aware_and_local_timestamps_not():
    assert column_of({"type": "long", "logicalType": "timestamp-millis"}).sql_type().timezone is True
    assert column_of({"type": "long", "logicalType": "local-timestamp-millis"}).sql_type().timezone is False


def test_decimal_keeps_precision_and_scale():
    sql_type = column_of({"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}).sql_type()
    assert (sql_type.precision, sql_type.scale) == (12, 2)


def test_a_named_type_referenced_by_name_maps_like_its_definition():
    schema = record_schema(
        {"name": "first", "type": {"type": "enum", "name": "Colour", "symbols": ["red"]}},
        {"name": "again", "type": "test.Colour"},
        {"name": "short", "type": ["null", "Colour"]},
        {"name": "env_again", "type": "govbus.common.Envelope"},
    )
    columns = {c.name: c for c in plan_for(schema).value.columns}
    assert (columns["again"].kind, columns["again"].nullable) == ("text", False)
    assert (columns["short"].kind, columns["short"].nullable) == ("text", True)
    assert columns["env_again"].kind == "json"  # only the field named envelope is flattened


def test_envelope_is_flattened_with_env_prefix_and_paths():
    plan = plan_for(record_schema({"name": "order_no", "type": "string"}, key="order_no")).value
    assert [(c.name, c.path) for c in plan.columns] == [
        ("env_event_id", ("envelope", "event_id")),
        ("env_event_time", ("envelope", "event_time")),
        ("env_dataset", ("envelope", "dataset")),
        ("env_lineage", ("envelope", "lineage")),
        ("order_no", ("order_no",)),
    ]


def test_a_nullable_envelope_makes_every_envelope_column_nullable():
    schema = {"type": "record", "name": "T", "fields": [
        {"name": "envelope", "type": ["null", ENVELOPE]}, {"name": "k", "type": "string"}], "key": "k"}
    plan = plan_for(schema).value
    assert all(c.nullable for c in plan.columns if c.name.startswith("env_"))


@pytest.mark.parametrize("fields, key, expected", [
    ([{"name": "order_no", "type": "string"}], "order_no", ("order_no",)),
    ([{"name": "a", "type": "string"}, {"name": "b", "type": "long"}], ["a", "b"], ("a", "b")),
    ([{"name": "other", "type": "string"}], "order_no", ("env_event_id",)),  # key dropped by masking
    ([{"name": "order_no", "type": "string"}], None, ("env_event_id",)),
    ([{"name": "order_no", "type": "string"}], "env_event_time", ("env_event_id",)),  # not a field
])
def test_key_choice(fields, key, expected):
    assert plan_for(record_schema(*fields, key=key)).value.key == expected


@pytest.mark.parametrize("schema, reason", [
    (record_schema({"name": "a", "type": "string"}, envelope=False), "no_key"),
    (record_schema({"name": "env_dataset", "type": "string"}), "unsupported_schema"),  # clash
    (record_schema({"name": "a", "type": "no.such.Type"}), "unsupported_schema"),
    ({"type": "enum", "name": "E", "symbols": ["a"]}, "unsupported_schema"),
])
def test_schemas_without_a_pool_layout_are_faults(schema, reason):
    result = plan_for(schema)
    assert isinstance(result, Fault) and result.reason == reason
    with pytest.raises(ValueError):
        table_for(schema, "t", MetaData())


def test_table_for_sets_primary_key_and_nullability():
    schema = record_schema({"name": "order_no", "type": ["null", "string"]},
                           {"name": "note", "type": ["null", "string"]},
                           {"name": "n", "type": "int"}, key="order_no")
    table = table_for(schema, "pool_x__y", MetaData())
    assert table.name == "pool_x__y"
    assert [c.name for c in table.primary_key.columns] == ["order_no"]
    assert table.c.order_no.nullable is False  # a key column is never null, even from a union
    assert table.c.note.nullable is True
    assert table.c.n.nullable is False


def test_every_dataset_schema_in_the_repository_has_a_layout_keyed_by_its_key():
    for dataset, schema in load_schemas(GovbusSettings().schemas_dir).items():
        plan = plan_for(schema.schema)
        assert isinstance(plan, Ok), (dataset, plan)
        assert plan.value.key == (schema.key_field,)
        assert {"env_event_id", "env_event_time", "env_classification", "env_lineage"} <= {
            c.name for c in plan.value.columns}


EVENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("avro_type, value, expected", [
    ("string", "abc", "abc"),
    ({"type": "string", "logicalType": "uuid"}, EVENT_ID, str(EVENT_ID)),
    ({"type": "enum", "name": "E", "symbols": ["a"]}, "a", "a"),
    ({"type": "long", "logicalType": "timestamp-millis"}, T0, T0),
    ({"type": "long", "logicalType": "timestamp-millis"},
     T0.astimezone(timezone(timedelta(hours=8))), T0),  # normalised to UTC
    ({"type": "long", "logicalType": "timestamp-millis"}, T0.replace(tzinfo=None), T0),  # naive = UTC
    ({"type": "int", "logicalType": "date"}, date(2025, 3, 1), date(2025, 3, 1)),
    ({"type": "int", "logicalType": "time-millis"}, time(8, 30), time(8, 30)),
    ("long", 2 ** 40, 2 ** 40),
    ("double", 1.5, 1.5),
    ("boolean", False, False),
    ("bytes", b"\x00\x01", b"\x00\x01"),
    ({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}, Decimal("1.25"), Decimal("1.25")),
    (["null", "string"], None, None),
    ({"type": "array", "items": "string"}, ["a", "李"], '["a", "李"]'),
    ({"type": "map", "values": "long"}, {"a": 1}, '{"a": 1}'),
    (["null", "string", "long"], 7, "7"),
    ({"type": "array", "items": {"type": "record", "name": "H", "fields": [
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "b", "type": "bytes"}]}},
     [{"t": T0, "b": b"\xff"}], '[{"t": "2025-03-01T08:30:00+00:00", "b": "/w=="}]'),
])
def test_row_conversion(avro_type, value, expected):
    schema = record_schema({"name": "x", "type": avro_type})
    record = {"envelope": {"event_id": EVENT_ID, "event_time": T0, "dataset": "d", "lineage": []}, "x": value}
    assert row_for(record, schema)["x"] == expected


def hotline_schema():
    return load_schemas(GovbusSettings().schemas_dir)["hotline.work_order"].schema


def hotline_record(order_no="WO-1", **changes):
    return {
        "envelope": {"event_id": str(EVENT_ID), "event_time": T0, "dataset": "hotline.work_order",
                     "source_department": "hotline", "source_level": "city", "region_code": "330100",
                     "classification": "L3",
                     "lineage": [{"stage": "ingest", "component": "producers.jsonl", "version": "1",
                                  "agreement_id": None, "agreement_version": None, "time": T0}]},
        "order_no": order_no, "channel": "phone", "accepted_at": T0, "demand_type": "complaint",
        "category_code": "0301", "content": "noise at night", "address": None,
        "region_code": "330102001001", "caller_name": None, "caller_phone": None, "caller_id_no": None,
        "anonymous": True, "urgency": "normal", **changes,
    }


def test_row_of_a_record_decoded_by_fastavro():
    """The real path: fastavro's decoded values (UUID objects, aware datetimes) become a row."""
    schema = hotline_schema()
    parsed = fastavro.parse_schema(json.loads(json.dumps(schema)))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, hotline_record())
    decoded = fastavro.schemaless_reader(io.BytesIO(buffer.getvalue()), parsed, None)
    plan = plan_for(schema).value
    row = row_for(decoded, plan)
    assert set(row) == {c.name for c in table_for(plan, "t", MetaData()).columns}
    assert row["env_event_id"] == str(EVENT_ID)
    assert row["env_event_time"] == T0 and row["accepted_at"] == T0
    assert row["env_source_level"] == "city" and row["channel"] == "phone"
    assert json.loads(row["env_lineage"]) == [{"stage": "ingest", "component": "producers.jsonl",
                                              "version": "1", "agreement_id": None,
                                              "agreement_version": None, "time": T0.isoformat()}]
    assert row["address"] is None and row["anonymous"] is True
    assert plan.key_of(row) == ("WO-1",)


def test_missing_fields_become_null():
    row = row_for({"envelope": None}, record_schema({"name": "x", "type": ["null", "string"]}))
    assert row == {"env_event_id": None, "env_event_time": None, "env_dataset": None,
                   "env_lineage": None, "x": None}


@pytest.mark.parametrize("recipient, dataset, expected", [
    ("police", "hotline.work_order", "pool_police__hotline_work_order"),
    ("city_emergency", "fire.alarm", "pool_city_emergency__fire_alarm"),
    ("Police-330100", "a.b", "pool_police_330100__a_b"),
])
def test_pool_table_name(recipient, dataset, expected):
    assert pool_table_name(recipient, dataset) == expected


def test_long_table_names_are_shortened_but_stay_distinct():
    a = pool_table_name("r" * 40, "market.enterprise_registration_a")
    b = pool_table_name("r" * 40, "market.enterprise_registration_b")
    assert len(a) <= 63 and len(b) <= 63 and a != b


def test_latest_per_key_keeps_the_last_row_per_key_across_schema_versions():
    schema = record_schema({"name": "k", "type": "string"}, {"name": "v", "type": "int"}, key="k")
    v1 = table_for(schema, "pool_a__b", MetaData())
    v2 = table_for(schema, "pool_a__b", MetaData())  # a second schema version, same table
    other = table_for(schema, "pool_a__c", MetaData())
    rows = [(v1, {"k": "x", "v": 1}), (v1, {"k": "y", "v": 1}), (other, {"k": "x", "v": 9}),
            (v2, {"k": "x", "v": 2}), (v1, {"k": "y", "v": 3})]
    grouped = latest_per_key(rows)
    assert grouped == {v1: [{"k": "y", "v": 3}], v2: [{"k": "x", "v": 2}], other: [{"k": "x", "v": 9}]}


def test_reject_and_offset_rows():
    fault = Fault("undecodable", "wire.magic", "magic byte is 110", "")
    reject = Reject.of(fault, "shared.p.d", 1, 42, b"not avro", b"k", T0)
    assert reject.row() == {"topic": "shared.p.d", "partition": 1, "offset": 42, "reason": "undecodable",
                            "rule": "wire.magic", "message": "magic byte is 110", "field": "",
                            "value": b"not avro", "key": b"k", "rejected_at": T0}
    assert OffsetMark("g", "t", 0, 5).row() == {"group_id": "g", "topic": "t", "partition": 0, "next_offset": 5}


def test_plans_remember_which_fields_have_defaults():
    plan = plan_for({"type": "record", "name": "T", "key": "k", "fields": [
        {"name": "k", "type": "string"}, {"name": "flag", "type": "boolean", "default": False}]}).value
    assert {c.name: c.has_default for c in plan.columns} == {"k": False, "flag": True}

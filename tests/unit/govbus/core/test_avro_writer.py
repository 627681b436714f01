"""The compiled Avro writer writes fastavro's bytes, or declines; the checked writers fall back."""
from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from govbus.core.avro_writer import CheckedWriter, Decline, TemplateWriter, compile_template, compile_writer
from govbus.core.deadletter import load_bus_schema
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from tests.support.helpers import SCHEMAS_DIR

T = datetime(2026, 12, 3, 12, 27, 23, 524522, tzinfo=timezone.utc)


def one_field(avro_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "namespace": "t", "fields": [{"name": "f", "type": avro_type}]}


def reference(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return out.getvalue()


ENUM = {"type": "enum", "name": "E", "symbols": ["a", "b", "c"]}
HOP = {"type": "record", "name": "Hop", "fields": [{"name": "s", "type": "string"},
                                                     {"name": "v", "type": ["null", "int"]}]}


@pytest.mark.parametrize(("avro_type", "value"), [
    ("string", ""), ("string", "话" * 300), ("string", "x" * 2000),
    ("long", 0), ("long", -1), ("long", 2**62), ("int", -(2**31)), ("boolean", True), ("boolean", False),
    ("double", 1.5), ("float", 0.1), ("null", None),
    ({"type": "string", "logicalType": "uuid"}, "7550c0ff-8f7b-5964-bb9c-30a8ecf32a74"),
    ({"type": "string", "logicalType": "uuid"}, uuid.UUID("7550c0ff-8f7b-5964-bb9c-30a8ecf32a74")),
    ({"type": "long", "logicalType": "timestamp-millis"}, T),
    ({"type": "long", "logicalType": "timestamp-millis"}, T.astimezone(timezone(timedelta(hours=8)))),
    ({"type": "long", "logicalType": "timestamp-millis"}, datetime(1960, 1, 1, 0, 0, 0, 999, tzinfo=timezone.utc)),
    ({"type": "long", "logicalType": "timestamp-millis"}, 1764763643524),
    ({"type": "int", "logicalType": "date"}, date(1949, 12, 31)),
    (ENUM, "c"), (["null", "string"], None), (["null", "string"], "x"), (["string", "null"], "x"),
    (["string", "null"], None), ({"type": "array", "items": "string"}, []),
    ({"type": "array", "items": "string"}, ["a", "bb"]), ({"type": "map", "values": "string"}, {}),
    ({"type": "map", "values": "string"}, {"k": "v", "键": "值"}),
    ({"type": "array", "items": HOP}, [{"s": "ingest", "v": None}, {"s": "route", "v": 2}]),
])
def test_writes_the_bytes_fastavro_writes(avro_type: Any, value: Any) -> None:
    schema = one_field(avro_type)
    write = compile_writer(schema)
    assert write is not None
    assert write({"f": value}) == reference(schema, {"f": value})


@pytest.mark.parametrize(("avro_type", "value"), [
    ("long", True),                                    # a bool is an int to Python, not to us
    ("long", 1.0), ("long", 2**63), ("int", 2**31), ("string", 5), ("string", None),
    ("double", 1), ("boolean", 1), ("null", 0),
    ({"type": "long", "logicalType": "timestamp-millis"}, datetime(2026, 1, 1)),  # naive: local time
    ({"type": "long", "logicalType": "timestamp-millis"}, "2026-01-01"),
    ({"type": "int", "logicalType": "date"}, T),      # a datetime is a date to Python
    (ENUM, "d"), ({"type": "array", "items": "string"}, ("a",)),
    ({"type": "map", "values": "string"}, {"k": 1}),
])
def test_declines_what_is_not_the_plainest_form(avro_type: Any, value: Any) -> None:
    write = compile_writer(one_field(avro_type))
    assert write is not None
    with pytest.raises(Decline):
        write({"f": value})


def test_declines_a_missing_field() -> None:
    write = compile_writer(one_field("string"))
    assert write is not None
    with pytest.raises(Decline):
        write({})


@pytest.mark.parametrize("avro_type", [
    ["null", "string", "long"], ["string", "long"], {"type": "fixed", "name": "F", "size": 4},
    {"type": "bytes", "logicalType": "decimal", "precision": 4}, "Undefined",
])
def test_schemas_it_does_not_compile(avro_type: Any) -> None:
    assert compile_writer(one_field(avro_type)) is None


def test_every_dataset_and_the_audit_schema_compile() -> None:
    schemas = [s.schema for s in load_schemas(SCHEMAS_DIR).values()]
    for schema in [*schemas, load_bus_schema(SCHEMAS_DIR, "govbus.bus.AuditDelivery")]:
        assert compile_writer(schema) is not None, schema["name"]


def test_a_template_writes_its_constants_once() -> None:
    schema = {"type": "record", "name": "A", "fields": [
        {"name": "id", "type": "string"}, {"name": "c1", "type": "string"}, {"name": "c2", "type": "int"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "c3", "type": {"type": "array", "items": "string"}}]}
    constants = {"c1": "agreement", "c2": 3, "c3": ["a", "b"]}
    write = compile_template(schema, constants)
    assert write is not None
    assert write({"id": "x", "at": T}) == reference(schema, constants | {"id": "x", "at": T})
    with pytest.raises(Decline):
        write({"id": "x"})


@pytest.fixture
def serde() -> Serde:
    serde = Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"}))
    serde.prepare("s-value", one_field(["null", "string"]))
    return serde


def test_checked_writer_falls_back_and_turns_itself_off(serde: Serde) -> None:
    writer = CheckedWriter.of(serde, "s-value")
    with pytest.raises(ValueError, match="do not match"):  # declined: fastavro refuses it, as before
        writer.framed({"f": 5})
    writer.compiled = lambda record: b"\x00wrong"
    assert writer.framed({"f": "x"}) == serde.encode("s-value", {"f": "x"})
    assert writer.compiled is None  # the difference turned it off
    assert writer.framed({"f": "y"}) == serde.encode("s-value", {"f": "y"})


def test_checked_writer_after_its_checks_writes_alone(serde: Serde) -> None:
    writer = CheckedWriter.of(serde, "s-value")
    writer.checks = 0
    assert writer.framed({"f": "x"}) == serde.encode("s-value", {"f": "x"})


def test_template_writer_builds_the_whole_record_only_when_checking_or_declined(serde: Serde) -> None:
    writer = TemplateWriter(serde, "s-value", {})
    built: list[int] = []

    def whole() -> dict[str, Any]:
        built.append(1)
        return {"f": "x"}
    assert writer.framed({"f": "x"}, whole) == serde.encode("s-value", {"f": "x"}) and built == [1]
    writer.checks = 0
    assert writer.framed({"f": "x"}, whole) == serde.encode("s-value", {"f": "x"}) and built == [1]
    assert writer.framed({}, whole) == serde.encode("s-value", {"f": "x"}) and built == [1, 1]

"""The native Avro writer (govbus_native, built from native/) writes the Python compiled
writer's bytes, which are fastavro's, and declines (or raises) exactly where Python does."""
from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import IntEnum
from typing import Any

import fastavro
import pytest

from govbus.core import avro_writer
from govbus.core.avro_writer import Decline, compile_template, compile_writer
from govbus.core.deadletter import load_bus_schema
from govbus.core.schemas import load_schemas
from tests.support.helpers import SCHEMAS_DIR

T = datetime(2026, 12, 3, 12, 27, 23, 524522, tzinfo=timezone.utc)
UTC8 = timezone(timedelta(hours=8))
# Plain values of each plan tag (avro_writer._plan): every one is written, never declined.
VALUES: dict[str, list[Any]] = {
    "string": ["x", "", "话" * 300, "x" * 2000, "\x00", "🚀 emoji"],
    "uuid": ["7550c0ff-8f7b-5964-bb9c-30a8ecf32a74", uuid.UUID("00000000-0000-0000-0000-000000000001"),
             uuid.UUID(int=2**128 - 1), uuid.UUID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), "not a uuid"],
    "boolean": [True, False],
    "float": [0.1, -0.0, 3.4028235e38, 1e-50, float("inf"), float("nan")],
    "double": [1.5, -0.0, 1e308, 5e-324, float("-inf"), float("nan")],
    "timestamp-millis": [T, T.astimezone(UTC8), datetime(1960, 1, 1, 0, 0, 0, 999, tzinfo=timezone.utc),
                         1764763643524, -1, datetime(1, 1, 1, tzinfo=timezone.utc),
                         datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5)))],
    "date": [date(1949, 12, 31), date(1970, 1, 1), date(1, 1, 1), date(9999, 12, 31)],
}


def integers(low: int, high: int) -> list[Any]:
    return [n for n in (0, -1, 63, -64, 64, 8191, 8192, 2**40, low, high - 1) if low <= n < high]


def values(plan: tuple[Any, ...]) -> list[Any]:
    """Plain values of ``plan``: at least two for every branch, records field by field."""
    tag = plan[0]
    if tag in VALUES:
        return VALUES[tag]
    if tag == "integer":
        return integers(plan[1], plan[2])
    if tag == "enum":
        return list(plan[1])
    if tag == "nullable":
        return [None, *values(plan[2])]
    inner = values(plan[1]) if tag in ("array", "map") else []
    if tag == "array":
        return [[], inner[:1], inner[:3]]
    if tag == "map":
        return [{}, {"k": inner[0]}, {"键": inner[-1], "k2": inner[0]}]
    fields = [(name, values(field)) for name, field in plan[1]]
    width = max((len(v) for _, v in fields), default=1)
    return [{name: v[n % len(v)] for name, v in fields} for n in range(width)]


def reference(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return out.getvalue()


def processor_schemas() -> list[dict[str, Any]]:
    """What the processor writes: every dataset's record (shared and delivery topics) and the
    audit delivery event."""
    datasets = [s.schema for s in load_schemas(SCHEMAS_DIR).values()]
    return [*datasets, load_bus_schema(SCHEMAS_DIR, "govbus.bus.AuditDelivery")]


def test_the_extension_is_installed_with_its_writers() -> None:
    assert avro_writer.govbus_native is not None, "pip install -e ./native"
    assert type(compile_writer(one_field("string"))).__name__ == "AvroWriter"


@pytest.mark.parametrize("schema", processor_schemas(), ids=lambda s: s["name"])
def test_native_python_and_fastavro_write_the_same_bytes(schema: dict[str, Any]) -> None:
    native, python = compile_writer(schema), compile_writer(schema, native=False)
    assert native is not None and python is not None
    records = values(avro_writer._plan(schema, {}, schema.get("namespace", "")))
    assert len(records) >= 2
    for record in records:
        assert native(record) == python(record) == reference(schema, record)


@pytest.mark.parametrize("schema", processor_schemas(), ids=lambda s: s["name"])
def test_native_templates_write_the_whole_records_bytes(schema: dict[str, Any]) -> None:
    records = values(avro_writer._plan(schema, {}, schema.get("namespace", "")))
    names = [f["name"] for f in schema["fields"]]
    constants = {name: records[0][name] for name in names[1::2]}  # every other field, the first constant
    native, python = compile_template(schema, constants), compile_template(schema, constants, native=False)
    assert native is not None and python is not None
    varying = {name: value for name, value in records[0].items() if name not in constants}
    assert native(varying) == python(varying) == reference(schema, records[0])
    missing = dict(varying)
    missing.pop(names[0])
    for write in (native, python):
        with pytest.raises(Decline):
            write(missing)


def one_field(avro_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "namespace": "t", "fields": [{"name": "f", "type": avro_type}]}


class Text(str):
    pass


class Number(IntEnum):
    ONE = 1


class Moment(datetime):
    pass


class Record(dict):  # type: ignore[type-arg]
    pass


ENUM = {"type": "enum", "name": "E", "symbols": ["a", "b"]}
TS = {"type": "long", "logicalType": "timestamp-millis"}


@pytest.mark.parametrize(("avro_type", "value"), [
    ("long", True), ("long", False), ("int", True), ("long", 1.0), ("long", Number.ONE),
    ("long", 2**63), ("long", -(2**63) - 1), ("int", 2**31), ("int", -(2**31) - 1), ("long", 2**100),
    ("double", 1), ("double", True), ("float", 1), ("float", 1e300), ("float", -3.5e38),
    ("string", Text("x")), ("string", 5), ("string", None), ("string", b"x"),
    ("boolean", 1), ("boolean", None), ("null", 0), ("null", False),
    (TS, datetime(2026, 1, 1)), (TS, "2026-01-01"), (TS, Moment(2026, 1, 1, tzinfo=timezone.utc)),
    (TS, True), (TS, 2**63), (TS, T.date()),
    ({"type": "int", "logicalType": "date"}, T), ({"type": "int", "logicalType": "date"}, "1970-01-01"),
    ({"type": "string", "logicalType": "uuid"}, 5), ({"type": "string", "logicalType": "uuid"}, Text("u")),
    (ENUM, "c"), (ENUM, Text("a")), (ENUM, "\ud800"), (ENUM, 0),
    (["null", "string"], 5), (["string", "null"], True), (["null", "long"], "1"),
    ({"type": "array", "items": "string"}, ("a",)), ({"type": "array", "items": "string"}, ["a", 1]),
    ({"type": "map", "values": "string"}, {"k": 1}), ({"type": "map", "values": "string"}, {1: "v"}),
    ({"type": "map", "values": "string"}, Record(k="v")),
    ({"type": "record", "name": "In", "fields": [{"name": "a", "type": "int"}]}, {}),
    ({"type": "record", "name": "In", "fields": [{"name": "a", "type": "int"}]}, Record(a=1)),
    ({"type": "record", "name": "In", "fields": [{"name": "a", "type": "int"}]}, {"a": 1.0}),
])
def test_both_decline_what_is_not_the_plainest_form(avro_type: Any, value: Any) -> None:
    for write in (compile_writer(one_field(avro_type)), compile_writer(one_field(avro_type), native=False)):
        assert write is not None
        with pytest.raises(Decline):
            write({"f": value})


@pytest.mark.parametrize("record", [{}, {"g": "x"}, Record(f="x"), []])
def test_both_decline_a_record_without_its_field_or_not_a_dict(record: Any) -> None:
    for write in (compile_writer(one_field("string")), compile_writer(one_field("string"), native=False)):
        assert write is not None
        with pytest.raises(Decline):
            write(record)


class NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize(("avro_type", "value", "error"), [
    ("string", "\ud800", UnicodeEncodeError),  # a lone surrogate: str.encode's error, as fastavro
    ({"type": "map", "values": "string"}, {"\udcff": "v"}, UnicodeEncodeError),
    (TS, datetime(2026, 1, 1, tzinfo=NoOffset()), TypeError),  # naive after all: Python refuses
])
def test_both_raise_what_python_raises(avro_type: Any, value: Any, error: type[Exception]) -> None:
    for write in (compile_writer(one_field(avro_type)), compile_writer(one_field(avro_type), native=False)):
        assert write is not None
        with pytest.raises(error):
            write({"f": value})


def test_without_the_extension_the_python_writers_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(avro_writer, "govbus_native", None)
    write = compile_writer(one_field("string"))
    template = compile_template(one_field("string"), {})
    assert write is not None and template is not None
    assert type(write).__name__ == "function" and write({"f": "x"}) == b"\x02x"
    assert template({"f": "x"}) == b"\x02x"

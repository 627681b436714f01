"""The compiled Avro reader returns exactly fastavro's objects, or declines; the checked reader
gives fastavro's outcome for every declined body and turns itself off on a difference."""
from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from govbus.core.avro_reader import CheckedReader, Unsupported, compile_reader, govbus_native, reader_plan, same
from govbus.core.records import coerce_record
from govbus.core.result import Ok
from govbus.core.schemas import load_schemas
from govbus.core.serde import AvroBody, Serde, frame
from producers.sdk import Source, envelope_for
from producers.synthetic.generate import records
from tests.support.helpers import SCHEMAS_DIR

UTC = timezone.utc
SCHEMAS = load_schemas(SCHEMAS_DIR)
RAW_DATASETS = sorted(SCHEMAS)


def test_the_extension_is_installed() -> None:
    # CI and the README install native/; without it the processor decodes with fastavro only.
    assert govbus_native is not None and hasattr(govbus_native, "AvroReader"), "pip install -e ./native"


def parsed(schema: dict[str, Any]) -> Any:
    return fastavro.parse_schema(json.loads(json.dumps(schema)))


def body(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed(schema), record)
    return out.getvalue()


def fastavro_read(schema: dict[str, Any], data: bytes) -> Any:
    return fastavro.schemaless_reader(io.BytesIO(data), parsed(schema), None,
                                      handle_unicode_errors="surrogateescape")


def native_read(schema: dict[str, Any], data: bytes) -> Any:
    return govbus_native.AvroReader(reader_plan(schema)).read(data, 0)


# --- every raw dataset: generated records and their edge variants -----------------------------

def generated(dataset: str, count: int) -> list[dict[str, Any]]:
    schema, source = SCHEMAS[dataset], Source("dept", "city", "350100", "unit")
    out = []
    for record in records(dataset, count, seed=18, dirty=0.0):
        record = {k: v for k, v in record.items() if not k.startswith("_")}
        record |= {"envelope": envelope_for(schema, record, source, datetime(2026, 12, 3, 8, tzinfo=UTC))}
        coerced = coerce_record(schema, record)
        if isinstance(coerced, Ok):
            out.append(coerced.value)
    return out


LONG_TEXT = "市民来电反映：" * 200  # over 1 KiB: a two-byte length
EDGES: dict[str, dict[str, Any]] = {  # per base type: the value each variant puts in
    "string": {"empty": "", "low": "中文，全角标点。𠀀 é", "high": LONG_TEXT},
    "int": {"empty": 0, "low": -(2**31), "high": 2**31 - 1},
    "long": {"empty": 0, "low": -(2**63), "high": 2**63 - 1},
    "double": {"empty": float("nan"), "low": -0.0, "high": 1.7976931348623157e308},
    "boolean": {"empty": False, "low": False, "high": True},
    "timestamp-millis": {"empty": datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
                         "low": datetime(1, 1, 1, tzinfo=UTC),
                         "high": datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)},
    "date": {"empty": date(1969, 12, 31), "low": date(1, 1, 1), "high": date(9999, 12, 31)},
    "array": {"empty": [], "low": ["", "中"], "high": ["x"] * 300},
}
HOPS = [{"stage": s, "component": "c", "version": "1", "agreement_id": a, "agreement_version": v,
         "time": datetime(1950, 6, 1, 12, 0, 0, 1000 * n, tzinfo=UTC)}
        for n, (s, a, v) in enumerate([("ingest", None, None), ("route", "协议-1", 3), ("sink", "", -1)])]


def base_kind(avro_type: Any) -> tuple[Any, bool]:
    """(the non-null branch, whether null is allowed)."""
    if isinstance(avro_type, list):
        others = [t for t in avro_type if t != "null"]
        return others[0], len(others) < len(avro_type)
    return avro_type, False


def edge_name(avro_type: Any) -> str | None:
    if isinstance(avro_type, str):
        return avro_type if avro_type in EDGES else None
    if avro_type.get("type") == "enum":
        return "enum"
    return avro_type.get("logicalType") or avro_type.get("type")


def variant(schema: dict[str, Any], record: dict[str, Any], mode: str) -> dict[str, Any]:
    """``record`` with every body field at its ``mode`` edge (nullable ones None for "nulls")."""
    out = dict(record)
    for field in schema["fields"]:
        kind, nullable = base_kind(field["type"])
        name = edge_name(kind)
        if mode == "nulls" and nullable:
            out[field["name"]] = None
        elif name == "enum" and mode != "nulls":
            out[field["name"]] = kind["symbols"][0 if mode == "low" else -1]
        elif name in EDGES and mode != "nulls":
            out[field["name"]] = EDGES[name][mode]
    envelope = dict(record["envelope"])
    envelope["lineage"] = {"empty": [], "low": HOPS[:1], "high": HOPS}.get(mode, envelope["lineage"])
    envelope["event_id"] = {"low": uuid.UUID(envelope["event_id"]),
                            "high": envelope["event_id"].upper()}.get(mode, envelope["event_id"])
    return out | {"envelope": envelope}


@pytest.mark.parametrize("dataset", RAW_DATASETS)
def test_every_raw_dataset_reads_as_fastavro_reads(dataset: str) -> None:
    schema = SCHEMAS[dataset].schema
    reader = govbus_native.AvroReader(reader_plan(schema))
    base = generated(dataset, 30)
    assert len(base) >= 25
    cases = base + [variant(schema, base[0], mode) for mode in ("nulls", "empty", "low", "high")]
    for record in cases:
        data = body(schema, record)
        got = reader.read(b"\x00\x00\x00\x00\x07" + data, 5)
        assert got is not None
        assert same(got, fastavro_read(schema, data)), (record, got)


# --- single values: what is read, and what is declined ----------------------------------------

def one_field(avro_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "namespace": "t", "fields": [{"name": "f", "type": avro_type}]}


ENUM = {"type": "enum", "name": "E", "symbols": ["a", "b", "c"]}
UUID_TYPE = {"type": "string", "logicalType": "uuid"}
TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}
DATE = {"type": "int", "logicalType": "date"}
HOP = {"type": "record", "name": "Hop", "fields": [{"name": "s", "type": "string"},
                                                     {"name": "v", "type": ["null", "int"]}]}


@pytest.mark.parametrize(("avro_type", "value"), [
    ("string", ""), ("string", "话" * 300), ("long", -1), ("long", 2**62), ("int", -(2**31)),
    ("boolean", True), ("double", float("inf")), ("float", 0.1), ("float", float("nan")), ("null", None),
    ("bytes", b""), ("bytes", b"\x00\xff"), ({"type": "fixed", "name": "F", "size": 3}, b"abc"),
    (UUID_TYPE, "7550C0FF-8F7B-5964-BB9C-30A8ECF32A74"), (TIMESTAMP, datetime(2026, 12, 3, 1, 2, 3, 4000, tzinfo=UTC)),
    (TIMESTAMP, datetime(1900, 2, 28, 23, 59, 59, 999000, tzinfo=UTC)), (DATE, date(2000, 2, 29)),
    (ENUM, "c"), (["null", "string"], None), (["string", "null"], "x"), (["null", "long", "string"], "x"),
    ({"type": "array", "items": HOP}, [{"s": "ingest", "v": None}, {"s": "route", "v": 2}]),
    ({"type": "map", "values": "string"}, {}), ({"type": "map", "values": ["null", TIMESTAMP]},
                                                 {"键": None, "k": datetime(2030, 1, 1, tzinfo=UTC)}),
])
def test_reads_what_fastavro_reads(avro_type: Any, value: Any) -> None:
    schema = one_field(avro_type)
    data = body(schema, {"f": value})
    assert same(native_read(schema, data), fastavro_read(schema, data))


def test_reads_blocks_with_negative_counts_as_fastavro_does() -> None:
    schema = one_field({"type": "array", "items": "long"})
    data = b"\x03\x04\x02\x04\x02\x06\x00"  # a block of -2 items of 4 bytes (1, 2), then 1 item (3)
    assert native_read(schema, data) == fastavro_read(schema, data) == {"f": [1, 2, 3]}


def varint(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def text(raw: bytes) -> bytes:
    return varint(len(raw)) + raw


DECLINED = [
    ("string", text(b"\xff\xfe")), ("string", text(b"\xed\xa0\x80")),  # not UTF-8; a surrogate
    ("string", varint(-1)), ("string", varint(5) + b"ab"), ("string", text(b"a") + b"\x00"),  # trailing
    ("long", b""), ("long", b"\xff" * 10 + b"\x01"), ("long", b"\x80" * 9 + b"\x02"), ("long", b"\x80"),
    ("boolean", b"\x02"), ("double", b"\x00" * 7), ("bytes", varint(3) + b"ab"),
    (ENUM, varint(3)), (ENUM, varint(-1)), (["null", "string"], varint(2)), (["null", "string"], varint(-1)),
    (TIMESTAMP, varint(253402300800000)), (TIMESTAMP, varint(-62135596800001)),
    (DATE, varint(2932897)), (DATE, varint(-719163)),
    (UUID_TYPE, text(b"{7550c0ff-8f7b-5964-bb9c-30a8ecf32a74}")),
    (UUID_TYPE, text(b"7550c0ff8f7b5964bb9c30a8ecf32a74")),
    (UUID_TYPE, text(b"7550c0ff-8f7b-5964-bb9c-30a8ecf32a7g")), (UUID_TYPE, text(b"")),
    ({"type": "array", "items": "long"}, varint(100) + b"\x02"),  # more items than bytes
]


@pytest.mark.parametrize(("avro_type", "data"), DECLINED)
def test_declines_every_doubtful_body(avro_type: Any, data: bytes) -> None:
    assert native_read(one_field(avro_type), data) is None


@pytest.fixture
def serde() -> Serde:
    return Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"}))


@pytest.mark.parametrize("text_errors", ["strict", "surrogateescape"])
@pytest.mark.parametrize(("avro_type", "data"), DECLINED)
def test_a_declined_body_has_fastavros_exact_outcome(serde: Serde, avro_type: Any, data: bytes,
                                                     text_errors: str) -> None:
    schema_id = serde.prepare("s-value", one_field(avro_type))
    reader = CheckedReader(serde, "s-value", text_errors)
    assert reader.compiled is not None
    framed = frame(schema_id, data)
    got, expected = reader.decode(framed), serde.decode(framed, "s-value", text_errors)
    assert got == expected or same(got.value, expected.value)  # type: ignore[union-attr]
    assert reader.compiled is not None and reader.checks == 200  # fastavro's alone: nothing compared


def test_trailing_bytes_and_bad_utf8_keep_fastavros_values(serde: Serde) -> None:
    schema_id = serde.prepare("s-value", one_field("string"))
    reader = CheckedReader(serde, "s-value", "surrogateescape")
    assert reader.decode(frame(schema_id, text(b"ab") + b"junk")).value == {"f": "ab"}  # type: ignore[union-attr]
    assert reader.decode(frame(schema_id, text(b"a\xff"))).value == {"f": "a\udcff"}  # type: ignore[union-attr]
    fault = reader.decode(frame(schema_id, varint(9) + b"a"))
    assert fault == serde.decode(frame(schema_id, varint(9) + b"a"), "s-value", "surrogateescape")
    assert fault.reason == "undecodable"  # type: ignore[union-attr]


def test_another_writer_schema_is_resolved_by_fastavro(serde: Serde) -> None:
    old = one_field("string")
    new = {**old, "fields": old["fields"] + [{"name": "g", "type": "long", "default": 7}]}
    serde.prepare("s-value", new)
    old_id = serde.prepare("old-value", old)
    reader = CheckedReader(serde, "s-value")
    reader.compiled = Refusing()  # must not be asked: the frame names another schema
    assert reader.decode(frame(old_id, text(b"x"))).value == {"f": "x", "g": 7}  # type: ignore[union-attr]


def test_no_compiled_reader_where_fastavro_would_resolve(serde: Serde) -> None:
    schema_id = serde.prepare("s-value", one_field("string"))
    serde._readers[schema_id] = AvroBody(parsed(one_field("long")))  # registry's text differs
    assert compile_reader(serde, "s-value") is None


@pytest.mark.parametrize("avro_type", [
    {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
    {"type": "int", "logicalType": "time-millis"}, {"type": "long", "logicalType": "timestamp-micros"},
    {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]},
])
def test_unsupported_schemas_are_fastavros(serde: Serde, avro_type: Any) -> None:
    with pytest.raises(Unsupported):
        reader_plan(one_field(avro_type))
    serde.prepare("s-value", one_field(avro_type))
    assert compile_reader(serde, "s-value") is None


# --- the cross-check ---------------------------------------------------------------------------

class Refusing:
    def read(self, data: bytes, start: int) -> Any:
        raise AssertionError("the compiled reader was asked")


class Wrong:
    def __init__(self, value: Any) -> None:
        self.value = value

    def read(self, data: bytes, start: int) -> Any:
        return {"f": self.value}


@pytest.mark.parametrize("value", ["y", b"x", None])
def test_a_difference_turns_the_compiled_reader_off(serde: Serde, caplog: pytest.LogCaptureFixture,
                                                    value: Any) -> None:
    schema_id = serde.prepare("s-value", one_field(["null", "string"]))
    reader = CheckedReader(serde, "s-value")
    reader.compiled = Wrong(value)
    with caplog.at_level(logging.WARNING):
        assert reader.decode(frame(schema_id, b"\x02" + text(b"x"))).value == {"f": "x"}  # type: ignore[union-attr]
    assert reader.compiled is None
    assert [r.event for r in caplog.records] == ["compiled_reader_off"]  # type: ignore[attr-defined]
    assert reader.decode(frame(schema_id, b"\x00")).value == {"f": None}  # type: ignore[union-attr]


def test_after_its_checks_the_compiled_reader_reads_alone(serde: Serde, monkeypatch: pytest.MonkeyPatch) -> None:
    schema_id = serde.prepare("s-value", one_field("string"))
    reader = CheckedReader(serde, "s-value")
    reader.checks = 1
    calls: list[int] = []
    real = serde.decode
    monkeypatch.setattr(serde, "decode", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        assert reader.decode(frame(schema_id, text(b"x"))).value == {"f": "x"}  # type: ignore[union-attr]
    assert calls == [1] and reader.checks == 0 and reader.compiled is not None


T = datetime(2026, 1, 1, tzinfo=UTC)
U = uuid.UUID(int=5)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ({"a": 1, "b": 2}, {"a": 1, "b": 2}, True), ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
    (1, True, False), (1, 1.0, False), (float("nan"), float("nan"), True), (0.0, -0.0, False),
    ([1, [2]], [1, [2]], True), ([1, [2]], [1, [2.0]], False), ("x", b"x", False),
    (T, T.astimezone(timezone(timedelta(hours=8))), False),
    (T, T.replace(tzinfo=None), False), (U, str(U), False), (U, uuid.UUID(int=5), True),
    (date(2026, 1, 1), T, False), (None, None, True),
])
def test_same_compares_values_types_and_key_order(a: Any, b: Any, expected: bool) -> None:
    assert same(a, b) is expected

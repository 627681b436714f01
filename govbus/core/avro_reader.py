"""A record reader compiled from one Avro schema (``govbus_native.AvroReader``, built from
``native/``), for the processor's hot path, checked against fastavro (the reference).

Why: fastavro's ``schemaless_reader`` costs 20-50 µs per raw record in the processor, most of
it per-value dispatch on the schema and building datetimes and UUIDs in Python; the compiled
reader builds the same objects in a few µs.

Contract (as for the import path and the compiled writers, govbus/core/avro_writer.py): this
never judges a body. The extension reads only the plainest encodings and returns None for
anything else (invalid UTF-8, a short or malformed body, trailing bytes, a value outside
Python's date range, ...); bodies written with another schema than the reader's (schema
resolution) and schemas with a type this module does not compile are never offered to it.
All of those go to ``Serde.decode``, so every fault and its message stay fastavro's. The first
``CROSS_CHECKED`` records a reader decodes are also decoded by fastavro and compared (values,
key order and the type of every value); any difference turns it off for the rest of the run.
"""
from __future__ import annotations

import logging
import struct
import uuid
from datetime import date, datetime
from typing import Any

from govbus.core.result import Fault, Ok
from govbus.core.serde import Serde, frame

try:  # the extension is optional: without it, fastavro reads every record
    import govbus_native
except ImportError:  # pragma: no cover - CI installs it; a test asserts it is there
    govbus_native = None

log = logging.getLogger(__name__)

# Records decoded both ways at the start of a run, per reader (as for the compiled writers).
CROSS_CHECKED = 200
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# The logical types fastavro converts on reading that the extension builds; any other
# logical type makes the schema unsupported (fastavro converts some, e.g. decimal).
_LOGICAL = {("string", "uuid"): "uuid", ("long", "timestamp-millis"): "timestamp-millis",
            ("int", "date"): "date"}
_HEADER_SIZE = len(frame(0, b""))


class Unsupported(Exception):
    """A schema construct the compiled reader does not read: fastavro reads every record."""


def _plan(avro_type: Any, named: dict[str, tuple], namespace: str, open_names: set[str]) -> tuple:
    """The extension's plan of ``avro_type``; named types are remembered by short and full name
    (the schema inlines each once and refers to it by name after)."""
    if isinstance(avro_type, str):
        if avro_type in _PRIMITIVES:
            return (avro_type,)
        full = avro_type if "." in avro_type else f"{namespace}.{avro_type}" if namespace else avro_type
        if full in open_names:
            raise Unsupported(f"recursive type {full}")
        found = named.get(full) or named.get(avro_type)
        if found is None:
            raise Unsupported(avro_type)
        return found
    if isinstance(avro_type, list):
        return ("union", [_plan(branch, named, namespace, open_names) for branch in avro_type])
    if not isinstance(avro_type, dict):
        raise Unsupported(repr(avro_type))
    kind = avro_type.get("type")
    if not isinstance(kind, str):  # a type nested as {"type": {...}}: fastavro's alone
        raise Unsupported(repr(kind))
    if "logicalType" in avro_type:
        logical = _LOGICAL.get((kind, str(avro_type["logicalType"])))
        if logical is None:
            raise Unsupported(f"{kind}/{avro_type['logicalType']}")
        return (logical,)
    if kind in _PRIMITIVES:
        return (kind,)
    if kind == "array":
        return ("array", _plan(avro_type["items"], named, namespace, open_names))
    if kind == "map":
        return ("map", _plan(avro_type["values"], named, namespace, open_names))
    if kind in ("enum", "record", "fixed"):
        return _named(avro_type, named, namespace, open_names)
    raise Unsupported(str(kind))


def _named(avro_type: dict[str, Any], named: dict[str, tuple], namespace: str, open_names: set[str]) -> tuple:
    name = avro_type["name"]
    space = name.rpartition(".")[0] or avro_type.get("namespace", namespace)
    short = name.rpartition(".")[2]
    full = f"{space}.{short}" if space else short
    kind = avro_type["type"]
    if kind == "enum":
        plan: tuple = ("enum", list(avro_type["symbols"]))
    elif kind == "fixed":
        plan = ("fixed", int(avro_type["size"]))
    else:
        open_names.add(full)
        plan = ("record", [(f["name"], _plan(f["type"], named, space, open_names)) for f in avro_type["fields"]])
        open_names.discard(full)
    named[short] = named[full] = plan
    return plan


def reader_plan(schema: dict[str, Any]) -> tuple:
    """The plan ``govbus_native.AvroReader`` takes for the record ``schema`` (raises Unsupported)."""
    if schema.get("type") != "record":
        raise Unsupported("the body schema is not a record")
    return _plan(schema, {}, schema.get("namespace", ""), set())


def compile_reader(serde: Serde, subject: str) -> Any:
    """The compiled reader of bodies framed with ``subject``'s prepared schema id, or None where
    the extension is missing, the schema has what it does not read, or fastavro would resolve
    that id's writer schema to the subject's (they differ)."""
    if govbus_native is None:
        return None
    schema_id = serde.schema_id(subject)
    if serde.reader(schema_id).parsed != serde.writer(subject).parsed:
        return None  # fastavro resolves the writer's schema to the reader's: its job
    schema = serde.writer_schema_json(schema_id)
    try:
        return govbus_native.AvroReader(reader_plan(schema))
    except Unsupported as exc:
        log.info("no compiled reader for %s: %s", subject, exc)
        return None


def same(a: Any, b: Any) -> bool:
    """Whether two decoded values are the same objects' values: equal, of the same type at every
    level, dicts in the same key order, floats bit for bit (NaN too), datetimes in the same
    ``tzinfo`` object, UUIDs equally safe."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return list(a) == list(b) and all(same(value, b[key]) for key, value in a.items())
    if kind is list:
        return len(a) == len(b) and all(map(same, a, b))
    if kind is float:
        return struct.pack("<d", a) == struct.pack("<d", b)
    if kind is datetime:
        return a == b and a.tzinfo is b.tzinfo and a.replace(tzinfo=None) == b.replace(tzinfo=None) \
            and a.fold == b.fold
    if kind is uuid.UUID:
        return a == b and a.is_safe is b.is_safe
    if kind is date or kind in (str, int, bool, bytes, type(None)):
        return bool(a == b)
    return False  # a type neither reader should make


class CheckedReader:
    """``Serde.decode`` for one subject, through the compiled reader where it can: the first
    ``CROSS_CHECKED`` records it reads are decoded by fastavro too and must be the same, else
    it is off for good; a body it declines, or framed with another schema id, is fastavro's."""

    __slots__ = ("serde", "subject", "text_errors", "compiled", "header", "checks")

    def __init__(self, serde: Serde, subject: str, text_errors: str = "strict") -> None:
        self.serde, self.subject, self.text_errors = serde, subject, text_errors
        self.checks = CROSS_CHECKED
        try:
            self.header = frame(serde.schema_id(subject), b"")
        except KeyError:  # a subject never prepared: fastavro reads without a reader schema
            self.header, self.compiled = b"", None
            return
        self.compiled = compile_reader(serde, subject)

    def decode(self, data: bytes | None) -> Ok[dict[str, Any]] | Fault:
        compiled = self.compiled
        if compiled is None or type(data) is not bytes or not data.startswith(self.header):
            return self.serde.decode(data, self.subject, self.text_errors)
        record = compiled.read(data, _HEADER_SIZE)
        if record is None:
            return self.serde.decode(data, self.subject, self.text_errors)
        if self.checks:
            return self._checked(data, record)
        return Ok(record)

    def _checked(self, data: bytes, record: dict[str, Any]) -> Ok[dict[str, Any]] | Fault:
        self.checks -= 1
        expected = self.serde.decode(data, self.subject, self.text_errors)
        if not isinstance(expected, Ok) or not same(expected.value, record):
            log.warning("%s: the compiled Avro reader differs from fastavro; turned off", self.subject,
                        extra={"event": "compiled_reader_off"})
            self.compiled = None
        return expected

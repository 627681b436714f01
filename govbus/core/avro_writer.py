"""A record writer compiled from one Avro schema, for the processor's hot path, checked
against fastavro (the reference).

Why: fastavro's ``schemaless_writer`` costs 10-20 µs per delivery or audit event here, most of
it per-value type dispatch and union resolution; a closure per field, chosen once from the
schema, writes the same bytes in a fraction of that.

Contract (as for the import path's compiled encoder, producers/files/fast/native.py): this
never judges a record. It writes only the plainest value of each type (``str`` for a string,
``int`` but not ``bool`` for a long, an aware ``datetime`` for timestamp-millis, ...) and
raises ``Decline`` on anything else, so that fastavro writes — or refuses — every doubtful
record. ``CheckedWriter`` also writes the first records of a run both ways and compares them;
any difference turns the compiled writer off for the rest of the run.

Native: the schema is compiled to a plan (data); where ``govbus_native`` (native/) is installed,
its ``AvroWriter``/``AvroTemplate`` write from that plan with these closures' exact type checks
and bytes (~2.6 µs a delivery record against ~22 µs here), raising this module's ``Decline``;
without it, the closures below write. Both are cross-checked against fastavro the same way.
"""
from __future__ import annotations

import functools
import logging
import uuid
from datetime import date, datetime, timezone
from typing import Any, Callable

from govbus.core.serde import FLOAT_PACKERS, SHORT_LENGTHS, AvroBody, Serde, varint

try:  # the extension is optional: without it, the Python closures below write
    import govbus_native
except ImportError:  # pragma: no cover - CI installs it; a test asserts it is there
    govbus_native = None

log = logging.getLogger(__name__)

Out = list[bytes]
Write = Callable[[Any, Out], None]
# Records written both ways at the start of a run, per writer (docs/architecture.md, flow 3).
CROSS_CHECKED = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_LONG = (-(1 << 63), 1 << 63)
_INT = (-(1 << 31), 1 << 31)


class Decline(Exception):
    """A value that is not the plainest form of its type: the reference writer takes the record."""


class Unsupported(Exception):
    """A schema construct this module does not compile: the reference writer takes every record."""


def _string(v: Any, out: Out) -> None:
    if type(v) is not str:
        raise Decline
    data = v.encode()  # lone surrogates raise UnicodeEncodeError: a ValueError, as in fastavro
    n = len(data)
    out.append(SHORT_LENGTHS[n] if n < 1024 else varint(n))
    out.append(data)


def _uuid(v: Any, out: Out) -> None:
    _string(str(v) if type(v) is uuid.UUID else v, out)


def _integer(low: int, high: int) -> Write:
    def write(v: Any, out: Out) -> None:
        if type(v) is not int or not low <= v < high:
            raise Decline
        out.append(varint(v))
    return write


def _timestamp_millis(v: Any, out: Out) -> None:
    if type(v) is int:
        _long(v, out)
        return
    if type(v) is not datetime or v.tzinfo is None:
        raise Decline
    delta = v - _EPOCH  # fastavro's arithmetic: whole seconds, then microseconds floored to ms
    out.append(varint((delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000))


_long = _integer(*_LONG)


def _date(v: Any, out: Out) -> None:
    if type(v) is not date:
        raise Decline
    out.append(varint(v.toordinal() - _EPOCH_ORDINAL))


def _boolean(v: Any, out: Out) -> None:
    if v is True:
        out.append(b"\x01")
    elif v is False:
        out.append(b"\x00")
    else:
        raise Decline


def _floating(kind: str) -> Write:
    pack = FLOAT_PACKERS[kind]

    def write(v: Any, out: Out) -> None:
        if type(v) is not float:
            raise Decline
        try:
            out.append(pack(v))
        except OverflowError:  # too large for single precision: fastavro writes infinity
            raise Decline from None
    return write


def _null(v: Any, out: Out) -> None:
    if v is not None:
        raise Decline


def _enum(symbols: list[str]) -> Write:
    table = {symbol: varint(n) for n, symbol in enumerate(symbols)}

    def write(v: Any, out: Out) -> None:
        if type(v) is not str or v not in table:
            raise Decline
        out.append(table[v])
    return write


def _nullable(index_of_null: int, inner: Write) -> Write:
    null, value = varint(index_of_null), varint(1 - index_of_null)

    def write(v: Any, out: Out) -> None:
        if v is None:
            out.append(null)
        else:
            out.append(value)
            inner(v, out)
    return write


def _array(items: Write) -> Write:
    def write(v: Any, out: Out) -> None:
        if type(v) is not list:
            raise Decline
        if v:
            out.append(varint(len(v)))
            for item in v:
                items(item, out)
        out.append(b"\x00")
    return write


def _map(values: Write) -> Write:
    def write(v: Any, out: Out) -> None:
        if type(v) is not dict:
            raise Decline
        if v:
            out.append(varint(len(v)))
            for key, value in v.items():
                _string(key, out)
                values(value, out)
        out.append(b"\x00")
    return write


def _record(fields: list[tuple[str, Write]]) -> Write:
    def write(v: Any, out: Out) -> None:
        if type(v) is not dict:
            raise Decline
        for name, field_writer in fields:
            if name not in v:  # fastavro writes the field's default, or refuses
                raise Decline
            field_writer(v[name], out)
    return write


# A plan is the schema's compiled form as data — nested tuples (tag, arguments...) — from which
# both the Python closures (``_build``) and the native writer (``govbus_native``) are made.
Plan = tuple[Any, ...]
_PRIMITIVES: dict[str, Plan] = {
    "string": ("string",), "boolean": ("boolean",), "null": ("null",), "int": ("integer", *_INT),
    "long": ("integer", *_LONG), "float": ("float",), "double": ("double",),
}
_LOGICAL: dict[tuple[str, str], Plan] = {
    ("string", "uuid"): ("uuid",), ("long", "timestamp-millis"): ("timestamp-millis",), ("int", "date"): ("date",),
}
_LEAVES: dict[str, Write] = {
    "string": _string, "boolean": _boolean, "null": _null, "float": _floating("float"),
    "double": _floating("double"), "uuid": _uuid, "timestamp-millis": _timestamp_millis, "date": _date,
}


def _plan(avro_type: Any, named: dict[str, Plan], namespace: str) -> Plan:
    """The plan of ``avro_type``; named types are remembered (by short and full name)."""
    if isinstance(avro_type, str):
        found = _PRIMITIVES.get(avro_type) or named.get(avro_type) or named.get(f"{namespace}.{avro_type}")
        if found is None:
            raise Unsupported(avro_type)
        return found
    if isinstance(avro_type, list):
        return _union(avro_type, named, namespace)
    kind, logical = avro_type.get("type"), avro_type.get("logicalType")
    if logical is not None:
        if (kind, logical) not in _LOGICAL:
            raise Unsupported(f"{kind}/{logical}")
        return _LOGICAL[(kind, logical)]
    if kind == "array":
        return ("array", _plan(avro_type["items"], named, namespace))
    if kind == "map":
        return ("map", _plan(avro_type["values"], named, namespace))
    if kind in ("enum", "record"):
        name = avro_type["name"]
        space = name.rpartition(".")[0] or avro_type.get("namespace", namespace)
        plan = (("enum", tuple(avro_type["symbols"])) if kind == "enum" else
                ("record", tuple((f["name"], _plan(f["type"], named, space)) for f in avro_type["fields"])))
        short = name.rpartition(".")[2]
        named[short] = named[f"{space}.{short}" if space else short] = plan
        return plan
    if isinstance(kind, (str, list, dict)) and kind not in ("fixed",):
        return _plan(kind, named, namespace)
    raise Unsupported(str(kind))


def _union(branches: list[Any], named: dict[str, Plan], namespace: str) -> Plan:
    """Only ``null`` and one other branch: which branch a value takes is then never in doubt."""
    if len(branches) != 2 or "null" not in branches:
        raise Unsupported("union")
    index_of_null = branches.index("null")
    return ("nullable", index_of_null, _plan(branches[1 - index_of_null], named, namespace))


def _build(plan: Plan) -> Write:
    """The Python writer of ``plan`` (the reference's twin, and the fallback of the native one)."""
    tag = plan[0]
    if tag in _LEAVES:
        return _LEAVES[tag]
    if tag == "integer":
        return _long if plan[1:] == _LONG else _integer(plan[1], plan[2])
    if tag == "enum":
        return _enum(list(plan[1]))
    if tag == "nullable":
        return _nullable(plan[1], _build(plan[2]))
    if tag in ("array", "map"):
        return (_array if tag == "array" else _map)(_build(plan[1]))
    return _record([(name, _build(field)) for name, field in plan[1]])


def _native(kind: str, plan: Any, name: Any) -> Callable[[dict[str, Any]], bytes] | None:
    """``govbus_native``'s writer (``AvroWriter``/``AvroTemplate``) of ``plan``, or None where
    the extension is not installed (then the Python closures write)."""
    make = getattr(govbus_native, kind, None)  # an extension built before the writers: none
    if make is None:
        return None
    try:
        return make(plan, Decline)
    except (ValueError, TypeError) as exc:  # pragma: no cover - a plan this module made
        log.warning("no native writer for %s: %r", name, exc)
        return None


def compile_writer(schema: dict[str, Any], *, native: bool = True) -> Callable[[dict[str, Any]], bytes] | None:
    """The body writer of the record ``schema`` (raises ``Decline`` on a value it does not
    write plainly), or None where the schema uses what this module does not compile. The
    native writer where ``govbus_native`` is installed (and ``native``), else Python's."""
    try:
        plan = _plan(schema, {}, schema.get("namespace", ""))
    except Unsupported as exc:
        log.info("no compiled writer for %s: %s", schema.get("name"), exc)
        return None
    compiled = _native("AvroWriter", plan, schema.get("name")) if native else None
    if compiled is not None:
        return compiled
    write = _build(plan)

    def body(record: dict[str, Any]) -> bytes:
        out: Out = []
        write(record, out)
        return b"".join(out)
    return body


def compile_template(schema: dict[str, Any], constants: dict[str, Any], *,
                     native: bool = True) -> Callable[[dict[str, Any]], bytes] | None:
    """The body writer of records of ``schema`` whose fields named in ``constants`` always
    hold those values: written once here, so the writer takes only the other fields (an audit
    event's agreement, purpose, fields and operators are its plan's). None where the schema or
    a constant is not compiled plainly. Native where ``compile_writer`` is."""
    space = schema.get("namespace", "")
    named: dict[str, Plan] = {}
    segments: list[bytes | tuple[str, Plan]] = []
    try:
        for field in schema["fields"]:
            plan = _plan(field["type"], named, space)
            if field["name"] not in constants:
                segments.append((field["name"], plan))
                continue
            out: Out = []
            _build(plan)(constants[field["name"]], out)  # the constants: written once, by Python
            if segments and isinstance(segments[-1], bytes):
                out.insert(0, segments.pop())  # type: ignore[arg-type]
            segments.append(b"".join(out))
    except (Unsupported, Decline) as exc:
        log.info("no compiled template for %s: %r", schema.get("name"), exc)
        return None
    compiled = _native("AvroTemplate", segments, schema.get("name")) if native else None
    if compiled is not None:
        return compiled
    return functools.partial(_fill, tuple(s if isinstance(s, bytes) else (s[0], _build(s[1])) for s in segments))


def _fill(segments: tuple[bytes | tuple[str, Write], ...], varying: dict[str, Any]) -> bytes:
    out: Out = []
    for segment in segments:
        if isinstance(segment, bytes):
            out.append(segment)
            continue
        name, write = segment
        if name not in varying:
            raise Decline
        write(varying[name], out)
    return b"".join(out)


class TemplateWriter:
    """``CheckedWriter`` for a template (``compile_template``): ``framed`` takes the varying
    fields and a function making the whole record, which the reference writes for the first
    ``CROSS_CHECKED`` records (compared), for a declined record, and if the two ever differ."""

    __slots__ = ("reference", "compiled", "checks", "name")

    def __init__(self, serde: Serde, subject: str, constants: dict[str, Any]) -> None:
        self.reference, self.name, self.checks = serde.writer(subject), subject, CROSS_CHECKED
        self.compiled = compile_template(serde.writer_schema_json(serde.schema_id(subject)), constants)

    def framed(self, varying: dict[str, Any], whole: Callable[[], dict[str, Any]]) -> bytes:
        if self.compiled is None:
            return self.reference.framed(whole())
        try:
            body = self.compiled(varying)
        except Decline:
            return self.reference.framed(whole())
        if not self.checks:
            return self.reference.header + body
        self.checks -= 1
        expected = self.reference.framed(whole())
        if expected != self.reference.header + body:
            _turned_off(self.name)
            self.compiled = None
        return expected


def _turned_off(name: str) -> None:
    log.warning("%s: the compiled Avro writer differs from fastavro; turned off", name,
                extra={"event": "compiled_writer_off"})


class CheckedWriter:
    """Frames records as ``reference`` does, through the compiled writer where it can: the
    first ``CROSS_CHECKED`` records are written both ways and must match, else the compiled
    writer is off for good; a declined record is written by the reference."""

    __slots__ = ("reference", "compiled", "checks", "name")

    def __init__(self, reference: AvroBody, schema: dict[str, Any], name: str) -> None:
        self.reference, self.name = reference, name
        self.compiled = compile_writer(schema)
        self.checks = CROSS_CHECKED

    @classmethod
    def of(cls, serde: Serde, subject: str) -> CheckedWriter:
        """For ``subject``'s prepared schema (``Serde.prepare``)."""
        return cls(serde.writer(subject), serde.writer_schema_json(serde.schema_id(subject)), subject)

    def framed(self, record: dict[str, Any]) -> bytes:
        if self.compiled is None:
            return self.reference.framed(record)
        try:
            body = self.compiled(record)
        except Decline:
            return self.reference.framed(record)
        if self.checks:
            return self._checked(record, body)
        return self.reference.header + body

    def _checked(self, record: dict[str, Any], body: bytes) -> bytes:
        self.checks -= 1
        expected = self.reference.framed(record)
        if expected != self.reference.header + body:
            _turned_off(self.name)
            self.compiled = None
        return expected

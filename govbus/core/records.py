"""Typed access for adapters, derived from the ``.avsc`` files at runtime (never copied by hand).

``check_record`` says, field by field, why fastavro could not write a record (or why it would
write something wrong): one ``Fault`` per bad field, with the field path in ``Fault.field``
(``lineage[0].time``, ``operators[caller_phone]``). ``coerce_record`` first turns JSON-ish input
(ISO strings or epoch millis for timestamps, ISO dates, numeric strings) into the Python values
fastavro writes and reads back, then checks the result.

Each schema is compiled once into a tree of closures and cached by dataset, so the hot path is
a few ``type()`` tests per field. Fault messages name types and symbols, never the offending
value: a misplaced ID number must not end up in a log line or a DLQ message.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Callable

from govbus.core.records_check import MISSING, Checker, compile_checker
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema

# Department systems in China record local time without an offset: naive values mean UTC+8.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_DAYS = date(1970, 1, 1).toordinal()
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_BOOLEANS = {"true": True, "false": False}
_TIMESTAMP_UNITS = {"timestamp-millis": 1_000, "timestamp-micros": 1_000_000}

Coercer = Callable[[Any], Any]

_CHECKERS: dict[str, tuple[DatasetSchema, Checker]] = {}
_COERCERS: dict[tuple[str, tzinfo], tuple[DatasetSchema, Coercer]] = {}


def _cached(cache: dict[Any, tuple[DatasetSchema, Any]], key: Any, schema: DatasetSchema,
            build: Callable[[], Any]) -> Any:
    """The compiled function for ``schema``; rebuilt when the cached one is for another schema."""
    hit = cache.get(key)
    if hit is not None and (hit[0] is schema or hit[0].schema == schema.schema):
        return hit[1]
    compiled = build()
    cache[key] = (schema, compiled)
    return compiled


def record_checker(schema: DatasetSchema) -> Callable[[dict[str, Any]], list[Fault]]:
    """The compiled checker of ``schema``, for loops that want to skip even the cache lookup."""
    check = _cached(_CHECKERS, schema.dataset, schema,
                    lambda: compile_checker(schema.parsed, _named(schema)))

    def check_one(record: dict[str, Any]) -> list[Fault]:
        return check(record) or []
    return check_one


def check_record(schema: DatasetSchema, record: dict[str, Any]) -> list[Fault]:
    """One Fault per bad field of ``record`` (missing_field, wrong_type, bad_enum,
    unknown_field); empty when fastavro can write it as ``schema``."""
    check = _cached(_CHECKERS, schema.dataset, schema,
                    lambda: compile_checker(schema.parsed, _named(schema)))
    return check(record) or []


def coerce_record(schema: DatasetSchema, record: dict[str, Any], *,
                  naive_tz: tzinfo = CHINA_STANDARD_TIME) -> Ok[dict[str, Any]] | Fault:
    """``record`` converted to what fastavro writes, or the first fault (in schema order).

    Conversions: timestamps from ISO 8601 strings (naive ones in ``naive_tz``), epoch numbers
    or datetimes, to UTC datetimes truncated to the schema's precision; dates from ISO strings
    (``2024-01-05`` or ``20240105``) or epoch days; int/long from integral floats and integer
    strings; float/double from ints and decimal strings; booleans from ``"true"``/``"false"``;
    UUIDs to their canonical string. Missing fields with a default get it. Anything else is
    passed on unchanged for the check to judge.
    """
    coerce = _cached(_COERCERS, (schema.dataset, naive_tz), schema,
                     lambda: _compile_coercer(schema.parsed, _named(schema), naive_tz))
    value = coerce(record)
    faults = check_record(schema, value)
    return faults[0] if faults else Ok(value)


def _named(schema: DatasetSchema) -> dict[str, Any]:
    return schema.parsed.get("__named_schemas", {})


# --- coercion -------------------------------------------------------------------------------

class _Ctx:
    """What one coercer compilation shares: named types, the naive time zone, compiled names."""

    def __init__(self, named: dict[str, Any], tz: tzinfo) -> None:
        self.named, self.tz = named, tz
        self.memo: dict[str, Coercer] = {}


def _compile_coercer(schema: Any, named: dict[str, Any], tz: tzinfo) -> Coercer:
    return _coercer(schema, _Ctx(named, tz))


def _coercer(schema: Any, ctx: _Ctx) -> Coercer:
    if isinstance(schema, str):
        return _PRIMITIVE_COERCERS.get(schema) or _named_coercer(schema, ctx)
    if isinstance(schema, list):
        return _union_coercer(schema, ctx)
    kind, logical = schema["type"], schema.get("logicalType")
    if kind in ("record", "error"):
        ctx.memo[schema["name"]] = lambda v: ctx.memo[schema["name"]](v)
        ctx.memo[schema["name"]] = _record_coercer(schema, ctx)
        return ctx.memo[schema["name"]]
    if kind == "array":
        items = _coercer(schema["items"], ctx)
        return lambda v: [items(x) for x in v] if isinstance(v, (list, tuple)) else v
    if kind == "map":
        values = _coercer(schema["values"], ctx)
        return lambda v: {k: values(x) for k, x in v.items()} if isinstance(v, dict) else v
    if logical in _TIMESTAMP_UNITS and kind == "long":
        return _timestamp_coercer(_TIMESTAMP_UNITS[logical], ctx.tz)
    if logical == "date" and kind == "int":
        return _to_date
    if logical == "uuid" and kind == "string":
        return _to_uuid
    return _coercer(kind, ctx) if kind not in ("enum", "fixed") else _identity


def _named_coercer(name: str, ctx: _Ctx) -> Coercer:
    if name not in ctx.memo:
        if name not in ctx.named:
            return _identity  # a primitive with nothing to convert (string, bytes, null)
        ctx.memo[name] = lambda v: ctx.memo[name](v)
        ctx.memo[name] = _coercer(ctx.named[name], ctx)
    return ctx.memo[name]


def _record_coercer(schema: dict[str, Any], ctx: _Ctx) -> Coercer:
    specs = [(f["name"], _coercer(f["type"], ctx), f.get("default", MISSING))
             for f in schema["fields"]]
    defaults = {f["name"]: _default_coercer(f["type"], ctx)
                for f in schema["fields"] if "default" in f}

    def coerce(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)  # unknown keys stay, for the check to report
        for name, co, default in specs:
            v = value.get(name, MISSING)
            if v is MISSING:
                if default is not MISSING:
                    out[name] = None if default is None else defaults[name](_copy(default))
            elif v is not None:
                out[name] = co(v)
        return out
    return coerce


def _default_coercer(ftype: Any, ctx: _Ctx) -> Coercer:
    """A field default is given for the first branch of a union (Avro spec)."""
    return _coercer(ftype[0] if isinstance(ftype, list) else ftype, ctx)


def _copy(default: Any) -> Any:
    if isinstance(default, list):
        return list(default)
    return dict(default) if isinstance(default, dict) else default


def _union_coercer(branches: list[Any], ctx: _Ctx) -> Coercer:
    others = [b for b in branches if b != "null"]
    if len(others) == 1:
        inner = _coercer(others[0], ctx)
        return lambda v: None if v is None else inner(v)
    pairs = [(_coercer(b, ctx), compile_checker(b, ctx.named)) for b in others]

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        for co, check in pairs:
            converted = co(value)
            if not check(converted):
                return converted
        return value
    return coerce


def _identity(value: Any) -> Any:
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    if type(value) is int:
        return float(value)
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return float(value)
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        return _BOOLEANS.get(value.strip().lower(), value)
    return value


_PRIMITIVE_COERCERS: dict[str, Coercer] = {
    "int": _to_int, "long": _to_int, "float": _to_float, "double": _to_float,
    "boolean": _to_bool,
}


def _timestamp_coercer(per_second: int, tz: tzinfo) -> Coercer:
    step = 1_000_000 // per_second  # microseconds per unit

    def coerce(value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = _to_int(text) if _INTEGER.match(text) else _parse_datetime(text)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if type(value) is int:
            return _EPOCH + timedelta(microseconds=value * step)
        if isinstance(value, datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
            utc = aware.astimezone(timezone.utc)
            return utc.replace(microsecond=utc.microsecond // step * step)
        return value
    return coerce


def _parse_datetime(text: str) -> Any:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value  # a date field given a moment: ambiguous, left for the check to refuse
    if type(value) is int:
        return date.fromordinal(_EPOCH_DAYS + value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


def _to_uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            return value
    return value

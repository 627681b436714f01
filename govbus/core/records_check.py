"""Compiles a parsed Avro schema (fastavro ``parse_schema`` output) into a checker closure.

A checker takes a value and returns None when fastavro can write it, or a list of Faults whose
``field`` is the path below the value (``[2].time``, ``stage``). Record checkers look at each
field with a ``type()`` fast path first, so a clean record costs a few tests per field.
Used by ``govbus.core.records``; the public API lives there.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from govbus.core.result import Fault

Checker = Callable[[Any], "list[Fault] | None"]
MISSING: Any = object()

RULE_REQUIRED = "avro.required"
RULE_TYPE = "avro.type"
RULE_ENUM = "avro.enum"
RULE_FIELDS = "avro.fields"

_INT_RANGE = (-(2**31), 2**31)
_LONG_RANGE = (-(2**63), 2**63)


def _wrong(expected: str, value: Any) -> list[Fault]:
    return [Fault("wrong_type", RULE_TYPE, f"expected {expected}, got {type(value).__name__}")]


def _under(fault: Fault, prefix: str) -> Fault:
    """``fault`` located below ``prefix`` (a field name or an ``[index]``)."""
    if not fault.field:
        return replace(fault, field=prefix)
    sep = "" if fault.field.startswith("[") else "."
    return replace(fault, field=f"{prefix}{sep}{fault.field}")


def _integer(name: str, bounds: tuple[int, int]) -> Checker:
    low, high = bounds

    def check(v: Any) -> list[Fault] | None:
        if (type(v) is int or (isinstance(v, int) and not isinstance(v, bool))) and low <= v < high:
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            return [Fault("wrong_type", RULE_TYPE, f"{name} out of range")]
        return _wrong(name, v)
    return check


def _of_types(name: str, types: tuple[type, ...], refuse: tuple[type, ...] = ()) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if isinstance(v, types) and not isinstance(v, refuse):
            return None
        return _wrong(name, v)
    return check


def _null(v: Any) -> list[Fault] | None:
    return None if v is None else _wrong("null", v)


_PRIMITIVES: dict[str, Checker] = {
    "null": _null,
    "boolean": _of_types("boolean", (bool,)),
    "int": _integer("int", _INT_RANGE),
    "long": _integer("long", _LONG_RANGE),
    "float": _of_types("float", (int, float), (bool,)),
    "double": _of_types("double", (int, float), (bool,)),
    "string": _of_types("string", (str,)),
    "bytes": _of_types("bytes", (bytes, bytearray)),
}
# type() of the usual clean value, tested before calling the checker at all.
_FAST_TYPES: dict[str, type] = {"string": str, "boolean": bool, "double": float, "float": float}


def compile_checker(schema: Any, named: dict[str, Any],
                    memo: dict[str, Checker] | None = None) -> Checker:
    """The checker for ``schema``; ``named`` maps full names to definitions (fastavro's
    ``__named_schemas``); ``memo`` shares compiled named types within one compilation."""
    memo = {} if memo is None else memo
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema]
        return _named_ref(schema, named, memo)
    if isinstance(schema, list):
        return _union(schema, named, memo)
    kind = schema["type"]
    if kind in ("record", "error", "enum", "fixed"):
        return _named_def(schema, named, memo)
    if kind == "array":
        return _array(compile_checker(schema["items"], named, memo))
    if kind == "map":
        return _map(compile_checker(schema["values"], named, memo))
    return _logical(schema, compile_checker(kind, named, memo))


def _named_ref(name: str, named: dict[str, Any], memo: dict[str, Checker]) -> Checker:
    if name not in memo:
        if name not in named:
            raise ValueError(f"unknown Avro type {name!r}")
        memo[name] = lambda v: memo[name](v)  # trampoline while compiling a recursive type
        memo[name] = compile_checker(named[name], named, memo)
    return memo[name]


def _named_def(schema: dict[str, Any], named: dict[str, Any],
               memo: dict[str, Checker]) -> Checker:
    name, kind = schema["name"], schema["type"]
    if kind in ("record", "error"):
        memo[name] = lambda v: memo[name](v)
        memo[name] = _record(schema, named, memo)
    elif kind == "enum":
        memo[name] = _enum(schema["symbols"])
    else:
        memo[name] = _fixed(schema["size"])
    return memo[name]


def _logical(schema: dict[str, Any], base: Checker) -> Checker:
    logical = schema.get("logicalType")
    if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis"):
        return _moment(base, aware=not logical.startswith("local"))
    if logical == "date":
        return _day(base)
    if logical == "uuid":
        return _uuid
    if logical == "decimal":
        return lambda v: None if isinstance(v, Decimal) else base(v)
    return base


def _moment(base: Checker, aware: bool) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if isinstance(v, datetime):
            if aware and v.tzinfo is None:
                return [Fault("wrong_type", RULE_TYPE, "datetime without a time zone: "
                              "give an aware datetime or epoch milliseconds")]
            return None
        if base(v) is None:
            return None
        return _wrong("timestamp (aware datetime or epoch number)", v)
    return check


def _day(base: Checker) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if isinstance(v, date) and not isinstance(v, datetime):
            return None
        if base(v) is None:
            return None
        return _wrong("date (date or epoch days)", v)
    return check


def _uuid(v: Any) -> list[Fault] | None:
    if isinstance(v, uuid.UUID):
        return None
    if not isinstance(v, str):
        return _wrong("uuid string", v)
    try:
        uuid.UUID(v)
    except ValueError:
        return [Fault("wrong_type", RULE_TYPE, "not a UUID")]
    return None


def _enum(symbols: list[str]) -> Checker:
    allowed = frozenset(symbols)
    listed = ", ".join(symbols)

    def check(v: Any) -> list[Fault] | None:
        if v in allowed and isinstance(v, str):
            return None
        if isinstance(v, str):
            return [Fault("bad_enum", RULE_ENUM, f"not one of the symbols {listed}")]
        return _wrong("enum symbol (string)", v)
    return check


def _fixed(size: int) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if isinstance(v, (bytes, bytearray)) and len(v) == size:
            return None
        return _wrong(f"{size} bytes (fixed)", v)
    return check


def _array(items: Checker) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if not isinstance(v, (list, tuple)):
            return _wrong("array", v)
        faults: list[Fault] = []
        for i, item in enumerate(v):
            found = items(item)
            if found:
                faults += [_under(f, f"[{i}]") for f in found]
        return faults or None
    return check


def _map(values: Checker) -> Checker:
    def check(v: Any) -> list[Fault] | None:
        if not isinstance(v, dict):
            return _wrong("map", v)
        faults: list[Fault] = []
        for key, item in v.items():
            found = _wrong("string map key", key) if not isinstance(key, str) else values(item)
            if found:
                faults += [_under(f, f"[{key}]") for f in found]
        return faults or None
    return check


def _union(branches: list[Any], named: dict[str, Any], memo: dict[str, Checker]) -> Checker:
    nullable = "null" in branches
    others = [b for b in branches if b != "null"]
    checkers = [compile_checker(b, named, memo) for b in others]
    expected = " or ".join(str(b if isinstance(b, str) else b.get("name", b["type"]))
                           for b in branches)

    def check(v: Any) -> list[Fault] | None:
        if v is None:
            return None if nullable else _wrong(expected, v)
        if len(checkers) == 1:
            return checkers[0](v)
        if any(c(v) is None for c in checkers):
            return None
        return _wrong(expected, v)
    return check


def _field_spec(avro_field: dict[str, Any], named: dict[str, Any],
                memo: dict[str, Checker]) -> tuple[str, Checker, type | None, bool, bool]:
    """(name, checker, fast type, required, nullable) of one record field."""
    ftype = avro_field["type"]
    nullable = isinstance(ftype, list) and "null" in ftype
    inner = ftype
    if nullable and len(ftype) == 2:
        inner = next(b for b in ftype if b != "null")
    fast = _FAST_TYPES.get(inner) if isinstance(inner, str) else None
    required = "default" not in avro_field and not nullable
    return avro_field["name"], compile_checker(inner, named, memo), fast, required, nullable


def _record(schema: dict[str, Any], named: dict[str, Any], memo: dict[str, Checker]) -> Checker:
    specs = [_field_spec(f, named, memo) for f in schema["fields"]]
    names = frozenset(s[0] for s in specs)

    def check(v: Any) -> list[Fault] | None:
        if not isinstance(v, dict):
            return _wrong("record (mapping)", v)
        faults: list[Fault] | None = None
        present = 0
        for name, checker, fast, required, nullable in specs:
            value = v.get(name, MISSING)
            if value is MISSING:
                if required:
                    faults = (faults or []) + [_missing(name, "is missing")]
                continue
            present += 1
            if value is None:
                if not nullable:
                    faults = (faults or []) + [_missing(name, "is null but required")]
            elif type(value) is not fast:
                found = checker(value)
                if found:
                    faults = (faults or []) + [_under(f, name) for f in found]
        if present != len(v):
            faults = (faults or []) + _unknown(v, names)
        return faults
    return check


def _missing(name: str, what: str) -> Fault:
    return Fault("missing_field", RULE_REQUIRED, f"required field {name} {what}", name)


def _unknown(record: dict[str, Any], names: frozenset[str]) -> list[Fault]:
    return [Fault("unknown_field", RULE_FIELDS, f"{key} is not a field of the schema", str(key))
            for key in record if key not in names]

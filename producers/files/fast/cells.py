"""Text cells (CSV, spreadsheet) straight to Avro bytes: the bulk-import hot path.

Why: the generic path (row → dict → ``coerce_record`` → fastavro) costs ~25 µs a row, and a
bulk import must reach 50k rows/s on two cores shared with the broker. Here each field is
compiled once into a closure from cell text to its Avro bytes, which coerces and checks in the
same step, and the envelope is spliced from bytes prepared per batch.

Contract: for any row, ``encode`` either returns exactly the bytes the reference path
(``coerce_record`` + fastavro, ``producers.sdk.rows``) writes, or refuses (None) and the reference
path decides — it owns every fault (the contract of every fast path: see ``__init__``).
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Callable

# The very patterns coerce_record judges text with: the fast path must accept nothing it
# would refuse, so it shares them rather than copying them.
from govbus.core.records import _BOOLEANS, _DECIMAL, _INTEGER
from govbus.core.serde import FLOAT_PACKERS as _FLOATS
from govbus.core.serde import SHORT_LENGTHS as _LENGTHS
from govbus.core.serde import encode_string, varint

Encoder = Callable[[Any], bytes]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)
_EPOCH_DAYS = date(1970, 1, 1).toordinal()
_RANGES = {"int": (-(2**31), 2**31), "long": (-(2**63), 2**63)}
_LIST_SEPARATORS = (";", "；", "、")


class Refused(Exception):
    """This cell is not for the fast path: let the reference path judge the row."""


class Unsupported(Exception):
    """A schema construct the fast path does not compile: the dataset uses the reference path."""


def split_list(text: str) -> Any:
    """An array cell: a JSON array, or items separated by ; ； or 、 (as spreadsheets hold
    plate lists). Text that is neither is returned unchanged for the check to refuse."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return text
    for separator in _LIST_SEPARATORS:
        stripped = stripped.replace(separator, ";")
    return [item.strip() for item in stripped.split(";") if item.strip()]


# --- one value (cell text, never empty) → bytes ---------------------------------------------

def _boolean(c: str) -> bytes:
    value = _BOOLEANS.get(c.strip().lower())
    if value is None:
        raise Refused
    return b"\x01" if value else b"\x00"


def _labelled_boolean(labels: dict[str, str]) -> Encoder:
    """是/否 and the like, resolved in one lookup (a label is substituted before the
    true/false rule, as the reference path does)."""
    truth = {label: _BOOLEANS.get(value.strip().lower()) for label, value in labels.items()}
    table = {label: b"\x01" if value else b"\x00" for label, value in truth.items()
             if value is not None}

    def enc(c: str) -> bytes:
        found = table.get(c)
        if found is None:
            if c in labels:
                raise Refused  # a label for something that is not a boolean
            return _boolean(c)
        return found
    return enc


def _integer(kind: str) -> Encoder:
    low, high = _RANGES[kind]

    def enc(c: str) -> bytes:
        if not _INTEGER.match(c.strip()):
            raise Refused
        n = int(c)
        if not low <= n < high:
            raise Refused
        return varint(n)
    return enc


def _floating(kind: str) -> Encoder:
    pack = _FLOATS[kind]

    def enc(c: str) -> bytes:
        if not _DECIMAL.match(c.strip()):
            raise Refused
        return pack(float(c))
    return enc


def _timestamp_millis(tz: tzinfo) -> Encoder:
    def enc(c: str) -> bytes:
        text = c.strip()
        if _INTEGER.match(text):  # epoch numbers: rare in files, left to the reference path
            raise Refused
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise Refused from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        # Floor to the millisecond, as coerce_record truncates and fastavro then writes.
        return varint((moment - EPOCH) // ONE_MS)
    return enc


def _date(c: str) -> bytes:
    try:
        return varint(date.fromisoformat(c.strip()).toordinal() - _EPOCH_DAYS)
    except ValueError:
        raise Refused from None


def _uuid(c: str) -> bytes:
    try:
        return encode_string(str(uuid.UUID(c.strip())))
    except ValueError:
        raise Refused from None


def _enum(symbols: list[str], labels: dict[str, str]) -> Encoder:
    table = {s: varint(i) for i, s in enumerate(symbols)}
    # A department's labels (电话 → phone) resolve in the same lookup as the symbols.
    table |= {label: table[value] for label, value in labels.items() if value in table}

    def enc(c: str) -> bytes:
        found = table.get(c)
        if found is None:
            raise Refused
        return found
    return enc


def _array(items: Encoder) -> Encoder:
    def enc(c: Any) -> bytes:
        values = split_list(c) if isinstance(c, str) else c
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise Refused
        if not values:
            return b"\x00"
        return varint(len(values)) + b"".join(items(v) for v in values) + b"\x00"
    return enc


def value_encoder(avro_type: Any, named: dict[str, Any], tz: tzinfo,
                  labels: dict[str, str]) -> Encoder:
    """Encoder of a non-empty cell of ``avro_type`` (a parsed, non-union type)."""
    if isinstance(avro_type, str) and avro_type in named:
        avro_type = named[avro_type]
    kind = avro_type if isinstance(avro_type, str) else avro_type["type"]
    logical = None if isinstance(avro_type, str) else avro_type.get("logicalType")
    if kind == "enum":
        return _enum(avro_type["symbols"], labels)
    if kind == "boolean" and labels:
        return _labelled_boolean(labels)
    if labels:  # other kinds take labels as plain substitutions, before their own rules
        inner = value_encoder(avro_type, named, tz, {})
        return lambda c: inner(labels.get(c, c))
    if kind == "array":
        return _array(value_encoder(avro_type["items"], named, tz, {}))
    if logical == "timestamp-millis" and kind == "long":
        return _timestamp_millis(tz)
    if logical == "date" and kind == "int":
        return _date
    if logical == "uuid" and kind == "string":
        return _uuid
    if logical is not None:
        raise Unsupported(f"logical type {logical}")
    simple = {"string": encode_string, "boolean": _boolean}
    if kind in simple:
        return simple[kind]
    if kind in _RANGES:
        return _integer(kind)
    if kind in _FLOATS:
        return _floating(kind)
    raise Unsupported(f"type {kind}")


# --- one field (cell text or None) → bytes --------------------------------------------------

def _union_parts(ftype: Any) -> tuple[Any, bytes | None, bytes]:
    """(value type, bytes of null or None if not nullable, branch prefix of the value)."""
    if not isinstance(ftype, list):
        return ftype, None, b""
    others = [b for b in ftype if b != "null"]
    if len(others) != 1 or len(ftype) != 2:
        raise Unsupported("a union other than [null, T]")
    return others[0], varint(ftype.index("null")), varint(ftype.index(others[0]))


def _default_bytes(avro_field: dict[str, Any], named: dict[str, Any], tz: tzinfo) -> bytes | None:
    """What the reference path writes for a missing field with a default (None: no default,
    or one the fast path cannot write — then a missing cell is refused)."""
    if "default" not in avro_field:
        return None
    ftype, default = avro_field["type"], avro_field["default"]
    branch = ftype[0] if isinstance(ftype, list) else ftype  # Avro: default is for branch 0
    prefix = varint(0) if isinstance(ftype, list) else b""
    if default is None:
        return prefix if branch == "null" else None
    try:
        encoder = value_encoder(branch, named, tz, {})
        if isinstance(default, list):
            return prefix + (encoder(default) if default else b"\x00")
        text = ("true" if default else "false") if isinstance(default, bool) else str(default)
        return prefix + encoder(text)
    except (Refused, Unsupported):
        return None


def field_encoder(avro_field: dict[str, Any], named: dict[str, Any], tz: tzinfo,
                  labels: dict[str, str]) -> Encoder:
    """Encoder of one field's cell; an empty cell means the field was not given."""
    value_type, null, prefix = _union_parts(avro_field["type"])
    absent = _default_bytes(avro_field, named, tz)
    if absent is None:
        absent = null  # no default: a nullable field is written as null
    if value_type == "string" and not labels:
        return _string_field(prefix, absent)
    resolved = named.get(value_type, value_type) if isinstance(value_type, str) else value_type
    if isinstance(resolved, dict) and resolved.get("type") == "enum":
        return _enum_field(resolved["symbols"], labels, prefix, absent)
    inner = value_encoder(value_type, named, tz, labels)
    if prefix:
        assert absent is not None  # a [null, T] union: at worst the null branch's bytes
        def enc(c: Any) -> bytes:
            return prefix + inner(c) if c else absent
    elif absent is not None:
        def enc(c: Any) -> bytes:
            return inner(c) if c else absent
    else:
        def enc(c: Any) -> bytes:
            if not c:
                raise Refused  # required and missing: the reference path names the fault
            return inner(c)
    return enc


def _string_field(prefix: bytes, absent: bytes | None) -> Encoder:
    """Strings are most cells: one closure, the branch and length prefixes precomputed."""
    heads = [prefix + length for length in _LENGTHS]

    def enc(c: Any) -> bytes:
        if c:
            data = c.encode()
            n = len(data)
            return (heads[n] if n < 1024 else prefix + varint(n)) + data
        if absent is None:
            raise Refused
        return absent
    return enc


def _enum_field(symbols: list[str], labels: dict[str, str], prefix: bytes,
                absent: bytes | None) -> Encoder:
    """Enums are the next most common: symbol and label bytes, branch prefix included."""
    table = {s: prefix + varint(i) for i, s in enumerate(symbols)}
    table |= {label: table[value] for label, value in labels.items() if value in table}

    def enc(c: Any) -> bytes:
        if c:
            found = table.get(c)
            if found is None:
                raise Refused
            return found
        if absent is None:
            raise Refused
        return absent
    return enc

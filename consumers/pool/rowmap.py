"""Decoded record -> pool row, compiled once per writer schema.

The sink maps every record it stores, so this is its hot path: a generic loop over columns
(look up the path, pick the conversion, test for null) costs about as much as the database
write of the row. ``compile_row`` therefore generates one straight-line function per plan: a
single dict display with each column's lookup and conversion spelled out. Only names and path
parts from the plan go into the generated source, each as a ``repr`` string literal.
"""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Callable, Mapping, Sequence
from uuid import UUID

Row = dict[str, Any]
_EMPTY: Mapping[str, Any] = {}


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def utc(value: Any) -> Any:
    """Datetimes in UTC; fastavro returns aware UTC datetimes already, and a naive one can only
    mean UTC in Avro's model. Anything else is left alone."""
    if not isinstance(value, datetime) or value.tzinfo is timezone.utc:
        return value
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json_encoder() -> Callable[[Any], str]:
    """One JSON encoder for every row. json.dumps(...) builds a new encoder, and even a kept
    JSONEncoder rebuilds its C scanner, on every call: a sixth of the sink's mapping time. So
    the C encoder is built once where CPython offers it (without a circular-reference check:
    decoded Avro data has no cycles), and the plain encoder is the fallback."""
    plain = json.JSONEncoder(ensure_ascii=False, default=_json_default)
    if c_make_encoder is None:
        return plain.encode
    fast = c_make_encoder(None, _json_default, encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(fast(value, 0))


to_json = _json_encoder()

# Conversions by column kind, applied to non-null values; other kinds are stored as decoded.
CONVERSIONS: Mapping[str, Callable[[Any], Any]] = {
    "json": to_json, "text": lambda v: v if type(v) is str else str(v), "datetime": utc, "bytes": bytes}


def value_at(record: Any, path: Sequence[str]) -> Any:
    """The value at ``path`` in nested mappings; None where a step is missing or not a mapping."""
    value = record
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) or isinstance(value, Mapping) else _EMPTY


@lru_cache(maxsize=256)
def compile_row(columns: tuple[tuple[str, tuple[str, ...], str], ...]) -> Callable[[Mapping[str, Any]], Row]:
    """record -> row for ``columns``, given as (column name, path in the record, kind).

    Columns come out in the given order. Parents of two-step paths (the envelope) are looked
    up once per record; deeper paths use ``value_at``. Cached: callers that pass a schema
    rather than its plan (``logic.row_for``) compile once, not once per record.
    """
    namespace: dict[str, Any] = {"_value_at": value_at, "_as_mapping": _as_mapping}
    parents = sorted({path[0] for _name, path, _kind in columns if len(path) == 2})
    lines = ["def row(record):", "    get = record.get"]
    lines += [f"    p{i} = _as_mapping(get({parent!r})).get" for i, parent in enumerate(parents)]
    items = []
    for j, (name, path, kind) in enumerate(columns):
        if len(path) == 1:
            fetch = f"get({path[0]!r})"
        elif len(path) == 2:
            fetch = f"p{parents.index(path[0])}({path[1]!r})"
        else:
            namespace[f"path{j}"] = tuple(path)
            fetch = f"_value_at(record, path{j})"
        conversion = CONVERSIONS.get(kind)
        if conversion is None:
            items.append(f"{name!r}: {fetch}")
        else:
            namespace[f"c{j}"] = conversion
            items.append(f"{name!r}: None if (v{j} := {fetch}) is None else c{j}(v{j})")
    lines.append("    return {" + ", ".join(items) + "}")
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from repr() literals only
    return namespace["row"]

"""The compiled CSV path: ``govbus_native`` (built from ``native/``) reads a UTF-8 or GB18030
CSV and writes each row's (key, framed Avro value) itself.

Why: a bare confluent-kafka producer sends pre-encoded records at ~1.8 µs each here, and the
import must reach half that rate; decoding GBK, parsing CSV and encoding Avro in Python costs
~10 µs a row however it is written. Rust does those in well under a microsecond.

Python stays the judge, as with the Python fast path (``cells``): this module compiles the
same decisions ``cells.field_encoder`` makes into a plan of data, the extension accepts only
the plainest forms of each type, and every row it declines comes back as cells for
``TextConverter`` (fast path, then reference path, which owns every fault). The first rows of
every import are also written by the reference path and compared; any difference turns the
compiled path off for the rest of the import, as for the Python fast path.
"""
from __future__ import annotations

import logging
from datetime import tzinfo
from typing import Any

from govbus.core.records import _BOOLEANS
from govbus.core.serde import varint
from producers.files.fast.cells import _RANGES, Unsupported, _default_bytes, _union_parts
from producers.files.fast.text import FastTextPath, TextRows

try:  # the extension is optional: without it, imports take the Python paths
    import govbus_native
except ImportError:  # pragma: no cover - CI installs it; a test asserts it is there
    govbus_native = None

log = logging.getLogger(__name__)
CODECS = ("utf-8-sig", "gb18030")


def available(codec: str) -> bool:
    """Whether the compiled reader is installed and reads ``codec``."""
    return govbus_native is not None and codec in CODECS


def _table_kind(resolved: Any, labels: dict[str, str]) -> tuple[str, Any] | None:
    """Enums and booleans: one exact lookup, labels folded in as ``cells`` folds them."""
    kind = resolved if isinstance(resolved, str) else resolved.get("type")
    if kind == "enum":
        table = {s: varint(i) for i, s in enumerate(resolved["symbols"])}
        return "table", table | {k: table[v] for k, v in labels.items() if v in table}
    if kind == "boolean":
        flags = {k: _BOOLEANS.get(v.strip().lower()) for k, v in labels.items()}
        table = {k: b"\x01" if v else b"\x00" for k, v in flags.items() if v is not None}
        # A plain true/false cell, unless a label claims that text (then the label rules).
        return "table", table | {w: b"\x01" if w == "true" else b"\x00"
                                 for w in ("true", "false") if w not in labels}
    return None


def _value_kind(resolved: Any, tz: tzinfo) -> tuple[str, Any]:
    """The extension's kind for a non-union, non-enum, non-boolean type."""
    kind = resolved if isinstance(resolved, str) else resolved["type"]
    logical = None if isinstance(resolved, str) else resolved.get("logicalType")
    if logical == "timestamp-millis" and kind == "long":
        offset = tz.utcoffset(None)  # None for zones with rules: those are declined
        return ("timestamp-millis", int(offset.total_seconds())) if offset is not None \
            else ("decline", None)
    if logical == "date" and kind == "int":
        return "date", None
    if kind in ("float", "double") and logical is None:
        return kind, None
    if kind == "array" and resolved["items"] == "string":
        return "text-list", None
    if logical is not None or kind == "array":
        return "decline", None  # the Python fast path writes these; rows with them go there
    if kind == "string":
        return "text", None
    if kind in _RANGES:
        return "integer", _RANGES[kind]
    raise Unsupported(f"type {kind}")


def field_plan(avro_field: dict[str, Any], named: dict[str, Any], tz: tzinfo,
               labels: dict[str, str], source: int) -> tuple:
    """(source, kind, argument, branch prefix, bytes when absent, label substitutions)."""
    value_type, null, prefix = _union_parts(avro_field["type"])
    absent = _default_bytes(avro_field, named, tz)
    if absent is None:
        absent = null
    resolved = named.get(value_type, value_type) if isinstance(value_type, str) else value_type
    table = _table_kind(resolved, labels)
    if table is not None:
        return (source, *table, prefix, absent, None)
    return (source, *_value_kind(resolved, tz), prefix, absent, labels or None)


def row_plan(fast: FastTextPath, rows: TextRows, tz: tzinfo) -> dict[str, Any]:
    """What the extension needs to write the rows ``fast`` writes (raises Unsupported)."""
    schema = fast.schema
    named = schema.parsed.get("__named_schemas", {})
    by_name = {f["name"]: f for f in schema.parsed["fields"]}
    fields = [field_plan(by_name[name], named, tz, rows.labels[i] or {}, rows.plan.sources[i])
              for i, name in enumerate(rows.plan.fields)]
    levels = fast.envelope.classification
    return {"fields": fields, "tail": list(rows.plan.tail), "width": rows.plan.width,
            "key_at": fast.key_at, "region_at": fast.region_at,
            "default_region": fast.source.region_code, "time_at": fast.time_at,
            "time_nullable": fast.time_nullable, "base_level": levels[fast.base],
            "raisers": [(i, levels[level]) for i, level in fast.raisers],
            "id_prefix": fast.ids.prefix_bytes, "frame": fast.frame,
            "constant": fast.envelope.constant}

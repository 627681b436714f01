"""Text rows (CSV, spreadsheet) → records or straight to framed Avro bytes.

``TextRows.record`` builds the dict the reference path coerces; ``FastTextPath.encode`` writes
the same record's bytes directly (see ``producers.files.fast`` for the contract). Both read a
row through one ``ColumnPlan``, so they agree on which cell is which field, which labels apply
and that an empty cell means "not given".
"""
from __future__ import annotations

from datetime import tzinfo
from operator import itemgetter
from typing import Any, Callable

from govbus.core.schemas import DatasetSchema
from producers.files.fast.cells import Refused, Unsupported, field_encoder, split_list
from producers.files.fast.envelope import EnvelopeTemplate
from producers.sdk.envelope import EventIds, Source, region_field, versioned_key
from producers.sdk.mapping import ColumnPlan, Mapping, body_fields


def _picker(sources: tuple[int, ...]) -> Callable[[list[Any]], tuple[Any, ...]]:
    get = itemgetter(*sources)
    if len(sources) == 1:
        return lambda row: (get(row),)
    return get


class TextRows:
    """Cells of one row → the record dict the reference path coerces."""

    def __init__(self, schema: DatasetSchema, plan: ColumnPlan, mapping: Mapping) -> None:
        self.plan, self.tail = plan, list(plan.tail)
        self.pick = _picker(plan.sources)
        self.labels = [mapping.values.get(name) for name in plan.fields]
        self.arrays = {f["name"] for f in body_fields(schema) if _is_array(f["type"])}

    def record(self, row: list[Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        # labels is built from plan.fields and pick takes one cell per plan.sources entry: all
        # three have one entry per body field.
        for name, labels, cell in zip(self.plan.fields, self.labels, self.pick(row + self.tail),
                                      strict=True):
            if labels and cell in labels:
                cell = labels[cell]
            if cell:
                record[name] = split_list(cell) if name in self.arrays else cell
        return record


def _is_array(ftype: Any) -> bool:
    branches = ftype if isinstance(ftype, list) else [ftype]
    return any(isinstance(b, dict) and b.get("type") == "array" for b in branches)


class FastTextPath:
    """Cells of one row → (key, framed value), or None to let the reference path decide.

    Raises Unsupported at construction for a dataset it cannot write exactly.
    """

    def __init__(self, schema: DatasetSchema, rows: TextRows, source: Source, frame: bytes,
                 tz: tzinfo) -> None:
        parsed, names = schema.parsed, rows.plan.fields
        named = parsed.get("__named_schemas", {})
        if parsed["fields"][0]["name"] != "envelope":
            raise Unsupported("the envelope is not the first field")
        labelled = {schema.key_field, region_field(schema)} & set(rows.plan.fields)
        if any(rows.labels[names.index(n)] for n in labelled):
            raise Unsupported("labels on the key or region field")  # they feed the envelope
        by_name = {f["name"]: f for f in parsed["fields"]}
        if by_name[schema.key_field]["type"] != "string":
            raise Unsupported("a key field that is not a plain string")  # str(key) would differ
        self.encoders = [field_encoder(by_name[n], named, tz, rows.labels[i] or {})
                         for i, n in enumerate(names)]
        self.schema, self.rows, self.frame, self.source = schema, rows, frame, source
        self.ids = EventIds(schema.dataset, source.department)
        self.key_at = names.index(schema.key_field)
        where = region_field(schema)
        self.region_at = names.index(where) if where else None
        self.time_at, self.time_nullable = _event_time(schema, by_name, names)
        self.base, self.raisers = _classification_plan(schema, by_name, names)
        self.envelope = EnvelopeTemplate(schema.schema["fields"][0]["type"], schema.dataset,
                                         source)

    def encode(self, row: list[Any]) -> tuple[bytes, bytes] | None:
        cells = self.rows.pick(row + self.rows.tail)
        try:
            parts = [enc(c) for enc, c in zip(self.encoders, cells, strict=True)]  # one per field
        except Refused:
            return None
        key = cells[self.key_at]
        region = (cells[self.region_at] if self.region_at is not None else None) \
            or self.source.region_code
        level = next((lv for i, lv in self.raisers if cells[i]), self.base)
        # The body is every field after the envelope, so its bytes are the reference path's.
        event_id = self.ids(versioned_key(key, b"".join(parts)))
        envelope = self.envelope.encode(event_id, self._time_bytes(parts), region, level)
        return key.encode(), b"".join((self.frame, envelope, *parts))

    def _time_bytes(self, parts: list[bytes]) -> bytes:
        if self.time_at is None:
            return self.envelope.now_bytes
        written = parts[self.time_at]
        if not self.time_nullable:
            return written
        # A nullable time is a union: one branch byte, then the long (or nothing for null).
        return written[1:] if len(written) > 1 else self.envelope.now_bytes


def _event_time(schema: DatasetSchema, by_name: dict[str, Any],
                names: tuple[str, ...]) -> tuple[int | None, bool]:
    """(index of the field the schema names as event time, whether it is nullable)."""
    name = schema.schema.get("event_time")
    if not name:
        return None, False
    ftype = by_name[name]["type"]
    value = next((b for b in ftype if b != "null"), None) if isinstance(ftype, list) else ftype
    if not (isinstance(value, dict) and value.get("logicalType") == "timestamp-millis"):
        raise Unsupported(f"event time field {name} is not timestamp-millis")
    return names.index(name), isinstance(ftype, list)


def _classification_plan(schema: DatasetSchema, by_name: dict[str, Any],
                         names: tuple[str, ...]) -> tuple[str, list[tuple[int, str]]]:
    """The level every record has (fields always present: required or defaulted to non-null),
    and the optional fields that raise it when given, highest first."""
    always, optional = [], []
    for i, name in enumerate(names):
        avro_field, level = by_name[name], schema.tags[name].level
        nullable = isinstance(avro_field["type"], list) and "null" in avro_field["type"]
        if not nullable or avro_field.get("default", None) is not None:
            always.append(level)
        else:
            optional.append((i, level))
    base = max(always, default="L1")
    return base, sorted(((i, lv) for i, lv in optional if lv > base), key=lambda p: p[1],
                        reverse=True)

"""Pool sink logic: pure functions from a writer schema and decoded records to SQL rows.

No I/O here. The table layout comes from the record's *writer* schema (fetched by id from the
registry), so the pool follows whatever the routing stage shared with the recipient: fields the
agreement dropped simply have no column.

Layout: the envelope is flattened into ``env_*`` columns (ops filter on event time, region and
classification without JSON functions); the record's own fields become one column each; nested
values (arrays, maps, records, multi-type unions) are kept as JSON text so one table schema works
on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    Time,
)
from sqlalchemy.types import TypeEngine

from consumers.pool.rowmap import compile_row
from govbus.core.result import Fault, Ok

ENVELOPE_FIELD = "envelope"
ENVELOPE_PREFIX = "env_"
FALLBACK_KEY = "env_event_id"
# PostgreSQL truncates identifiers beyond 63 bytes; two long names could then collide silently.
MAX_IDENTIFIER = 63

_PRIMITIVE_KINDS = {"string": "text", "int": "bigint", "long": "bigint", "float": "float",
                    "double": "float", "boolean": "bool", "bytes": "bytes", "null": "text"}
# (underlying Avro type, logicalType) -> kind; unknown logical types fall back to the base type,
# as the Avro spec requires of readers.
_LOGICAL_KINDS = {("long", "timestamp-millis"): "datetime", ("long", "timestamp-micros"): "datetime",
                  ("long", "local-timestamp-millis"): "local_datetime",
                  ("long", "local-timestamp-micros"): "local_datetime",
                  ("int", "date"): "date", ("int", "time-millis"): "time", ("long", "time-micros"): "time",
                  ("string", "uuid"): "text", ("bytes", "decimal"): "decimal",
                  ("fixed", "decimal"): "decimal"}
_COMPLEX_KINDS = {"record": "json", "error": "json", "array": "json", "map": "json", "enum": "text", "fixed": "bytes"}


@dataclass(frozen=True)
class ColumnSpec:
    """One pool column: where its value sits in the record and how it is stored."""

    name: str
    path: tuple[str, ...]
    kind: str
    nullable: bool
    precision: int | None = None
    scale: int | None = None
    # Whether the Avro field declares a default: a new field without one is an incompatible
    # change (rows already stored have no value for it).
    has_default: bool = False

    def sql_type(self) -> TypeEngine:
        simple = {"text": Text, "bigint": BigInteger, "float": Float, "bool": Boolean,
                  "bytes": LargeBinary, "date": Date, "time": Time, "json": Text}
        if self.kind in simple:
            return simple[self.kind]()
        if self.kind == "decimal":
            return Numeric(self.precision, self.scale)
        return DateTime(timezone=self.kind == "datetime")


@dataclass(frozen=True)
class TablePlan:
    """The columns and primary key a writer schema maps to (hashable: one per schema version)."""

    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    dataset: str | None = None

    def key_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(name) for name in self.key)

    def __hash__(self) -> int:
        # Plans key the store's table cache once per record: hash the columns once, not each time.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.columns, self.key, self.dataset))

    @cached_property
    def row_of(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """The compiled mapping record -> row of this plan (see ``row_for``)."""
        return compile_row(tuple((c.name, c.path, c.kind) for c in self.columns))


@dataclass(frozen=True)
class Reject:
    """A record the sink could not store; kept with its original bytes, never dropped silently."""

    topic: str
    partition: int
    offset: int
    reason: str
    rule: str
    message: str
    field: str
    value: bytes | None
    key: bytes | None
    rejected_at: datetime

    @classmethod
    def of(cls, fault: Fault, topic: str, partition: int, offset: int, value: bytes | None,
           key: bytes | None, now: datetime) -> "Reject":
        return cls(topic, partition, offset, fault.reason, fault.rule, fault.message, fault.field,
                   value, key, now)

    def row(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset,
                "reason": self.reason, "rule": self.rule, "message": self.message,
                "field": self.field, "value": self.value, "key": self.key,
                "rejected_at": self.rejected_at}


@dataclass(frozen=True)
class OffsetMark:
    """The next offset to read, stored with the rows it follows (the effectively-once point)."""

    group_id: str
    topic: str
    partition: int
    next_offset: int

    def row(self) -> dict[str, Any]:
        return {"group_id": self.group_id, "topic": self.topic, "partition": self.partition,
                "next_offset": self.next_offset}


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", text.lower())


def pool_table_name(recipient: str, dataset: str) -> str:
    """``pool_<recipient>__<dataset>`` with dots as underscores, e.g. pool_police__hotline_work_order.

    The double underscore separates the parts, so (a_b, c) and (a, b_c) do not collide. Names
    beyond PostgreSQL's limit are shortened with a hash of the full name to stay unique.
    """
    return bounded_identifier(f"pool_{_identifier(recipient)}__{_identifier(dataset)}")


def bounded_identifier(name: str) -> str:
    """``name`` if it fits PostgreSQL's limit, else a prefix of it and a hash of all of it."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[:MAX_IDENTIFIER - 11]}_{digest}"


def _named_types(schema: Any, namespace: str = "", found: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every named type (record, enum, fixed) defined in ``schema``, by full and short name,
    because later fields may refer to a type defined earlier by its name only."""
    found = {} if found is None else found
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, namespace, found)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "error", "enum", "fixed") and "name" in schema:
            name = schema["name"]
            namespace = schema.get("namespace", name.rpartition(".")[0] or namespace)
            short = name.rpartition(".")[2]
            found[f"{namespace}.{short}" if namespace else short] = schema
            found.setdefault(short, schema)
        for field in schema.get("fields", ()):
            _named_types(field["type"], namespace, found)
        for child in ("items", "values", "type"):
            if isinstance(schema.get(child), (dict, list)):
                _named_types(schema[child], namespace, found)
    return found


def _resolve(avro_type: Any, named: Mapping[str, Any]) -> Any:
    if isinstance(avro_type, str) and avro_type not in _PRIMITIVE_KINDS:
        if avro_type not in named:
            raise ValueError(f"unknown Avro type name {avro_type!r}")
        return named[avro_type]
    return avro_type


def _kind(avro_type: Any, named: Mapping[str, Any]) -> tuple[str, bool, dict[str, int]]:
    """(storage kind, nullable, extra) for an Avro type; extra holds decimal precision/scale."""
    avro_type = _resolve(avro_type, named)
    if isinstance(avro_type, list):
        branches = [b for b in avro_type if b != "null"]
        nullable = len(branches) < len(avro_type)
        if len(branches) == 1:
            kind, _, extra = _kind(branches[0], named)
            return kind, nullable, extra
        # A value of several possible types has no single SQL type: JSON keeps it readable.
        return "json", nullable, {}
    if isinstance(avro_type, str):
        return _PRIMITIVE_KINDS[avro_type], avro_type == "null", {}
    base, logical = avro_type["type"], avro_type.get("logicalType")
    if logical and (base, logical) in _LOGICAL_KINDS:
        kind = _LOGICAL_KINDS[(base, logical)]
        extra = ({"precision": avro_type.get("precision"), "scale": avro_type.get("scale", 0)}
                 if kind == "decimal" else {})
        return kind, False, extra
    if base in _COMPLEX_KINDS:
        return _COMPLEX_KINDS[base], False, {}
    return _kind(base, named)


def _field_columns(fields: Iterable[Mapping[str, Any]], named: Mapping[str, Any], prefix: str,
                   path: tuple[str, ...], force_nullable: bool) -> list[ColumnSpec]:
    columns = []
    for field in fields:
        kind, nullable, extra = _kind(field["type"], named)
        columns.append(ColumnSpec(prefix + field["name"], path + (field["name"],), kind,
                                  nullable or force_nullable, has_default="default" in field, **extra))
    return columns


def _columns(schema: Mapping[str, Any], named: Mapping[str, Any]) -> list[ColumnSpec]:
    columns: list[ColumnSpec] = []
    for field in schema.get("fields", ()):
        resolved = _resolve(field["type"], named)
        branches = [b for b in resolved if b != "null"] if isinstance(resolved, list) else [resolved]
        envelope = _resolve(branches[0], named) if len(branches) == 1 else None
        if field["name"] == ENVELOPE_FIELD and isinstance(envelope, dict) and envelope.get("type") == "record":
            nullable = isinstance(resolved, list) and len(branches) < len(resolved)
            columns += _field_columns(envelope["fields"], named, ENVELOPE_PREFIX, (ENVELOPE_FIELD,), nullable)
        else:
            columns += _field_columns([field], named, "", (), False)
    return columns


def _key(schema: Mapping[str, Any], names: set[str]) -> tuple[str, ...] | Fault:
    declared = schema.get("key")
    wanted = tuple(declared) if isinstance(declared, list) else (declared,) if declared else ()
    # The agreement may have dropped the business key from the shared copy; the event id is
    # then the only stable identity left.
    if wanted and all(name in names and not name.startswith(ENVELOPE_PREFIX) for name in wanted):
        return wanted
    if FALLBACK_KEY in names:
        return (FALLBACK_KEY,)
    return Fault("no_key", "pool.key", f"schema {schema.get('name')!r} has neither its key "
                 f"{declared!r} nor an envelope event_id to use as primary key")


def plan_for(schema_json: Mapping[str, Any]) -> Ok[TablePlan] | Fault:
    """The pool layout of a writer schema, or why it has none (a data fault of that schema)."""
    if schema_json.get("type") != "record":
        return Fault("unsupported_schema", "pool.schema", "the writer schema is not an Avro record")
    try:
        columns = _columns(schema_json, _named_types(schema_json))
    except (KeyError, TypeError, ValueError) as exc:
        return Fault("unsupported_schema", "pool.schema", f"cannot map the writer schema: {exc!r}")
    names = [c.name for c in columns]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        return Fault("unsupported_schema", "pool.columns", f"columns clash with the envelope's: {clashes}")
    key = _key(schema_json, set(names))
    if isinstance(key, Fault):
        return key
    return Ok(TablePlan(tuple(columns), key, schema_json.get("dataset")))


def _plan(schema: Mapping[str, Any] | TablePlan) -> TablePlan:
    if isinstance(schema, TablePlan):
        return schema
    plan = plan_for(schema)
    if isinstance(plan, Fault):
        raise ValueError(f"{plan.reason}: {plan.message}")
    return plan.value


def table_for(schema: Mapping[str, Any] | TablePlan, table_name: str, metadata: MetaData,
              db_schema: str | None = None) -> Table:
    """The SQLAlchemy Core table for a writer schema (JSON dict) or its plan, in the database
    schema ``db_schema`` (default: the connection's).

    Raises ValueError for a schema :func:`plan_for` refuses; callers that must not crash on a
    bad schema call ``plan_for`` first.
    """
    plan = _plan(schema)
    columns = [Column(c.name, c.sql_type(), primary_key=c.name in plan.key,
                      nullable=c.nullable and c.name not in plan.key, autoincrement=False)
               for c in plan.columns]
    return Table(table_name, metadata, *columns, schema=db_schema)


def row_for(record: Mapping[str, Any], schema: Mapping[str, Any] | TablePlan) -> dict[str, Any]:
    """The pool row of a decoded record; pass the plan (not the schema) on hot paths."""
    return _plan(schema).row_of(record)


def latest_per_key(rows: Iterable[tuple[Table, dict[str, Any]]]) -> dict[Table, list[dict[str, Any]]]:
    """Keep the last row per (table name, primary key), grouped by table object.

    One upsert statement may not touch a row twice (PostgreSQL refuses), and within a partition
    the later record is the newer state. Two schema versions of one dataset share a table name,
    so the key includes the name, not the Table object.
    """
    latest: dict[tuple[Any, ...], tuple[Table, dict[str, Any]]] = {}
    key_names: dict[Table, list[str]] = {}  # walking a table's primary key per row is slow
    for table, row in rows:
        names = key_names.get(table)
        if names is None:
            names = key_names[table] = [c.name for c in table.primary_key.columns]
        key = (table.schema, table.name, *(row[name] for name in names))
        latest.pop(key, None)  # re-insert so the order follows the newest occurrence
        latest[key] = (table, row)
    grouped: dict[Table, list[dict[str, Any]]] = {}
    for table, row in latest.values():
        grouped.setdefault(table, []).append(row)
    return grouped

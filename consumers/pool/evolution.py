"""Whether an existing pool table can take a writer schema's rows: what to add, what to refuse.

Pure: it compares the table the schema wants (``logic.table_for``) with what the database
reflects. Compatible changes are applied by the store: a column the table lacks is added as a
nullable column when the Avro field is nullable or has a default (rows stored before have no
value for it). Everything else stops the sink before anything is written, because guessing
would either lose data or fail half-way through a batch:

- an existing column whose SQL type differs (e.g. BIGINT -> TEXT);
- a new non-null column without a default (the stored rows cannot satisfy it);
- a NOT NULL column the writer schema drops or makes nullable (its rows would violate it);
- another primary key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.types import TypeEngine

from consumers.pool.logic import TablePlan

# Spellings one dialect reflects for the type it created under another name: PostgreSQL makes a
# FLOAT without precision a DOUBLE PRECISION.
_SAME_TYPE = {"FLOAT": "DOUBLE PRECISION"}


@dataclass(frozen=True)
class Evolution:
    """What aligning a table with a writer schema takes: columns to add, or why it cannot."""

    add: tuple[Column, ...]
    conflicts: tuple[str, ...]


def type_sql(type_: TypeEngine, dialect: Dialect) -> str:
    """The DDL spelling of ``type_`` on ``dialect``, normalised so that a created type and its
    reflection compare equal."""
    try:
        spelled = type_.compile(dialect=dialect).upper()
    except CompileError:  # a type the dialect cannot render (reflected NullType): compare names
        spelled = str(type_).upper()
    return _SAME_TYPE.get(spelled, spelled)


def _column_conflicts(wanted: Column, found: Mapping[str, Any], spec_nullable: bool,
                      dialect: Dialect) -> list[str]:
    problems = []
    want_sql, found_sql = type_sql(wanted.type, dialect), type_sql(found["type"], dialect)
    if want_sql != found_sql:
        problems.append(f'column "{wanted.name}": type change {found_sql} -> {want_sql}')
    if spec_nullable and not found["nullable"] and not wanted.primary_key:
        problems.append(f'column "{wanted.name}": NOT NULL in the table, nullable in the writer schema')
    return problems


def evolve(table: Table, plan: TablePlan, existing: Sequence[Mapping[str, Any]],
           primary: Sequence[str], dialect: Dialect) -> Evolution:
    """Compare ``table`` (built from ``plan``) with the ``existing`` reflected columns and
    primary key of the table of that name in the database."""
    conflicts: list[str] = []
    wanted_key = tuple(c.name for c in table.primary_key.columns)
    if set(primary) != set(wanted_key):
        conflicts.append(f"primary key {tuple(primary)} in the table, {wanted_key} in the writer schema")
    specs = {c.name: c for c in plan.columns}
    found = {c["name"]: c for c in existing}
    add = []
    for column in table.columns:
        spec = specs[column.name]
        if column.name in found:
            conflicts += _column_conflicts(column, found[column.name], spec.nullable, dialect)
        elif spec.nullable or spec.has_default:
            add.append(column)
        else:
            conflicts.append(f'column "{column.name}": new NOT NULL column without a default '
                             "(rows already stored have no value for it)")
    for name, reflected in found.items():
        if name not in specs and not reflected["nullable"]:
            conflicts.append(f'column "{name}": NOT NULL in the table, absent from the writer schema')
    return Evolution(tuple(add), tuple(conflicts))

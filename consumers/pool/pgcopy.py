"""Upserting a batch into PostgreSQL: COPY into a session-local staging table, then one
INSERT … SELECT … ON CONFLICT DO UPDATE.

Why not ``executemany`` of the upsert: psycopg pipelines it, but every row is still its own
Bind/Execute on the wire and its own statement execution in the server. COPY streams the rows
and the server runs one statement per batch: on 500-row batches of hotline work orders that is
about twice the pipelined executemany and three times multi-row VALUES (bench/sink_bench.py).

The staging table is a TEMP table (private to the session, ``ON COMMIT DELETE ROWS``), created
with ``LIKE`` the target if missing, inside the caller's transaction; so rows, offsets and
staging commit or roll back together. Its name carries a fingerprint of the target and its
columns: after a schema change adds columns, rows with the new columns get a new staging table.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any, Callable, Mapping, Sequence

import psycopg
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

# COPY's binary format needs each column's PostgreSQL type, by the SQLAlchemy type the pool
# created the column with (``logic.ColumnSpec.sql_type``); subclasses before their bases.
_PG_TYPES: tuple[tuple[type, str], ...] = (
    (Boolean, "bool"), (BigInteger, "int8"), (Integer, "int8"), (Float, "float8"), (Numeric, "numeric"),
    (Date, "date"), (Time, "time"), (LargeBinary, "bytea"), (Text, "text"), (String, "text"))


def _pg_type(type_: TypeEngine) -> str:
    if isinstance(type_, DateTime):
        return "timestamptz" if type_.timezone else "timestamp"
    for sa_type, name in _PG_TYPES:
        if isinstance(type_, sa_type):
            return name
    raise ValueError(f"no binary COPY type for {type_!r}")


@dataclass(frozen=True)
class StagedUpsert:
    """The SQL of a staged upsert into one table, for one column list."""

    columns: tuple[str, ...]
    types: tuple[str, ...]  # PostgreSQL type names, for binary COPY
    create: str
    copy: str
    insert: str

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row's values in COPY order; a missing column raises, as executemany would."""
        return self._values(row)

    @cached_property
    def _values(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        if len(self.columns) == 1:  # itemgetter of one name returns the bare value
            name = self.columns[0]
            return lambda row: (row[name],)
        return itemgetter(*self.columns)


def staged_upsert(table: Table, dialect: Dialect) -> StagedUpsert:
    """The staged upsert of every column of ``table`` on its primary key (DO NOTHING if the key
    is all there is)."""
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    columns = tuple(c.name for c in table.columns)
    keys = [c.name for c in table.primary_key.columns]
    fingerprint = hashlib.sha256(repr((table.schema, table.name, columns)).encode()).hexdigest()[:20]
    stage = quote(f"govbus_stage_{fingerprint}")
    listed = ", ".join(quote(c) for c in columns)
    others = [c for c in columns if c not in keys]
    action = ("DO UPDATE SET " + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in others)
              if others else "DO NOTHING")
    return StagedUpsert(
        columns, tuple(_pg_type(c.type) for c in table.columns),
        create=f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {target}) ON COMMIT DELETE ROWS",
        # Binary: a third less client CPU per row than text (bench/sink_bench.py).
        copy=f"COPY {stage} ({listed}) FROM STDIN (FORMAT BINARY)",
        # Identifiers only, each quoted by the dialect; the values travel by COPY.
        insert=(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {stage} "  # noqa: S608
                f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) {action}"))


def write_staged(conn: Connection, upsert: StagedUpsert, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert ``rows`` (unique per key) in ``conn``'s current transaction. Database errors come
    out as SQLAlchemy's (IntegrityError, OperationalError, ...), like every other write."""
    raw = conn.connection.driver_connection  # the psycopg connection, in the same transaction
    assert raw is not None  # a live Connection's pooled connection has its driver connection
    statement = upsert.create
    try:
        with raw.cursor() as cursor:
            cursor.execute(statement)
            statement = upsert.copy
            with cursor.copy(statement) as copy:
                copy.set_types(upsert.types)
                values = upsert.values
                for row in rows:
                    copy.write_row(values(row))
            statement = upsert.insert
            cursor.execute(statement)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc

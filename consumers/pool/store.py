"""The pool database, through SQLAlchemy Core: SQLite by default, PostgreSQL via psycopg 3.

Effectively-once (architecture.md: guarantees): rows are upserted by primary key and the consumed
offsets are upserted in the SAME transaction, so after a crash the sink resumes exactly after the
last stored batch. Kafka's committed offsets are only a lag indicator for operators.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping, Sequence

from sqlalchemy import (BigInteger, Column, DateTime, Engine, Integer, LargeBinary, MetaData, Table,
                        Text, create_engine, inspect, select, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql.dml import Insert

from consumers.pool.logic import OffsetMark, Reject, TablePlan, table_for

log = logging.getLogger(__name__)

OFFSETS_TABLE = "govbus_sink_offsets"
REJECTS_TABLE = "govbus_sink_rejects"

# ON CONFLICT is not portable SQL: each supported dialect has its own insert construct.
_INSERTS: dict[str, Callable[[Table], Insert]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class SchemaConflict(RuntimeError):
    """An existing pool table cannot take a writer schema's rows (an operator must decide)."""


def _bookkeeping_tables(metadata: MetaData) -> tuple[Table, Table]:
    offsets = Table(OFFSETS_TABLE, metadata,
                    Column("group_id", Text, primary_key=True),
                    Column("topic", Text, primary_key=True),
                    Column("partition", Integer, primary_key=True, autoincrement=False),
                    Column("next_offset", BigInteger, nullable=False))
    # Keyed by the record's position: re-reading a partition (offsets reset by an operator)
    # refreshes a reject instead of duplicating it.
    rejects = Table(REJECTS_TABLE, metadata,
                    Column("topic", Text, primary_key=True),
                    Column("partition", Integer, primary_key=True, autoincrement=False),
                    Column("offset", BigInteger, primary_key=True, autoincrement=False),
                    Column("reason", Text, nullable=False),
                    Column("rule", Text, nullable=False),
                    Column("message", Text, nullable=False),
                    Column("field", Text, nullable=False),
                    Column("value", LargeBinary, nullable=True),
                    Column("key", LargeBinary, nullable=True),
                    Column("rejected_at", DateTime(timezone=True), nullable=False))
    return offsets, rejects


def upsert_statement(table: Table, dialect: str) -> Insert:
    """INSERT … ON CONFLICT (primary key) DO UPDATE every other column (DO NOTHING if none)."""
    if dialect not in _INSERTS:
        raise ValueError(f"the pool supports {sorted(_INSERTS)}, not {dialect!r}")
    stmt = _INSERTS[dialect](table)
    keys = [c for c in table.primary_key.columns]
    others = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
    if not others:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_=others)


class PoolStore:
    """Tables of one pool database; safe to use from one thread (the sink's)."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.engine = engine or create_engine(url)
        self.dialect = self.engine.dialect.name
        if self.dialect not in _INSERTS:
            raise ValueError(f"the pool supports {sorted(_INSERTS)}, not {self.dialect!r} ({url})")
        self._metadata = MetaData()
        self.offsets, self.rejects = _bookkeeping_tables(self._metadata)
        self._metadata.create_all(self.engine, checkfirst=True)
        self._tables: dict[tuple[str, TablePlan], Table] = {}
        self._statements: dict[Table, Insert] = {}

    def close(self) -> None:
        self.engine.dispose()

    def ensure_table(self, plan: TablePlan, table_name: str) -> Table:
        """The table for ``plan``, created on first sight; columns a newer schema version adds
        are added (nullable, since older rows have no value for them)."""
        cached = self._tables.get((table_name, plan))
        if cached is not None:
            return cached
        # One MetaData per schema version: two versions of a dataset share the table name.
        table = table_for(plan, table_name, MetaData())
        table.create(self.engine, checkfirst=True)
        self._align(table)
        self._tables[(table_name, plan)] = table
        return table

    def _align(self, table: Table) -> None:
        found = inspect(self.engine)
        existing = {c["name"] for c in found.get_columns(table.name)}
        primary = tuple(found.get_pk_constraint(table.name)["constrained_columns"])
        wanted = tuple(c.name for c in table.primary_key.columns)
        if set(primary) != set(wanted):
            raise SchemaConflict(f"{table.name} has primary key {primary}, the writer schema wants "
                                 f"{wanted}: migrate or rename the table before sinking into it")
        missing = [c for c in table.columns if c.name not in existing]
        if not missing:
            return
        table_sql = self.engine.dialect.identifier_preparer.format_table(table)
        with self.engine.begin() as conn:
            for column in missing:
                ddl = CreateColumn(Column(column.name, column.type, nullable=True)).compile(dialect=self.engine.dialect)
                conn.execute(text(f"ALTER TABLE {table_sql} ADD COLUMN {ddl}"))
                log.info("pool table %s: added column %s", table.name, column.name)

    def _upsert(self, table: Table) -> Insert:
        stmt = self._statements.get(table)
        if stmt is None:
            stmt = self._statements[table] = upsert_statement(table, self.dialect)
        return stmt

    def write_batch(self, rows_by_table: Mapping[Table, Sequence[Mapping[str, Any]]],
                    rejects: Iterable[Reject], offsets: Iterable[OffsetMark]) -> None:
        """Upsert rows, insert rejects and move offsets in ONE transaction: all or nothing.

        Each table's rows go in one executemany call. Rows must be unique per primary key within
        a call (see ``logic.latest_per_key``).
        """
        reject_rows = [r.row() for r in rejects]
        offset_rows = [o.row() for o in offsets]
        with self.engine.begin() as conn:
            for table, rows in rows_by_table.items():
                if rows:
                    conn.execute(self._upsert(table), list(rows))
            if reject_rows:
                conn.execute(self._upsert(self.rejects), reject_rows)
            if offset_rows:
                conn.execute(self._upsert(self.offsets), offset_rows)

    def stored_offsets(self, group_id: str, topic: str, partitions: Iterable[int]) -> dict[int, int]:
        """Next offset to read per partition, for partitions this group has stored anything of."""
        wanted = list(partitions)
        if not wanted:
            return {}
        query = (select(self.offsets.c.partition, self.offsets.c.next_offset)
                 .where(self.offsets.c.group_id == group_id, self.offsets.c.topic == topic,
                        self.offsets.c.partition.in_(wanted)))
        with self.engine.connect() as conn:
            return {int(p): int(o) for p, o in conn.execute(query)}

"""The pool database, through SQLAlchemy Core: SQLite by default, PostgreSQL via psycopg 3.

Effectively-once (docs/architecture.md#guarantees): rows are upserted by primary key and the consumed
offsets are upserted in the SAME transaction, so after a crash the sink resumes exactly after the
last stored batch. Kafka's committed offsets are only a lag indicator for operators.

Pool tables live where ``pools.TableRef`` says (a schema per pool on PostgreSQL, a name prefix
on SQLite); the offsets and rejects tables stay in the default schema. Rows go to PostgreSQL by
COPY into a staging table and one upsert (``pgcopy``), to SQLite by executemany of the upsert.
A writer schema the existing table cannot take stops the sink (``evolution``).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateColumn, CreateSchema
from sqlalchemy.sql.dml import Insert

from consumers.pool.bisect import Refusal, refusal_of
from consumers.pool.evolution import evolve
from consumers.pool.logic import OffsetMark, Reject, TablePlan, table_for
from consumers.pool.pgcopy import StagedUpsert, staged_upsert, write_staged
from consumers.pool.pools import TableRef

log = logging.getLogger(__name__)

OFFSETS_TABLE = "govbus_sink_offsets"
REJECTS_TABLE = "govbus_sink_rejects"

# ON CONFLICT is not portable SQL: each supported dialect has its own insert construct.
# The dialects' own INSERTs: both have ON CONFLICT (the generic Insert has not).
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert}


# pg_advisory_xact_lock key of pool DDL ("govbus" in ASCII): sinks that create or alter the same
# table at once take turns; without it PostgreSQL's CREATE TABLE IF NOT EXISTS races (two
# sinks both find no table, the second fails on pg_type's unique index) and so does ADD COLUMN.
DDL_LOCK_KEY = 0x676F76627573


@contextmanager
def ddl_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for DDL, under the pool's DDL lock on PostgreSQL (its DDL is transactional,
    so the next sink in turn sees the finished tables). SQLite runs each DDL statement on its
    own: ``ensure_table`` retries once where another process created a table first."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DDL_LOCK_KEY})
        yield conn


class SchemaConflict(RuntimeError):
    """An existing pool table cannot take a writer schema's rows (an operator must decide)."""


class PartitionMoved(RuntimeError):
    """Another sink stored offsets of a partition this batch is from: the partition moved while
    the batch was in hand (this sink paused past its session timeout). Nothing was written."""

    def __init__(self, partitions: list[tuple[str, int]]) -> None:
        super().__init__(f"partitions {partitions} moved to another sink while a batch of them was in hand: "
                         "the batch was not written (their new owner writes it)")
        self.partitions = partitions


# Expected stored offset per (topic, partition) before a batch: None where nothing is stored yet.
Fences = Mapping[tuple[str, int], "int | None"]


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
        with ddl_transaction(self.engine) as conn:
            self._metadata.create_all(conn, checkfirst=True)
        self._tables: dict[tuple[TableRef, TablePlan], Table] = {}
        self._schemas: set[str] = set()  # pool schemas known to exist
        self._statements: dict[Table, Insert] = {}
        self._staged: dict[Table, StagedUpsert] = {}

    def close(self) -> None:
        self.engine.dispose()

    def ensure_table(self, plan: TablePlan, where: TableRef | str) -> Table:
        """The table for ``plan`` at ``where`` (a bare name: the default schema), created on
        first sight with its pool's schema; columns a newer schema version adds are added
        (nullable, since older rows have no value for them). Raises SchemaConflict, having
        changed nothing, when the existing table cannot take the plan's rows."""
        ref = TableRef(where) if isinstance(where, str) else where
        cached = self._tables.get((ref, plan))
        if cached is not None:
            return cached
        # One MetaData per schema version: two versions of a dataset share the table name.
        table = table_for(plan, ref.name, MetaData(), ref.schema)
        try:
            self._create(table, plan, ref)
        except DBAPIError:  # SQLite: another sink created it between our check and our CREATE
            self._create(table, plan, ref)
        self._tables[(ref, plan)] = table
        return table

    def _create(self, table: Table, plan: TablePlan, ref: TableRef) -> None:
        with ddl_transaction(self.engine) as conn:
            if ref.schema is not None and ref.schema not in self._schemas:
                conn.execute(CreateSchema(ref.schema, if_not_exists=True))
            table.create(conn, checkfirst=True)
            self._align(conn, table, plan, ref)
        if ref.schema is not None:
            self._schemas.add(ref.schema)

    def _align(self, conn: Connection, table: Table, plan: TablePlan, ref: TableRef) -> None:
        found = inspect(conn)
        evolution = evolve(table, plan, found.get_columns(ref.name, schema=ref.schema),
                           found.get_pk_constraint(ref.name, schema=ref.schema)["constrained_columns"],
                           self.engine.dialect)
        if evolution.conflicts:
            raise SchemaConflict(f"pool table {ref}: incompatible schema change, nothing written: "
                                 + "; ".join(evolution.conflicts)
                                 + ". Migrate or rename the table, or fix the writer schema.")
        if not evolution.add:
            return
        table_sql = self.engine.dialect.identifier_preparer.format_table(table)
        for column in evolution.add:
            ddl = CreateColumn(Column(column.name, column.type, nullable=True)).compile(dialect=self.engine.dialect)
            conn.execute(text(f"ALTER TABLE {table_sql} ADD COLUMN {ddl}"))
            log.info("pool table %s: added column %s", ref, column.name)

    def _upsert(self, table: Table) -> Insert:
        stmt = self._statements.get(table)
        if stmt is None:
            stmt = self._statements[table] = upsert_statement(table, self.dialect)
        return stmt

    def _write_rows(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """PostgreSQL: COPY into staging, then one upsert (``pgcopy``: twice the rows/s of
        executemany); SQLite: executemany of the upsert, which runs in-process and is fast."""
        if self.dialect != "postgresql":
            conn.execute(self._upsert(table), list(rows))
            return
        staged = self._staged.get(table)
        if staged is None:
            staged = self._staged[table] = staged_upsert(table, self.engine.dialect)
        write_staged(conn, staged, rows)

    def write_batch(self, rows_by_table: Mapping[Table, Sequence[Mapping[str, Any]]],
                    rejects: Iterable[Reject], offsets: Iterable[OffsetMark], fences: Fences | None = None) -> None:
        """Upsert rows, insert rejects and move offsets in ONE transaction: all or nothing.

        Each table's rows go in one statement per table. Rows must be unique per primary key
        within a call (see ``logic.latest_per_key``). With ``fences``, an offset moves only from
        the stored value the sink expects; where another sink has moved it, PartitionMoved is
        raised and nothing of the batch is written.
        """
        reject_rows = [r.row() for r in rejects]
        marks = list(offsets)
        with self.engine.begin() as conn:
            for table, rows in rows_by_table.items():
                if rows:
                    self._write_rows(conn, table, rows)
            if reject_rows:
                conn.execute(self._upsert(self.rejects), reject_rows)
            free = [m.row() for m in marks if fences is None or (m.topic, m.partition) not in fences]
            if free:
                conn.execute(self._upsert(self.offsets), free)
            if fences:
                self._move_fenced(conn, [m for m in marks if (m.topic, m.partition) in fences], fences)

    def _move_fenced(self, conn: Connection, marks: Sequence[OffsetMark], fences: Fences) -> None:
        """Move each offset from its expected value. The UPDATE takes the row's lock, so of two
        sinks writing one partition at once the second waits, then finds the value moved."""
        moved = []
        for mark in marks:
            expected = fences[(mark.topic, mark.partition)]
            if expected is None:
                stmt: Any = _INSERTS[self.dialect](self.offsets).values(**mark.row()).on_conflict_do_nothing()
            else:
                stmt = (update(self.offsets).values(next_offset=mark.next_offset)
                        .where(self.offsets.c.group_id == mark.group_id, self.offsets.c.topic == mark.topic,
                               self.offsets.c.partition == mark.partition,
                               self.offsets.c.next_offset == expected))
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT here.
            if not conn.execute(stmt.returning(self.offsets.c.partition)).all():
                moved.append((mark.topic, mark.partition))
        if moved:
            raise PartitionMoved(moved)  # leaving the with-block rolls the whole batch back

    def try_rows(self, rows_by_table: Mapping[Table, Sequence[Mapping[str, Any]]]) -> Refusal | None:
        """Write ``rows_by_table`` and roll back: the database's refusal of them, or None if it
        would take them. A fault that is not about the data raises (``bisect.refusal_of``)."""
        with self.engine.connect() as conn:
            transaction = conn.begin()
            try:
                for table, rows in rows_by_table.items():
                    if rows:
                        self._write_rows(conn, table, rows)
            except Exception as exc:  # refusal_of sorts data from infrastructure
                refusal = refusal_of(exc, self.dialect)
                if refusal is None:
                    raise
                return refusal
            finally:
                transaction.rollback()
        return None

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

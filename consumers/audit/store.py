"""The audit store: an append-only, hash-chained table of audit events (SQLAlchemy Core).

Same database conventions as the pool (consumers.pool.store), whose offsets and rejects tables it
reuses: a batch of rows, its rejects and the consumed offsets are written in ONE transaction, so
a crash never leaves a row without its offset or an offset without its row.

Single writer. The chain is one total order, so each append reads the head (last seq and hash)
and writes the next rows in the same transaction. The head row is locked (SELECT … FOR UPDATE on
PostgreSQL; SQLite serialises writers itself) and ``seq`` is the primary key, so a second writer
that slipped in anyway waits or fails: the chain can never fork.

Append-only is the sink's behaviour, not a database guarantee: deployments should grant the sink's
role INSERT/SELECT (and UPDATE on the head table) only. Whatever slips past that, verify finds.
"""
from __future__ import annotations

import heapq
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from consumers.audit.logic import (
    GENESIS,
    BrokenLink,
    Head,
    RowHash,
    VerifyResult,
    chain_rows,
    delivery_row_hash,
    fresh_events,
    from_columns,
    verify_chain,
)
from consumers.pool.logic import OffsetMark, Reject
from consumers.pool.store import PoolStore, ddl_transaction, upsert_statement
from govbus.core.settings import GovbusSettings

AUDIT_TABLE = "govbus_audit_deliveries"
HEAD_TABLE = "govbus_audit_head"
CHAIN = "audit.deliveries"  # the head table could hold several chains; there is one today
VERIFY_FETCH = 1000         # rows per fetch while verifying: the table may be large
# ON CONFLICT DO NOTHING for the head row (the pool's upsert helper always updates).
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert}


class ChainError(RuntimeError):
    """The chain cannot be appended to safely (an operator must look first)."""


def audit_url(settings: GovbusSettings) -> str:
    """Where the audit store lives: ``settings.audit_url`` (GOVBUS_AUDIT_URL), else the pool
    database. The chain's anchor is not in either: it is on ``audit.checkpoints``."""
    return settings.audit_url or settings.pool_url


def audit_group(settings: GovbusSettings) -> str:
    """The audit sink's consumer group: its own, so pool sinks never rebalance it."""
    return getattr(settings, "audit_group", None) or f"{settings.sink_group}-audit"


def audit_tables(metadata: MetaData) -> tuple[Table, Table]:
    deliveries = Table(
        AUDIT_TABLE, metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        # Unique: a redelivered audit event (same deterministic id) must never be chained twice.
        Column("audit_id", Text, nullable=False, unique=True),
        Column("event_id", Text, nullable=False, index=True),  # who-received --event
        Column("dataset", Text, nullable=False),
        Column("recipient", Text, nullable=False),
        Column("recipient_topic", Text, nullable=False),
        Column("agreement_id", Text, nullable=False),
        Column("agreement_version", BigInteger, nullable=False),
        Column("purpose", Text, nullable=True),
        Column("fields_delivered", Text, nullable=False),    # JSON array
        Column("operators", Text, nullable=False),           # JSON object
        Column("mask_profile", Text, nullable=False),
        Column("subject_pseudonyms", Text, nullable=False),  # JSON array
        Column("delivered_at", DateTime(timezone=True), nullable=False),
        Column("processor", Text, nullable=False),
        Column("processor_version", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False))
    head = Table(HEAD_TABLE, metadata,
                 Column("chain", Text, primary_key=True),
                 Column("seq", BigInteger, nullable=False),
                 Column("hash", String(64), nullable=False))
    return deliveries, head


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AuditStore:
    """The audit tables of one database; one writer (the audit sink), any number of readers."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.engine = engine or create_engine(url)
        # The pool store brings the offsets and rejects tables and refuses unsupported dialects.
        self._pool = PoolStore(url, engine=self.engine)
        self.dialect = self._pool.dialect
        metadata = MetaData()
        self.deliveries, self.head = audit_tables(metadata)
        with ddl_transaction(self.engine) as conn:  # audit sinks may start at once (standbys)
            metadata.create_all(conn, checkfirst=True)
        self._start_chain()
        # The head after this process's last append (single writer): what the sink checkpoints.
        # None until it appends: a standby, or a writer that has appended nothing, signs nothing.
        self.chain_head: Head | None = None
        # Other tables whose rows are links of this chain (consumers/audit/actions_store.py), and
        # the hash of a row of any kind; see ``link``.
        self.linked: list[Table] = []
        self.row_hash: RowHash = delivery_row_hash

    def link(self, table: Table, row_hash: RowHash) -> None:
        """Chain ``table``'s rows too: they share seq and head with the deliveries (written with
        ``append_linked``), and verify walks all tables in seq order with ``row_hash``."""
        if table.name not in {t.name for t in self.linked}:
            self.linked.append(table)
        self.row_hash = row_hash

    def append_linked(self, write: Callable[[Connection, Head], Head], rejects: Iterable[Reject],
                      offsets: Iterable[OffsetMark]) -> None:
        """Like ``append`` for rows of a linked table: ``write`` inserts them after the locked
        head in this transaction and returns the new head; rejects and offsets go with them."""
        reject_rows, offset_rows = [r.row() for r in rejects], [o.row() for o in offsets]
        with self.engine.begin() as conn:
            head = self._lock_head(conn)
            new_head = write(conn, head)
            if new_head != head:
                conn.execute(update(self.head).where(self.head.c.chain == CHAIN)
                             .values(seq=new_head.seq, hash=new_head.hash))
            if reject_rows:
                conn.execute(upsert_statement(self._pool.rejects, self.dialect), reject_rows)
            if offset_rows:
                conn.execute(upsert_statement(self._pool.offsets, self.dialect), offset_rows)
        if new_head != head:  # committed: a point of the chain the sink may checkpoint
            self.chain_head = new_head

    def _start_chain(self) -> None:
        """Create the head row of an empty chain. A missing head beside stored rows is left
        missing: recreating it would hide a deletion, so verify reports it and appends fail."""
        with self.engine.begin() as conn:
            if conn.execute(select(self.deliveries.c.seq).limit(1)).first() is not None:
                return
            stmt = _INSERTS[self.dialect](self.head).values(chain=CHAIN, seq=0, hash=GENESIS)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["chain"]))

    def close(self) -> None:
        self.engine.dispose()

    def append(self, events: Sequence[Mapping[str, Any]], rejects: Iterable[Reject] = (),
               offsets: Iterable[OffsetMark] = ()) -> list[Mapping[str, Any]]:
        """THE append path of the chain: chain the events whose ``audit_id`` is not stored yet,
        store rejects and offsets, in one transaction. Returns the events actually appended.

        Append-once: an ``audit_id`` already chained (or earlier in ``events``) is skipped, never
        an error and never a second link; the processor delivers at least once and its audit ids
        are deterministic (stream_processors/route/logic.py audit_event), so a record reprocessed
        after a crash yields the same id. The caller counts the skipped ones (the sink:
        govbus_records_total{stage="audit",outcome="duplicate"}).
        """
        reject_rows, offset_rows = [r.row() for r in rejects], [o.row() for o in offsets]
        with self.engine.begin() as conn:
            head = self._lock_head(conn)
            fresh = fresh_events(events, self._known_ids(conn, [e["audit_id"] for e in events]))
            rows, new_head = chain_rows(head, fresh)
            if rows:
                conn.execute(insert(self.deliveries), rows)
                conn.execute(update(self.head).where(self.head.c.chain == CHAIN)
                             .values(seq=new_head.seq, hash=new_head.hash))
            if reject_rows:
                conn.execute(upsert_statement(self._pool.rejects, self.dialect), reject_rows)
            if offset_rows:
                conn.execute(upsert_statement(self._pool.offsets, self.dialect), offset_rows)
        if rows:
            self.chain_head = new_head
        return fresh

    def _lock_head(self, conn: Connection) -> Head:
        query = select(self.head.c.seq, self.head.c.hash).where(self.head.c.chain == CHAIN)
        found = conn.execute(query.with_for_update()).one_or_none()
        if found is None:
            raise ChainError(f"the audit chain's head row ({HEAD_TABLE}) is missing: run "
                             "`govbus audit verify` before appending anything")
        return Head(int(found.seq), found.hash)

    def _known_ids(self, conn: Connection, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        query = select(self.deliveries.c.audit_id).where(self.deliveries.c.audit_id.in_(ids))
        return set(conn.execute(query).scalars())

    def stored_offsets(self, group_id: str, topic: str, partitions: Iterable[int]) -> dict[int, int]:
        return self._pool.stored_offsets(group_id, topic, partitions)

    def stored_head(self) -> Head | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(self.head.c.seq, self.head.c.hash)
                                 .where(self.head.c.chain == CHAIN)).one_or_none()
        return None if found is None else Head(int(found.seq), found.hash)

    def verify(self, at: Collection[int] = (), upto_head: bool = False) -> VerifyResult:
        """Recompute the whole chain, streaming rows in seq order, and check the stored head.
        ``upto_head``: only the rows up to the head read first, for a verification that runs while
        the sink appends (rows appended meanwhile would not match the head read before them)."""
        return self.verify_at(at, upto_head)[0]

    def verify_at(self, at: Collection[int], upto_head: bool = False) -> tuple[VerifyResult, dict[int, str]]:
        """``verify``, and the recomputed hash at each seq of ``at`` the chain reached intact
        (to compare with signed checkpoints: consumers/audit/checkpoint.py)."""
        head, wanted = self.stored_head(), set(at)
        hashes: dict[int, str] = {}
        last = head.seq if upto_head and head is not None else None
        with self.engine.connect() as conn:
            results = [conn.execution_options(yield_per=VERIFY_FETCH).execute(
                (select(t) if last is None else select(t).where(t.c.seq <= last)).order_by(t.c.seq))
                for t in (self.deliveries, *self.linked)]
            rows = heapq.merge(*(_mappings(r) for r in results), key=lambda row: row["seq"])
            verdict = verify_chain(_noting(rows, wanted, hashes), head, self.row_hash)
            for result in results:
                result.close()
        if head is None and verdict.ok:
            return VerifyResult(verdict.rows, verdict.head, _missing_head()), hashes
        return verdict, hashes

    def by_event(self, event_id: str) -> list[dict[str, Any]]:
        """Every delivery of one record, oldest first."""
        return self._events(self.deliveries.c.event_id == event_id.strip().lower())

    def by_subject(self, pseudonym: str) -> list[dict[str, Any]]:
        """Every delivery of a record about one person (by audit pseudonym), oldest first.

        The LIKE only narrows the scan of the JSON text; the exact match is done on the decoded
        list, so a pseudonym that is a substring of another never matches.
        """
        pattern = f'%"{_escape_like(pseudonym)}"%'
        found = self._events(self.deliveries.c.subject_pseudonyms.like(pattern, escape="\\"))
        return [e for e in found if pseudonym in e["subject_pseudonyms"]]

    def _events(self, condition: Any) -> list[dict[str, Any]]:
        query = (select(self.deliveries).where(condition)
                 .order_by(self.deliveries.c.delivered_at, self.deliveries.c.seq))
        with self.engine.connect() as conn:
            return [{"seq": row["seq"], **from_columns(row)}  # type: ignore[arg-type]  # keyed by column name
                    for row in conn.execute(query).mappings()]


def _mappings(result: Any) -> Iterator[Mapping[str, Any]]:
    yield from result.mappings()


def _noting(rows: Iterator[Mapping[str, Any]], wanted: set[int], hashes: dict[int, str]) -> Iterator[Mapping[str, Any]]:
    """Pass ``rows`` through, keeping the hash of those whose seq is wanted. A row verify_chain
    refuses ends the walk, so every hash kept belongs to an intact prefix of the chain."""
    previous: Mapping[str, Any] | None = None
    for row in rows:
        if previous is not None and int(previous["seq"]) in wanted:
            hashes[int(previous["seq"])] = previous["hash"]
        previous = row
        yield row
    if previous is not None and int(previous["seq"]) in wanted:
        hashes[int(previous["seq"])] = previous["hash"]


def _missing_head() -> BrokenLink:
    return BrokenLink(0, "head_mismatch", f"the head row ({HEAD_TABLE}) is missing")

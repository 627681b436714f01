"""The actions table: rows of the audit chain that record actions, beside the deliveries.

Linked to the audit store (consumers/audit/store.py ``link``): an action row takes the next
``seq`` of the one chain under the same head lock as a delivery, so deliveries and actions form
one hash chain that ``govbus audit verify`` walks in seq order. Queries answer who-received for
actions: the re-drives and views of a person's records, the actions on one record.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    or_,
    select,
)

from consumers.audit.actions import action_rows, fresh_actions, from_action_columns, row_hash
from consumers.audit.logic import Head
from consumers.audit.store import AuditStore
from consumers.pool.logic import OffsetMark, Reject
from consumers.pool.store import ddl_transaction

ACTIONS_TABLE = "govbus_audit_actions"
EVENT_CHUNK = 100  # event ids per query of by_events


def actions_table(metadata: MetaData) -> Table:
    return Table(
        ACTIONS_TABLE, metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),  # the chain's seq, shared
        Column("action_id", Text, nullable=False, unique=True),  # chained once, however often sent
        Column("operator", Text, nullable=False, index=True),    # from the topic, never the payload
        Column("source_topic", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("target", Text, nullable=False),
        Column("outcome", Text, nullable=False),
        Column("dataset", Text, nullable=True),
        Column("event_ids", Text, nullable=False),            # JSON array
        Column("subject_pseudonyms", Text, nullable=False),   # JSON array
        Column("agreement_id", Text, nullable=True),
        Column("agreement_version", Integer, nullable=True),
        Column("details", Text, nullable=False),              # JSON object
        Column("acted_at", DateTime(timezone=True), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ActionsStore:
    """The actions of one audit store's database, on its chain."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        metadata = MetaData()
        self.actions = actions_table(metadata)
        with ddl_transaction(store.engine) as conn:
            metadata.create_all(conn, checkfirst=True)
        store.link(self.actions, row_hash)

    def append(self, events: Sequence[Mapping[str, Any]], rejects: Iterable[Reject],
               offsets: Iterable[OffsetMark]) -> list[Mapping[str, Any]]:
        """Chain the actions not stored yet, store rejects and offsets: one transaction."""
        appended: list[Mapping[str, Any]] = []

        def write(conn: Connection, head: Head) -> Head:
            known = self._known_ids(conn, [e["action_id"] for e in events])
            fresh = fresh_actions(events, known)
            rows, new_head = action_rows(head, fresh)
            if rows:
                conn.execute(insert(self.actions), rows)
            appended[:] = fresh
            return new_head

        self.store.append_linked(write, rejects, offsets)
        return appended

    def _known_ids(self, conn: Connection, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(conn.execute(select(self.actions.c.action_id).where(self.actions.c.action_id.in_(ids))).scalars())

    def by_subject(self, pseudonym: str) -> list[dict[str, Any]]:
        """Actions on records about one person (re-drives, views), oldest first. The LIKE only
        narrows the scan; the exact match is on the decoded list."""
        pattern = f'%"{_escape_like(pseudonym)}"%'
        found = self._actions(self.actions.c.subject_pseudonyms.like(pattern, escape="\\"))
        return [a for a in found if pseudonym in a["subject_pseudonyms"]]

    def by_event(self, event_id: str) -> list[dict[str, Any]]:
        pattern = f'%"{_escape_like(event_id.strip().lower())}"%'
        found = self._actions(self.actions.c.event_ids.like(pattern, escape="\\"))
        return [a for a in found if event_id.strip().lower() in a["event_ids"]]

    def by_events(self, event_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Actions naming any of ``event_ids`` (pool views name the rows' event ids), once each."""
        wanted = sorted({e.strip().lower() for e in event_ids})
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), EVENT_CHUNK):
            chunk = wanted[start:start + EVENT_CHUNK]
            likes = [self.actions.c.event_ids.like(f'%"{_escape_like(e)}"%', escape="\\") for e in chunk]
            for action in self._actions(or_(*likes)):
                if set(chunk) & set(action["event_ids"]):
                    found[action["seq"]] = action
        return [found[seq] for seq in sorted(found)]

    def by_operator(self, operator: str) -> list[dict[str, Any]]:
        return self._actions(self.actions.c.operator == operator)

    def _actions(self, condition: Any) -> list[dict[str, Any]]:
        query = select(self.actions).where(condition).order_by(self.actions.c.seq)
        with self.store.engine.connect() as conn:
            return [{"seq": row["seq"], **from_action_columns(row)}  # type: ignore[arg-type]  # keyed by column name
                    for row in conn.execute(query).mappings()]

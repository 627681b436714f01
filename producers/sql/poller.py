"""Thin I/O of SQL table polling: read a batch after the watermark, publish it, confirm, save.

The order is the whole guarantee: rows are published, ``publisher.flush()`` must confirm every
one, and only then is the batch's last (watermark, tie-breaker) saved. A crash anywhere before
the save re-reads the same batch on restart and publishes the same event ids (they come from the
record's natural key and content: ``producers.sdk.envelope.versioned_record``), so a consumer
sees at most duplicates of the last batch, never a gap.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, MetaData, Table, func, literal, select, tuple_

from govbus.core.deadletter import Origin
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from producers.sdk import Publisher, Source
from producers.sql.logic import (
    ColumnMapping,
    PollError,
    PollSpec,
    Watermark,
    advance,
    mapping_problems,
    row_bytes,
    row_to_record,
    safe_url,
    watermark_of,
)
from producers.sql.state import WatermarkStore

log = logging.getLogger(__name__)


@dataclass
class PollSummary:
    read: int = 0
    published: int = 0
    rejected: int = 0
    batches: int = 0
    watermark: Watermark | None = None
    # Rows whose watermark is NULL cannot be placed in keyset order: reported, never dropped quietly.
    unplaceable: int = 0


@dataclass
class TablePoller:
    """Polls one table into one dataset. ``engine`` reads the department's database."""

    engine: Engine
    spec: PollSpec
    schema: DatasetSchema
    source: Source
    publisher: Publisher
    store: WatermarkStore
    state_key: str
    mapping: ColumnMapping = field(default_factory=ColumnMapping)

    def __post_init__(self) -> None:
        self.table = reflect_table(self.engine, self.spec.table)
        if self.spec.tiebreak is None:
            self.spec = replace(self.spec, tiebreak=default_tiebreak(self.table, self.spec.watermark))
        self.columns = [_column(self.table, self.spec.watermark)]
        if self.spec.tiebreak:
            self.columns.append(_column(self.table, self.spec.tiebreak))
        problems = mapping_problems([c.name for c in self.table.columns], self.mapping,
                                    frozenset(self.schema.tags), {c.name for c in self.columns})
        if problems:
            raise PollError(f"table {self.spec.table} → {self.schema.dataset}:\n  " +
                            "\n  ".join(problems))

    def fetch(self, after: Watermark | None) -> list[dict[str, Any]]:
        """The next batch after ``after``, by keyset pagination (portable through SQLAlchemy)."""
        # NULLs sort first in SQLite and last in PostgreSQL: keep them out of keyset order
        # everywhere (count_unplaceable reports them).
        query = (select(self.table).where(*[c.is_not(None) for c in self.columns])
                 .order_by(*self.columns).limit(self.spec.batch))
        if after is not None:
            # key() is always (value, tiebreak); without a tie-breaker column there is one column
            # and the tiebreak (None) is left out, hence not strict.
            bounds = [literal(v, c.type) for v, c in zip(after.key(), self.columns, strict=False)]
            if len(self.columns) == 1:
                query = query.where(self.columns[0] > bounds[0])
            else:
                query = query.where(tuple_(*self.columns) > tuple_(*bounds))
        # A short connection per batch: no transaction is held open on the department's database.
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def count_unplaceable(self) -> int:
        nulls = [c.is_(None) for c in self.columns]
        query = select(func.count()).select_from(self.table).where(nulls[0] if len(nulls) == 1
                                                                   else nulls[0] | nulls[1])
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def publish_rows(self, rows: list[dict[str, Any]], summary: PollSummary) -> None:
        for row in rows:
            summary.read += 1
            parsed = row_to_record(self.schema, row, self.mapping, self.source)
            if isinstance(parsed, Fault):
                self._reject(row, parsed)
                summary.rejected += 1
                continue
            self.publisher.publish(self.schema, parsed.value,
                                   str(parsed.value.get(self.schema.key_field, "")))
            summary.published += 1

    def _reject(self, row: dict[str, Any], fault: Fault) -> None:
        position = watermark_of(row, self.spec.watermark, self.spec.tiebreak)
        origin = Origin(topic=f"{safe_url(self.spec.url)}#{self.spec.table}",
                        key=repr(position.key()).encode("utf-8"), value=row_bytes(row))
        log.warning("row %r of %s rejected: %s %s (%s)", position.key(), self.spec.table,
                    fault.field, fault.reason, fault.message)
        self.publisher.publish_reject(self.schema, fault, origin, self.source.department)

    def poll_batch(self, after: Watermark | None, summary: PollSummary) -> tuple[Watermark | None, int]:
        """Publish one batch and, once delivery is confirmed, persist its watermark."""
        rows = self.fetch(after)
        if not rows:
            return after, 0
        marks = [watermark_of(r, self.spec.watermark, self.spec.tiebreak) for r in rows]
        mark = advance(after, marks, self.spec.tiebreak is not None)  # checked before publishing
        self.publish_rows(rows, summary)
        self.publisher.flush()  # raises DeliveryFailed: the watermark stays where it was
        self.store.save(self.state_key, mark)
        summary.batches += 1
        summary.watermark = mark
        return mark, len(rows)

    def drain(self, stop: threading.Event | None = None) -> PollSummary:
        """Poll batches until the table has nothing after the watermark (or ``stop`` is set)."""
        summary = PollSummary(watermark=self.store.load(self.state_key))
        after = summary.watermark
        while stop is None or not stop.is_set():
            after, count = self.poll_batch(after, summary)
            if count < self.spec.batch:
                break
        summary.unplaceable = self.count_unplaceable()
        if summary.unplaceable:
            log.warning("%d rows of %s have a NULL %s and cannot be polled until it is set",
                        summary.unplaceable, self.spec.table,
                        " or ".join(c.name for c in self.columns))
        return summary


def reflect_table(engine: Engine, name: str) -> Table:
    """The table as the database describes it, so bound watermarks get the column's own type
    (SQLite stores datetimes as text: the bound value must be formatted the same way)."""
    schema, _, table = name.rpartition(".")
    try:
        return Table(table, MetaData(), schema=schema or None, autoload_with=engine)
    except Exception as exc:  # NoSuchTableError and driver errors alike
        raise PollError(f"cannot read table {name!r}: {exc}") from exc


def default_tiebreak(table: Table, watermark: str) -> str | None:
    """The single-column primary key, when there is one and it is not the watermark itself: a
    timestamp watermark without a tie-breaker would lose rows that share a timestamp across a
    batch boundary. None means the watermark must be unique on its own (an increasing id)."""
    keys = [c.name for c in table.primary_key.columns]
    return keys[0] if len(keys) == 1 and keys[0] != watermark else None


def _column(table: Table, name: str) -> Any:
    if name not in table.c:
        raise PollError(f"table {table.fullname} has no column {name!r}; columns: "
                        f"{', '.join(table.c.keys())}")
    return table.c[name]


def run_polling(poller: TablePoller, interval: float, stop: threading.Event,
                once: bool = False) -> PollSummary:
    """Drain, wait ``interval`` seconds, repeat until ``stop``; totals over all rounds."""
    total = PollSummary()
    while not stop.is_set():
        summary = poller.drain(stop)
        total.read += summary.read
        total.published += summary.published
        total.rejected += summary.rejected
        total.batches += summary.batches
        total.watermark = summary.watermark or total.watermark
        total.unplaceable = summary.unplaceable
        if once or stop.wait(interval):
            break
    return total

"""Sink dead letters: a record the pool database refused goes to ``dlq.<dataset>`` and the sink
goes on (docs/architecture.md#guarantees).

``write_sparing`` is what the sink does when a batch's write is refused for a data reason
(``bisect.refusal_of``): find the refused records (``bisect.isolate``), post one letter each and
wait for the broker's acknowledgement, then write the other rows, the refused records into the
rejects table and the offsets in one transaction. Letters go out before that transaction: a
crash between the two sends them again on restart (at least once), never loses one.

A sink letter is a ``govbus.bus.DeadLetter`` with ``stage`` ``sink``, the recipient, the pool
table and column (where the database named it or the sink can tell), the shared topic, partition
and offset, and the original bytes; `govbus dlq list | show` shows it beside the processor's. It
cannot be re-driven: the record must be fixed at its source.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from confluent_kafka import KafkaError, Message, Producer
from sqlalchemy import Table

from consumers.pool.bisect import Refusal, isolate, refused_column
from consumers.pool.logic import OffsetMark, Reject, TablePlan, latest_per_key
from consumers.pool.store import Fences, PoolStore
from govbus import __version__
from govbus.core.deadletter import Origin, PoolPlace, dead_letter_headers, dead_letter_record
from govbus.core.logs import dead_letter_line
from govbus.core.metrics import Metrics
from govbus.core.result import Fault
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config
from govbus.core.topics import TopicNames, value_subject

log = logging.getLogger(__name__)

COMPONENT = "consumers.pool.sink"
STAGE = "sink"
LETTER_FLUSH_SECONDS = 60.0


class SinkLetterUndelivered(RuntimeError):
    """The broker did not acknowledge a sink letter: the batch is not written (a restart redoes it)."""


@dataclass(frozen=True)
class Pending:
    """One record of a batch as the sink would write it, and where it came from."""

    table: Table
    row: dict[str, Any]
    plan: TablePlan
    origin: Origin
    dataset: str
    recipient: str


def origin_of(message: Message) -> Origin:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    headers = tuple((pair[0], _header_bytes(pair[1])) for pair in message.headers() or ())
    return Origin(topic or "", -1 if partition is None else partition, -1 if offset is None else offset,
                  message.key(), message.value(), headers)


def _header_bytes(value: str | bytes | None) -> bytes:
    return value.encode() if isinstance(value, str) else value or b""


def field_path(plan: TablePlan, columns: str) -> str:
    """The record's field path(s) of pool column(s) (``env_region_code`` → ``envelope.region_code``)."""
    paths = {c.name: ".".join(c.path) for c in plan.columns}
    return ",".join(paths.get(name, name) for name in columns.split(",")) if columns else ""


def sink_letter(refusal: Refusal, pending: Pending, now: datetime) -> dict[str, Any]:
    """The ``govbus.bus.DeadLetter`` of a record the pool refused."""
    column = refused_column(refusal, pending.row, pending.plan.key)
    path = field_path(pending.plan, column)
    message = f"the pool refused the record{f' (column {column})' if column else ''}: {refusal.message}"
    fault = Fault(refusal.reason, refusal.rule, message, path)
    owner = pending.row.get("env_source_department") or pending.dataset.split(".")[0]
    event_id = pending.row.get("env_event_id")
    table = f"{pending.table.schema}.{pending.table.name}" if pending.table.schema else pending.table.name
    return dead_letter_record(fault, dataset=pending.dataset, owner=str(owner), origin=pending.origin,
                              processor=COMPONENT, version=__version__,
                              event_id=str(event_id) if event_id else None, now=now, stage=STAGE,
                              pool=PoolPlace(pending.recipient, table, column))


def reject_of(letter: dict[str, Any], now: datetime) -> Reject:
    """The rejects-table row of a sink letter (the pool's own record of what it refused). Without
    the original key and value: a database that refused a value may refuse its bytes too (a
    length cap); the letter on ``dlq.<dataset>`` carries them."""
    return Reject(letter["source_topic"], letter["source_partition"], letter["source_offset"], letter["reason"],
                  letter["rule"], letter["message"], letter["pool_column"] or "", None, None, now)


def fault_of(letter: dict[str, Any]) -> Fault:
    return Fault(letter["reason"], letter["rule"], letter["message"], letter["field_path"])


class LetterBox:
    """Posts sink letters to ``dlq.<dataset>`` and waits for the broker to take them."""

    def __init__(self, settings: GovbusSettings, serde: Serde, topics: TopicNames, metrics: Metrics,
                 dead_letter_schema: dict[str, Any]) -> None:
        self._settings, self._serde, self._topics, self._metrics = settings, serde, topics, metrics
        self._schema = dead_letter_schema
        self._producer: Producer | None = None
        self._prepared: set[str] = set()

    def post(self, letters: Sequence[dict[str, Any]]) -> None:
        """Send and wait; raises SinkLetterUndelivered if the broker did not take every letter."""
        if self._producer is None:
            self._producer = Producer(kafka_config(self._settings, "producer"))
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failures.append(error)

        for letter in letters:
            topic = self._topics.dlq(letter["dataset"])
            subject = value_subject(topic)
            if subject not in self._prepared:  # a look-up (a registry read) unless it is new
                self._serde.prepare(subject, self._schema)
                self._prepared.add(subject)
            fault = fault_of(letter)
            headers = dead_letter_headers(fault, letter["dataset"], letter["owner_department"])
            # (str, bytes) pairs are a header form produce() takes; the stub's list is invariant.
            self._producer.produce(topic, self._serde.encode(subject, letter), letter["original_key"],
                                   headers=headers, on_delivery=delivered)  # type: ignore[arg-type]
        left = self._producer.flush(LETTER_FLUSH_SECONDS)
        if left or failures:
            raise SinkLetterUndelivered(f"{left} sink dead letters unacknowledged, {len(failures)} refused "
                                        f"({failures[:1]}): the batch was not written")
        for letter in letters:  # a sink letter is rare and wants a human: a WARNING line each
            dead_letter_line(log, fault_of(letter), letter["dataset"], letter["owner_department"],
                             letter["source_topic"], letter["source_partition"], letter["source_offset"],
                             letter["event_id"], "sink", logging.WARNING)
            self._metrics.dlq_records.labels("sink", letter["dataset"], letter["owner_department"],
                                             letter["reason"]).inc()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(LETTER_FLUSH_SECONDS)


def write_sparing(store: PoolStore, pending: Sequence[Pending], rejects: Sequence[Reject],
                  marks: Sequence[OffsetMark], box: LetterBox, now: datetime,
                  error: Exception, fences: Fences | None = None) -> list[Pending]:
    """Write a batch the database refused as a whole: every record but the refused ones, which
    become sink letters (and rows of the rejects table). Returns the refused records. ``error``
    (the whole batch's refusal) is raised again if no single record is to blame."""
    def attempt(indices: Sequence[int]) -> Refusal | None:
        return store.try_rows(latest_per_key([(pending[i].table, pending[i].row) for i in indices]))

    refused = isolate(range(len(pending)), attempt)
    if not refused:
        raise error  # only the batch as a whole fails: not something one record did
    letters = [sink_letter(refusal, pending[i], now) for i, refusal in refused]
    for letter in letters:
        log.warning("pool refused %s@%s:%s (%s, column %r): dead-lettered", letter["source_topic"],
                    letter["source_partition"], letter["source_offset"], letter["rule"], letter["pool_column"])
    box.post(letters)
    gone = {i for i, _refusal in refused}
    kept = latest_per_key([(p.table, p.row) for i, p in enumerate(pending) if i not in gone])
    store.write_batch(kept, [*rejects, *(reject_of(letter, now) for letter in letters)], marks, fences)
    return [pending[i] for i in sorted(gone)]

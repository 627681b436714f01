"""`govbus sink`: every dataset shared with one recipient, into that recipient's pool database.

Thin I/O around ``logic`` (mapping) and ``store`` (database). Where a batch ends: the batch
loop (consumers/batches.py) gathers it in one or more ``consume()`` calls and writes it as soon
as the consumer has nothing more to give; it is written before the next batch is read.
Rebalance callbacks only run inside ``consume()``; a partition revoked while its records were
being gathered is no longer in ``_next`` when the batch is handled, so ``_accept`` leaves those
records to the new owner, which starts from the offsets stored with the rows. A sink the group
presumed dead (silent past its session timeout) may wake with a batch of partitions that moved:
its offsets move only from where it left them (``PoolStore.write_batch`` fences), so that batch
is refused whole and dropped, and it cannot write over the new owner's newer rows.

Every record's signature is verified first (``keyring``): one the bus did not sign, or signed
over other bytes, becomes a ``bad_signature`` sink letter and is not stored.

Faults of data (undecodable values, unknown schema ids, schemas without a usable key) go to the
rejects table with the original bytes. A record the database refuses (a value it cannot store)
becomes a sink dead letter, found by bisecting the batch (``letters``, ``bisect``), and the rest
of the batch is written. Outages of infrastructure (broker, registry, database) are waited out:
the batch in hand is retried until it is stored (consumers/batches.py), nothing is skipped, and
the stored offsets make even a restart lose nothing. What no retry fixes (a schema the table
cannot take, refused access) stops the sink.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.schema_registry.error import SchemaRegistryError
from sqlalchemy import Table

from consumers.batches import consume_batches
from consumers.pool.bisect import refusal_of
from consumers.pool.keyring import KeyRing, signature_letter
from consumers.pool.letters import LetterBox, Pending, origin_of, reject_of, write_sparing
from consumers.pool.logic import OffsetMark, Reject, TablePlan, latest_per_key, plan_for
from consumers.pool.pools import ResourceClassOf, class_lookup, table_ref
from consumers.pool.store import Fences, PartitionMoved, PoolStore, SchemaConflict
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.health_server import Health
from govbus.core.kafka_errors import UNREACHABLE_CLIENT_ERRORS, ClientErrorLatch, client_logger
from govbus.core.key_topic import read_published_keys
from govbus.core.lag import event_age
from govbus.core.lag_gauges import LagGauges
from govbus.core.metrics import Metrics
from govbus.core.outage_watch import OutageWatch, ride_out
from govbus.core.result import Fault, Ok
from govbus.core.serde import Serde, unframe
from govbus.core.settings import GovbusSettings, kafka_config, member_client_id, topic_names

log = logging.getLogger(__name__)

STAGE = "sink"


@dataclass
class SinkSummary:
    records: int = 0   # records stored (every update counts)
    rows: int = 0      # row upserts issued (updates of one key within a batch collapse)
    rejects: int = 0
    batches: int = 0   # database transactions committed


@dataclass
class _Batch:
    rows: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # the message of each row, for sink letters
    rejects: list[Reject] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)  # bad_signature sink letters
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    stored: Counter = field(default_factory=Counter)    # (dataset, recipient) -> records
    rejected: Counter = field(default_factory=Counter)  # (dataset, recipient) -> records
    # (dataset, recipient) -> event time to now of each record stored (govbus_freshness_seconds)
    ages: defaultdict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))


class PoolSink:
    """Consumes ``shared.<recipient>.*`` (every recipient's when ``recipient`` is None) and keeps
    each recipient's pool tables up to date."""

    def __init__(self, settings: GovbusSettings, recipient: str | None, serde: Serde, metrics: Metrics,
                 store: PoolStore | None = None, *,
                 resource_class_of: ResourceClassOf | Mapping[str, str] | None = None,
                 health: Health | None = None, keys: KeyRing | None = None) -> None:
        """``resource_class_of`` (dataset -> base/theme/department) picks each dataset's pool;
        by default it is read from the catalogue in ``settings.catalogue_dir``. ``keys``: the
        signing keys records are verified with (default: read from bus.keys when needed)."""
        self._settings, self._recipient, self._serde, self._metrics = settings, recipient, serde, metrics
        self._topics = topic_names(settings)
        self._store = store or PoolStore(settings.pool_url)
        self._class_of = class_lookup(resource_class_of, settings)
        self._group = settings.sink_group
        self._plans: dict[tuple[int, str], Ok[TablePlan] | Fault] = {}
        self._topic_parts: dict[str, tuple[str, str]] = {}  # topic -> (dataset, recipient)
        self._tables: dict[tuple[TablePlan, str, str], Table] = {}  # (plan, recipient, dataset)
        # Partitions we own -> next offset we expect (None: nothing stored, read from the start).
        self._next: dict[tuple[str, int], int | None] = {}
        self._health = health
        self._watch = health.watch if health is not None else OutageWatch("sink")
        self._client_error = ClientErrorLatch(self._watch)
        self._assigned_at = 0.0
        self._cooperative = False
        self._closing = False
        self._letters = LetterBox(settings, serde, self._topics, metrics,
                                  load_dead_letter_schema(settings.schemas_dir))
        self._keys = keys or KeyRing(lambda: read_published_keys(settings, settings.sink_group))
        self._stop: threading.Event | None = None
        self.lag_known = False  # every partition we own has a known end offset (for /readyz)
        self._lag = LagGauges(metrics, "sink", self._group)
        self._duplicates: Counter = Counter()  # (dataset, recipient) -> records already in the pool

    def _consumer(self) -> Consumer:
        config = kafka_config(self._settings, "consumer", **{
            "group.id": self._group, "client.id": member_client_id(self._settings, "sink", os.getpid()),
            # A regex subscription sees new shared topics only at a metadata refresh.
            "topic.metadata.refresh.interval.ms": 1000,
            "error_cb": self._client_error, "on_commit": self._on_commit,
            "logger": client_logger(self._watch)})
        self._cooperative = "cooperative" in str(config.get("partition.assignment.strategy", ""))
        return Consumer(config)

    def run(self, stop: threading.Event | None = None,
            idle_exit_seconds: float | None = None) -> SinkSummary:
        """Sink until ``stop`` is set, or until no record arrived for ``idle_exit_seconds``
        (counted from start or the last assignment; meant for tests and one-shot catch-up)."""
        summary = SinkSummary()
        self._closing, self._stop = False, stop
        consumer = self._consumer()
        pattern = (self._topics.shared_pattern(self._recipient) if self._recipient
                   else self._topics.shared_pattern_all())
        consumer.subscribe([pattern], on_assign=self._on_assign,
                           on_revoke=self._on_revoke, on_lost=self._on_revoke)
        try:
            consume_batches(consumer, self._settings, self._client_error,
                            lambda messages: self._sink(consumer, messages, summary),
                            lambda: self._assigned_at, stop, idle_exit_seconds, self._health)
        except SchemaConflict as exc:
            log.error("sink stopped: %s", exc)  # the operator's cue; the batch was not written
            raise
        finally:
            self._closing = True
            consumer.close()
            self._letters.close()
        return summary

    # --- rebalances -------------------------------------------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Start each partition where the pool says, not where Kafka's group offset says."""
        by_topic: dict[str, list[int]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        stored = ride_out(self._watch, lambda: {topic: self._store.stored_offsets(self._group, topic, parts)
                                                for topic, parts in by_topic.items()},
                          lambda: self._stop is not None and self._stop.is_set())
        for tp in partitions:
            next_offset = stored[tp.topic].get(tp.partition)
            tp.offset = OFFSET_BEGINNING if next_offset is None else next_offset
            self._next[(tp.topic, tp.partition)] = next_offset
        log.info("assigned %s", [(tp.topic, tp.partition, tp.offset) for tp in partitions])
        (consumer.incremental_assign if self._cooperative else consumer.assign)(partitions)
        self._assigned_at = time.monotonic()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Nothing to flush: the previous batch was written before consume() was called again.
        for tp in partitions:
            self._next.pop((tp.topic, tp.partition), None)
            if not self._closing:  # at close the last values stay for a final scrape
                self._lag.forget(tp.topic, tp.partition)  # its new owner reports it now

    # --- one batch --------------------------------------------------------------------------

    def _sink(self, consumer: Consumer, messages: list[Message], summary: SinkSummary) -> bool:
        """Map, store and acknowledge one batch; False when it held nothing to store. Leaves no
        trace when it raises (the expected offsets are put back), so the batch can be retried."""
        expected = dict(self._next)
        try:
            return self._sink_once(consumer, messages, summary, expected)
        except PartitionMoved as moved:  # we were presumed dead: the partitions are another's now
            log.warning("sink: %s", moved)
            self._next = {tp: o for tp, o in expected.items() if tp not in moved.partitions}
            return True
        except BaseException:
            self._next = expected
            raise

    def _sink_once(self, consumer: Consumer, messages: list[Message], summary: SinkSummary,
                   expected: dict[tuple[str, int], int | None]) -> bool:
        batch = _Batch()
        now = datetime.now(timezone.utc)
        self._keys.learn(msg.headers() for msg in messages if msg.error() is None)
        for msg in messages:
            if self._accept(msg):
                topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
                assert topic is not None and partition is not None and offset is not None  # accepted: no error
                batch.offsets[(topic, partition)] = offset + 1
                if not self._refused(msg, topic, batch, now):
                    self._add(msg, topic, partition, offset, batch, now)
        if not batch.offsets:
            self._report_lag(consumer)  # cached end offsets: readiness needs lag while idle too
            return False
        if batch.letters:  # posted before the rows are written: at least once, like write_sparing
            self._letters.post(batch.letters)
            batch.rejects += [reject_of(letter, now) for letter in batch.letters]
        rows = latest_per_key(batch.rows)
        marks = [OffsetMark(self._group, t, p, o) for (t, p), o in batch.offsets.items()]
        # Offsets move only from where this sink left them (PoolStore.write_batch's fences).
        refused = self._write(batch, rows, marks, now, {tp: expected.get(tp) for tp in batch.offsets})
        self._count(batch)
        self._acknowledge(consumer, batch.offsets)
        self._report_lag(consumer)
        summary.records += sum(batch.stored.values())
        summary.rows += sum(len(r) for r in rows.values()) - refused
        summary.rejects += len(batch.rejects) + refused
        summary.batches += 1
        return True

    def _write(self, batch: _Batch, rows: dict[Table, list[dict[str, Any]]], marks: list[OffsetMark],
               now: datetime, fences: Fences) -> int:
        """Write the batch; if the database refuses it for a value, write all but the refused
        records, which become sink dead letters. Returns how many were refused."""
        try:
            self._store.write_batch(rows, batch.rejects, marks, fences)
            return 0
        except Exception as exc:  # refusal_of sorts data from infrastructure
            if refusal_of(exc, self._store.dialect) is None:
                raise
            refused = write_sparing(self._store, self._pending(batch), batch.rejects, marks, self._letters,
                                    now, exc, fences)
        for pending in refused:
            batch.stored[(pending.dataset, pending.recipient)] -= 1
            batch.rejected[(pending.dataset, pending.recipient)] += 1
        return len(refused)

    def _pending(self, batch: _Batch) -> list[Pending]:
        plans = {table: plan for (plan, _recipient, _dataset), table in self._tables.items()}
        return [Pending(table, row, plans[table], origin_of(msg), *self._topic_parts[msg.topic() or ""])
                for (table, row), msg in zip(batch.rows, batch.messages, strict=True)]

    def _accept(self, msg: Message) -> bool:
        error = msg.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return False
            if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART and (msg.topic() or "").startswith("^"):
                # A regex subscription that matches no topic yet (no shared topic exists before
                # the first delivery): keep waiting, new topics are seen at metadata refresh.
                return False
            raise KafkaException(error)
        tp = (msg.topic(), msg.partition())
        if tp not in self._next:
            return False  # revoked during this consume(): its new owner reads it from the pool offsets
        expected, offset = self._next[tp], msg.offset()
        assert offset is not None  # a message without an error has its offset
        if expected is not None and offset < expected:
            self._duplicates[self._parts(tp[0] or "")] += 1  # fetched before a seek: already in the pool
            return False
        self._next[tp] = offset + 1
        return True

    def _parts(self, topic: str) -> tuple[str, str]:
        parts = self._topic_parts.get(topic)
        if parts is None:
            parts = self._topic_parts[topic] = (self._topics.dataset_of(topic), self._topics.recipient_of(topic))
        return parts

    def _refused(self, msg: Message, topic: str, batch: _Batch, now: datetime) -> bool:
        """Whether the record's signature fails (it then becomes a bad_signature letter)."""
        verdict = self._keys.verify(topic, msg.key(), msg.value(), msg.headers())
        if isinstance(verdict, Ok):
            return False
        parts = self._parts(topic)
        letter = signature_letter(verdict, origin_of(msg), *parts, now)
        batch.letters.append(letter)
        batch.rejected[parts] += 1
        return True

    def _add(self, msg: Message, topic: str, partition: int, offset: int, batch: _Batch,
             now: datetime) -> None:
        parts = self._parts(topic)
        dataset, recipient = parts
        mapped = self._map(msg.value(), dataset, recipient)
        if isinstance(mapped, Fault):
            batch.rejects.append(Reject.of(mapped, topic, partition, offset, msg.value(),
                                           msg.key(), now))
            batch.rejected[parts] += 1
            return
        table, row, record = mapped.value
        batch.rows.append((table, row))
        batch.messages.append(msg)
        batch.stored[parts] += 1
        age = event_age((record.get("envelope") or {}).get("event_time"), now)
        if age is not None:
            batch.ages[parts].append(age)

    def _map(self, value: bytes | None, dataset: str,
             recipient: str) -> Ok[tuple[Table, dict[str, Any], dict[str, Any]]] | Fault:
        """(pool table, row, decoded record) of one record, or the fault that rejects it."""
        decoded = self._decode(value, dataset)
        if isinstance(decoded, Fault):
            return decoded
        plan, record = decoded.value
        row = plan.row_of(record)
        for name in plan.key:
            if row[name] is None:
                return Fault("missing_key", "pool.key", f"primary key {plan.key} is null", ",".join(plan.key))
        table = self._tables.get((plan, recipient, dataset))
        if table is None:  # SchemaConflict propagates: the sink stops before writing this batch
            ref = table_ref(self._store.dialect, self._class_of(dataset), recipient, dataset)
            table = self._tables[(plan, recipient, dataset)] = self._store.ensure_table(plan, ref)
        return Ok((table, row, record))

    def _decode(self, value: bytes | None, dataset: str) -> Ok[tuple[TablePlan, dict[str, Any]]] | Fault:
        framed = unframe(value)
        if isinstance(framed, Fault):
            return framed
        schema_id, body = framed.value
        plan = self._plan(schema_id, dataset)
        if isinstance(plan, Fault):
            return plan
        # The body with the serde's cached reader (``_plan`` fetched its schema): Serde.decode
        # would parse the frame a second time, a few percent of the sink's time.
        try:
            record = self._serde.reader(schema_id).read(body)
        except Exception as exc:  # noqa: BLE001 - any Avro read failure is a data fault
            return Fault("undecodable", "wire.avro", f"Avro body does not match schema {schema_id}: {exc}")
        return Ok((plan.value, record))

    def _plan(self, schema_id: int, dataset: str) -> Ok[TablePlan] | Fault:
        cached = self._plans.get((schema_id, dataset))
        if cached is not None:
            return cached
        try:
            schema_json = self._serde.writer_schema_json(schema_id)
        except SchemaRegistryError as exc:
            # 404: the id names no schema, a fault of this record; anything else is an outage.
            if exc.http_status_code != 404:
                raise
            return Fault("unknown_schema", "wire.schema_id", f"schema id {schema_id} is not registered")
        plan = plan_for(schema_json)
        declared = schema_json.get("dataset")
        if isinstance(plan, Ok) and declared not in (None, dataset):
            plan = Fault("wrong_dataset", "pool.dataset",
                         f"schema {schema_id} is for {declared!r}, the topic carries {dataset!r}")
        self._plans[(schema_id, dataset)] = plan
        return plan

    # --- after the transaction --------------------------------------------------------------

    def _count(self, batch: _Batch) -> None:
        for outcome, counts in (("stored", batch.stored), ("rejected", batch.rejected),
                                ("duplicate", self._duplicates)):
            for (dataset, recipient), n in counts.items():
                self._metrics.records.labels(STAGE, dataset, recipient, outcome).inc(n)
        self._duplicates.clear()
        for (dataset, recipient), ages in batch.ages.items():
            histogram = self._metrics.freshness.labels("stored", dataset, recipient)
            for seconds in ages:
                histogram.observe(seconds)
        self._lag.processed(batch.messages)

    def _report_lag(self, consumer: Consumer) -> None:
        """The lag gauges of every partition we own, from the offsets stored in the pool."""
        self.lag_known = self._lag.report(consumer, self._next)

    def _acknowledge(self, consumer: Consumer, offsets: dict[tuple[str, int], int]) -> None:
        """Mirror the stored offsets to Kafka so lag shows in the usual tools; best effort (the pool's
        offsets are the truth). Asynchronous: waiting cost a fifth of the time (bench/sink_bench.py)."""
        try:
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                            asynchronous=True)
        except KafkaException as exc:
            log.warning("offset commit to Kafka failed (pool offsets are stored): %s", exc)

    @staticmethod
    def _on_commit(error: KafkaError | None, _partitions: list[TopicPartition]) -> None:
        if error is not None and error.code() in UNREACHABLE_CLIENT_ERRORS:
            log.debug("offset commit to Kafka waits for the broker: %s", error)  # the outage has its line
        elif error is not None:
            log.warning("offset commit to Kafka failed (pool offsets are stored): %s", error)

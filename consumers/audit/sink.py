"""`govbus audit sink`: ``audit.deliveries`` into the hash-chained audit store.

Thin I/O around ``logic`` (chain) and ``store`` (database), in the pool sink's style: one
``consume()`` call is one batch, written (rows, rejects and offsets in one transaction) before
the next call; the consumer starts from the offsets stored with the rows, not Kafka's.

Ordering: the chain needs one total order, and we take Kafka's. The audit topic has ONE
partition: the sink creates it that way when missing and refuses to run on a topic with more,
because two group members would then each own partitions and both append to one chain. With one
partition, further sinks in the group are idle standbys that take over on failure.

Data faults (undecodable values, records that are not audit events) go to the rejects table with
their bytes; outages of infrastructure (broker, registry, database) are waited out, the batch in
hand retried until it is stored (consumers/batches.py); refused access stops the sink.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from consumers.audit.anchor import CheckpointWriter, ensure_checkpoint_topic
from consumers.audit.logic import normalise
from consumers.audit.store import AuditStore, audit_group, audit_url
from consumers.batches import consume_batches
from consumers.pool.logic import OffsetMark, Reject
from govbus.core.health_server import Health
from govbus.core.kafka_admin import new_topic
from govbus.core.kafka_errors import ClientErrorLatch, client_logger
from govbus.core.lag_gauges import LagGauges
from govbus.core.metrics import Metrics
from govbus.core.outage_watch import OutageWatch, Stopped, ride_out
from govbus.core.result import Fault, Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, member_client_id, topic_names
from govbus.core.topic_plan import bus_topics, spec_of

log = logging.getLogger(__name__)

STAGE = "audit"


class AuditTopicError(RuntimeError):
    """The audit topic cannot give the chain one total order."""


@dataclass
class AuditSummary:
    records: int = 0     # audit events read (including redeliveries)
    appended: int = 0    # rows added to the chain
    duplicates: int = 0  # redelivered events, already chained
    rejects: int = 0
    batches: int = 0     # database transactions committed


def ensure_audit_topic(settings: GovbusSettings, topic: str) -> None:
    """Create the audit topic as the topic plan has it if missing (one partition, kept forever);
    refuse one with more partitions."""
    admin = AdminClient(kafka_config(settings, "admin", logger=client_logger(None, "govbus.librdkafka.admin")))
    found = admin.list_topics(topic, timeout=10).topics.get(topic)
    if found is None or found.error is not None:
        future = admin.create_topics([new_topic(spec_of(settings, bus_topics(settings), topic))])[topic]
        try:
            future.result(30)
        except KafkaException as exc:  # created meanwhile by the processor is fine
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        found = admin.list_topics(topic, timeout=10).topics[topic]
    if len(found.partitions) != 1:
        raise AuditTopicError(f"{topic} has {len(found.partitions)} partitions; the audit chain needs "
                              "one total order: recreate it with one partition")


class AuditSink:
    """Consumes ``audit.deliveries`` and appends each new audit event to the chain."""

    def __init__(self, settings: GovbusSettings, serde: Serde, metrics: Metrics,
                 store: AuditStore | None = None, health: Health | None = None,
                 anchor: CheckpointWriter | None = None) -> None:
        self._settings, self._serde, self._metrics = settings, serde, metrics
        self._health = health
        self._watch = health.watch if health is not None else OutageWatch("audit sink")
        self._topic = topic_names(settings).audit_deliveries
        self._store = store or AuditStore(audit_url(settings))
        self._group = audit_group(settings)
        self._next: dict[tuple[str, int], int | None] = {}
        self._client_error = ClientErrorLatch(self._watch)
        self._assigned_at = 0.0
        self._stopping = lambda: False
        self._anchor = anchor  # None: no signing key, no checkpoints (consumers/audit/main.py says so)
        self._lag = LagGauges(metrics, "audit-sink", self._group)

    def run(self, stop: threading.Event | None = None,
            idle_exit_seconds: float | None = None) -> AuditSummary:
        """Sink until ``stop`` is set, or until nothing arrived for ``idle_exit_seconds``
        (counted from start or the last assignment)."""
        self._stopping = lambda: stop is not None and stop.is_set()
        summary = AuditSummary()
        try:
            ride_out(self._watch, lambda: ensure_audit_topic(self._settings, self._topic), self._stopping)
            if self._anchor is not None:
                ride_out(self._watch, lambda: ensure_checkpoint_topic(self._settings), self._stopping)
        except Stopped:
            return summary  # asked to stop before the broker answered
        consumer = Consumer(kafka_config(self._settings, "consumer", **{
            "group.id": self._group, "client.id": member_client_id(self._settings, "audit-sink", os.getpid()),
            "error_cb": self._client_error, "logger": client_logger(self._watch),
            # A stored offset the topic no longer holds means audit events expired unread:
            # stop loudly instead of silently skipping to the earliest one (the chain would
            # verify, yet deliveries would be missing from it). A fresh store starts at the
            # beginning explicitly (_on_assign), so this applies only to that case.
            "auto.offset.reset": "error"}))
        consumer.subscribe([self._topic], on_assign=self._on_assign,
                           on_revoke=self._on_revoke, on_lost=self._on_revoke)
        try:
            consume_batches(consumer, self._settings, self._client_error,
                            lambda messages: self._sink(consumer, messages, summary),
                            lambda: self._assigned_at, stop, idle_exit_seconds, self._health)
        finally:
            consumer.close()
            self._checkpoint(force=True)  # the last rows too, when stopped in good order
        return summary

    def _checkpoint(self, force: bool = False) -> None:
        if self._anchor is not None and self._store.chain_head is not None:
            self._anchor.tick(self._store.chain_head, force)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Start where the audit store says: its offsets were stored with its rows."""
        stored = ride_out(self._watch, lambda: self._store.stored_offsets(
            self._group, self._topic, [tp.partition for tp in partitions]), self._stopping)
        for tp in partitions:
            next_offset = stored.get(tp.partition)
            tp.offset = OFFSET_BEGINNING if next_offset is None else next_offset
            self._next[(tp.topic, tp.partition)] = next_offset
        if partitions:  # the one writer now: a standby taking over says so (docs/operations.md)
            log.warning("audit sink: writing the chain from offset %s of %s",
                        ", ".join(str(self._next[(tp.topic, tp.partition)] or 0) for tp in partitions), self._topic,
                        extra={"event": "audit_writer"})
        consumer.assign(partitions)
        self._assigned_at = time.monotonic()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Nothing to flush: each batch is written before consume() is called again.
        for tp in partitions:
            self._next.pop((tp.topic, tp.partition), None)
            self._lag.forget(tp.topic, tp.partition)

    def _accept(self, msg: Message) -> bool:
        error = msg.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return False
            raise KafkaException(error)
        tp = (msg.topic(), msg.partition())
        if tp not in self._next:
            return False  # revoked during this consume(): the new owner reads it from the store
        expected, offset = self._next[tp], msg.offset()
        assert offset is not None  # a message without an error has its offset
        if expected is not None and offset < expected:
            return False  # fetched before the seek to the stored offset: already chained
        self._next[tp] = offset + 1
        return True

    def _sink(self, consumer: Consumer, messages: list[Message], summary: AuditSummary) -> bool:
        """Decode, chain and acknowledge one batch; False when it held nothing to store. Leaves
        no trace when it raises (the expected offsets are put back): the batch can be retried."""
        expected = dict(self._next)
        try:
            took = self._sink_once(consumer, messages, summary)
        except BaseException:
            self._next = expected
            raise
        self._checkpoint()  # after every consume(), so that T seconds hold on a quiet chain too
        self._lag.report(consumer, self._next)  # cached end offsets: every consume(), busy or idle
        return took

    def _sink_once(self, consumer: Consumer, messages: list[Message], summary: AuditSummary) -> bool:
        events: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        offsets: dict[tuple[str, int], int] = {}
        now = datetime.now(timezone.utc)
        for msg in messages:
            if self._accept(msg):
                topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
                assert topic is not None and partition is not None and offset is not None  # accepted: no error
                offsets[(topic, partition)] = offset + 1
                decoded = self._decode(msg.value())
                if isinstance(decoded, Ok):
                    events.append(decoded.value)
                else:
                    rejects.append(Reject.of(decoded, topic, partition, offset, msg.value(), msg.key(), now))
        if not offsets:
            return False
        marks = [OffsetMark(self._group, t, p, o) for (t, p), o in offsets.items()]
        appended = self._store.append(events, rejects, marks)
        self._count(events, appended, len(rejects))
        self._acknowledge(consumer, offsets)
        self._lag.processed(m for m in messages if m.error() is None)
        summary.records += len(events) + len(rejects)
        summary.appended += len(appended)
        summary.duplicates += len(events) - len(appended)
        summary.rejects += len(rejects)
        summary.batches += 1
        return True

    def _decode(self, value: bytes | None) -> Ok[dict[str, Any]] | Fault:
        # The writer's schema, not a reader's: normalise() picks the audit fields and refuses
        # records without them. An unknown schema id is a Fault; a registry outage raises.
        decoded = self._serde.decode(value)
        return normalise(decoded.value) if isinstance(decoded, Ok) else decoded

    def _count(self, events: list[dict[str, Any]], appended: list[Any], rejected: int) -> None:
        fresh = {id(e) for e in appended}
        outcomes = Counter((e["dataset"], e["recipient"], "stored" if id(e) in fresh else "duplicate")
                           for e in events)
        for (dataset, recipient, outcome), n in outcomes.items():
            self._metrics.records.labels(STAGE, dataset, recipient, outcome).inc(n)
        if rejected:
            self._metrics.records.labels(STAGE, "unknown", "unknown", "rejected").inc(rejected)

    def _acknowledge(self, consumer: Consumer, offsets: dict[tuple[str, int], int]) -> None:
        """Mirror the stored offsets to Kafka so lag shows in the usual tools; best effort, since
        the audit store's offsets are the source of truth."""
        try:
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                            asynchronous=False)
        except KafkaException as exc:
            log.warning("offset commit to Kafka failed (audit offsets are stored): %s", exc)

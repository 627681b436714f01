"""Every identity's action topic (``audit.actions.*``) into the audit chain.

Runs beside the delivery sink in `govbus audit sink` (consumers/audit/main.py), with a consumer
group of its own (govbus.core.access.actions_group). The actor of each action is the identity
whose topic it came from (consumers/audit/actions.py): the broker lets only that identity write
there. Offsets are stored with the rows, one transaction per batch, like the delivery sink, and
the store's head lock orders the two writers' rows on the one chain.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from consumers.audit.actions import normalise_action
from consumers.audit.actions_store import ActionsStore
from consumers.audit.store import audit_group
from consumers.batches import consume_batches
from consumers.pool.logic import OffsetMark, Reject
from govbus.core.access import actions_group
from govbus.core.kafka_errors import ClientErrorLatch, client_logger
from govbus.core.outage_watch import OutageWatch
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, member_client_id, topic_names

log = logging.getLogger(__name__)
# New action topics (a new operator's first action) are found at the next metadata refresh.
METADATA_REFRESH_MS = 10_000


class ActionsSink:
    """Consumes ``audit.actions.*`` and appends each new action to the chain."""

    def __init__(self, settings: GovbusSettings, serde: Serde, store: ActionsStore,
                 watch: OutageWatch | None = None) -> None:
        self._settings, self._serde, self._store = settings, serde, store
        self._topics = topic_names(settings)
        self._group = actions_group(audit_group(settings))
        self._watch = watch or OutageWatch("audit actions")
        self._client_error = ClientErrorLatch(self._watch)
        self._next: dict[tuple[str, int], int | None] = {}
        self._assigned_at = 0.0
        self.appended = 0

    def pattern(self) -> str:
        return "^" + re.escape(self._topics.audit_actions_prefix) + ".+"

    def run(self, stop: threading.Event | None = None, idle_exit_seconds: float | None = None) -> None:
        consumer = Consumer(kafka_config(self._settings, "consumer", **{
            "group.id": self._group, "client.id": member_client_id(self._settings, "audit-actions", os.getpid()),
            "error_cb": self._client_error, "logger": client_logger(self._watch),
            "topic.metadata.refresh.interval.ms": METADATA_REFRESH_MS}))
        consumer.subscribe([self.pattern()], on_assign=self._on_assign, on_revoke=self._on_revoke,
                           on_lost=self._on_revoke)
        try:
            consume_batches(consumer, self._settings, self._client_error, lambda batch: self._sink(consumer, batch),
                            lambda: self._assigned_at, stop, idle_exit_seconds)
        finally:
            consumer.close()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Start where the store says (offsets stored with the rows), else at the beginning."""
        by_topic: dict[str, list[int]] = defaultdict(list)
        for tp in partitions:
            by_topic[tp.topic].append(tp.partition)
        stored = {(t, p): o for t, ps in by_topic.items()
                  for p, o in self._store.store.stored_offsets(self._group, t, ps).items()}
        for tp in partitions:
            found = stored.get((tp.topic, tp.partition))
            tp.offset = OFFSET_BEGINNING if found is None else found
            self._next[(tp.topic, tp.partition)] = found
        consumer.assign(partitions)
        self._assigned_at = time.monotonic()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._next.pop((tp.topic, tp.partition), None)

    def _accept(self, msg: Message) -> bool:
        error = msg.error()
        if error is not None:
            # A pattern that matches no topic yet (no identity has acted) is reported as
            # UNKNOWN_TOPIC_OR_PART ("Subscribed topic not available"): normal, not a refusal.
            if error.code() in (KafkaError._PARTITION_EOF, KafkaError.UNKNOWN_TOPIC_OR_PART):
                return False
            raise KafkaException(error)
        tp = (msg.topic(), msg.partition())
        if tp not in self._next:
            return False
        expected, offset = self._next[tp], msg.offset()
        assert offset is not None  # a message without an error has its offset
        if expected is not None and offset < expected:
            return False
        self._next[tp] = offset + 1
        return True

    def _sink(self, consumer: Consumer, messages: list[Message]) -> bool:
        """Decode, chain and acknowledge one batch; leaves no trace when it raises."""
        expected = dict(self._next)
        try:
            return self._sink_once(consumer, messages)
        except BaseException:
            self._next = expected
            raise

    def _sink_once(self, consumer: Consumer, messages: list[Message]) -> bool:
        events: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        offsets: dict[tuple[str, int], int] = {}
        now = datetime.now(timezone.utc)
        for msg in messages:
            if not self._accept(msg):
                continue
            topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
            assert topic is not None and partition is not None and offset is not None  # accepted: no error
            offsets[(topic, partition)] = offset + 1
            decoded = self._serde.decode(msg.value())
            action = normalise_action(decoded.value, topic, self._topics) if isinstance(decoded, Ok) else decoded
            if isinstance(action, Ok):
                events.append(action.value)
            else:
                rejects.append(Reject.of(action, topic, partition, offset, msg.value(), msg.key(), now))
        if not offsets:
            return False
        marks = [OffsetMark(self._group, t, p, o) for (t, p), o in offsets.items()]
        self.appended += len(self._store.append(events, rejects, marks))
        try:
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
        except KafkaException as exc:
            log.warning("offset commit to Kafka failed (action offsets are stored): %s", exc)
        return True

"""Writing and reading ``audit.checkpoints`` (thin I/O around consumers/audit/checkpoint.py).

The audit sink calls ``CheckpointWriter.tick`` after every consume() (with or without records):
when the chain moved and N events or T seconds went by since the last checkpoint it signs the
head and waits for the broker's acknowledgement. A checkpoint the broker did not take is retried
at the next tick; the sink never stops for one (its rows are stored either way).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.audit.checkpoint import Checkpoint, decode, due, encode, sign_checkpoint
from consumers.audit.logic import Head
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.kafka_errors import client_logger
from govbus.core.result import Fault, Ok
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import checkpoints_spec

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
READ_SECONDS = 10.0


def ensure_checkpoint_topic(settings: GovbusSettings) -> None:
    name = topic_names(settings).audit_checkpoints
    create_planned_topics(AdminClient(kafka_config(settings, "admin")), [checkpoints_spec(settings, name)])


@dataclass
class CheckpointWriter:
    """Signs and publishes the chain's head every ``audit_checkpoint_events`` events or
    ``audit_checkpoint_seconds`` seconds."""

    settings: GovbusSettings
    key: Ed25519PrivateKey
    chain: str
    producer: Producer | None = None
    last: Head = Head()           # the last head the broker acknowledged (none yet: seq 0)
    last_time: float = 0.0        # monotonic time of that acknowledgement
    written: int = 0
    on_written: Callable[[float], None] = lambda _at: None  # Unix time of each anchored checkpoint

    def __post_init__(self) -> None:
        self.topic = topic_names(self.settings).audit_checkpoints
        self.producer = self.producer or Producer(kafka_config(self.settings, "producer"))
        self.last_time = time.monotonic()

    def tick(self, head: Head, force: bool = False) -> bool:
        """Write a checkpoint of ``head`` if one is due (``force``: whenever the chain moved)."""
        settings, now = self.settings, time.monotonic()
        every = 1 if force else settings.audit_checkpoint_events
        if not due(head, self.last, self.last_time, now, every, settings.audit_checkpoint_seconds):
            return False
        checkpoint = sign_checkpoint(self.key, self.chain, head, datetime.now(timezone.utc))
        if not self._publish(checkpoint):
            return False
        self.last, self.last_time, self.written = head, now, self.written + 1
        self.on_written(time.time())
        return True

    def _publish(self, checkpoint: Checkpoint) -> bool:
        assert self.producer is not None  # set in __post_init__
        failures: list[str] = []

        def report(error: object, _msg: object) -> None:
            if error is not None:
                failures.append(str(error))
        try:
            self.producer.produce(self.topic, encode(checkpoint), checkpoint.chain.encode(), on_delivery=report)
        except (KafkaException, BufferError) as exc:
            failures.append(str(exc))
        if self.producer.flush(FLUSH_SECONDS) > 0 and not failures:
            failures.append("not acknowledged in time")
        if failures:
            log.warning("audit checkpoint seq %s not written to %s (retried at the next batch): %s",
                        checkpoint.seq, self.topic, failures[0])
            return False
        return True


def read_checkpoints(settings: GovbusSettings) -> Ok[list[Ok[Checkpoint] | Fault]] | Fault:
    """Every record on ``audit.checkpoints`` (compaction keeps at least the latest per chain),
    decoded; a Fault when the topic is missing."""
    topic = topic_names(settings).audit_checkpoints
    consumer = Consumer(kafka_config(settings, "consumer", logger=client_logger(None, "govbus.librdkafka.verify"),
                                     **{"group.id": "govbus-audit-verify", "enable.partition.eof": True}))
    try:
        meta = consumer.list_topics(topic, timeout=READ_SECONDS).topics.get(topic)
        if meta is None or meta.error is not None:
            return Fault("anchor_missing", "checkpoint.topic", f"the checkpoint topic {topic} does not exist")
        found: list[Ok[Checkpoint] | Fault] = []
        for partition in meta.partitions:
            found += _read_partition(consumer, topic, partition)
        return Ok(found)
    finally:
        consumer.close()


def _read_partition(consumer: Consumer, topic: str, partition: int) -> list[Ok[Checkpoint] | Fault]:
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=READ_SECONDS)
    consumer.assign([TopicPartition(topic, partition, low)])
    found: list[Ok[Checkpoint] | Fault] = []
    deadline = time.monotonic() + 3 * READ_SECONDS
    position = low
    while position < high and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None or message.error() is not None:
            continue
        position = (message.offset() or 0) + 1
        found.append(decode(message.value()))
    return found

"""Reading ``emergency.incidents`` and writing operators' commands, outside Faust.

Used at start-up (which versions are already published: ``DetectPipeline.published``) and by
``govbus incident``. The incidents topic is keyed by incident id; a reader keeps the newest
version of each.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from govbus.core import incident_commands
from govbus.core.kafka_errors import client_logger
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from stream_processors.detect.messages import Command

_NO_LEADER_YET = (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                  KafkaError.UNKNOWN_TOPIC_OR_PART)


class IncompleteRead(RuntimeError):
    """The incidents topic could not be read to its end in time."""


def _assignments(consumer: Consumer, topic: str) -> tuple[list[TopicPartition], dict[int, int]]:
    metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return [], {}
    ends: dict[int, int] = {}
    for partition in metadata.partitions:
        low, high = _watermarks(consumer, TopicPartition(topic, partition))
        if high > low:
            ends[partition] = high
    return [TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends], ends


def _watermarks(consumer: Consumer, partition: TopicPartition, attempts: int = 20) -> tuple[int, int]:
    # A topic created a moment ago may not have a leader yet: that passes, so retry it.
    for attempt in range(attempts):
        try:
            return consumer.get_watermark_offsets(partition, timeout=10)
        except KafkaException as exc:
            if not exc.args[0].retriable() and exc.args[0].code() not in _NO_LEADER_YET \
                    or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def read_incidents(settings: GovbusSettings, serde: Serde, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    """The newest version of every incident on the topic, read up to its end offsets now.
    No consumer group offsets are committed: every call reads from the beginning."""
    topic = topic_names(settings).emergency_incidents
    consumer = Consumer(kafka_config(settings, "consumer", **{
        "group.id": f"govbus-incident-reader-{uuid.uuid4().hex}",
        # Closing it can leave a half-authenticated coordinator connection that librdkafka
        # reports as a FAIL line: not a fault of the read (docs/findings.md).
        "logger": client_logger(None, "govbus.librdkafka.incident_reader")}))
    latest: dict[str, dict[str, Any]] = {}
    try:
        assignments, ends = _assignments(consumer, topic)
        if assignments:
            consumer.assign(assignments)
        deadline = time.monotonic() + timeout
        while ends and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            error = None if message is None else message.error()
            if message is None or error is not None:
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise IncompleteRead(str(error))
                continue
            decoded = serde.decode(message.value())
            record = decoded.value if isinstance(decoded, Ok) else None
            if record and record["version"] >= latest.get(record["incident_id"], {}).get("version", 0):
                latest[record["incident_id"]] = record
            partition, offset = message.partition(), message.offset()
            assert partition is not None and offset is not None  # a message without an error has both
            if offset >= ends.get(partition, 0) - 1:
                ends.pop(partition, None)
        if ends:
            raise IncompleteRead(f"{topic}: partitions {sorted(ends)} not read to the end in {timeout}s")
    finally:
        consumer.close()
    return latest


def send_command(settings: GovbusSettings, observations_topic: str, command: Command) -> None:
    """Put an operator's command on the detector's observations topic (govbus.core.incident_commands)."""
    incident_commands.send_command(settings, observations_topic, command)

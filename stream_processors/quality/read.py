"""Reading scorecards back (`govbus quality report`, the tests): the latest copy of every
scorecard on a topic (quality.scorecards or a feedback.<department>), read to its end offsets now,
by assignment (no group offsets are committed)."""
from __future__ import annotations

import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from govbus.core.kafka_errors import client_logger
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config

REPORT_GROUP = "govbus-quality-report"  # svc.quality's (govbus.core.access.quality_acls)
# A topic created a moment ago may not have a leader yet (the role creates its topics at start).
NO_LEADER_YET = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                 KafkaError.UNKNOWN_TOPIC_OR_PART}


class ScorecardsUnread(RuntimeError):
    """The topic was not read to its end in time (the report would be partial)."""


def _ends(consumer: Consumer, topic: str) -> dict[int, int]:
    metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return {}
    ends = {}
    for partition in metadata.partitions:
        low, high = _watermarks(consumer, TopicPartition(topic, partition))
        if high > low:
            ends[partition] = high
    return ends


def _watermarks(consumer: Consumer, partition: TopicPartition, attempts: int = 20) -> tuple[int, int]:
    for attempt in range(attempts):
        try:
            return consumer.get_watermark_offsets(partition, timeout=10)
        except KafkaException as exc:
            if exc.args[0].code() not in NO_LEADER_YET or attempt == attempts - 1:
                raise
            time.sleep(0.25)
    raise AssertionError("unreachable")


def read_scorecards(settings: GovbusSettings, serde: Serde, topic: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every scorecard on ``topic``, the latest copy of each id, in topic order."""
    consumer = Consumer(kafka_config(settings, "consumer", **{
        "group.id": REPORT_GROUP, "logger": client_logger(None, "govbus.librdkafka.quality_report")}))
    latest: dict[str, dict[str, Any]] = {}
    try:
        ends = _ends(consumer, topic)
        if ends:
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        deadline = time.monotonic() + timeout
        while ends and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                error = None if message is None else message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise ScorecardsUnread(f"{topic}: {error.str()}")
                continue
            decoded = serde.decode(message.value())
            if isinstance(decoded, Ok):
                latest[decoded.value["scorecard_id"]] = decoded.value
            if (message.offset() or 0) >= ends.get(message.partition() or 0, 0) - 1:
                ends.pop(message.partition() or 0, None)
        if ends:
            raise ScorecardsUnread(f"{topic}: partition(s) {sorted(ends)} not read to the end in {timeout:.0f}s")
    finally:
        consumer.close()
    return list(latest.values())

"""``bus.keys`` on the broker: publish the processor's public keys, read every published one back.

Thin I/O around govbus.core.signing (the records' format). The topic is compacted, keyed by key
id: the latest record of a key says whether it is retired; no key is ever deleted, so a record
signed before a rotation still verifies. Readers assign its partitions by hand and read them
to the end; the group id they are given is only for librdkafka's coordinator look-up (nothing is
committed).
"""
from __future__ import annotations

import logging
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from govbus.core.kafka_errors import client_logger
from govbus.core.logs import record_ref
from govbus.core.result import Fault
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.signing import PublishedKey, key_record, parse_key_record

log = logging.getLogger(__name__)
READ_SECONDS = 30.0


class KeyTopicError(RuntimeError):
    """bus.keys could not be written or read (the broker refused or did not answer)."""


def publish_keys(producer: Producer, settings: GovbusSettings, keys: list[PublishedKey],
                 timeout: float = READ_SECONDS) -> int:
    """Put ``keys`` on ``bus.keys`` and wait up to ``timeout`` for the broker to take them; how
    many it has not acknowledged yet (the producer keeps them). Raises if it refused any."""
    failures: list[str] = []
    topic = topic_names(settings).bus_keys

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(str(error))

    for key in keys:
        record_key, value = key_record(key)
        producer.produce(topic, value, record_key, on_delivery=delivered)
    left = producer.flush(timeout)
    if failures:
        raise KeyTopicError(f"the broker refused a record of {topic}: {failures[0]}")
    return left


def publish_now(settings: GovbusSettings, keys: list[PublishedKey]) -> None:
    """Publish with a producer of its own; KeyTopicError unless the broker took every record."""
    left = publish_keys(Producer(kafka_config(settings, "producer")), settings, keys)
    if left:
        raise KeyTopicError(f"{topic_names(settings).bus_keys}: the broker did not acknowledge {left} "
                            f"key records within {READ_SECONDS:.0f}s")


def read_published_keys(settings: GovbusSettings, group_id: str,
                        timeout: float = READ_SECONDS) -> dict[str, PublishedKey]:
    """Every key on ``bus.keys`` (its latest record), by key id; records that are not keys are
    logged and skipped. An absent topic holds no key."""
    topic = topic_names(settings).bus_keys
    consumer = Consumer(kafka_config(settings, "consumer", **{
        "group.id": group_id, "logger": client_logger(None, "govbus.librdkafka.keys")}))
    try:
        return _read_all(consumer, topic, timeout)
    finally:
        consumer.close()


def _read_all(consumer: Consumer, topic: str, timeout: float) -> dict[str, PublishedKey]:
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return {}
    ends: dict[int, int] = {}
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
        if high > low:
            ends[partition] = high
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
    found: dict[str, PublishedKey] = {}
    deadline = time.monotonic() + timeout
    while ends and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                continue
            raise KafkaException(error)
        parsed = parse_key_record(message.key(), message.value())
        if isinstance(parsed, Fault):
            log.warning("%s offset %s is not a key: %s", topic, message.offset(), parsed.message,
                        extra=record_ref(topic, message.partition(), message.offset(), event="bad_key"))
        else:
            found[parsed.value.key_id] = parsed.value
        if (message.offset() or 0) + 1 >= ends.get(message.partition() or 0, 0):
            ends.pop(message.partition() or 0, None)
    if ends:
        raise KeyTopicError(f"{topic} was not read to its end within {timeout:.0f}s")
    return found

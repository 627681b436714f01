"""Ask the broker what an identity may do by trying: produce to topics, fetch from topics.

One producer and one consumer per identity and question, for all its topics at once (a matrix of
hundreds of cells would otherwise take minutes). A READ is allowed when a record of the topic
arrives (the caller seeds every topic first); refused when the broker says
TOPIC_AUTHORIZATION_FAILED or nothing arrives before the deadline. A WRITE is allowed when the
broker acknowledges the record. Clients are configured as the roles' are (idempotent producers).
"""
from __future__ import annotations

import time
from typing import Iterable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

PROBE = b"probe"


def writes(config: dict, topics: Iterable[str], timeout: float = 15.0) -> dict[str, KafkaError | None]:
    """Each topic → None when the broker acknowledged a record, else the delivery error."""
    results: dict[str, KafkaError | None] = {}
    producer = Producer(config | {"enable.idempotence": True, "acks": "all",
                                  "message.timeout.ms": int(timeout * 1000) - 2000})

    def report(err: KafkaError | None, msg: Message) -> None:
        results[msg.topic()] = err

    wanted = set(topics)
    for topic in wanted:
        producer.produce(topic, PROBE, on_delivery=report)
    try:
        producer.flush(timeout)
    except KafkaException as exc:  # fatal: refused a producer id, so nothing is sent
        if exc.args[0].code() != KafkaError.CLUSTER_AUTHORIZATION_FAILED:
            raise
    # An identity that may write nothing at all is refused its producer id (a fatal error): its
    # records are never sent, and no report may come.
    return {t: results.get(t, KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED)) for t in wanted}


def reads(config: dict, topics: Iterable[str], timeout: float = 12.0) -> dict[str, bool]:
    """Each topic → whether this client could fetch a record from its partition 0. A topic whose
    metadata the broker withholds (no DESCRIBE) is refused at once; the others are fetched until a
    record or a TOPIC_AUTHORIZATION_FAILED arrives (a fetch refused answers with it)."""
    consumer = Consumer(config | {"group.id": "probe-unused", "enable.auto.commit": False, "log_level": 0})
    try:
        got = {t: False for t in topics if _metadata_refused(consumer, t)}
        pending = set(topics) - set(got)
        consumer.assign([TopicPartition(t, 0, OFFSET_BEGINNING) for t in sorted(pending)])
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.topic() not in pending:
                continue  # e.g. the probe's group refused: not what is asked
            error = message.error()
            if error is None or error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                got[message.topic()] = error is None
                pending.discard(message.topic())
    finally:
        consumer.close()
    return got | {t: False for t in pending}


def _metadata_refused(consumer: Consumer, topic: str) -> bool:
    error = consumer.list_topics(topic, timeout=10).topics[topic].error
    return error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

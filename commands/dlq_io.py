"""What `govbus dlq` commands share with the broker: reading a dead-letter topic, and sending a
letter's record back to its raw topic as a recorded re-drive (`redrive` sends the original
bytes, `resend` a corrected record: commands/dlq_resend.py).

A re-drive is marked on the record (``govbus.redrive.*`` headers: deadletter.redrive_headers),
recorded on ``audit.redrives`` with the operator, and, with the operator's note, as an action of
the identity the command connects as on the audit chain (commands/operator_actions.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from commands.endpoints import with_endpoints
from commands.exits import REFUSED, UNAVAILABLE, Failure
from commands.names import known_dataset
from commands.operator_actions import record_persons
from govbus.core import identities
from govbus.core.actions import Act, action_record
from govbus.core.deadletter import load_bus_schema, redrive_headers
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.result import Fault
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import bus_topics, spec_of
from govbus.core.topics import value_subject

# bus-admin on the local stack unless GOVBUS_KAFKA_USER names an operator (op.<name>, whose ACLs
# allow exactly this: read dead letters, re-drive to raw topics, record its actions).
DLQ_IDENTITY = identities.ADMIN
# How long a read of a dead-letter partition waits for its next letter before it says the broker is gone.
READ_PATIENCE_SECONDS = 60
_ACL_REFUSALS = frozenset({KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
                          KafkaError.CLUSTER_AUTHORIZATION_FAILED})


def read_letters(settings: GovbusSettings, serde: Serde, topic: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every letter on ``topic`` (partition 0..n) from the beginning to the current end. A topic
    that does not exist holds no letters; a refusal (no ACL for this identity) or a broker that
    stops answering is a ``Failure``, never an empty list or a wait without end."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "govbus-dlq-reader"}))
    try:
        meta = _topic_metadata(consumer, topic)
        for partition in meta.partitions if meta is not None else ():
            yield from _read_partition(consumer, serde, topic, partition)
    finally:
        consumer.close()


def _topic_metadata(consumer: Consumer, topic: str) -> Any:
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
    except KafkaException as exc:
        raise Failure(UNAVAILABLE, f"cannot read {topic}: {exc.args[0]}; "
                                   "start the broker (govbus stack up) and retry") from None
    if meta is None or meta.error is None:
        return meta
    if meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
        return None
    raise _refusal(topic, meta.error)


def _refusal(topic: str, error: KafkaError) -> Failure:
    if error.code() in _ACL_REFUSALS:
        return Failure(REFUSED, f"cannot read {topic}: the broker refused this identity ({error.name()}); "
                                "run as the owning department's dept.<owner>, an operator (op.<name>) or bus-admin")
    return Failure(UNAVAILABLE, f"cannot read {topic}: {error.str()}; check the broker and retry")


def _read_partition(consumer: Consumer, serde: Serde, topic: str, partition: int) -> Iterator[tuple[int, dict]]:
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    except KafkaException as exc:
        raise _refusal(topic, exc.args[0]) from None
    consumer.assign([TopicPartition(topic, partition, low)])
    offset, idle_polls = low, 0
    while offset < high:
        message = consumer.poll(5)
        if message is None:
            idle_polls += 1
            if idle_polls * 5 >= READ_PATIENCE_SECONDS:
                raise Failure(UNAVAILABLE, f"cannot read {topic}[{partition}]: no answer for "
                                           f"{READ_PATIENCE_SECONDS} s at offset {offset}; check the broker and retry")
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF or not error.fatal() and error.retriable():
                continue
            raise _refusal(topic, error)
        idle_polls, position = 0, message.offset()
        assert position is not None  # a message without an error has its offset
        offset = position + 1
        decoded = serde.decode(message.value())
        letter = (decoded.value if not isinstance(decoded, Fault)
                  else {"reason": "unreadable letter", "message": decoded.message})
        yield position, letter


def setup(dataset: str) -> tuple[GovbusSettings, Serde, str]:
    """Settings connected as the command's identity, a serde, and the dataset's dlq topic."""
    settings = GovbusSettings()
    known_dataset(settings, dataset)
    settings = with_endpoints(settings, identity=DLQ_IDENTITY)
    return settings, Serde.from_settings(settings), topic_names(settings).dlq(dataset)


@dataclass
class Redriver:
    """Sends records back to one dataset's raw topic as re-drives of their letters."""

    settings: GovbusSettings
    serde: Serde
    dlq_topic: str
    note: str
    raw: str = ""
    audit_topic: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    producer: Producer | None = None

    def open(self, dataset: str) -> "Redriver":
        names = topic_names(self.settings)
        self.raw, self.audit_topic = names.raw(dataset), names.audit_redrives
        # Created as planned (one partition, kept forever) rather than left to auto-creation.
        create_planned_topics(AdminClient(kafka_config(self.settings, "admin")),
                              [spec_of(self.settings, bus_topics(self.settings), self.audit_topic)])
        self.serde.prepare(value_subject(self.audit_topic),
                           load_bus_schema(self.settings.schemas_dir, "govbus.bus.Redrive"))
        self.producer = Producer(kafka_config(self.settings, "producer"))
        return self

    def send(self, letter: dict[str, Any], dlq_offset: int, value: bytes,
             details: dict[str, str] | None = None) -> None:
        """``value`` to the raw topic marked as a re-drive of the letter at ``dlq_offset``, its
        audit record, and the operator's action (published by ``finish``)."""
        assert self.producer is not None, "open() first"
        # (str, bytes) pairs are a header form produce() takes; the stub's list is invariant.
        self.producer.produce(self.raw, value, letter.get("original_key"),
                              headers=redrive_headers(letter, dlq_offset))  # type: ignore[arg-type]
        self.producer.produce(self.audit_topic, self.serde.encode(
            value_subject(self.audit_topic), self._audit(letter, dlq_offset)))
        self.actions.append(self._action(letter, f"{self.dlq_topic}@{dlq_offset}", details or {}))

    def flushed(self) -> bool:
        """Whether everything sent was acknowledged within a minute."""
        return self.producer is None or self.producer.flush(60) == 0

    def _action(self, letter: dict[str, Any], target: str, details: dict[str, str]) -> dict[str, Any]:
        event_ids, subjects = record_persons(self.settings, self.serde, letter["dataset"],
                                             letter.get("original_value"))
        return action_record(Act.DLQ_REDRIVE, self.note, target, datetime.now(timezone.utc),
                             dataset=letter["dataset"], event_ids=event_ids or letter_ids(letter),
                             subjects=subjects, details={"target_topic": self.raw,
                                                         "letter_reason": letter.get("reason", "")} | details)

    def _audit(self, letter: dict[str, Any], dlq_offset: int) -> dict[str, Any]:
        return {"dataset": letter["dataset"], "dlq_topic": self.dlq_topic, "dlq_offset": dlq_offset,
                "event_id": letter.get("event_id"), "reason": letter.get("reason", ""),
                "target_topic": self.raw, "operator": self.settings.kafka_user,
                "redriven_at": datetime.now(timezone.utc)}


def letter_ids(letter: dict[str, Any]) -> list[str]:
    return [str(letter["event_id"])] if letter.get("event_id") else []

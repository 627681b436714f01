"""The producer SDK every department adapter uses.

It fills the envelope (a deterministic event id from the source's natural key, so a re-import
publishes the same ids and downstream deduplicates), serialises with the shared serde, produces
idempotently (enable.idempotence, acks=all) keyed by the business key, and checks every
delivery report: ``flush`` raises if any record was not acknowledged.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from govbus import __version__
from govbus.core.deadletter import Origin, dead_letter_headers, dead_letter_record
from govbus.core.metrics import Metrics
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topics import value_subject

# Fixed namespace for govbus event ids (UUIDv5): same source key, same id, on every machine.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8c1e-5b7e-9a43-2f1b7a9e0c11")


def event_id_for(dataset: str, department: str, natural_key: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{dataset}|{department}|{natural_key}"))


@dataclass(frozen=True)
class Source:
    """Who publishes: the department, its administrative level and its region."""

    department: str
    level: str
    region_code: str
    component: str


def envelope_for(schema: DatasetSchema, record: dict[str, Any], source: Source,
                 now: datetime | None = None) -> dict[str, Any]:
    """The envelope for ``record``; its event time is the field the schema names as
    ``event_time`` (e.g. accepted_at), else now."""
    now = now or datetime.now(timezone.utc)
    time_field = schema.schema.get("event_time")
    event_time = record.get(time_field) if time_field else None
    natural_key = str(record.get(schema.key_field, "")) if schema.key_field else ""
    return {
        "event_id": event_id_for(schema.dataset, source.department, natural_key) if natural_key
        else str(uuid.uuid4()),
        "event_time": event_time or now, "dataset": schema.dataset,
        "source_department": source.department, "source_level": source.level,
        "region_code": str(record.get("region_code") or source.region_code),
        "classification": schema.classification(record),
        "lineage": [{"stage": "ingest", "component": source.component, "version": __version__,
                     "agreement_id": None, "agreement_version": None, "time": now}],
    }


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge some records: the adapter must not report success."""


@dataclass
class Publisher:
    settings: GovbusSettings
    serde: Serde
    metrics: Metrics
    producer: Producer | None = None
    failures: list[str] = field(default_factory=list)
    acknowledged: int = 0

    def __post_init__(self) -> None:
        self.topics = topic_names(self.settings)
        self.producer = self.producer or Producer(kafka_config(self.settings, "producer"))

    def prepare(self, schema: DatasetSchema, dead_letter_schema: dict[str, Any]) -> None:
        self.serde.prepare(value_subject(self.topics.raw(schema.dataset)), schema.schema)
        self.serde.prepare(value_subject(self.topics.dlq(schema.dataset)), dead_letter_schema)

    def publish(self, schema: DatasetSchema, record: dict[str, Any], key: str) -> None:
        """Encode and send one record (with its envelope) to ``raw.<dataset>``."""
        topic = self.topics.raw(schema.dataset)
        self._produce(topic, key.encode(), self.serde.encode(value_subject(topic), record), [])
        self.metrics.records.labels("ingest", schema.dataset, record["envelope"]["source_department"],
                                    "published").inc()

    def publish_reject(self, schema: DatasetSchema, fault: Fault, origin: Origin, owner: str) -> None:
        """Send a record the adapter refused to ``dlq.<dataset>``, original bytes included."""
        topic = self.topics.dlq(schema.dataset)
        letter = dead_letter_record(fault, dataset=schema.dataset, owner=owner, origin=origin,
                                    processor="producers", version=__version__)
        self._produce(topic, origin.key, self.serde.encode(value_subject(topic), letter),
                      dead_letter_headers(fault, schema.dataset, owner))
        self.metrics.records.labels("ingest", schema.dataset, owner, "rejected").inc()

    def _produce(self, topic: str, key: bytes | None, value: bytes, headers: list) -> None:
        while True:
            try:
                self.producer.produce(topic, value, key, headers=headers, on_delivery=self._on_delivery)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                self.producer.poll(0.05)
        self.producer.poll(0)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.failures.append(f"{msg.topic()} key={msg.key()!r}: {err}")
        else:
            self.acknowledged += 1

    def flush(self, timeout: float = 60.0) -> int:
        """Wait for every delivery report; raise DeliveryFailed if any record was refused."""
        remaining = self.producer.flush(timeout)
        if remaining:
            raise DeliveryFailed(f"{remaining} records still unacknowledged after {timeout}s")
        if self.failures:
            raise DeliveryFailed(f"{len(self.failures)} records refused by the broker, first: "
                                 f"{self.failures[0]}")
        return self.acknowledged

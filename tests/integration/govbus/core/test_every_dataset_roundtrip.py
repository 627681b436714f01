"""A stock confluent-kafka ``AvroDeserializer``, with a plain ``SchemaRegistryClient``, reads a
record of every dataset (and of every bus-owned schema) that govbus's Serde encoded and that went
through the real broker: departments need nothing from govbus to read the bus."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from govbus.core.schemas import load_schemas
from govbus.core.serde import STOCK_DESERIALIZER_CONF, Serde, registry_client
from govbus.core.settings import PROJECT_ROOT, kafka_config, topic_names
from govbus.core.topics import TopicNames, value_subject
from tests.support.samples import BUS_SAMPLES, SAMPLES

SCHEMAS_DIR = PROJECT_ROOT / "schemas" / "avro"


def _bus_topic(topics: TopicNames, full_name: str) -> str:
    return {"govbus.bus.EmergencyIncident": topics.emergency_incidents,
            "govbus.bus.AuditDelivery": topics.audit_deliveries,
            "govbus.bus.DeadLetter": topics.dlq("hotline.work_order"),
            "govbus.bus.Redrive": topics.audit_redrives,
            "govbus.bus.AclChange": topics.audit_acl_changes,
            "govbus.bus.OperatorAction": topics.audit_actions("op.tester"),
            "govbus.bus.QualityScorecard": topics.quality_scorecards}[full_name]


def _uuids_as_str(value: Any) -> Any:
    """fastavro (under the stock deserializer) reads logicalType uuid as uuid.UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _uuids_as_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_uuids_as_str(v) for v in value]
    return value


def test_stock_deserializer_reads_every_dataset(broker, tmp_path, unique) -> None:
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    topics = topic_names(settings)
    schemas = load_schemas(SCHEMAS_DIR)
    assert set(schemas) == set(SAMPLES), "every dataset needs a sample in tests/support/samples.py"
    outgoing: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # topic -> (schema, record)
    for dataset, schema in schemas.items():
        outgoing[topics.raw(dataset)] = (schema.schema, SAMPLES[dataset])
    for path in sorted((SCHEMAS_DIR / "bus").glob("*.avsc")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        full_name = f"{raw['namespace']}.{raw['name']}"
        outgoing[_bus_topic(topics, full_name)] = (raw, BUS_SAMPLES[full_name])
    assert len(outgoing) == len(SAMPLES) + len(BUS_SAMPLES)

    serde = Serde.from_settings(settings)
    producer = Producer(kafka_config(settings, "producer"))
    for topic, (schema, record) in outgoing.items():
        serde.prepare(value_subject(topic), schema)
        producer.produce(topic, serde.encode(value_subject(topic), record), b"k")
    assert producer.flush(30) == 0

    received: dict[str, bytes] = {}
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"g{unique}"}))
    consumer.subscribe(sorted(outgoing))
    try:
        deadline = time.monotonic() + 90
        while set(received) != set(outgoing) and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                received[message.topic()] = message.value()
    finally:
        consumer.close()
    assert set(received) == set(outgoing), f"never received: {sorted(set(outgoing) - set(received))}"

    stock = AvroDeserializer(registry_client(broker.registry_url), conf=STOCK_DESERIALIZER_CONF)
    for topic, (_, record) in outgoing.items():
        decoded = stock(received[topic], SerializationContext(topic, MessageField.VALUE))
        assert _uuids_as_str(decoded) == record, topic

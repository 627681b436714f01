"""Serde against the real registry: ids are stable, and a stock deserializer reads our bytes."""
from __future__ import annotations

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from govbus.core.serde import STOCK_DESERIALIZER_CONF, Serde, registry_client
from govbus.core.settings import kafka_config, topic_names
from govbus.core.topics import value_subject
from tests.support.helpers import hotline_schema, work_order


def test_stock_consumer_and_deserializer_read_govbus_records(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    topic = topic_names(settings).raw("hotline.work_order")
    serde = Serde.from_settings(settings)
    first_id = serde.prepare(value_subject(topic), hotline_schema().schema)
    assert Serde.from_settings(settings).prepare(value_subject(topic), hotline_schema().schema) == first_id
    producer = Producer(kafka_config(settings, "producer"))
    producer.produce(topic, serde.encode(value_subject(topic), work_order()), b"GD1")
    assert producer.flush(30) == 0
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"g{unique}"}))
    consumer.subscribe([topic])
    try:
        message = next(m for m in iter(lambda: consumer.poll(1.0), "never") if m is not None and not m.error())
    finally:
        consumer.close()
    stock = AvroDeserializer(registry_client(settings.registry_url), conf=STOCK_DESERIALIZER_CONF)
    record = stock(message.value(), SerializationContext(topic, MessageField.VALUE))
    assert record["order_no"] == "GD202611260000001"
    assert record["envelope"]["dataset"] == "hotline.work_order"

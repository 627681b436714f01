"""The Confluent wire format: framing, and a stock AvroDeserializer reading what govbus writes."""
from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from govbus.core.result import Fault, Ok
from govbus.core.serde import Serde, frame, unframe
from tests.support.helpers import hotline_schema, work_order


@pytest.mark.parametrize(("data", "rule"), [
    (None, "wire.frame"), (b"", "wire.frame"), (b"\x00\x00\x00", "wire.frame"),
    (b"\x01\x00\x00\x00\x05x", "wire.magic"),
])
def test_unframe_refuses(data, rule):
    result = unframe(data)
    assert isinstance(result, Fault) and result.rule == rule


def test_frame_layout():
    data = frame(258, b"body")
    assert data == b"\x00\x00\x00\x01\x02body"
    assert isinstance(unframe(data), Ok) and unframe(data).value[0] == 258


def test_stock_deserializer_reads_govbus_bytes():
    serde = Serde(SchemaRegistryClient.new_client({"url": "mock://serde-unit"}))
    serde.prepare("raw.hotline.work_order-value", hotline_schema().schema)
    data = serde.encode("raw.hotline.work_order-value", work_order())
    stock = AvroDeserializer(serde.registry)
    record = stock(data, SerializationContext("raw.hotline.work_order", MessageField.VALUE))
    assert record["order_no"] == "GD202611260000001" and record["caller_name"] == "张三"
    assert serde.decode(data).value["caller_id_no"] == "11010519491231002X"

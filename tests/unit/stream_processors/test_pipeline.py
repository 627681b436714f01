"""The processor pipeline without a broker: raw bytes in, shared / dead-letter messages out.

The registry here is confluent-kafka's in-process mock (fine for serde unit tests; the
integration and e2e tests use the real registry).
"""
from __future__ import annotations

import re

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from govbus.core.deadletter import Origin, load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.serde import Serde
from govbus.core.topics import TopicNames, value_subject
from stream_processors.pipeline import Pipeline
from stream_processors.route.logic import default_plan
from tests.unit.helpers import SCHEMAS_DIR, hotline_schema, work_order

TOPICS = TopicNames("unit")
RAW = TOPICS.raw("hotline.work_order")


@pytest.fixture
def pipeline() -> Pipeline:
    """A pipeline on a fresh mock registry, so schema ids do not leak between tests."""
    schema = hotline_schema()
    serde = Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"}))
    pipe = Pipeline(serde, TOPICS, {schema.dataset: schema}, {schema.dataset: [default_plan(schema)]},
                    new_metrics(), load_dead_letter_schema(SCHEMAS_DIR))
    pipe.prepare()
    return pipe


def _raw(pipeline: Pipeline, **overrides) -> Origin:
    value = pipeline.serde.encode(value_subject(RAW), work_order(**overrides))
    return Origin(RAW, 0, 42, b"GD1", value, (("trace", b"x"),))


def test_valid_record_is_masked_for_the_recipient(pipeline):
    [out] = pipeline.process(_raw(pipeline))
    assert out.topic == "unit.shared.public_security.hotline.work_order"
    record = pipeline.serde.decode(out.value).value
    assert record["caller_name"] == "张*"
    assert record["caller_phone"] == "138****8000"
    assert record["caller_id_no"] == "110105********002X"
    assert "13800138000" not in record["content"] and "11010519491231002X" not in record["content"]
    assert record["envelope"]["lineage"][-1]["stage"] == "route"
    assert b"13800138000" not in out.value and b"11010519491231002X" not in out.value


def test_invalid_record_goes_to_dlq_with_original_bytes(pipeline):
    origin = _raw(pipeline, caller_id_no="110105194912310021")
    [out] = pipeline.process(origin)
    assert out.topic == "unit.dlq.hotline.work_order"
    letter = pipeline.serde.decode(out.value).value
    assert (letter["reason"], letter["rule"], letter["field_path"]) == ("bad_check_char", "GB11643.check", "caller_id_no")
    assert letter["original_value"] == origin.value and letter["source_offset"] == 42
    assert letter["original_headers"] == {"trace": b"x"} and letter["owner_department"] == "hotline"
    assert dict(out.headers)["govbus.reason"] == b"bad_check_char"


@pytest.mark.parametrize("value", [None, b"", b"\x01\x00\x00\x00\x01abc", b"\x00\x00\x00\x00\x01\xff\xff"])
def test_undecodable_bytes_go_to_dlq(pipeline, value):
    [out] = pipeline.process(Origin(RAW, 0, 1, None, value))
    letter = pipeline.serde.decode(out.value).value
    assert out.topic.startswith("unit.dlq.") and letter["reason"] == "undecodable"
    assert letter["original_value"] == value
    assert re.match(r"wire\.", letter["rule"])


def test_unknown_schema_id_is_a_data_fault(pipeline):
    [out] = pipeline.process(Origin(RAW, 0, 1, None, b"\x00\x00\x00\x7f\xff\x02"))
    letter = pipeline.serde.decode(out.value).value
    assert (letter["reason"], letter["rule"]) == ("unknown_schema", "wire.schema_id")

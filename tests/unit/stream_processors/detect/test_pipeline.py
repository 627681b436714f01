"""Both stages without a broker: raw Avro bytes → internal messages → Avro incident versions,
on confluent-kafka's in-process mock registry (the integration test uses the real one)."""
from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import CollectorRegistry

from govbus.core.deadletter import load_bus_schema
from govbus.core.metrics import new_metrics
from govbus.core.rules import load_rules
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import PROJECT_ROOT
from govbus.core.topics import TopicNames, value_subject
from stream_processors.detect.extract import Extractor, Observation
from stream_processors.detect.logic import Detector
from stream_processors.detect.messages import Command, Tick, decode, encode
from stream_processors.detect.metrics import detect_metrics
from stream_processors.detect.pipeline import DetectPipeline
from stream_processors.detect.state import Stores
from tests.unit.stream_processors.detect.builders import NOW, T0
from tests.support.helpers import SCHEMAS_DIR, work_order

TOPICS = TopicNames("unit")
GAS = "楼道里闻到很浓的燃气味，怀疑燃气泄漏！来电人电话13800138000。"


@pytest.fixture
def pipeline() -> DetectPipeline:
    schemas = load_schemas(SCHEMAS_DIR)
    rules = list(load_rules(PROJECT_ROOT / "catalogue", schemas).rules.values())
    metrics = new_metrics()
    extra = detect_metrics(metrics.registry)
    pipe = DetectPipeline(Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"})), TOPICS,
                          schemas, Extractor(rules), Detector(rules, Stores.in_memory(), extra), metrics, extra,
                          load_bus_schema(SCHEMAS_DIR, "govbus.bus.EmergencyIncident"))
    pipe.prepare()
    return pipe


def _raw(pipe: DetectPipeline, record: dict) -> bytes:
    return pipe.serde.encode(value_subject(TOPICS.raw("hotline.work_order")), record)


def test_a_gas_smell_on_the_hotline_becomes_an_incident_without_personal_data(pipeline):
    record = work_order(content=GAS, accepted_at=T0, category_code="0110", demand_type="help")
    messages = pipeline.observe(TOPICS.raw("hotline.work_order"), _raw(pipeline, record))
    triage = [(k, v) for k, v in messages if k.startswith(b"hotline.triage_accident|")]
    assert [k for k, _ in triage] == [b"hotline.triage_accident|110105001001:gas_leak"]
    assert b"13800138000" not in b"".join(v for _, v in messages)   # observations carry no PII
    [(key, value)] = pipeline.handle(triage[0][1], 0, NOW)
    incident = pipeline.serde.decode(value).value
    assert key.decode() == incident["incident_id"] == "hotline.triage_accident/110105001001:gas_leak/20250301T080000.000Z"
    assert incident["matched_terms"] == ["燃气泄漏", "燃气味", "category:0110"]
    assert incident["triggering_event_ids"] == [record["envelope"]["event_id"]]
    assert "13800138000" not in incident["summary"] + incident["title"]
    # In Chinese with the place's names (a Beijing community the table lacks: its code, marked),
    # the group by its name, no PII.
    assert incident["title_zh"].startswith("北京市 朝阳区 110105001001（未登记） 12345 热线反映疑似燃气泄漏")
    assert "疑似燃气泄漏" in incident["title_zh"] and "gas leak" in incident["title"]
    assert "13800138000" not in incident["title_zh"] + incident["summary_zh"]


def test_an_incident_stored_before_the_chinese_fields_still_encodes():
    from stream_processors.detect.lifecycle import to_avro
    from tests.support.samples import BUS_SAMPLES

    old = dict(BUS_SAMPLES["govbus.bus.EmergencyIncident"])
    for name in ("title_zh", "summary_zh", "indicator_readings"):
        old.pop(name)
    old |= {k: int(old[k].timestamp() * 1000) for k in ("opened_at", "updated_at")}
    serde = Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(old)}"}))
    subject = value_subject(TOPICS.emergency_incidents)
    serde.prepare(subject, load_bus_schema(SCHEMAS_DIR, "govbus.bus.EmergencyIncident"))
    decoded = serde.decode(serde.encode(subject, to_avro(old))).value
    assert (decoded["title_zh"], decoded["indicator_readings"]) == (None, [])


def test_records_the_cleaner_refuses_raise_no_incident(pipeline):
    record = work_order(content=GAS, caller_id_no="110105194912310021")  # wrong check character
    assert pipeline.observe(TOPICS.raw("hotline.work_order"), _raw(pipeline, record)) == []
    assert pipeline.metrics.records.labels("detect", "hotline.work_order", "hotline", "invalid")._value.get() == 1


def test_undecodable_bytes_are_counted(pipeline):
    assert pipeline.observe(TOPICS.raw("hotline.work_order"), b"\x01junk") == []
    assert pipeline.handle(b"not json", 0, NOW) == []
    assert pipeline.detect_metrics.bad_messages._value.get() == 1


def test_the_first_message_of_a_partition_resends_versions_the_topic_lacks(pipeline):
    record = work_order(content=GAS, accepted_at=T0)
    [message] = [v for k, v in pipeline.observe(TOPICS.raw("hotline.work_order"), _raw(pipeline, record))
                 if k.startswith(b"hotline.triage_accident|")]
    pipeline.handle(message, 0, NOW)
    restarted = DetectPipeline(**{**pipeline.__dict__, "_reconciled": set(), "published": {}})
    [(key, _)] = restarted.handle(encode(Tick(NOW)), 0, NOW)      # lost on the way out: sent again
    assert key.startswith(b"hotline.triage_accident/")
    assert restarted.handle(encode(Tick(NOW)), 0, NOW) == []      # once per partition


def test_a_partition_that_comes_back_is_reconciled_again_and_one_held_throughout_is_not(pipeline):
    record = work_order(content=GAS, accepted_at=T0)
    [message] = [v for k, v in pipeline.observe(TOPICS.raw("hotline.work_order"), _raw(pipeline, record))
                 if k.startswith(b"hotline.triage_accident|")]
    [(incident_id, _)] = pipeline.handle(message, 0, NOW)
    assert pipeline.published == {incident_id.decode(): 1}           # its own sends count as published
    pipeline.published = {}                                          # as if another worker had sent it
    pipeline.handle(encode(Tick(NOW)), 1, NOW)
    pipeline.assigned([0, 1])                                        # held throughout: not again
    assert pipeline.handle(encode(Tick(NOW)), 0, NOW) == []
    pipeline.assigned([1])                                           # partition 0 goes to another worker
    pipeline.assigned([0, 1])                                        # ... and comes back
    [(key, _)] = pipeline.handle(encode(Tick(NOW)), 0, NOW)
    assert key == incident_id
    assert pipeline.handle(encode(Tick(NOW)), 0, NOW) == []


@pytest.mark.parametrize("message", [
    Observation("r.x", "350102:0502", "350102", 1, "ev", 2.5, {"deaths": 3.0}, ("燃气泄漏",), "gas_leak"),
    Observation("r.x", "350102", "350102", 1, "ev"),
    Command("resolve", "r.x/350102/20250301T080000.000Z", 5, "r.x", "350102"),
    Tick(7),
])
def test_internal_messages_round_trip(message):
    assert decode(encode(message)) == message


@pytest.mark.parametrize("data", [None, b"", b"[]", b'{"k": "o"}', b'{"k": "c", "a": "delete"}', b"\xff"])
def test_a_malformed_internal_message_is_refused(data):
    assert decode(data) is None


def test_the_open_gauge_counts_unresolved_incidents_by_grade_and_state():
    metrics = detect_metrics(CollectorRegistry())
    metrics.count_open([{"state": "open", "grade": "IV", "opened_at": 1_000_000},
                        {"state": "escalated", "grade": "III", "opened_at": 1_500_000},
                        {"state": "acknowledged", "grade": "III", "opened_at": 0},
                        {"state": "resolved", "grade": "IV", "opened_at": 0}, None], now=2_000.0)
    opened = lambda g, s: metrics.incidents_open.labels(g, s)._value.get()  # noqa: E731
    assert [opened(g, "open") for g in ("I", "II", "III", "IV")] == [0, 0, 0, 1]
    assert (opened("III", "escalated"), opened("III", "acknowledged"), opened("IV", "acknowledged")) == (1, 1, 0)
    age = lambda g: metrics.unacknowledged_age.labels(g)._value.get()  # noqa: E731
    assert [age(g) for g in ("I", "II", "III", "IV")] == [0, 0, 500.0, 1_000.0]  # acknowledged: not waiting

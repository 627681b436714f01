"""The processor pipeline without a broker: raw bytes in, shared / dead-letter messages out.

The registry here is confluent-kafka's in-process mock (fine for serde unit tests; the
integration and e2e tests use the real registry).
"""
from __future__ import annotations

import re

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from govbus.core.agreements import AGREEMENTS_DIR
from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin, load_bus_schema, load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import PROJECT_ROOT
from govbus.core.topics import TopicNames, value_subject
from stream_processors.agreement_book import AgreementBook
from stream_processors.clean.dedup import SeenEvents
from stream_processors.pipeline import Pipeline
from stream_processors.route.logic import audit_key
from tests.support.helpers import SCHEMAS_DIR, work_order

CATALOGUE_DIR = PROJECT_ROOT / "catalogue"
PS_TOPIC = "unit.shared.public_security_350100.hotline.work_order"

TOPICS = TopicNames("unit")
RAW = TOPICS.raw("hotline.work_order")


@pytest.fixture
def pipeline() -> Pipeline:
    """A pipeline on a fresh mock registry, so schema ids do not leak between tests."""
    schemas = load_schemas(SCHEMAS_DIR)
    book = AgreementBook(CATALOGUE_DIR / AGREEMENTS_DIR, load_catalogue(CATALOGUE_DIR), schemas, b"k")
    serde = Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"}))
    pipe = Pipeline(serde, TOPICS, schemas, book, new_metrics(), load_dead_letter_schema(SCHEMAS_DIR),
                    load_bus_schema(SCHEMAS_DIR, "govbus.bus.AuditDelivery"), audit_key(b"k"),
                    SeenEvents(600, 1000))
    pipe.prepare()
    return pipe


def _raw(pipeline: Pipeline, **overrides) -> Origin:
    record = work_order(**overrides)
    if "envelope" not in overrides:
        record["envelope"] = record["envelope"] | {"region_code": "350102001001"}
    value = pipeline.serde.encode(value_subject(RAW), record | {"region_code": record["envelope"]["region_code"]})
    return Origin(RAW, 0, 42, b"GD1", value, (("trace", b"x"),))


def _by_topic(outs) -> dict:
    return {out.topic: out for out in outs}


def test_valid_record_is_masked_for_each_recipient(pipeline):
    outs = _by_topic(pipeline.process(_raw(pipeline)))
    assert set(outs) == {PS_TOPIC, "unit.shared.urban_management_350102.hotline.work_order",
                         "unit.shared.emergency_management_350000.hotline.work_order",
                         "unit.audit.deliveries"}
    record = pipeline.serde.decode(outs[PS_TOPIC].value).value
    assert record["caller_name"] == "张*"
    assert record["caller_phone"] == "138****8000"
    assert record["caller_id_no"].startswith("v1:") and len(record["caller_id_no"]) == 67
    assert "13800138000" not in record["content"] and "11010519491231002X" not in record["content"]
    assert record["envelope"]["lineage"][-1]["agreement_id"] == "hotline-to-public-security-fz"
    for out in outs.values():
        assert b"13800138000" not in out.value and b"11010519491231002X" not in out.value
    urban = pipeline.serde.decode(outs["unit.shared.urban_management_350102.hotline.work_order"].value).value
    assert "caller_name" not in urban and "caller_phone" not in urban  # deny by default
    province = pipeline.serde.decode(outs["unit.shared.emergency_management_350000.hotline.work_order"].value).value
    assert province["region_code"] == "350102" and province["caller_phone"] == "138****8000"  # upward


def test_out_of_jurisdiction_and_filtered_records_are_not_delivered(pipeline):
    outs = _by_topic(pipeline.process(_raw(pipeline, region_code="350103001001", demand_type="suggestion",
                                           envelope=work_order()["envelope"] | {"region_code": "350103001001"})))
    assert set(outs) == {"unit.shared.emergency_management_350000.hotline.work_order", "unit.audit.deliveries"}


def test_a_duplicate_event_id_is_dropped(pipeline):
    assert pipeline.process(_raw(pipeline))
    assert pipeline.process(_raw(pipeline)) == []


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


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"content": "噪音\x00很吵"}, "content", "control_character"),
    ({"order_no": "GD" + "1" * 4998}, "order_no", "too_long"),
    ({"content": "话" * 100_000}, "content", "too_long"),
    ({"category_code": ""}, "category_code", "missing_field"),
])
def test_poisoned_strings_are_dead_letters_naming_the_field(pipeline, overrides, field, reason):
    outs = pipeline.process(_raw(pipeline, **overrides))
    assert [out.topic for out in outs] == [TOPICS.dlq("hotline.work_order")]
    letter = pipeline.serde.decode(outs[0].value).value
    assert (letter["field_path"], letter["reason"], letter["stage"]) == (field, reason, "process")
    assert letter["rule"].startswith(("text.", "schema.")) and letter["message"]


def test_invalid_utf8_in_a_string_is_a_dead_letter_naming_the_field(pipeline):
    """Bytes no producer library would write (a lone surrogate encoded as UTF-8) reach the raw
    topic from a hand-made client: the processor names the field instead of 'undecodable'."""
    marker = "MARKER-MARKER"
    origin = _raw(pipeline, caller_name=marker)
    poisoned = origin.value.replace(marker.encode(), b"\xed\xa0\x80" + b"x" * (len(marker) - 3))
    outs = pipeline.process(Origin(origin.topic, 0, 43, origin.key, poisoned))
    letter = pipeline.serde.decode(outs[0].value).value
    assert (letter["field_path"], letter["reason"]) == ("caller_name", "invalid_encoding")
    assert letter["original_value"] == poisoned
def test_a_registration_an_outage_interrupted_is_finished_on_the_next_reload():
    """The book has the new plans once loaded; the shared schemas must still all be registered."""
    from types import SimpleNamespace

    import httpx2

    class Book:
        def __init__(self) -> None:
            self.changed = True

        def reload_if_changed(self) -> bool:
            changed, self.changed = self.changed, False
            return changed

        def all_plans(self):
            agreement = SimpleNamespace(id="a", status="suspended", in_force=lambda _now: False)
            return [SimpleNamespace(recipient_id="r", dataset="hotline.work_order", shared_schema={"n": 1},
                                    agreement=agreement)]

    class FlakySerde:
        def __init__(self) -> None:
            self.down, self.prepared = True, []

        def prepare(self, subject, _schema) -> None:
            if self.down:
                raise httpx2.ConnectError("refused")
            self.prepared.append(subject)

    serde = FlakySerde()
    pipeline = Pipeline(serde=serde, topics=TopicNames(""), schemas={}, book=Book(), metrics=new_metrics(),
                        dead_letter_schema={}, audit_schema={}, audit_key=b"k", seen=None)
    with pytest.raises(httpx2.ConnectError):
        pipeline.reload_agreements()
    serde.down = False
    assert pipeline.reload_agreements() is True
    assert serde.prepared == ["shared.r.hotline.work_order-value"]
    assert pipeline.reload_agreements() is False


def test_a_batch_s_deliveries_are_signed_one_tree_a_topic_and_each_verifies_alone(pipeline):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from govbus.core.result import Ok
    from govbus.core.signing import SIGNATURE_HEADER, SigningKey, verify_delivery

    pipeline.signing_key = SigningKey.of(Ed25519PrivateKey.generate())
    batch = [out for n in range(5) for out in pipeline.process(_raw(pipeline, order_no=f"GD{n}"))]
    shared = [out for out in batch if ".shared." in out.topic]
    assert len({out.topic for out in shared}) == 3 and all(out.sign_as for out in shared)
    signed = pipeline.sign(batch)
    keys = {pipeline.signing_key.key_id: pipeline.signing_key.public_key}
    for out in signed:
        if ".shared." in out.topic:
            assert isinstance(verify_delivery(keys, out.topic, out.key, out.value, out.headers), Ok)
            assert ("govbus.agreement", dict(out.headers)["govbus.agreement"]) in out.headers  # kept
        else:  # audit events are the bus's own topic: not signed
            assert SIGNATURE_HEADER not in dict(out.headers)
    signatures = {dict(out.headers)[SIGNATURE_HEADER] for out in signed if ".shared." in out.topic}
    assert len(signatures) == 3  # one a topic, not one a record


def test_without_a_signing_key_nothing_is_marked_or_signed(pipeline):
    outs = pipeline.process(_raw(pipeline))
    assert not any(out.sign_as for out in outs) and pipeline.sign(outs) == outs


def test_an_identifier_in_an_untagged_field_is_masked_and_counted(pipeline):
    """A phone typed into ``address`` (kept by the public security and Gulou agreements): masked
    in every delivery, counted once per record by dataset, field and kind, never by value."""
    outs = _by_topic(pipeline.process(_raw(pipeline, address="鼓楼区五四路88号 13900139000")))
    for topic in (PS_TOPIC, "unit.shared.urban_management_350102.hotline.work_order"):
        assert pipeline.serde.decode(outs[topic].value).value["address"] == "鼓楼区五四路88号 139****9000"
    for out in outs.values():
        assert b"13900139000" not in out.value
    registry = pipeline.metrics.registry
    labels = {"dataset": "hotline.work_order", "field": "address", "kind": "mobile"}
    assert registry.get_sample_value("govbus_pii_found_in_untagged_field_total", labels) == 1
    assert registry.get_sample_value("govbus_pii_found_in_untagged_field_total",
                                     labels | {"field": "caller_phone"}) is None  # a mobile, its own kind


def test_raw_records_are_decoded_by_the_cross_checked_compiled_reader(pipeline):
    pipeline.process(_raw(pipeline))
    reader = pipeline._reader(value_subject(RAW))
    assert reader.compiled is not None and reader.checks == 199  # read natively, compared once

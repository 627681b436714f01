"""The SDK's guarantees without a broker: provider check, producer configuration, every
delivery report checked, metrics counted, envelopes filled."""
from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timezone

import pytest

from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin
from govbus.core.metrics import new_metrics
from govbus.core.result import Fault
from govbus.core.settings import PROJECT_ROOT, GovbusSettings
from producers.sdk import (DeliveryFailed, NotProvider, Publisher, Source, check_provider,
                           envelope_for, event_id_for, exits_on_sigterm, producer_config,
                           region_field)
from producers.synthetic.generate import project_schemas

CATALOGUE = load_catalogue(PROJECT_ROOT / "catalogue")


class FakeProducer:
    """Queues like librdkafka: ``full`` BufferErrors first, reports on flush."""

    def __init__(self, full: int = 0) -> None:
        self.sent: list[tuple[str, bytes, bytes | None]] = []
        self.full, self.polls = full, 0

    def produce(self, topic, value, key=None, headers=None):
        if self.full:
            self.full -= 1
            raise BufferError("queue full")
        self.sent.append((topic, value, key))

    def poll(self, timeout=0):
        self.polls += 1
        return 0

    def flush(self, timeout=None):
        return 0

    def __len__(self):
        return 0


class FakeMessage:
    def topic(self):
        return "raw.hotline.work_order"

    def key(self):
        return b"GD1"


class FakeSerde:
    def encode(self, subject, record):
        return b"\x00\x00\x00\x00\x07" + repr(sorted(record)).encode()


def publisher(producer: FakeProducer) -> Publisher:
    return Publisher(GovbusSettings(bootstrap_servers="x:1"), FakeSerde(), new_metrics(), producer)


def counted(pub: Publisher, outcome: str) -> float:
    return pub.metrics.registry.get_sample_value(
        "govbus_records_total", {"stage": "ingest", "dataset": "hotline.work_order",
                                 "department": "hotline", "outcome": outcome}) or 0


@pytest.mark.parametrize(("dataset", "department", "allowed"), [
    ("hotline.work_order", "hotline", True), ("population.resident", "public_security", True),
    ("hotline.work_order", "public_security", False), ("nope.nothing", "hotline", False)])
def test_only_the_catalogue_provider_may_publish(dataset, department, allowed):
    if allowed:
        check_provider(CATALOGUE, dataset, department)
    else:
        reason = department if "nope" not in dataset else "no catalogue"
        with pytest.raises(NotProvider, match=reason):
            check_provider(CATALOGUE, dataset, department)


def test_producer_config_keeps_idempotence_and_acks_all():
    config = producer_config(GovbusSettings(bootstrap_servers="x:1"), print)
    assert config["enable.idempotence"] is True and config["acks"] == "all"
    assert config["delivery.report.only.error"] is True
    weakened = GovbusSettings(bootstrap_servers="x:1", kafka_extra={"acks": "1"})
    with pytest.raises(ValueError, match="idempotence"):
        producer_config(weakened, print)


def test_bulk_publish_retries_a_full_queue_polls_once_and_counts():
    producer = FakeProducer(full=2)
    pub = publisher(producer)
    schema = project_schemas()["hotline.work_order"]
    assert pub.publish_encoded(schema, "hotline", [(b"k1", b"v1"), (b"k2", b"v2")]) == 2
    assert [s[2] for s in producer.sent] == [b"k1", b"k2"]
    assert counted(pub, "published") == 2
    assert pub.flush() == 2 and pub.acknowledged == 2


def test_a_refused_delivery_fails_the_flush():
    pub = publisher(FakeProducer())
    schema = project_schemas()["hotline.work_order"]
    pub.publish_encoded(schema, "hotline", [(b"GD1", b"v")])
    pub._on_delivery("broker said no", FakeMessage())
    with pytest.raises(DeliveryFailed, match="refused by the broker"):
        pub.flush()


def test_rejects_go_to_the_dlq_topic_with_metrics():
    producer = FakeProducer()
    pub = publisher(producer)
    schema = project_schemas()["hotline.work_order"]
    fault = Fault("bad_enum", "avro.enum", "not a symbol", "channel")
    pub.publish_reject(schema, fault, Origin("orders.csv", offset=3, value=b"{}"), "hotline")
    assert producer.sent[0][0] == "dlq.hotline.work_order"
    assert counted(pub, "rejected") == 1
    assert pub.metrics.registry.get_sample_value(
        "govbus_dlq_records_total", {"stage": "adapter", "dataset": "hotline.work_order", "department": "hotline",
                                     "reason": "bad_enum"}) == 1


def test_envelope_takes_event_time_region_and_level_from_the_record():
    schema = project_schemas()["population.resident"]
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    source = Source("public_security", "city", "350100", "test")
    record = {"person_no": "P1", "household_region_code": "350102001001", "id_no": "x"}
    envelope = envelope_for(schema, record, source, now)
    assert region_field(schema) == "household_region_code"
    assert envelope["region_code"] == "350102001001" and envelope["classification"] == "L4"
    assert envelope["event_id"] == event_id_for("population.resident", "public_security", "P1")
    assert envelope["event_time"] == now and envelope["lineage"][0]["time"] == now
    assert envelope_for(schema, {}, source, now)["region_code"] == "350100"


class ClosingProducer(FakeProducer):
    """Counts flushes and knows whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushes, self.closed = 0, False

    def flush(self, timeout=None):
        self.flushes += 1
        return 0

    def close(self):
        self.closed = True
        return True


def test_leaving_a_publisher_block_flushes_and_closes():
    producer = ClosingProducer()
    schema = project_schemas()["hotline.work_order"]
    with publisher(producer) as pub:
        pub.publish_encoded(schema, "hotline", [(b"k1", b"v1")])
    assert producer.flushes == 1 and producer.closed and pub.acknowledged == 1


def test_leaving_on_an_error_delivers_but_keeps_the_error():
    """A refusal found on the way out is not raised over the caller's own error."""
    producer = ClosingProducer()
    schema = project_schemas()["hotline.work_order"]
    with pytest.raises(KeyError):
        with publisher(producer) as pub:
            pub.publish_encoded(schema, "hotline", [(b"GD1", b"v")])
            pub._on_delivery("broker said no", FakeMessage())
            raise KeyError("the caller's own failure")
    assert producer.sent and producer.closed


def test_a_publisher_leaves_sigterm_to_the_wiring():
    before = signal.getsignal(signal.SIGTERM)
    publisher(FakeProducer())
    assert signal.getsignal(signal.SIGTERM) is before


def test_exits_on_sigterm_turns_sigterm_into_an_exit_only_while_inside():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exited:
        with exits_on_sigterm():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
    assert exited.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before

"""The sink's consumer-lag gauge, from the client's cached end offsets (no broker needed)."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.pool.keyring import KeyRing
from consumers.pool.sink import PoolSink
from consumers.pool.store import PartitionMoved
from govbus.core.metrics import new_metrics
from govbus.core.settings import GovbusSettings
from govbus.core.signing import SigningKey, load_signing_key, new_private_key_pem, published, signature_headers

BUS_KEY: SigningKey = load_signing_key(new_private_key_pem()).value  # type: ignore[union-attr]
RING = KeyRing.of([published(BUS_KEY.public_key, datetime(2026, 1, 1, tzinfo=timezone.utc))])


class CachedOffsets:
    """A consumer whose cached watermarks are given per (topic, partition)."""

    def __init__(self, marks):
        self.marks, self.cached_only = marks, True

    def get_watermark_offsets(self, tp: TopicPartition, timeout=None, cached=False):
        self.cached_only &= cached
        mark = self.marks[(tp.topic, tp.partition)]
        if mark is None:
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_PARTITION))
        return mark


def sink(metrics):
    store = SimpleNamespace(dialect="sqlite")  # the constructor only keeps it
    return PoolSink(GovbusSettings(sink_group="g"), None, None, metrics, store, resource_class_of={}, keys=RING)


def test_lag_is_end_offset_minus_stored_offset_per_owned_partition():
    metrics = new_metrics()
    s = sink(metrics)
    s._next = {("t", 0): 5, ("t", 1): None, ("t", 2): 3, ("t", 3): 9}
    consumer = CachedOffsets({("t", 0): (0, 12), ("t", 1): (2, 10), ("t", 2): (-1001, -1001), ("t", 3): None})
    s._report_lag(consumer)
    lag = lambda p: metrics.registry.get_sample_value(  # noqa: E731
        "govbus_consumer_lag_records", {"role": "sink", "group": "g", "topic": "t", "partition": str(p)})
    assert (lag(0), lag(1), lag(2), lag(3)) == (7, 8, None, None)  # unknown: not reported at all
    assert consumer.cached_only  # no broker round trip per batch


def test_a_revoked_partition_stops_reporting_lag():
    metrics = new_metrics()
    s = sink(metrics)
    s._next = {("t", 0): 5}
    s._report_lag(CachedOffsets({("t", 0): (0, 6)}))
    s._on_revoke(None, [TopicPartition("t", 0)])
    assert metrics.registry.get_sample_value(
        "govbus_consumer_lag_records", {"role": "sink", "group": "g", "topic": "t", "partition": "0"}) is None
    assert metrics.registry.get_sample_value(
        "govbus_consumer_lag_seconds", {"role": "sink", "group": "g", "topic": "t"}) is None



class Message:
    """A record on a shared topic, signed by the bus unless ``signed`` is false."""

    def __init__(self, topic: str, partition: int, offset: int, signed: bool = True) -> None:
        self.args = (topic, partition, offset)
        self._headers = signature_headers(BUS_KEY, topic, self.key(), self.value(), "agr", 1) if signed else None

    def headers(self):
        return self._headers

    def error(self):
        return None

    def topic(self):
        return self.args[0]

    def partition(self):
        return self.args[1]

    def offset(self):
        return self.args[2]

    def value(self):
        return b"not framed"  # a reject: no registry needed

    def key(self):
        return b"k"


class FlakyStore:
    """A pool database that is unreachable for the first ``down`` writes."""

    dialect = "sqlite"

    def __init__(self, down: int) -> None:
        self.down, self.written = down, []

    def write_batch(self, rows, rejects, marks, fences=None):
        if self.down:
            self.down -= 1
            raise KafkaException(KafkaError(KafkaError._TRANSPORT))  # any outage: the write failed
        self.written.append(([r.offset for r in rejects], [m.next_offset for m in marks]))
        self.fences = fences


class Committing(CachedOffsets):
    def commit(self, offsets, asynchronous):
        self.committed = offsets


def test_a_batch_whose_write_failed_is_taken_again_whole():
    store = FlakyStore(down=1)
    s = PoolSink(GovbusSettings(sink_group="g"), None, None, new_metrics(), store, resource_class_of={},
                 keys=RING)
    s._next = {("shared.x.hotline.work_order", 0): 10}
    messages = [Message("shared.x.hotline.work_order", 0, o) for o in (10, 11)]
    consumer = Committing({("shared.x.hotline.work_order", 0): (0, 12)})
    summary = SimpleNamespace(records=0, rows=0, rejects=0, batches=0)
    try:
        s._sink(consumer, messages, summary)
    except KafkaException:
        pass
    assert s._next == {("shared.x.hotline.work_order", 0): 10}  # no trace of the failed try
    assert s._sink(consumer, messages, summary) is True
    assert store.written == [([10, 11], [12])]
    assert store.fences == {("shared.x.hotline.work_order", 0): 10}  # moved only from where we left it
    assert s.lag_known


class MovedStore(FlakyStore):
    """Another sink has stored offsets of partition 0 since this one read them."""

    def write_batch(self, rows, rejects, marks, fences=None):
        raise PartitionMoved([("shared.x.hotline.work_order", 0)])


def test_a_batch_of_partitions_that_moved_meanwhile_is_dropped_unacknowledged():
    s = PoolSink(GovbusSettings(sink_group="g"), None, None, new_metrics(), MovedStore(0), resource_class_of={},
                 keys=RING)
    s._next = {("shared.x.hotline.work_order", 0): 10, ("shared.x.hotline.work_order", 1): 3}
    consumer = Committing({("shared.x.hotline.work_order", 0): (0, 12), ("shared.x.hotline.work_order", 1): (0, 3)})
    summary = SimpleNamespace(records=0, rows=0, rejects=0, batches=0)
    messages = [Message("shared.x.hotline.work_order", 0, o) for o in (10, 11)]
    assert s._sink(consumer, messages, summary) is True
    assert s._next == {("shared.x.hotline.work_order", 1): 3}  # its records are the new owner's now
    assert not hasattr(consumer, "committed") and summary.batches == 0
    assert s._sink(consumer, messages, summary) is False  # fetched again before the revoke: ignored


class Letters:
    def __init__(self):
        self.posted = []

    def post(self, letters):
        self.posted += letters


def test_unsigned_and_tampered_records_become_bad_signature_letters_and_the_batch_goes_on():
    store = FlakyStore(down=0)
    s = PoolSink(GovbusSettings(sink_group="g"), None, None, new_metrics(), store, resource_class_of={},
                 keys=RING)
    s._letters = Letters()
    topic = "shared.x.hotline.work_order"
    s._next = {(topic, 0): 10}
    tampered = Message(topic, 0, 12)
    tampered.key = lambda: b"other key"  # type: ignore[method-assign]  # changed after signing
    messages = [Message(topic, 0, 10), Message(topic, 0, 11, signed=False), tampered]
    summary = SimpleNamespace(records=0, rows=0, rejects=0, batches=0)
    assert s._sink(Committing({(topic, 0): (0, 13)}), messages, summary) is True
    rules = [(letter["reason"], letter["rule"], letter["field_path"], letter["source_offset"])
             for letter in s._letters.posted]
    assert rules == [("bad_signature", "signature.missing", "headers.govbus-signature", 11),
                     ("bad_signature", "signature.invalid", "headers.govbus-signature", 12)]
    letter = s._letters.posted[0]
    assert (letter["stage"], letter["owner_department"], letter["recipient"], letter["original_value"]) == (
        "sink", "hotline", "x", b"not framed")
    # offset 10 (signed, not framed) is an ordinary reject; the two letters are rejects too; all stored
    assert store.written == [([10, 11, 12], [13])]
    assert summary.rejects == 3


def test_a_batch_naming_an_unknown_key_reads_the_keys_once():
    loads = []
    ring = KeyRing(lambda: loads.append(1) or {})
    ring.learn([Message("shared.x.d.e", 0, o).headers() for o in range(5)])
    ring.learn([None, []])  # nothing named: nothing read
    assert len(loads) == 1

"""The sink's consumer-lag gauge, from the client's cached end offsets (no broker needed)."""
from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.pool.sink import PoolSink
from consumers.pool.store import PartitionMoved
from govbus.core.metrics import new_metrics
from govbus.core.settings import GovbusSettings


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
    return PoolSink(GovbusSettings(sink_group="g"), None, None, metrics, store, resource_class_of={})


def test_lag_is_end_offset_minus_stored_offset_per_owned_partition():
    metrics = new_metrics()
    s = sink(metrics)
    s._next = {("t", 0): 5, ("t", 1): None, ("t", 2): 3, ("t", 3): 9}
    consumer = CachedOffsets({("t", 0): (0, 12), ("t", 1): (2, 10), ("t", 2): (-1001, -1001), ("t", 3): None})
    s._report_lag(consumer)
    lag = lambda p: metrics.registry.get_sample_value(  # noqa: E731
        "govbus_consumer_lag_records", {"group": "g", "topic": "t", "partition": str(p)})
    assert (lag(0), lag(1), lag(2), lag(3)) == (7, 8, None, None)  # unknown: not reported at all
    assert consumer.cached_only  # no broker round trip per batch


def test_a_revoked_partition_stops_reporting_lag():
    metrics = new_metrics()
    s = sink(metrics)
    s._next = {("t", 0): 5}
    s._report_lag(CachedOffsets({("t", 0): (0, 6)}))
    s._on_revoke(None, [TopicPartition("t", 0)])
    assert metrics.registry.get_sample_value(
        "govbus_consumer_lag_records", {"group": "g", "topic": "t", "partition": "0"}) is None



class Message:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.args = (topic, partition, offset)

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
    s = PoolSink(GovbusSettings(sink_group="g"), None, None, new_metrics(), store, resource_class_of={})
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
    s = PoolSink(GovbusSettings(sink_group="g"), None, None, new_metrics(), MovedStore(0), resource_class_of={})
    s._next = {("shared.x.hotline.work_order", 0): 10, ("shared.x.hotline.work_order", 1): 3}
    consumer = Committing({("shared.x.hotline.work_order", 0): (0, 12), ("shared.x.hotline.work_order", 1): (0, 3)})
    summary = SimpleNamespace(records=0, rows=0, rejects=0, batches=0)
    messages = [Message("shared.x.hotline.work_order", 0, o) for o in (10, 11)]
    assert s._sink(consumer, messages, summary) is True
    assert s._next == {("shared.x.hotline.work_order", 1): 3}  # its records are the new owner's now
    assert not hasattr(consumer, "committed") and summary.batches == 0
    assert s._sink(consumer, messages, summary) is False  # fetched again before the revoke: ignored

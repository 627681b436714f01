"""The sink's consumer-lag gauge, from the client's cached end offsets (no broker needed)."""
from __future__ import annotations

from types import SimpleNamespace

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.pool.sink import PoolSink
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


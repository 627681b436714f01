"""BatchedMetrics: what a flush adds is what inc() and observe() one by one would have added."""
from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from stream_processors.metric_batch import BatchedMetrics, observe_all

BUCKETS = (0.1, 0.5, 1.0, 5.0)
CASES = [
    [],
    [0.05],
    [0.1, 0.5, 1.0, 5.0],  # on each bound: that bucket (observe's <=)
    [0.1000001, 0.4999, 7.0, 1e9, -3.0],  # above the last finite bound: +Inf; negative: the first
    [math.nan, 0.2],  # NaN: the sum only, no bucket
    [0.3] * 50 + [2.0] * 7,
]


def _samples(registry: CollectorRegistry) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for metric in registry.collect() for s in metric.samples if not s.name.endswith("_created")}


def _histograms() -> tuple[CollectorRegistry, Histogram, CollectorRegistry, Histogram]:
    one, many = CollectorRegistry(), CollectorRegistry()
    return (one, Histogram("age_seconds", "t", ["stage"], buckets=BUCKETS, registry=one),
            many, Histogram("age_seconds", "t", ["stage"], buckets=BUCKETS, registry=many))


@pytest.mark.parametrize("values", CASES)
def test_observe_all_fills_the_buckets_and_count_observe_would(values):
    one, single, many, batched = _histograms()
    child = single.labels("delivered")
    for value in values:
        child.observe(value)
    observe_all(batched.labels("delivered"), values)
    expected, got = _samples(one), _samples(many)
    sums = [key for key in expected if key[0] == "age_seconds_sum"]
    for key in sums:  # one float sum against successive additions: equal up to rounding (or both NaN)
        assert got.pop(key) == pytest.approx(expected.pop(key), nan_ok=True)
    assert got == expected


def test_a_child_without_the_internals_observes_one_by_one():
    class Plain:
        def __init__(self) -> None:
            self.seen: list[float] = []

        def observe(self, value: float) -> None:
            self.seen.append(value)
    child = Plain()
    observe_all(child, [1.0, 2.0])
    assert child.seen == [1.0, 2.0]


def test_nothing_reaches_prometheus_before_flush_and_a_flush_adds_each_count_once():
    registry = CollectorRegistry()
    delivered = Counter("deliveries", "t", ["recipient"], registry=registry)
    ages = Histogram("age_seconds", "t", buckets=BUCKETS, registry=registry)
    batched = BatchedMetrics()
    for _ in range(3):
        batched.count(delivered.labels("a"))
        batched.observe(ages, 0.2)
    batched.count(delivered.labels("b"))
    assert registry.get_sample_value("deliveries_total", {"recipient": "a"}) == 0
    batched.flush()
    batched.flush()  # a second flush has nothing left to add
    assert registry.get_sample_value("deliveries_total", {"recipient": "a"}) == 3
    assert registry.get_sample_value("deliveries_total", {"recipient": "b"}) == 1
    assert registry.get_sample_value("age_seconds_bucket", {"le": "0.5"}) == 3
    assert registry.get_sample_value("age_seconds_count") == 3

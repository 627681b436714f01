"""Consumer lag in records and seconds, from a consumer's own offsets and timestamps (govbus.core.lag)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from govbus.core.lag import LagClock, event_age, lag_records, lag_seconds, oldest
from govbus.core.lag_gauges import LagGauges
from govbus.core.metrics import new_metrics

NOW = 1_000_000.0


@pytest.mark.parametrize(("position", "high", "expected"), [
    (5, 12, 7),          # behind
    (12, 12, 0),         # caught up
    (14, 12, 0),         # a position past a cached watermark is caught up, not negative
    (None, 12, None),    # no position known
    (5, None, None),     # no end offset fetched yet
    (-1001, 12, None),   # librdkafka's OFFSET_INVALID
    (5, -1, None),       # watermark not cached yet
])
def test_lag_records(position, high, expected):
    assert lag_records(position, high) == expected


@pytest.mark.parametrize(("position", "high", "last_record", "caught_up", "expected"), [
    (12, 12, None, None, 0.0),              # caught up: 0 whatever is known
    (5, 12, NOW - 30, None, 30.0),          # working through a backlog: the last record's age
    (5, 12, None, NOW - 4, 4.0),            # first records after an idle spell: since last caught up
    (5, 12, NOW - 3600, NOW - 4, 4.0),      # an old last record does not inflate a fresh burst
    (5, 12, NOW - 4, NOW - 3600, 4.0),      # the later bound wins either way
    (5, 12, None, None, None),              # started behind, nothing processed yet: unknown
    (5, None, NOW - 30, None, None),        # records lag unknown: seconds unknown too
    (5, 12, NOW + 5, None, 0.0),            # a producer clock ahead of ours: never negative
])
def test_lag_seconds(position, high, last_record, caught_up, expected):
    assert lag_seconds(position, high, last_record, caught_up, NOW) == expected


@pytest.mark.parametrize(("ages", "expected"), [
    ([1.0, 5.0, None], 5.0), ([None, None], None), ([], None), ([0.0], 0.0),
])
def test_a_topic_lags_as_its_oldest_partition(ages, expected):
    assert oldest(ages) == expected


@pytest.mark.parametrize(("event_time", "expected"), [
    (datetime.fromtimestamp(NOW, timezone.utc) - timedelta(seconds=2.5), 2.5),
    (datetime.fromtimestamp(NOW, timezone.utc) + timedelta(seconds=9), 0.0),  # clock skew: 0
    (datetime(2026, 1, 1), None),   # naive: unknown zone
    (None, None), (1234, None),
])
def test_event_age(event_time, expected):
    assert event_age(event_time, datetime.fromtimestamp(NOW, timezone.utc)) == expected


def test_the_clock_remembers_when_caught_up_and_bounds_the_next_burst():
    clock = LagClock()
    assert clock.measure("t", 0, 10, 10, NOW).seconds == 0.0
    burst = clock.measure("t", 0, 10, 15, NOW + 6)   # five records arrived since
    assert (burst.records, burst.seconds) == (5, 6.0)
    clock.processed("t", 0, NOW + 5)                 # processed the first of them (written at +5)
    later = clock.measure("t", 0, 11, 15, NOW + 7)
    assert (later.records, later.seconds) == (4, 2.0)
    clock.processed("t", 0, -1)                      # no timestamp: ignored
    assert clock.last_record_time[("t", 0)] == NOW + 5
    clock.forget("t", 0)
    assert clock.measure("t", 0, 11, 15, NOW + 8).seconds is None


def test_gauges_carry_the_role_and_disappear_with_the_partition():
    metrics = new_metrics()
    gauges = LagGauges(metrics, "audit sink", "g")
    sample = metrics.registry.get_sample_value
    measured = {("t", 0): gauges.clock.measure("t", 0, 3, 5, NOW), ("t", 1): gauges.clock.measure("t", 1, 7, 7, NOW)}
    gauges.clock.processed("t", 0, NOW - 12)
    measured[("t", 0)] = gauges.clock.measure("t", 0, 3, 5, NOW)
    assert gauges.publish(measured)
    assert sample("govbus_consumer_lag_records", {"role": "audit-sink", "group": "g", "topic": "t",
                                                  "partition": "0"}) == 2
    assert sample("govbus_consumer_lag_seconds", {"role": "audit-sink", "group": "g", "topic": "t"}) == 12.0
    assert not gauges.publish({("u", 0): gauges.clock.measure("u", 0, 1, None, NOW)})  # unknown: not ready
    gauges.keep_only({("t", 1)})
    assert sample("govbus_consumer_lag_records", {"role": "audit-sink", "group": "g", "topic": "t",
                                                  "partition": "0"}) is None
    gauges.forget("t", 1)
    assert sample("govbus_consumer_lag_seconds", {"role": "audit-sink", "group": "g", "topic": "t"}) is None

"""Consumer lag in records and in seconds, from what a consumer knows of its own assignment, with
no broker round trip (docs/architecture.md#metrics).

Records: the partition's high watermark (as the client last fetched it) minus the consumer's
position (its committed offset, or the offset stored with the rows for the sinks).

Seconds: how old the oldest record not processed yet is. Reading that record's timestamp would
cost a fetch, so it is bounded from what the consumer already has, per partition:
- the timestamp of the last record it processed: the next one was written no earlier
  (producers stamp records at send time, in order per partition);
- the last time it was seen caught up (position ≥ high watermark): the next record did not
  exist yet then.
The later of the two is a lower bound on the oldest unprocessed record's timestamp, so ``now`` minus
it is an upper bound on that record's age: exact to within the gap between two records while
working through a backlog, and to within one refresh after an idle spell. Unknown (None) until
one of the two is known: right after start with a backlog, until the first batch is processed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable


def lag_records(position: int | None, high: int | None) -> int | None:
    """Records between ``position`` (next offset to process) and ``high``; None when unknown
    (a negative offset is librdkafka's "not known yet")."""
    if position is None or high is None or position < 0 or high < 0:
        return None
    return max(0, high - position)


def lag_seconds(position: int | None, high: int | None, last_record_time: float | None,
                caught_up_at: float | None, now: float) -> float | None:
    """Upper bound on the age of the oldest unprocessed record (0 when caught up); None when
    neither bound is known (module docstring)."""
    behind = lag_records(position, high)
    if behind is None:
        return None
    if behind == 0:
        return 0.0
    known = [t for t in (last_record_time, caught_up_at) if t is not None]
    if not known:
        return None
    return max(0.0, now - max(known))


def event_age(event_time: object, now: datetime) -> float | None:
    """Seconds from a record's event time to ``now`` (for ``govbus_freshness_seconds``); None
    without a time-zone-aware event time. A clock ahead of ours counts as 0, not negative."""
    if isinstance(event_time, datetime) and event_time.tzinfo is not None:
        return max(0.0, (now - event_time).total_seconds())
    return None


def oldest(ages: Iterable[float | None]) -> float | None:
    """The topic's lag in seconds: its oldest partition's; None when no partition's is known."""
    known = [a for a in ages if a is not None]
    return max(known) if known else None


@dataclass
class PartitionLag:
    records: int | None
    seconds: float | None


@dataclass
class LagClock:
    """Per partition: the last processed record's timestamp and when it was last caught up.
    Keys are (topic, partition); times in seconds since the epoch."""

    last_record_time: dict[tuple[str, int], float] = field(default_factory=dict)
    caught_up_at: dict[tuple[str, int], float] = field(default_factory=dict)

    def processed(self, topic: str, partition: int, timestamp: float | None) -> None:
        """A record of the partition was processed (``timestamp``: its Kafka timestamp, s)."""
        if timestamp is not None and timestamp > 0:
            self.last_record_time[(topic, partition)] = timestamp

    def measure(self, topic: str, partition: int, position: int | None, high: int | None,
                now: float) -> PartitionLag:
        """The partition's lag now; remembers ``now`` when caught up."""
        key = (topic, partition)
        records = lag_records(position, high)
        if records == 0:
            self.caught_up_at[key] = now
        seconds = lag_seconds(position, high, self.last_record_time.get(key), self.caught_up_at.get(key), now)
        return PartitionLag(records, seconds)

    def forget(self, topic: str, partition: int) -> None:
        """The partition went to another consumer."""
        self.last_record_time.pop((topic, partition), None)
        self.caught_up_at.pop((topic, partition), None)

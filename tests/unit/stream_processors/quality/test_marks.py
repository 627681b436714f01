"""A dataset's watermark from its raw partitions (stream_processors/quality/marks.py)."""
from __future__ import annotations

import pytest

from stream_processors.quality.closing import close_due
from stream_processors.quality.logic import QualityState, fold_record, refresh_watermark
from stream_processors.quality.marks import PartitionMarks, note_position, note_record
from stream_processors.quality.observe import Observation
from stream_processors.quality.spec import HOUR_MS, DatasetQuality

SPEC = DatasetQuality("a.child", "dept_a", ("x",), ("k",), "real_time", HOUR_MS)
T = 1_764_547_200_000  # a day start (UTC)


@pytest.mark.parametrize(("newest", "behind", "previous", "want"), [
    ({}, set(), None, None),                      # nothing read
    ({0: 50, 1: 90}, set(), None, 90),            # live: the newest of any partition
    ({0: 50, 1: 90}, {0}, None, 50),              # partition 0 has a backlog: it holds the mark
    ({0: 50, 1: 90}, {0, 1}, None, 50),
    ({0: 50, 1: 90}, {2}, 40, 40),                # behind, nothing read from it yet: held where it is
    ({0: 50, 1: 90}, {2}, None, None),
    ({0: 50, 1: 90}, {0}, 70, 70),                # never moves back
    ({0: 50, 1: 90}, set(), 95, 95),
])
def test_watermark(newest, behind, previous, want) -> None:
    assert PartitionMarks(dict(newest), set(behind)).watermark(previous) == want


def test_notes() -> None:
    marks = PartitionMarks()
    note_record(marks, 0, 10)
    note_record(marks, 0, 5)                      # an older record does not lower the mark
    note_position(marks, 1, behind=True)
    assert (marks.newest, marks.behind) == ({0: 10}, {1})
    note_position(marks, 1, behind=False)
    note_position(marks, 2, behind=True)
    note_position(marks, 2, behind=False)       # revoked: another member reads it now
    assert marks.behind == set()


def work_order(event_ms: int, eid: str) -> Observation:
    return Observation("a.child", eid, event_ms, event_ms, (True,), eid)


def test_a_partition_behind_keeps_its_records_out_of_too_late() -> None:
    """A backlog read partition by partition: partition 0 is read five hours ahead of partition 1.
    Partition 1's records still count; its hours close once it has caught up."""
    s = QualityState({"a.child": SPEC}, lateness_ms=10 * 60_000)
    s.partitions["a.child"] = PartitionMarks(behind={0, 1})
    for n in range(6):
        fold_record(s, work_order(T + n * HOUR_MS, f"p0-{n}"), partition=0)
    assert close_due(s, 0) == []                  # partition 1, behind, not read yet: nothing closes
    note_position(s.partitions["a.child"], 0, behind=False)
    for n in range(6):
        assert fold_record(s, work_order(T + n * HOUR_MS + 1, f"p1-{n}"), partition=1) is True
    assert s.too_late == 0
    note_position(s.partitions["a.child"], 1, behind=False)
    refresh_watermark(s, "a.child")
    hours = [c["records"] for c in close_due(s, 0) if c["granularity"] == "hour"]
    assert hours == [2, 2, 2, 2]                  # hours ending 10 min before the newest record: both partitions


def test_live_partitions_close_by_the_newest_event_time_as_before() -> None:
    s = QualityState({"a.child": SPEC}, lateness_ms=0)
    fold_record(s, work_order(T + 5, "a"), partition=0)
    fold_record(s, work_order(T + HOUR_MS + 1, "b"), partition=1)
    assert [c["granularity"] for c in close_due(s, 0)] == ["hour"]
    assert fold_record(s, work_order(T + 7, "c"), partition=0) is False and s.too_late == 1

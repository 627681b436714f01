"""A dataset's watermark from its raw partitions, and the inputs that hold its periods open
(stream_processors/quality/marks.py)."""
from __future__ import annotations

import pytest

from stream_processors.quality.closing import close_due
from stream_processors.quality.logic import QualityState, fold_letter, fold_record, refresh_watermark
from stream_processors.quality.marks import HELD, NOT_HELD, PartitionMarks, note_position, note_record, read_through
from stream_processors.quality.observe import LetterObservation, Observation
from stream_processors.quality.spec import DAY_MS, HOUR_MS, Check, DatasetQuality, RefKey

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


@pytest.mark.parametrize(("newest", "behind", "want"), [
    ({0: 50}, set(), NOT_HELD),                   # nothing behind: holds nothing
    ({0: 50, 1: 90}, {0, 1}, 50),                 # read up to the least newest of those behind
    ({0: 50}, {0, 1}, HELD),                      # behind, nothing read from it yet (a dlq partition, always)
    ({}, {0}, HELD),
])
def test_read_through(newest, behind, want) -> None:
    assert read_through(PartitionMarks(dict(newest), set(behind))) == want


BASE = RefKey("b.base", "id", False, "GB11643")
CHILD = DatasetQuality("a.child", "dept_a", ("x",), ("k",), "real_time", HOUR_MS, (Check("in_base", "ref", BASE),))
PARENT = DatasetQuality("b.base", "dept_b", ("id",), ("id",), "daily", DAY_MS, offers=(BASE,))
LETTER = LetterObservation("a.child", T + 20, "process", "bad_check_char", "GB11643.check", "x", 0)
BASE_RECORD = Observation("b.base", "b1", T + 5, T + 5, (True,), "A", (), ((BASE, "A"),))


def _inputs(s: QualityState, name: str) -> tuple[dict[str, PartitionMarks], str]:
    return {"dlq": (s.dlq_partitions, "a.child"), "base": (s.partitions, "b.base"),
            "other dlq": (s.dlq_partitions, "b.base")}[name]


@pytest.mark.parametrize(("behind", "closes_on_the_raw_alone", "want"), [
    ({"dlq"}, False, (1, 0)),                     # the letter, read after the raw topic's end, is counted
    ({"base"}, False, (1, 0)),                    # the base record, read after, is found
    ({"dlq", "base"}, False, (1, 0)),
    (set(), True, (0, 1)),                        # none behind (live): the raw alone closes it, as before
    ({"other dlq"}, True, (0, 1)),                # another dataset's dlq holds nothing of this one
])
def test_a_period_waits_for_every_input_it_counts(behind, closes_on_the_raw_alone, want) -> None:
    """At a start every assigned partition is behind; the raw topic, a record stamped now
    included, is read to its end first (the client's fetch order across topics): the slice's
    hour closes only once its dlq and the raw topic its check looks up have been read too (a letter
    and a base record, read then, count in it; after a close, they are too late)."""
    s = QualityState({"a.child": CHILD, "b.base": PARENT}, lateness_ms=HOUR_MS)
    s.partitions["a.child"] = PartitionMarks(behind={0})
    for name in behind:
        marks, dataset = _inputs(s, name)
        note_position(marks.setdefault(dataset, PartitionMarks()), 0, behind=True)
    for eid, event_ms in (("e1", T + 10), ("now", T + 3 * DAY_MS)):
        fold_record(s, Observation("a.child", eid, event_ms, event_ms, (True,), eid, ("A",)), partition=0)
    note_position(s.partitions["a.child"], 0, behind=False)
    refresh_watermark(s, "a.child")
    cards = close_due(s, 0)
    assert bool(cards) is closes_on_the_raw_alone
    fold_letter(s, LETTER)
    fold_record(s, BASE_RECORD, partition=0)
    for name in behind:
        marks, dataset = _inputs(s, name)
        note_position(marks[dataset], 0, behind=False)
    [hour] = [c for c in cards + close_due(s, 0) if c["dataset"] == "a.child" and c["granularity"] == "hour"]
    assert (hour["failed"], hour["consistency"][0]["broken"]) == want

"""A dataset's event-time watermark from its raw topic's partitions (pure).

A raw topic has several partitions, and a consumer reading a backlog drains them in chunks, one
partition ahead of another by hours of event time. The newest event time of the whole dataset
would then close periods that a partition still behind has records for, and count those records
``too_late``. So: a partition with records still to read (assigned and not yet at its end) holds
the watermark at its own newest event time, or where the watermark is while nothing has been
read from it; with no partition behind (the live stream), the watermark is the newest event time
read from any. A watermark never moves back.

``read_through`` says how far a topic's partitions are surely read, for the scorecards that count
that topic beside their dataset's raw one (logic.inputs_read_through). A dlq topic's partitions
carry no event time here (letters are written in no event-time order: a backfill's), so one still
behind holds every period of its dataset until it is read to its end.
"""
from __future__ import annotations

from dataclasses import dataclass, field

NOT_HELD = 2 ** 62     # no partition behind: nothing held back
HELD = -(2 ** 62)      # a partition behind with nothing read from it: everything held back


@dataclass
class PartitionMarks:
    newest: dict[int, int] = field(default_factory=dict)  # partition → newest event time read
    behind: set[int] = field(default_factory=set)         # partitions with records still to read

    def watermark(self, previous: int | None) -> int | None:
        if self.behind:
            if any(p not in self.newest for p in self.behind):
                return previous
            candidate = min(self.newest[p] for p in self.behind)
        elif self.newest:
            candidate = max(self.newest.values())
        else:
            return previous
        return candidate if previous is None else max(previous, candidate)


def read_through(marks: PartitionMarks) -> int:
    """The event time up to which every partition still behind has been read (the least of their
    newest), HELD while one of them has nothing read yet, NOT_HELD when none is behind."""
    if not marks.behind:
        return NOT_HELD
    return min(marks.newest.get(p, HELD) for p in marks.behind)


def note_record(marks: PartitionMarks, partition: int, event_ms: int) -> None:
    if event_ms > marks.newest.get(partition, event_ms - 1):
        marks.newest[partition] = event_ms


def note_position(marks: PartitionMarks, partition: int, behind: bool) -> None:
    """Whether ``partition`` has records still to read: after an assignment (yes, until known),
    after a batch (its last offset against the end), at its end and when revoked (no: another member
    reads it then, so it no longer holds this member's watermark back)."""
    if behind:
        marks.behind.add(partition)
    else:
        marks.behind.discard(partition)

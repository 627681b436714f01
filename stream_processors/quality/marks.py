"""A dataset's event-time watermark from its raw topic's partitions (pure).

A raw topic has several partitions, and a consumer reading a backlog drains them in chunks, one
partition ahead of another by hours of event time. The newest event time of the whole dataset
would then close periods that a partition still behind has records for, and count those records
``too_late``. So: a partition with records still to read (assigned and not yet at its end) holds
the watermark at its own newest event time, or where the watermark is while nothing has been
read from it; with no partition behind (the live stream), the watermark is the newest event time
read from any. A watermark never moves back.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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

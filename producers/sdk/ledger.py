"""What an import has done, counted so that when it stops part-way it can say exactly what was
published (acknowledged by the broker), what was rejected, and the line to resume from.

Rows are sent in batches. A batch counts as published only once every record sent up to its
end is acknowledged (the publisher has nothing in flight and no refusal): a ``confirm()``. The
resume line is the line after the last confirmed batch, so a resumed import never leaves a gap;
when the broker went away, records sent after that point may have been acknowledged too and
are sent again on resume, which the processor deduplicates by their (deterministic) event id.

Line numbers are the readers' (``producers.files.readers``): physical file lines for CSV (the
last line of a record that spans several) and JSON lines, sheet rows for .xlsx.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Mark:
    line: int       # the last line whose record is done (0: none, the header only)
    published: int
    rejected: int


@dataclass
class ImportSummary:
    read: int = 0
    published: int = 0
    rejected: int = 0
    reject_path: Path | None = None
    first_line: int = 1   # the first line this run read (``--from-line``)


@dataclass
class Ledger:
    """Counts per batch and the last point known acknowledged."""

    first_line: int = 1
    summary: ImportSummary = field(default_factory=ImportSummary)
    last_line: int = 0
    confirmed: Mark = Mark(0, 0, 0)

    def __post_init__(self) -> None:
        self.summary.first_line = self.first_line
        self.last_line = max(self.first_line - 1, 0)
        self.confirmed = Mark(self.last_line, 0, 0)

    def batch_sent(self, last_line: int, read: int, published: int, rejected: int) -> None:
        """A batch whose last record ends on ``last_line`` was converted and handed over."""
        self.summary.read += read
        self.summary.published += published
        self.summary.rejected += rejected
        self.last_line = max(self.last_line, last_line)

    def confirm(self) -> None:
        """Everything sent so far is acknowledged."""
        self.confirmed = Mark(self.last_line, self.summary.published, self.summary.rejected)

    @property
    def resume_line(self) -> int:
        return self.confirmed.line + 1

    @property
    def unconfirmed(self) -> int:
        """Records sent after the last confirmed point (acknowledged or not: unknown)."""
        return self.summary.published - self.confirmed.published

    def stopped(self, why: str) -> "ImportStopped":
        return ImportStopped(why, self.confirmed, self.unconfirmed, self.resume_line,
                             self.summary)


class ImportStopped(Exception):
    """An import that stopped part-way: what was done and the line to resume from."""

    def __init__(self, why: str, confirmed: Mark, unconfirmed: int, resume_line: int,
                 summary: ImportSummary) -> None:
        super().__init__(why)
        self.why, self.confirmed, self.unconfirmed = why, confirmed, unconfirmed
        self.resume_line, self.summary = resume_line, summary

    @property
    def published(self) -> int:
        return self.confirmed.published

    @property
    def rejected(self) -> int:
        return self.confirmed.rejected


class ReadStopped(Exception):
    """A reader cannot go on at ``line`` (undecodable bytes, a runaway quoted cell, a read
    error): the rows before it stand, nothing from it on can be read."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message

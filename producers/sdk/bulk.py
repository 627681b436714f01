"""The bulk publish loop shared by every file format and the generator: rows → pairs → broker.

Rows are converted in batches of ``BATCH`` (one time stamp, one ``publish_encoded``, one
``poll(0)`` and one progress update per batch: per-row calls of those cost more than the
conversion). A refused row goes, with its row number, field and reason, to the reject file
beside the input and to ``dlq.<dataset>``; so does a record whose encoded size is over what
the broker takes (``record_too_large``) and a line over the reader's cap (``Unreadable``).

What was done is kept in a ``Ledger``: a batch counts as published once the broker has
acknowledged everything up to its end (checked whenever nothing is in flight, and at least
every ``CHECKPOINT_SECONDS``). When the loop stops part-way (a line the reader cannot go on
from, the broker silent for ``Limits.broker_wait_seconds`` or refusing records, Ctrl-C,
SIGTERM) it raises ``ImportStopped`` with those counts and the line to resume from.
``read == published + rejected`` is checked before a finished summary is returned.
"""
from __future__ import annotations

import json
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from govbus.core.deadletter import Origin
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from producers.sdk.ledger import ImportStopped, ImportSummary, Ledger, ReadStopped
from producers.sdk.progress import progress_bar
from producers.sdk.publisher import Publisher, signals_held
from producers.sdk.rows import RowEncoder, strip_annotations

__all__ = ["BATCH", "BulkLoop", "ImportStopped", "ImportSummary", "Limits", "ReadStopped",
           "Rejects", "Unreadable", "progress_bar", "publish_records", "reject_file",
           "reject_file_note", "reject_path_for", "run_import"]

BATCH = 2000
CHECKPOINT_SECONDS = 5.0
# Records in flight beyond which the loop waits for acknowledgements (librdkafka's queue holds
# 100,000 by default; waiting here, not in a BufferError loop, bounds the wait).
MAX_IN_FLIGHT = 50_000
# How long a loop that is stopping anyway waits for what is in flight when the broker is gone.
SETTLE_WHEN_LOST_SECONDS = 5.0
Converter = Callable[[Any], "tuple[bytes, bytes] | Fault"]
Describe = Callable[[Any], Any]


@dataclass(frozen=True)
class Limits:
    """``max_record_bytes``: the largest key + value the producer may send (its
    ``message.max.bytes`` less room for headers); ``broker_wait_seconds``: how long the loop
    waits for acknowledgements before it stops part-way."""

    max_record_bytes: int = 1_000_000 - 4096
    broker_wait_seconds: float = 30.0

    @property
    def dead_letter_value_bytes(self) -> int:
        """What a dead letter keeps of a rejected row: half a record, so the letter fits."""
        return self.max_record_bytes // 2


@dataclass(frozen=True)
class Unreadable:
    """A row the reader could not hand over whole (a line over the cap): a reject as it is,
    ``raw`` describing it (length and a bounded prefix, never the line)."""

    fault: Fault
    raw: dict[str, Any]


class BrokerLost(Exception):
    """The broker stopped acknowledging, or refused records: the loop stops part-way."""


def reject_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.jsonl")


class Rejects:
    """Where refused rows go: a JSON-lines reject file and the dataset's DLQ."""

    def __init__(self, handle: Any, publisher: Publisher, schema: DatasetSchema, owner: str,
                 origin: str, describe: Describe, headers: tuple[tuple[str, bytes], ...] = (),
                 limits: Limits = Limits()) -> None:
        self.handle, self.publisher, self.schema, self.owner = handle, publisher, schema, owner
        self.origin, self.describe, self.headers = origin, describe, headers
        self.keep = limits.dead_letter_value_bytes

    def __call__(self, number: int, row: Any, fault: Fault) -> None:
        raw = row.raw if isinstance(row, Unreadable) else self.describe(row)
        self.handle.write(json.dumps({"row": number, "field": fault.field, "reason": fault.reason,
                                      "rule": fault.rule, "message": fault.message, "raw": raw},
                                     ensure_ascii=False, default=str) + "\n")
        value = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        data = value.encode("utf-8", "surrogatepass")
        origin = Origin(topic=self.origin, offset=number, value=data[:self.keep],
                        headers=self.headers + (("govbus.source.row", str(number).encode()),))
        self.publisher.publish_reject(self.schema, fault, origin, self.owner)


def record_too_large(size: int, limits: Limits) -> Fault:
    return Fault("record_too_large", "broker.message_max_bytes",
                 f"the encoded record is {size:,} bytes; the broker takes at most "
                 f"{limits.max_record_bytes:,}")


def _take(rows: Iterator[tuple[int, Any]], n: int) -> tuple[list, ReadStopped | None]:
    """Up to ``n`` rows, and the reader's stop if it stopped (the rows before it stand)."""
    batch: list = []
    try:
        for item in rows:
            batch.append(item)
            if len(batch) == n:
                break
    except ReadStopped as stop:
        return batch, stop
    return batch, None


class BulkLoop:
    """One import's batches → the broker, its ledger, and how it stops."""

    def __init__(self, publisher: Publisher, schema: DatasetSchema, department: str,
                 rejects: Rejects, advance: Callable[[int], None], limits: Limits = Limits(),
                 first_line: int = 1) -> None:
        self.publisher, self.schema, self.department = publisher, schema, department
        self.rejects, self.advance, self.limits = rejects, advance, limits
        self.ledger = Ledger(first_line)
        self.checkpoint = time.monotonic()

    def run(self, rows: Iterable[tuple[int, Any]], convert: Converter,
            refresh: Callable[[], None], batch_size: int = BATCH) -> ImportSummary:
        return self.guarded(self.batches(rows, convert, refresh, batch_size))

    def batches(self, rows: Iterable[tuple[int, Any]], convert: Converter,
                refresh: Callable[[], None], batch_size: int = BATCH) -> Iterator[None]:
        """Send ``rows`` batch by batch, one step per batch; a reader's stop is raised after
        the rows before it are sent."""
        rows = iter(rows)
        while True:
            batch, stop = _take(rows, batch_size)
            if batch:
                refresh()
                with signals_held():  # a batch is sent and counted whole, or not at all
                    pairs, rejected = self.settle_rows(batch, convert)
                    self.send(batch[-1][0], len(batch), pairs, rejected)
                yield
            if stop is not None:
                raise stop
            if len(batch) < batch_size:
                return

    def settle_rows(self, batch: list[tuple[int, Any]], convert: Converter) -> tuple[list, int]:
        """The batch's pairs to send; refused rows (and over-large records) rejected."""
        pairs, rejected, limit = [], 0, self.limits.max_record_bytes
        for number, row in batch:
            out = row.fault if type(row) is Unreadable else convert(row)
            if type(out) is tuple and len(out[0]) + len(out[1]) > limit:
                out = record_too_large(len(out[0]) + len(out[1]), self.limits)
            if type(out) is tuple:
                pairs.append(out)
            else:
                assert isinstance(out, Fault)  # a Converter returns a pair or a Fault
                self.rejects(number, row, out)
                rejected += 1
        return pairs, rejected

    def send(self, last_line: int, read: int, pairs: list, rejected: int) -> None:
        """Hand a converted batch to the publisher and count it."""
        sent = self.publisher.publish_encoded(self.schema, self.department, pairs)
        self.ledger.batch_sent(last_line, read, sent, rejected)
        self.advance(read)

    def guarded(self, batches: Iterator[None]) -> ImportSummary:
        """Run ``batches`` (each step sends one); stop part-way with ImportStopped."""
        try:
            for _ in batches:
                self._pace()
            self._finish()
        except ReadStopped as stop:
            raise self._stopped(stop.message, self.limits.broker_wait_seconds) from None
        except BrokerLost as lost:
            raise self._stopped(str(lost), min(SETTLE_WHEN_LOST_SECONDS,
                                              self.limits.broker_wait_seconds)) from None
        except KeyboardInterrupt:
            raise self._stopped("interrupted (Ctrl-C)", self.limits.broker_wait_seconds) from None
        except SystemExit as exc:  # exits_on_sigterm: SIGTERM
            raise self._stopped(f"interrupted (exit {exc.code})",
                                self.limits.broker_wait_seconds) from None
        summary = self.ledger.summary
        if summary.read != summary.published + summary.rejected:  # a bug here, not in the data
            raise RuntimeError(f"import lost count: {summary}")
        return summary

    def _pace(self) -> None:
        """After a batch: stop on refusals, confirm when nothing is in flight, wait when too
        much is, and drain every CHECKPOINT_SECONDS so that the resume point stays recent."""
        self._raise_refusals()
        in_flight = self.publisher.in_flight()
        if in_flight == 0:
            self._confirm()
        elif time.monotonic() - self.checkpoint > CHECKPOINT_SECONDS:
            self._wait_below(1)
            self._confirm()
        elif in_flight > MAX_IN_FLIGHT:
            self._wait_below(MAX_IN_FLIGHT)

    def _finish(self) -> None:
        self._wait_below(1)
        self._confirm()
        self.publisher.flush(1.0)  # nothing in flight: settles the publisher's own counts

    def _confirm(self) -> None:
        self._raise_refusals()
        self.ledger.confirm()
        self.checkpoint = time.monotonic()

    def _raise_refusals(self) -> None:
        failures = self.publisher.failures
        if failures:
            raise BrokerLost(f"the broker refused {len(failures)} records, first: {failures[0]}")

    def _wait_below(self, ceiling: int, timeout: float | None = None) -> None:
        """Serve delivery reports until fewer than ``ceiling`` records are in flight."""
        wait = self.limits.broker_wait_seconds if timeout is None else timeout
        deadline = time.monotonic() + wait
        while self.publisher.in_flight(0.02) >= ceiling:
            if time.monotonic() > deadline:
                raise BrokerLost(f"no acknowledgement from the broker for {wait:.0f}s")

    def _stopped(self, why: str, wait: float) -> ImportStopped:
        """The ledger's account after delivering what is in flight, if the broker lets it."""
        try:
            self._wait_below(1, wait)
            self._confirm()
        except BrokerLost as lost:  # the last confirmed point stands
            why = why if str(lost) in why else f"{why}; then {lost}"
        except KeyboardInterrupt:
            pass
        return self.ledger.stopped(why)


def run_import(rows: Iterable[tuple[int, Any]], convert: Converter, refresh: Callable[[], None],
               publisher: Publisher, schema: DatasetSchema, department: str,
               rejects: Rejects, advance: Callable[[int], None],
               batch_size: int = BATCH, limits: Limits = Limits(),
               first_line: int = 1) -> ImportSummary:
    """Convert and publish every row; the summary once every delivery is confirmed."""
    loop = BulkLoop(publisher, schema, department, rejects, advance, limits, first_line)
    return loop.run(rows, convert, refresh, batch_size)


# Reject files hold refused rows as they were read (names, ID numbers, phones): owner only,
# like the stack's key files, whatever the umask.
REJECT_FILE_MODE = 0o600


@contextmanager
def reject_file(path: Path, append: bool = False) -> Iterator[Any]:
    """The reject file, mode 0600: truncated so that it never shows an earlier run's rejects,
    unless the run resumes one (``append``). An existing file (an older run's, created before
    this rule) is brought to 0600 too, before anything is written to it."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, REJECT_FILE_MODE)
    try:
        os.fchmod(fd, REJECT_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "a" if append else "w", encoding="utf-8") as handle:
        yield handle


def reject_file_note(path: Path) -> str:
    """The import summary's line about the reject file: where, and who can read it (the mode
    read back from the file, so the line cannot claim what is not so)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        return f"rejects: {path} (cannot read its mode: {exc.strerror})"
    who = "readable by its owner only" if mode & 0o077 == 0 else "READABLE BY OTHERS: chmod 600 it"
    return f"rejects: {path} (mode {mode:04o}, {who}: it holds the refused rows as read)"


def publish_records(records: Iterable[dict[str, Any]], encoder: RowEncoder,
                    publisher: Publisher, origin: str, reject_path: Path,
                    progress: bool = True, batch_size: int = BATCH) -> ImportSummary:
    """Records already in memory (e.g. the generator's): annotations stripped, then as JSON."""
    numbered = ((n, r) for n, r in enumerate(records, start=1))
    with reject_file(reject_path) as handle, progress_bar(origin, progress) as advance:
        rejects = Rejects(handle, publisher, encoder.schema, encoder.source.department,
                          origin, lambda record: record)
        summary = run_import(numbered, lambda r: encoder.from_record(strip_annotations(r)),
                             encoder.refresh, publisher, encoder.schema,
                             encoder.source.department, rejects, advance, batch_size)
    summary.reject_path = reject_path
    return summary

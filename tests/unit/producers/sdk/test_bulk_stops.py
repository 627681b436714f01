"""The bulk loop's account when it stops part-way: published means acknowledged, the resume line
is the line after the last acknowledged batch, and a record the broker cannot take is a reject."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest

from govbus.core.result import Fault
from producers.sdk.bulk import BulkLoop, ImportStopped, Limits, ReadStopped, Rejects, Unreadable
from producers.sdk.ledger import Ledger, Mark
from producers.synthetic.generate import project_schemas

SCHEMA = project_schemas()["hotline.work_order"]


@pytest.mark.parametrize(("first_line", "batches", "confirm_after", "resume", "published", "unconfirmed"), [
    (2, [], [], 2, 0, 0),                                # stopped before the first row
    (2, [(101, 100, 98, 2)], [0], 102, 98, 0),           # one batch, acknowledged
    (2, [(101, 100, 98, 2), (201, 100, 100, 0)], [0], 102, 98, 100),  # the second unconfirmed
    (2, [(101, 100, 100, 0), (230, 100, 100, 0)], [1], 231, 200, 0),  # blank lines in between
    (500, [(599, 100, 100, 0)], [], 500, 0, 100),        # resumed at 500, nothing confirmed
    (1, [(1, 0, 0, 0)], [], 1, 0, 0),
])
def test_resume_line_arithmetic(first_line, batches, confirm_after, resume, published, unconfirmed):
    ledger = Ledger(first_line)
    for i, batch in enumerate(batches):
        ledger.batch_sent(*batch)
        if i in confirm_after:
            ledger.confirm()
    stop = ledger.stopped("why")
    assert (stop.resume_line, stop.published, stop.unconfirmed) == (resume, published, unconfirmed)
    assert stop.rejected == ledger.confirmed.rejected and isinstance(stop.confirmed, Mark)


@dataclass
class SlowBroker:
    """A publisher whose broker acknowledges only what ``acknowledge`` lets through."""

    acknowledge: int = 10**9
    refuse_after: int | None = None
    sent: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    letters: list = field(default_factory=list)

    def publish_encoded(self, schema, department, items):
        items = list(items)
        self.sent += items
        if self.refuse_after is not None and len(self.sent) > self.refuse_after:
            self.failures.append("raw key=b'x': MSG_SIZE_TOO_LARGE")
        return len(items)

    def publish_reject(self, schema, fault, origin, owner):
        self.letters.append((fault, origin))

    def in_flight(self, timeout=0.0):
        return max(0, len(self.sent) + len(self.letters) - self.acknowledge)

    def flush(self, timeout=60.0):
        return len(self.sent)


def loop_for(publisher, limits=Limits(broker_wait_seconds=0.2), first_line=2):
    rejects = Rejects(io.StringIO(), publisher, SCHEMA, "hotline", "file", lambda r: r,
                      limits=limits)
    return BulkLoop(publisher, SCHEMA, "hotline", rejects, lambda n: None, limits, first_line)


def convert(row):
    return row if isinstance(row, tuple) else Fault("bad", "rule", "refused")


def rows(count, start=2, stop_at=None):
    for line in range(start, start + count):
        if line == stop_at:
            raise ReadStopped(line, f"line {line} is not valid utf-8")
        yield line, (b"k%d" % line, b"v")


def test_a_reader_stop_publishes_what_came_before_and_resumes_at_its_line():
    publisher = SlowBroker()
    with pytest.raises(ImportStopped, match="line 502 is not valid") as stopped:
        loop_for(publisher).run(rows(1000, stop_at=502), convert, lambda: None, batch_size=64)
    stop = stopped.value
    assert (stop.published, stop.rejected, stop.unconfirmed, stop.resume_line) == (500, 0, 0, 502)
    assert len(publisher.sent) == 500


def test_a_silent_broker_stops_the_loop_at_the_last_acknowledged_batch():
    publisher = SlowBroker(acknowledge=128)  # two batches of 64, then nothing
    with pytest.raises(ImportStopped, match="no acknowledgement from the broker") as stopped:
        loop_for(publisher).run(rows(1000), convert, lambda: None, batch_size=64)
    stop = stopped.value
    assert (stop.published, stop.resume_line) == (128, 130)
    assert stop.unconfirmed == len(publisher.sent) - 128 > 0


def test_refused_records_stop_the_loop_naming_the_refusal():
    publisher = SlowBroker(refuse_after=100)
    with pytest.raises(ImportStopped, match="refused 1 records, first: .*MSG_SIZE_TOO_LARGE") as stopped:
        loop_for(publisher).run(rows(1000), convert, lambda: None, batch_size=64)
    assert stopped.value.published == 64 and stopped.value.resume_line == 66


def test_ctrl_c_delivers_what_is_in_flight_and_says_where_to_resume():
    def interrupted():
        yield from rows(300)
        raise KeyboardInterrupt

    publisher = SlowBroker()
    with pytest.raises(ImportStopped, match="interrupted") as stopped:
        loop_for(publisher).run(interrupted(), convert, lambda: None, batch_size=64)
    assert (stopped.value.published, stopped.value.resume_line) == (256, 258)


def test_a_record_over_the_broker_limit_and_an_unreadable_line_are_rejects():
    publisher = SlowBroker()
    limits = Limits(max_record_bytes=100, broker_wait_seconds=0.2)
    too_long = Unreadable(Fault("line_too_long", "import.max_line_bytes", "long"),
                          {"length": 10**9, "prefix": "{"})
    data = [(2, (b"a", b"v" * 99)), (3, (b"b", b"v" * 100)), (4, too_long), (5, (b"c", b"v"))]
    summary = loop_for(publisher, limits).run(iter(data), convert, lambda: None)
    assert (summary.read, summary.published, summary.rejected) == (4, 2, 2)
    assert [(f.reason, o.offset) for f, o in publisher.letters] == [
        ("record_too_large", 3), ("line_too_long", 4)]
    assert all(len(o.value) <= limits.dead_letter_value_bytes for _f, o in publisher.letters)

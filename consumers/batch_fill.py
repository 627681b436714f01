"""When a sink's batch is full enough to write: the pure decision of the batch loop
(consumers/batches.py), kept apart so that a table of cases can pin it down.

The sinks used to call ``consume(size, 1 s)``: librdkafka returns from that only when ``size``
records are there or the second has passed, so at a steady trickle every record waited up to a
second before it was written (issue 18: p99 produce → row 3.3 s at half load). Now a batch is
gathered in reads:

- with nothing held, one read waits (up to the idle wait) for the first record only;
- then reads take, without waiting, whatever the consumer already holds, up to the batch size;
- the batch is written as soon as a read returns fewer records than asked (the consumer has
  nothing more to give), when it is full, or when it has been gathering for the cap.

Under load the consumer's fetch queue refills while a batch is written, so the next reads come
back full and batches stay large; at a trickle a record is written as soon as it arrives.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Read:
    """The next ``consume(count, timeout)`` call of a batch being gathered."""

    count: int
    timeout: float


@dataclass(frozen=True)
class Fill:
    """Where a batch stands: records held, the last read (asked, got) and seconds since its
    first record arrived."""

    held: int
    asked: int
    got: int
    gathering: float


def next_read(fill: Fill, size: int, idle_wait: float, max_wait: float) -> Read | None:
    """The next read of the batch, or None to write it now (an empty batch too: the loop then
    beats, checks its stop and idle exit, and reads again)."""
    if fill.held >= size:
        return None  # full
    if fill.held == 0:
        if fill.asked == 0:
            return Read(1, idle_wait)  # a fresh batch: wait for its first record only
        return None  # the idle wait passed with nothing: hand back an empty batch
    if fill.got != fill.asked:
        # Fewer than asked: the consumer has nothing more to give right now. (More than asked
        # comes only from a stand-in consumer that ignores the count: it handed a whole batch.)
        return None
    if fill.gathering >= max_wait:
        return None  # capped: a batch never waits longer than this for more records
    return Read(size - fill.held, 0.0)  # take what the consumer already holds, without waiting

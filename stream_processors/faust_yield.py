"""Faust's stream hands the loop back once every ``EVERY`` events, not after each one
(docs/capacity.md §6, issue 18).

faust-streaming 0.15.3's stream iterator (the Cython ``StreamIterator.next``, which the
processor runs) starts each event with ``await sleep(0)``: a full turn of the event loop per
record, so that other tasks get a turn between events. In ``govbus process`` that turn cost
more than the event: each one polled epoll, released and took back the GIL (waking the other
threads that wait for it) and asked for the process id. Counted on the main thread over 5 s of
work orders: ~6,800 loop turns, 5,100 ``getpid`` and 6,500 ``futex`` calls a second, about one
of each per record.

Here the stream's ``sleep(0)`` yields on every ``EVERY``-th call and returns at once on the
others. What the turn was for still happens: every other task gets the loop within
``EVERY`` events (each a few µs of the stream's own work: put on the batch buffer), and a
stream with nothing queued still waits for the channel, which yields. A ``sleep`` with a delay
or a result is asyncio's, untouched. Only the Cython iterator is patched; without Faust's
extension the pure-Python iterator (its own ``sleep`` reference) runs as before.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

EVERY = 64
_PATCHED = "_govbus_lean_yield"


class _Done:
    """An awaitable that is already finished: awaiting it does not suspend."""

    __slots__ = ()

    def __await__(self) -> Iterator[Any]:
        return iter(())


_DONE = _Done()


def sparse_sleep(every: int = EVERY) -> Any:
    """``asyncio.sleep`` whose ``sleep(0)`` yields to the loop on one call in ``every``."""
    since_yield = [0]

    def sleep(delay: float, result: Any = None) -> Any:
        if delay == 0 and result is None:
            since_yield[0] += 1
            if since_yield[0] < every:
                return _DONE
            since_yield[0] = 0
        return asyncio.sleep(delay, result)

    setattr(sleep, _PATCHED, True)
    return sleep


def lean_stream_yield(every: int = EVERY) -> bool:
    """Patch Faust's Cython stream iterator once per process (idempotent); False where Faust
    runs without its extension (nothing to patch)."""
    try:
        from faust._cython import streams  # noqa: PLC0415 - optional: Faust without its extension
    except ImportError:  # pragma: no cover - faust-streaming's wheels ship it
        return False
    if not getattr(streams.sleep, _PATCHED, False):
        streams.sleep = sparse_sleep(every)
    return True

"""The worker's heap and the garbage collector (measured in docs/capacity.md §6).

A started Faust worker holds ~150,000 objects that live as long as the process (modules, Faust
and aiokafka services, the catalogue, compiled plans). CPython's full collection walks all of
them, and ``Pipeline.process`` allocates enough containers to run one every second or two:
~8 % of the worker's CPU in `govbus process`, 20,000 work orders. ``gc.freeze()`` moves what is
alive to a generation the collector no longer walks; it is called once, when the first batch
arrives (the app, the consumer and the agreements are all built by then). Cycles formed later are
collected as before; garbage among the frozen objects (none is expected: they were alive) would
only be kept.

Then the youngest generation is collected every 50,000 new containers instead of 700: each
record makes a few hundred that die by reference count, and a collection every couple of records
walked the batch's outputs alive at that moment again and again. ``Pipeline.process`` over 20,000
work orders, heap frozen, median of 4 alternating rounds: 80.8 µs a record at 700, 76.9 at 50,000.
At most 50,000 young containers wait for the collector: a few MB.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
_settled: list[bool] = []


def settle_heap() -> None:
    """Collect once, then stop walking whatever survived; only the first call does anything."""
    if _settled:
        return
    _settled.append(True)
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])

"""The worker's heap and the garbage collector (measured in docs/capacity.md §6).

A started Faust worker holds ~150,000 objects that live as long as the process (modules, Faust
and aiokafka services, the catalogue, compiled plans). CPython's full collection walks all of
them, and ``Pipeline.process`` allocates enough containers to run one every second or two:
~8 % of the worker's CPU in `govbus process`, 20,000 work orders. ``gc.freeze()`` moves what is
alive to a generation the collector no longer walks; it is called once, when the first batch
arrives (the app, the consumer and the agreements are all built by then). Cycles formed later are
collected as before; garbage among the frozen objects (none is expected: they were alive) would
only be kept.
"""
from __future__ import annotations

import gc

_settled: list[bool] = []


def settle_heap() -> None:
    """Collect once, then stop walking whatever survived; only the first call does anything."""
    if _settled:
        return
    _settled.append(True)
    gc.collect()
    gc.freeze()

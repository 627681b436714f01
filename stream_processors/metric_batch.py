"""The processor's per-record metrics counted in plain Python and added to their Prometheus
series once a batch (``flush``, after the agent's batch).

Why: a Prometheus child's ``inc`` takes a lock, and ``Histogram.observe`` takes two and walks
the buckets in Python (~1.7 µs); a record delivered three times makes three deliveries counts,
three freshness observations and a records count, ~5 % of ``Pipeline.process``. Here each is a
dict or list append; ``flush`` adds each series' count with one ``inc(n)`` and each histogram's
observations bucketed with ``bisect``, as ``observe`` would have put them
(tests/unit/stream_processors/test_metric_batch.py compares the two). Prometheus sees a batch's
counts when the batch is done, a fraction of a second later.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from typing import Any


class BatchedMetrics:
    __slots__ = ("_counts", "_observed")

    def __init__(self) -> None:
        self._counts: dict[Any, int] = {}
        self._observed: dict[Any, list[float]] = {}

    def count(self, child: Any) -> None:
        """One more for a Counter's child (``child.inc()`` at the next flush)."""
        self._counts[child] = self._counts.get(child, 0) + 1

    def observe(self, child: Any, value: float) -> None:
        """An observation of a Histogram's child (``child.observe(value)`` at the next flush)."""
        observed = self._observed.get(child)
        if observed is None:
            observed = self._observed[child] = []
        observed.append(value)

    def flush(self) -> None:
        counts, observed = self._counts, self._observed
        self._counts, self._observed = {}, {}
        for child, n in counts.items():
            child.inc(n)
        for child, values in observed.items():
            observe_all(child, values)


def observe_all(child: Any, values: list[float]) -> None:
    """``child.observe(v)`` for each of ``values``: each bucket and the sum added to once.
    Uses prometheus_client's Histogram internals (its bounds, bucket and sum values); a child
    without them observes one by one."""
    bounds, buckets, total = (getattr(child, name, None) for name in ("_upper_bounds", "_buckets", "_sum"))
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for value in values:
            child.observe(value)
        return
    # observe() puts a value in the first bucket whose bound is >= it; NaN in none (the sum only).
    for index, n in Counter(bisect_left(bounds, v) for v in values if v == v).items():
        buckets[index].inc(n)
    total.inc(sum(values))

"""Closing periods: the scorecards of every period the watermark has passed (pure).

A day with no record at all between two closed days of a dataset gets an empty scorecard (its
cadence slots all missing), so that a silent department shows as one, not as nothing.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from stream_processors.quality.logic import GRANULARITIES, Accumulator, PeriodKey, QualityState, inputs_read_through
from stream_processors.quality.spec import DatasetQuality, RefKey

LENGTHS = dict(GRANULARITIES)


def nearest_rank(values: list[int], q: float) -> int | None:
    """The nearest-rank percentile: the smallest value with at least q of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def scorecard_id(department: str, dataset: str, granularity: str, start_ms: int) -> str:
    return f"{department}|{dataset}|{granularity}|{_time(start_ms).isoformat()}"


def missing_slots(spec: DatasetQuality, start_ms: int, length_ms: int, slots: set[int]) -> int:
    """Cadence slots lying wholly inside the period that hold no record."""
    slot = spec.slot_ms
    if not slot or slot > length_ms:
        return 0
    first, last = -(-start_ms // slot), (start_ms + length_ms) // slot  # whole slots only
    return sum(1 for s in range(first, last) if s not in slots)


def scorecard(spec: DatasetQuality, key: PeriodKey, acc: Accumulator, emitted_ms: int,
              references: dict[RefKey, dict[str, None]]) -> dict[str, Any]:
    """The govbus.bus.QualityScorecard record of one closed period; its consistency checks look
    their keys up in ``references`` now (what has arrived by the time the period closes)."""
    _, granularity, start = key
    length = LENGTHS[granularity]
    passed = max(0, acc.records - acc.failed)
    delays = list(acc.delays)
    return {
        "scorecard_id": scorecard_id(spec.department, spec.dataset, granularity, start),
        "department": spec.department, "dataset": spec.dataset, "granularity": granularity,
        "period_start": _time(start), "period_end": _time(start + length), "records": acc.records,
        "raw_records": acc.decoded,
        "required_fields": [{"field": f, "present": n} for f, n in zip(spec.required, acc.present, strict=False)],
        "complete_records": acc.complete,
        "completeness_ratio": acc.complete / acc.decoded if acc.decoded else None,
        "passed": passed, "failed": acc.failed,
        "validity_ratio": passed / acc.records if acc.records else None,
        "dead_letters": [{"stage": k[0], "reason": k[1], "rule": k[2], "field_path": k[3], "count": v[0],
                          "first_offset": v[1]} for k, v in sorted(acc.letters.items(), key=lambda kv: -kv[1][0])],
        "delay_p50_ms": nearest_rank(delays, 0.50), "delay_p95_ms": nearest_rank(delays, 0.95),
        "late_records": acc.late, "cadence": spec.cadence,
        "missing_updates": missing_slots(spec, start, length, acc.slots),
        "duplicate_event_ids": acc.duplicate_ids, "duplicate_business_keys": acc.duplicate_keys,
        "consistency": [{"check": c.name, "references": c.ref.dataset, "checked": acc.checked[i],
                         "broken": _broken(acc.lookups[i], references.get(c.ref, {}))}
                        for i, c in enumerate(spec.checks)],
        "emitted_at": _time(emitted_ms),
    }


def _broken(keys: list[str], index: dict[str, None]) -> int:
    return sum(1 for k in keys if k not in index)


def close_due(state: QualityState, emitted_ms: int) -> list[dict[str, Any]]:
    """Scorecards of the periods whose end their dataset's watermark (marks.py) minus the
    lateness has passed, unless an input they count is still behind (logic.inputs_read_through);
    a dataset without raw records yet closes nothing."""
    horizons = {d: min(w, inputs_read_through(state, d)) - state.lateness_ms for d, w in state.watermarks.items()}
    return _close(state, lambda dataset: horizons.get(dataset, -(2 ** 62)), emitted_ms)


def close_all(state: QualityState, emitted_ms: int) -> list[dict[str, Any]]:
    """Every open period's scorecard (the end of a bounded replay: tests, benchmarks)."""
    return _close(state, lambda _: 2 ** 62, emitted_ms)


def _close(state: QualityState, horizon: Callable[[str], int], emitted_ms: int) -> list[dict[str, Any]]:
    due = sorted(k for k in state.open if k[2] + LENGTHS[k[1]] <= horizon(k[0]))
    cards: list[dict[str, Any]] = []
    for key in due:
        dataset, granularity, start = key
        spec, acc = state.specs[dataset], state.open.pop(key)
        cards += _silent_days(state, spec, key, emitted_ms) + [scorecard(spec, key, acc, emitted_ms, state.references)]
        end = start + LENGTHS[granularity]
        state.closed_before[(dataset, granularity)] = max(state.closed_before.get((dataset, granularity), end), end)
    return cards


def _silent_days(state: QualityState, spec: DatasetQuality, key: PeriodKey, emitted_ms: int) -> list[dict[str, Any]]:
    """Empty day scorecards for the days between the last closed day and this one."""
    dataset, granularity, start = key
    since = state.closed_before.get((dataset, granularity))
    if granularity != "day" or since is None:
        return []
    empty = Accumulator(len(spec.required), len(spec.checks))
    return [scorecard(spec, (dataset, "day", day), empty, emitted_ms, {})
            for day in range(since, start, LENGTHS["day"])]

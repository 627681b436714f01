"""Apply one observation to a rule's event-time state and say whether the condition holds. Pure.

Windows are kept by govbus itself, not by Faust (docs/findings.md#faust-streaming-0153; windowed tables expire by wall
clock and drop late data silently). Records are added to event-time buckets; a sliding window
is the run of ``size / slide`` buckets that starts at a slide step. Conditions are evaluated
eagerly, on every record, over every window that contains it: an emergency is reported when the
fifth alarm arrives, not when the window closes. Counts only grow, so a window that held keeps
holding; ``Hit.end`` says until when (the end of the latest window that held).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from govbus.core.incident_text import duration_zh, number, time_zh
from govbus.core.rules import (
    ConsecutiveRule,
    Grade,
    RecordRule,
    Rule,
    SpikeRule,
    TriageRule,
    WindowRule,
    format_duration,
    format_number,
)
from stream_processors.detect.extract import Observation
from stream_processors.detect.state import Store, bucket_key

MAX_BUCKET_TOKENS = 1000  # beyond this a bucket still counts, but can no longer de-duplicate
MAX_SEEN = 200            # record and triage rules: tokens remembered per key
MAX_READINGS = 500
DAY_MS = 86_400_000
SPARK_READINGS = 24  # readings an incident of a series rule carries (the feed's sparkline)


@dataclass(frozen=True)
class Hit:
    """The condition held. ``at`` is the event time of the record that made it hold."""

    start: int
    end: int
    at: int
    grade: Grade
    matched: list[str]
    ids: list[str]
    summary: str
    # What a rule's ``summary_zh`` may say (govbus.core.incident_text.FACTS), ready to print.
    facts: dict[str, str] = field(default_factory=dict)
    # Series rules: the readings up to the run's end, for the feed's sparklines ({at_ms, value}).
    readings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Applied:
    duplicate: bool = False
    hit: Hit | None = None


def apply(rule: Rule, series: dict[str, Any], buckets: Store, obs: Observation) -> Applied:
    """Add ``obs`` to ``series`` / ``buckets`` (changing them) and evaluate the condition."""
    if isinstance(rule, WindowRule):
        return _window(rule, series, buckets, obs)
    if isinstance(rule, SpikeRule):
        return _spike(rule, series, buckets, obs)
    if isinstance(rule, ConsecutiveRule):
        return _consecutive(rule, series, obs)
    return _single(rule, series, obs)


def is_known(rule: Rule, series: dict[str, Any] | None, buckets: Store, obs: Observation) -> bool:
    """Whether ``obs`` was applied already (a replay after a restart), as far as the state still
    remembers: checked before lateness, so that a replay is not mistaken for a late record."""
    if series is None:
        return False
    if isinstance(rule, (WindowRule, SpikeRule)):
        step = rule.window.step if isinstance(rule, WindowRule) else rule.bucket
        bucket = buckets.get(bucket_key(rule.id, obs.key, obs.time // step * step))
        return bucket is not None and obs.token in bucket["ids"]
    if isinstance(rule, ConsecutiveRule):
        return any(r[2] == obs.token and r[1] == obs.value for r in series["readings"])
    return obs.token in series["seen"]


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _add(buckets: Store, series: dict[str, Any], rule: Rule, obs: Observation, start: int) -> bool:
    """Add ``obs`` to the bucket at ``start``; False if it was already there."""
    key = bucket_key(rule.id, obs.key, start)
    bucket = buckets.get(key) or {"n": 0, "s": 0.0, "m": None, "ids": []}
    if obs.token in bucket["ids"]:
        return False
    bucket["n"] += 1
    bucket["s"] += obs.value
    bucket["m"] = obs.value if bucket["m"] is None else max(bucket["m"], obs.value)
    if len(bucket["ids"]) < MAX_BUCKET_TOKENS:
        bucket["ids"].append(obs.token)
    buckets.put(key, bucket)
    if start not in series["buckets"]:
        series["buckets"] = sorted(series["buckets"] + [start])
    return True


def _aggregate(aggregate: str, parts: list[dict[str, Any]]) -> float:
    if aggregate == "count":
        return float(sum(p["n"] for p in parts))
    if aggregate == "sum":
        return float(sum(p["s"] for p in parts))
    return float(max((p["m"] for p in parts if p["m"] is not None), default=0.0))


def event_ids(tokens: list[str]) -> list[str]:
    """Distinct event ids of bucket tokens (``id@time``), first seen first."""
    return list(dict.fromkeys(t.split("@", 1)[0] for t in tokens))


def _window(rule: WindowRule, series: dict[str, Any], buckets: Store, obs: Observation) -> Applied:
    step, size = rule.window.step, rule.window.size
    start = obs.time // step * step
    if not _add(buckets, series, rule, obs, start):
        return Applied(duplicate=True)
    best: tuple[float, int, list[dict[str, Any]]] | None = None
    last_end = None
    for w in range(start - size + step, start + step, step):
        parts = [b for s in range(w, w + size, step) if (b := buckets.get(bucket_key(rule.id, obs.key, s)))]
        value = _aggregate(rule.aggregate, parts)
        if value >= rule.at_least:
            last_end = w + size
            if best is None or value >= best[0]:
                best = (value, w, parts)
    if best is None or last_end is None:
        return Applied()
    value, w, parts = best
    graded = rule.grade_of({"value": value})
    if graded is None:
        return Applied()
    what = rule.aggregate if rule.field is None else f"{rule.aggregate}({rule.field})"
    matched = list(dict.fromkeys([f"{what}>={format_number(rule.at_least)}"] +
                                 [m.replace("value", what) for m in graded[1]]))
    summary = (f"{what} {format_number(value)} >= {format_number(rule.at_least)} within "
               f"{format_duration(size)} ({utc(w)} to {utc(w + size)}); grade {graded[0].value}")
    facts = {"value": number(value), "at_least": number(rule.at_least), "window": duration_zh(size),
             "start": time_zh(w), "end": time_zh(w + size)}
    return Applied(hit=Hit(w, last_end, obs.time, graded[0], matched,
                           event_ids([t for p in parts for t in p["ids"]]), summary, facts))


def _spike(rule: SpikeRule, series: dict[str, Any], buckets: Store, obs: Observation) -> Applied:
    step = rule.bucket
    start = obs.time // step * step
    if not _add(buckets, series, rule, obs, start):
        return Applied(duplicate=True)
    current = buckets.get(bucket_key(rule.id, obs.key, start))
    trailing = [buckets.get(bucket_key(rule.id, obs.key, start - k * step)) for k in range(1, rule.trailing + 1)]
    average = sum(b["n"] for b in trailing if b) / rule.trailing
    baseline = max(average, rule.baseline_floor)
    count, ratio = current["n"], current["n"] / baseline
    if count < rule.min_count or ratio < rule.ratio:
        return Applied()
    graded = rule.grade_of({"count": count, "ratio": ratio, "baseline": baseline})
    if graded is None:
        return Applied()
    summary = (f"{count} records in {format_duration(step)} from {utc(start)}: {ratio:.1f} x the "
               f"trailing {rule.trailing}-bucket average {average:.2f} (counted as at least "
               f"{format_number(rule.baseline_floor)}); spike at {format_number(rule.ratio)} x "
               f"with at least {rule.min_count}")
    matched = [f"ratio>={format_number(rule.ratio)}", f"count>={rule.min_count}"] + graded[1]
    facts = {"count": str(count), "ratio": f"{ratio:.1f}", "baseline": number(baseline),
             "bucket": duration_zh(step), "start": time_zh(start), "end": time_zh(start + step)}
    return Applied(hit=Hit(start, start + step, obs.time, graded[0], matched,
                           event_ids(current["ids"]), summary, facts))


def _consecutive(rule: ConsecutiveRule, series: dict[str, Any], obs: Observation) -> Applied:
    previous = next((r for r in series["readings"] if r[2] == obs.token), None)
    if previous is not None and previous[1] == obs.value:
        return Applied(duplicate=True)
    # A re-sent reading with another value is a correction: it replaces the one it repeats.
    readings = [r for r in series["readings"] if r[2] != obs.token] + [[obs.time, obs.value, obs.token]]
    readings = sorted(readings, key=lambda r: (r[0], r[2]))[-MAX_READINGS:]
    series["readings"] = readings
    i = next((n for n, r in enumerate(readings) if r[2] == obs.token), None)
    if i is None or readings[i][1] <= rule.above:
        return Applied()
    first = last = i
    while first > 0 and readings[first - 1][1] > rule.above:
        first -= 1
    while last < len(readings) - 1 and readings[last + 1][1] > rule.above:
        last += 1
    run = readings[first:last + 1]
    if len(run) < rule.readings:
        return Applied()
    graded = rule.grade_of({"value": run[-1][1], "readings": len(run)})
    if graded is None:
        return Applied()
    summary = (f"{len(run)} consecutive readings of {rule.field} above {format_number(rule.above)} "
               f"from {utc(run[0][0])} to {utc(run[-1][0])}, latest {format_number(run[-1][1])}; "
               f"grade {graded[0].value}")
    matched = [f"{rule.field}>{format_number(rule.above)} x{rule.readings}"] + graded[1]
    facts = {"readings": str(len(run)), "latest": number(run[-1][1]), "above": number(rule.above),
             "field": rule.field, "start": time_zh(run[0][0]), "end": time_zh(run[-1][0])}
    return Applied(hit=Hit(run[0][0], run[-1][0], obs.time, graded[0], matched,
                           event_ids([r[2] for r in run]), summary, facts, _recent(readings, last)))


def _recent(readings: list[list[Any]], last: int) -> list[dict[str, Any]]:
    """The readings up to index ``last``, at most SPARK_READINGS of them, for the sparkline."""
    return [{"at_ms": r[0], "value": r[1]} for r in readings[max(last + 1 - SPARK_READINGS, 0):last + 1]]


def _single(rule: RecordRule | TriageRule, series: dict[str, Any], obs: Observation) -> Applied:
    """Record and triage rules: each record holds the condition at its own event time."""
    if obs.token in series["seen"]:
        return Applied(duplicate=True)
    series["seen"] = (series["seen"] + [obs.token])[-MAX_SEEN:]
    graded = rule.grade_of(obs.measures)
    if graded is None:
        return Applied()
    if isinstance(rule, TriageRule):
        summary = f"{rule.dataset} record matched {', '.join(obs.terms)} ({obs.group}) at {utc(obs.time)}"
        matched = list(obs.terms)
        facts = {"terms": "、".join(obs.terms), "group": obs.group}
    else:
        values = ", ".join(f"{k}={format_number(v)}" for k, v in sorted(obs.measures.items()))
        summary = f"{values} at {utc(obs.time)}: grade {graded[0].value} ({', '.join(graded[1])})"
        matched = graded[1]
        facts = {k: number(v) for k, v in obs.measures.items()}
    facts |= {"start": time_zh(obs.time), "end": time_zh(obs.time)}
    return Applied(hit=Hit(obs.time, obs.time, obs.time, graded[0], matched, [obs.event_id], summary, facts))


def expire(rule: Rule, series: dict[str, Any], buckets: Store, clock: int) -> None:
    """Forget state no record can still change or any window still needs."""
    horizon = clock - rule.allowed_lateness
    if isinstance(rule, WindowRule):
        horizon -= rule.window.size
    elif isinstance(rule, SpikeRule):
        horizon -= (rule.trailing + 1) * rule.bucket
    keep = [s for s in series["buckets"] if s >= horizon]
    for start in series["buckets"]:
        if start < horizon:
            buckets.delete(bucket_key(rule.id, series["key"], start))
    series["buckets"] = keep
    if isinstance(rule, ConsecutiveRule):
        # Late readings cannot land before the horizon, but a run that ends after it may start
        # before it: keep the readings - 1 readings just before it, unless a silence longer
        # than clear_after (a day without one) separates them from now.
        cutoff = horizon - (rule.clear_after or DAY_MS)
        older = [r for r in series["readings"] if cutoff <= r[0] < horizon][-(rule.readings - 1):]
        series["readings"] = (older if rule.readings > 1 else []) + \
            [r for r in series["readings"] if r[0] >= horizon]
    if isinstance(rule, (RecordRule, TriageRule)) and series["seen"]:
        series["seen"] = [t for t in series["seen"] if int(t.split("@", 1)[1].split("#")[0]) >= horizon]

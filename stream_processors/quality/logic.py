"""Scorecards as the stream flows (issue 19), pure: fold observations into per-period
accumulators, close the periods the event-time watermark has passed, one scorecard each.

Periods are event-time hours and days (UTC) per dataset; a record counts in both. A period
closes when its dataset's watermark (its raw records' newest event time, held back by a raw
partition still behind: marks.py) minus the lateness passes its end, and no other input its
scorecard counts is still behind (``inputs_read_through``); a record or letter for a closed period
is counted as ``too_late`` and left out (its scorecard has been published). Dead letters never
move a watermark: an adapter's letter carries when it was written, not its record's event time,
and a backfill's letters would otherwise close the periods its records are still arriving for.
The state is bounded: open periods only (sets of event-id and business-key hashes, the delays of
the period), and per consistency check at most ``max_reference_keys`` reference keys, oldest out.
Figures (docs/operations.md#data-quality-scorecards): see the schema govbus.bus.QualityScorecard.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from stream_processors.quality.marks import NOT_HELD, PartitionMarks, note_record, read_through
from stream_processors.quality.observe import LetterObservation, Observation
from stream_processors.quality.spec import DAY_MS, HOUR_MS, DatasetQuality, RefKey

GRANULARITIES = (("hour", HOUR_MS), ("day", DAY_MS))
COUNTED_STAGES = ("adapter", "process")  # a sink's letters are listed, not held against validity
PeriodKey = tuple[str, str, int]  # dataset, granularity, period start (ms)


@dataclass
class Accumulator:
    """What one period of one dataset has seen so far."""

    required: int
    checks: int
    records: int = 0
    decoded: int = 0
    complete: int = 0
    failed: int = 0
    late: int = 0
    duplicate_ids: int = 0
    duplicate_keys: int = 0
    present: list[int] = field(default_factory=list)
    checked: list[int] = field(default_factory=list)
    lookups: list[list[str]] = field(default_factory=list)  # per check: the keys to find at close
    delays: array = field(default_factory=lambda: array("q"))
    slots: set[int] = field(default_factory=set)
    event_ids: set[int] = field(default_factory=set)
    business_keys: set[int] = field(default_factory=set)
    letters: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.present = self.present or [0] * self.required
        self.checked = self.checked or [0] * self.checks
        self.lookups = self.lookups or [[] for _ in range(self.checks)]


@dataclass
class QualityState:
    specs: dict[str, DatasetQuality]
    lateness_ms: int
    max_reference_keys: int = 2_000_000
    open: dict[PeriodKey, Accumulator] = field(default_factory=dict)
    closed_before: dict[tuple[str, str], int] = field(default_factory=dict)  # (dataset, granularity)
    references: dict[RefKey, dict[str, None]] = field(default_factory=dict)  # insertion-ordered: oldest first
    watermarks: dict[str, int] = field(default_factory=dict)  # dataset → its watermark (marks.py)
    partitions: dict[str, PartitionMarks] = field(default_factory=dict)  # dataset → its raw partitions
    dlq_partitions: dict[str, PartitionMarks] = field(default_factory=dict)  # dataset → its dlq partitions
    too_late: int = 0


def period_start(event_ms: int, length_ms: int) -> int:
    return event_ms - event_ms % length_ms


def _accumulators(state: QualityState, dataset: str, event_ms: int) -> list[tuple[Accumulator, int]] | None:
    """The open accumulators (hour, day) of ``event_ms``, created as needed; None when its
    periods are closed already."""
    spec = state.specs[dataset]
    found = []
    for granularity, length in GRANULARITIES:
        start = period_start(event_ms, length)
        if start < state.closed_before.get((dataset, granularity), -(2 ** 62)):
            return None
        acc = state.open.get((dataset, granularity, start))
        if acc is None:
            acc = state.open[(dataset, granularity, start)] = Accumulator(len(spec.required), len(spec.checks))
        found.append((acc, start))
    return found


def _advance(state: QualityState, dataset: str, partition: int, event_ms: int) -> None:
    marks = state.partitions.setdefault(dataset, PartitionMarks())
    note_record(marks, partition, event_ms)
    refresh_watermark(state, dataset)


def refresh_watermark(state: QualityState, dataset: str) -> None:
    marks = state.partitions.get(dataset)
    watermark = marks.watermark(state.watermarks.get(dataset)) if marks is not None else None
    if watermark is not None:
        state.watermarks[dataset] = watermark


def inputs_read_through(state: QualityState, dataset: str) -> int:
    """How far (event time) the inputs a scorecard of ``dataset`` counts besides its own raw topic
    are surely read: its dlq partitions (a letter not read yet would be missing from the figures
    for good, no order holds across topics) and the raw partitions of the datasets its checks
    look up (a reference not indexed yet would count as broken). marks.read_through."""
    checks = state.specs[dataset].checks
    inputs = [state.dlq_partitions.get(dataset), *(state.partitions.get(c.ref.dataset) for c in checks)]
    return min((read_through(m) for m in inputs if m is not None), default=NOT_HELD)


def offer(state: QualityState, obs: Observation) -> None:
    """The record's reference keys go into their indexes. A check looks its keys up when its
    period closes (closing.py), so a referenced record that arrives on another topic a little
    later than the record naming it (no order holds across topics) still counts as found."""
    for ref, key in obs.offers:
        index = state.references.setdefault(ref, {})
        index.pop(key, None)  # re-inserted last: the freshest keys are kept longest
        index[key] = None
        if len(index) > state.max_reference_keys:
            del index[next(iter(index))]


def fold_record(state: QualityState, obs: Observation, partition: int = 0) -> bool:
    """Count one raw record (read from ``partition`` of its raw topic); False (counted as too
    late) when its period has closed. What both periods need is worked out once (the hot path:
    bench/quality_bench.py)."""
    spec = state.specs[obs.dataset]
    _advance(state, obs.dataset, partition, obs.event_ms)
    offer(state, obs)
    accumulators = _accumulators(state, obs.dataset, obs.event_ms)
    if accumulators is None:
        state.too_late += 1
        return False
    if not obs.decoded:
        for acc, _ in accumulators:
            acc.records += 1
        return True
    delay = obs.ingest_ms - obs.event_ms
    slot = obs.event_ms // spec.slot_ms if spec.slot_ms else None
    facts = (delay, delay > spec.max_delay_ms, all(obs.present), slot, hash(obs.event_id),
             hash((obs.business_key, obs.event_ms)))
    for acc, _ in accumulators:
        _count(acc, obs, facts)
    return True


def _count(acc: Accumulator, obs: Observation, facts: tuple[int, bool, bool, int | None, int, int]) -> None:
    delay, late, complete, slot, id_hash, key_hash = facts
    acc.records += 1
    acc.decoded += 1
    present = acc.present
    for i, here in enumerate(obs.present):
        if here:
            present[i] += 1
    acc.complete += complete
    acc.delays.append(delay)
    acc.late += late
    if slot is not None:
        acc.slots.add(slot)
    if id_hash in acc.event_ids:
        acc.duplicate_ids += 1
    else:
        acc.event_ids.add(id_hash)
        if key_hash in acc.business_keys:
            acc.duplicate_keys += 1
        acc.business_keys.add(key_hash)
    for i, key in enumerate(obs.lookups):
        if key is not None:
            acc.checked[i] += 1
            acc.lookups[i].append(key)


def fold_letter(state: QualityState, letter: LetterObservation) -> bool:
    """Count one dead letter; an adapter's letter is a record that never reached the raw topic."""
    if letter.dataset not in state.specs:
        return False
    accumulators = _accumulators(state, letter.dataset, letter.event_ms)
    if accumulators is None:
        state.too_late += 1
        return False
    for acc, _ in accumulators:
        if letter.stage in COUNTED_STAGES:
            acc.failed += 1
            acc.records += letter.stage == "adapter"
        seen = acc.letters.setdefault((letter.stage, letter.reason, letter.rule, letter.field_path),
                                      [0, letter.offset])
        seen[0] += 1
        seen[1] = min(seen[1], letter.offset)
    return True

"""The pure scorecard functions, case by case (the full week is test_week.py)."""
from __future__ import annotations

import pytest

from stream_processors.quality.closing import close_all, close_due, missing_slots, nearest_rank
from stream_processors.quality.logic import QualityState, fold_letter, fold_record, period_start
from stream_processors.quality.observe import LetterObservation, Observation, filled, reference_key
from stream_processors.quality.spec import DAY_MS, HOUR_MS, Check, DatasetQuality, RefKey

BASE = RefKey("b.base", "id", False, "GB11643")
CHILD = DatasetQuality("a.child", "dept_a", ("x", "y"), ("k",), "real_time", HOUR_MS, (Check("in_base", "ref", BASE),))
PARENT = DatasetQuality("b.base", "dept_b", ("id",), ("id",), "daily", DAY_MS, offers=(BASE,))
T = 1_764_547_200_000  # a day start (UTC)


def state(lateness: int = 0, keys: int = 100) -> QualityState:
    return QualityState({"a.child": CHILD, "b.base": PARENT}, lateness, keys)


def child(event_ms: int, eid: str = "e1", key: str = "k1", present=(True, True), ref: str | None = None,
          ingest: int | None = None) -> Observation:
    return Observation("a.child", eid, event_ms, event_ms if ingest is None else ingest, present, key, (ref,))


def parent(event_ms: int, ref: str) -> Observation:
    return Observation("b.base", f"p{ref}", event_ms, event_ms, (True,), ref, (), ((BASE, ref),))


@pytest.mark.parametrize(("values", "q", "want"), [
    ([], 0.5, None), ([7], 0.95, 7), ([1, 2, 3, 4], 0.5, 2), ([4, 3, 2, 1], 0.95, 4),
    (list(range(1, 101)), 0.95, 95), (list(range(1, 101)), 0.5, 50), ([5, 5, 5, 9], 0.75, 5),
])
def test_nearest_rank(values, q, want) -> None:
    assert nearest_rank(values, q) == want


@pytest.mark.parametrize(("value", "want"), [
    (None, False), ("", False), ("  ", False), ([], False), ("a", True), (0, True), (False, True), ([1], True),
])
def test_filled(value, want) -> None:
    assert filled(value) is want


@pytest.mark.parametrize(("spec", "start", "length", "slots", "want"), [
    (CHILD, T, HOUR_MS, set(), 1), (CHILD, T, HOUR_MS, {T // HOUR_MS}, 0),
    (CHILD, T, DAY_MS, {T // HOUR_MS + i for i in range(20)}, 4),
    (PARENT, T, HOUR_MS, set(), 0),             # a daily cadence is not judged by the hour
    (PARENT, T, DAY_MS, set(), 1), (PARENT, T, DAY_MS, {T // DAY_MS}, 0),
])
def test_missing_slots(spec, start, length, slots, want) -> None:
    assert missing_slots(spec, start, length, slots) == want


def test_period_start_floors_to_the_hour_and_day() -> None:
    assert period_start(T + 90 * 60_000, HOUR_MS) == T + HOUR_MS
    assert period_start(T + 90 * 60_000, DAY_MS) == T


def test_a_record_counts_in_its_hour_and_its_day() -> None:
    s = state()
    fold_record(s, child(T + 10))
    cards = close_all(s, 0)
    assert sorted(c["granularity"] for c in cards) == ["day", "hour"]
    assert all(c["records"] == 1 for c in cards)


def test_periods_close_once_the_watermark_passes_and_later_records_are_too_late() -> None:
    s = state(lateness=10 * 60_000)
    fold_record(s, child(T + 5))
    assert close_due(s, 0) == []
    fold_record(s, child(T + HOUR_MS + 9 * 60_000, "e2"))  # watermark 1 min short of the hour's end
    assert close_due(s, 0) == []
    fold_record(s, child(T + HOUR_MS + 11 * 60_000, "e3"))
    assert [c["granularity"] for c in close_due(s, 0)] == ["hour"]
    assert fold_record(s, child(T + 1, "e4")) is False and s.too_late == 1


@pytest.mark.parametrize(("letters", "records", "failed", "passed"), [
    ([], 2, 0, 2),
    (["process"], 2, 1, 1),
    (["adapter"], 3, 1, 2),        # never reached the raw topic: a record of its own
    (["sink"], 2, 0, 2),           # listed, not held against validity
    (["process", "process", "adapter"], 3, 3, 0),
])
def test_validity_counts_adapter_and_process_letters(letters, records, failed, passed) -> None:
    s = state()
    fold_record(s, child(T + 1, "e1"))
    fold_record(s, child(T + 2, "e2"))
    for offset, stage in enumerate(letters):
        fold_letter(s, LetterObservation("a.child", T + 3, stage, "bad", "R.1", "x", offset))
    hour = next(c for c in close_all(s, 0) if c["granularity"] == "hour")
    assert (hour["records"], hour["failed"], hour["passed"]) == (records, failed, passed)
    assert sum(d["count"] for d in hour["dead_letters"]) == len(letters)


def test_duplicates_by_event_id_and_by_business_key() -> None:
    s = state()
    for obs in (child(T, "e1", "k1"), child(T, "e1", "k1"), child(T, "e2", "k1"), child(T + 1, "e3", "k1"),
                child(T, "e4", "k2")):
        fold_record(s, obs)
    hour = next(c for c in close_all(s, 0) if c["granularity"] == "hour")
    assert (hour["duplicate_event_ids"], hour["duplicate_business_keys"]) == (1, 1)


def test_consistency_looks_references_up_when_the_period_closes() -> None:
    s = state(lateness=HOUR_MS)
    fold_record(s, child(T, "e1", ref="A"))      # before its base record, on another topic: found at close
    fold_record(s, child(T, "e2", ref="Z"))      # never registered: broken
    fold_record(s, child(T, "e3", ref=None))     # empty: not checked
    fold_record(s, parent(T + 5, "A"))
    fold_record(s, child(T + 2 * HOUR_MS, "e4"))  # moves the watermark past the first hour
    [hour] = [c for c in close_due(s, 0) if c["dataset"] == "a.child"]
    fold_record(s, parent(T + 2 * HOUR_MS, "Z"))  # too late for it
    assert hour["consistency"] == [{"check": "in_base", "references": "b.base", "checked": 2, "broken": 1}]


def test_the_reference_index_is_bounded_oldest_out() -> None:
    s = state(keys=2)
    for ref in ("A", "B", "C"):
        fold_record(s, parent(T, ref))
    assert list(s.references[BASE]) == ["B", "C"]


def test_completeness_late_and_delays() -> None:
    s = state()
    fold_record(s, child(T, "e1", present=(True, False), ingest=T + 2 * HOUR_MS))
    fold_record(s, child(T, "e2", ingest=T + 60_000))
    hour = next(c for c in close_all(s, 0) if c["granularity"] == "hour")
    assert [f["present"] for f in hour["required_fields"]] == [2, 1]
    assert (hour["complete_records"], hour["completeness_ratio"], hour["late_records"]) == (1, 0.5, 1)
    assert (hour["delay_p50_ms"], hour["delay_p95_ms"]) == (60_000, 2 * HOUR_MS)


def test_a_silent_day_between_two_gets_an_empty_scorecard() -> None:
    s = state()
    fold_record(s, parent(T, "A"))
    fold_record(s, parent(T + 2 * DAY_MS, "B"))
    days = [c for c in close_all(s, 0) if c["granularity"] == "day"]
    assert [(c["records"], c["missing_updates"]) for c in days] == [(1, 0), (0, 1), (1, 0)]


def test_reference_keys_are_pseudonyms_when_the_check_says_so() -> None:
    ref = RefKey("p.x", "id", True, "GB11643")
    key = reference_key(ref, "11010519491231002X", b"k")
    assert key is not None and key.startswith("v1:") and "11010519491231002X" not in key
    assert reference_key(ref, "11010519491231002x", b"k") == key  # normalised before keying
    assert reference_key(RefKey("p.x", "id", False, ""), " 91350100abc ", b"k") == "91350100ABC"
    assert reference_key(ref, "", b"k") is None


def test_each_dataset_closes_by_its_own_watermark_and_letters_move_none() -> None:
    s = state()
    fold_record(s, child(T))
    fold_record(s, parent(T + 3 * DAY_MS, "A"))  # another dataset far ahead
    fold_letter(s, LetterObservation("a.child", T + 3 * DAY_MS, "adapter", "bad", "R.1", "x", 0))
    assert {c["dataset"] for c in close_due(s, 0)} == set()  # b.base's own periods are still current
    fold_record(s, child(T + 2 * HOUR_MS, "e2"))
    assert [(c["dataset"], c["granularity"]) for c in close_due(s, 0)] == [("a.child", "hour")]


def test_after_a_restart_periods_older_than_the_raw_retention_are_not_published_again() -> None:
    from govbus.core.catalogue import load_catalogue
    from govbus.core.settings import PROJECT_ROOT
    from stream_processors.quality.closing import scorecard_id
    from stream_processors.quality.role import complete_only, retained_since

    floors = retained_since(load_catalogue(PROJECT_ROOT / "catalogue"), T + 7 * DAY_MS)  # 7d retention
    assert floors["health.case_report"] == T
    cards = [{"dataset": "health.case_report", "period_start": p, "id": scorecard_id("h", "x", "day", p)}
             for p in (T - 1, T)]
    assert [c["period_start"] for c in complete_only(cards, floors)] == [T]

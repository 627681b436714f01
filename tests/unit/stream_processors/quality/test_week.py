"""Every figure of every scorecard of a generated week (tests/support/quality_week.py) equals the
figure computed here, independently, from the same events: no code of the role computes them."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from govbus.core.catalogue import load_catalogue
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from stream_processors.quality.closing import close_all, close_due
from stream_processors.quality.logic import QualityState, fold_letter, fold_record
from stream_processors.quality.observe import observe_letter, observe_record
from stream_processors.quality.spec import dataset_qualities
from stream_processors.route.masking import pseudonym
from tests.support.quality_week import DAY, HOUR, KEY, Event, generate_week

DATASETS = ("health.case_report", "population.resident", "gov_service.application", "market.enterprise_registration")
REFERENCES = {"health.case_report": ("patient_id_no", "population.resident", "id_no"),
              "gov_service.application": ("applicant_uscc", "market.enterprise_registration", "uscc")}


@pytest.fixture(scope="module")
def specs():
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    return dataset_qualities(catalogue, load_schemas(PROJECT_ROOT / "schemas" / "avro"))


@pytest.fixture(scope="module")
def week() -> list[Event]:
    return generate_week()


def run_role(specs, events: list[Event]) -> tuple[list[dict[str, Any]], QualityState]:
    state = QualityState(specs, lateness_ms=2 * DAY)
    cards: list[dict[str, Any]] = []
    for e in events:
        if e.letter is None:
            fold_record(state, observe_record(specs[e.dataset], e.record, e.ingest_ms, KEY))
        else:
            fold_letter(state, observe_letter(e.letter, e.offset, e.event_ms))
        cards += close_due(state, 0)
    return cards + close_all(state, 0), state


# --- the independent computation -------------------------------------------------------------

def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _rank(values: list[int], q: float) -> int | None:
    """Smallest value v such that at least q·n values are ≤ v."""
    return min((v for v in set(values) if sum(x <= v for x in values) >= q * len(values)), default=None)


def _broken(events: list[Event]) -> dict[int, bool]:
    """Per raw event (by position): whether its reference was not among the referenced dataset's
    values ingested before it; absent when the field is empty."""
    seen: dict[str, set[str]] = defaultdict(set)
    broken = {}
    for i, e in enumerate(events):
        if e.letter is not None:
            continue
        if e.dataset in REFERENCES:
            field, _, _ = REFERENCES[e.dataset]
            if not _blank(e.record.get(field)):
                broken[i] = str(e.record[field]).upper() not in seen[e.dataset]
        for dataset, (_, ref_ds, ref_field) in REFERENCES.items():
            if e.dataset == ref_ds and not _blank(e.record.get(ref_field)):
                seen[dataset].add(str(e.record[ref_field]).upper())
    return broken


def expected(specs, events: list[Event], dataset: str, length: int, start: int,
             broken: dict[int, bool]) -> dict[str, Any]:
    spec = specs[dataset]
    inside = [(i, e) for i, e in enumerate(events) if e.dataset == dataset and start <= e.event_ms < start + length]
    raw = [(i, e) for i, e in inside if e.letter is None]
    letters = [e.letter for _, e in inside if e.letter is not None]
    adapter = sum(1 for x in letters if x["stage"] == "adapter")
    failed = sum(1 for x in letters if x["stage"] in ("adapter", "process"))
    records = len(raw) + adapter
    complete = sum(1 for _, e in raw if not any(_blank(e.record.get(f)) for f in spec.required))
    delays = [e.ingest_ms - e.event_ms for _, e in raw]
    firsts = {e.record["envelope"]["event_id"]: e for _, e in reversed(raw)}
    key_field = spec.business_key[0]
    hours = {e.event_ms // HOUR for _, e in raw}
    slot = DAY if spec.cadence == "daily" else HOUR
    checked = [i for i, _ in raw if i in broken]
    return {
        "records": records, "complete_records": complete, "failed": failed, "passed": records - failed,
        "required_fields": [sum(1 for _, e in raw if not _blank(e.record.get(f))) for f in spec.required],
        "delay_p50_ms": _rank(delays, 0.5), "delay_p95_ms": _rank(delays, 0.95),
        "late_records": sum(1 for d in delays if d > spec.max_delay_ms),
        "missing_updates": (length // slot - len(hours) if slot == HOUR else int(not raw)) if slot <= length else 0,
        "duplicate_event_ids": len(raw) - len(firsts),
        "duplicate_business_keys": len(firsts) - len({(e.record[key_field], e.event_ms) for e in firsts.values()}),
        "consistency": [(len(checked), sum(broken[i] for i in checked))] if dataset in REFERENCES else [],
        "dead_letters": sorted((x["stage"], x["reason"], x["rule"]) for x in letters),
    }


def actual(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "records": card["records"], "complete_records": card["complete_records"], "failed": card["failed"],
        "passed": card["passed"], "required_fields": [f["present"] for f in card["required_fields"]],
        "delay_p50_ms": card["delay_p50_ms"], "delay_p95_ms": card["delay_p95_ms"],
        "late_records": card["late_records"], "missing_updates": card["missing_updates"],
        "duplicate_event_ids": card["duplicate_event_ids"], "duplicate_business_keys": card["duplicate_business_keys"],
        "consistency": [(c["checked"], c["broken"]) for c in card["consistency"]],
        "dead_letters": sorted(x for d in card["dead_letters"]
                               for x in [(d["stage"], d["reason"], d["rule"])] * d["count"]),
    }


def test_every_figure_of_the_week_matches(specs, week) -> None:
    cards, state = run_role(specs, week)
    assert state.too_late == 0
    lengths, broken = {"hour": HOUR, "day": DAY}, _broken(week)
    for card in cards:
        start = int(card["period_start"].timestamp() * 1000)
        want = expected(specs, week, card["dataset"], lengths[card["granularity"]], start, broken)
        assert actual(card) == want, card["scorecard_id"]


def test_the_week_has_every_scorecard_and_its_defects(specs, week) -> None:
    cards, _ = run_role(specs, week)
    days = {(c["dataset"], c["period_start"]) for c in cards if c["granularity"] == "day"}
    assert len(days) == 7 * len(DATASETS)  # the silent population day included
    silent = [c for c in cards if c["granularity"] == "day" and c["records"] == 0]
    assert [(c["dataset"], c["missing_updates"]) for c in silent] == [("population.resident", 1)]
    health = [c for c in cards if c["dataset"] == "health.case_report" and c["granularity"] == "day"]
    totals = {k: sum(c[k] for c in health) for k in ("late_records", "duplicate_event_ids",
                                                    "duplicate_business_keys", "missing_updates")}
    assert all(totals.values()), totals  # every kind of defect is there to be found
    assert sum(c["consistency"][0]["broken"] for c in health) > 0
    hours = [c for c in cards if c["dataset"] == "health.case_report" and c["granularity"] == "hour"]
    assert len({c["scorecard_id"] for c in hours}) == len(hours)


def test_ids_are_matched_by_pseudonym_never_kept(specs, week) -> None:
    _, state = run_role(specs, week)
    index = next(v for k, v in state.references.items() if k.dataset == "population.resident")
    some = next(e for e in week if e.dataset == "population.resident" and e.letter is None)
    assert some.record["id_no"] not in index
    assert pseudonym(KEY, "GB11643", some.record["id_no"]) in index

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


def run_role(specs: dict, events: list[Event]) -> tuple[list[tuple[int, dict[str, Any]]], QualityState]:
    """Every scorecard with the position in ``events`` at which it was emitted."""
    state = QualityState(specs, lateness_ms=2 * DAY)
    cards: list[tuple[int, dict[str, Any]]] = []
    for n, e in enumerate(events):
        if e.letter is None:
            fold_record(state, observe_record(specs[e.dataset], e.record, e.ingest_ms, KEY))
        else:
            fold_letter(state, observe_letter(e.letter, e.offset, e.event_ms))
        cards += [(n, c) for c in close_due(state, 0)]
    return cards + [(len(events), c) for c in close_all(state, 0)], state


# --- the independent computation -------------------------------------------------------------

def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _rank(values: list[int], q: float) -> int | None:
    """Smallest value v such that at least q·n values are ≤ v."""
    return min((v for v in set(values) if sum(x <= v for x in values) >= q * len(values)), default=None)


def _first_seen(events: list[Event]) -> dict[str, dict[str, int]]:
    """Per referencing dataset: each referenced value and the position of its first record."""
    first: dict[str, dict[str, int]] = defaultdict(dict)
    for i, e in enumerate(events):
        for dataset, (_, ref_ds, ref_field) in REFERENCES.items():
            if e.letter is None and e.dataset == ref_ds and not _blank(e.record.get(ref_field)):
                first[dataset].setdefault(str(e.record[ref_field]).upper(), i)
    return first


def expected(specs: dict, events: list[Event], dataset: str, length: int, start: int, closed_at: int,
             first: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The card's figures; a reference counts as found when its record came before the period
    closed (``closed_at``: the position of the event after which the card was emitted)."""
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
    field = REFERENCES.get(dataset, ("",))[0]
    checked = [str(e.record[field]).upper() for _, e in raw if field and not _blank(e.record.get(field))]
    return {
        "records": records, "complete_records": complete, "failed": failed, "passed": records - failed,
        "required_fields": [sum(1 for _, e in raw if not _blank(e.record.get(f))) for f in spec.required],
        "delay_p50_ms": _rank(delays, 0.5), "delay_p95_ms": _rank(delays, 0.95),
        "late_records": sum(1 for d in delays if d > spec.max_delay_ms),
        "missing_updates": (length // slot - len(hours) if slot == HOUR else int(not raw)) if slot <= length else 0,
        "duplicate_event_ids": len(raw) - len(firsts),
        "duplicate_business_keys": len(firsts) - len({(e.record[key_field], e.event_ms) for e in firsts.values()}),
        "consistency": [(len(checked), sum(first[dataset].get(v, len(events) + 1) > closed_at for v in checked))]
        if dataset in REFERENCES else [],
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
    lengths, first = {"hour": HOUR, "day": DAY}, _first_seen(week)
    for closed_at, card in cards:
        start = int(card["period_start"].timestamp() * 1000)
        want = expected(specs, week, card["dataset"], lengths[card["granularity"]], start, closed_at, first)
        assert actual(card) == want, card["scorecard_id"]


def test_the_week_has_every_scorecard_and_its_defects(specs, week) -> None:
    cards = [c for _, c in run_role(specs, week)[0]]
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

"""Record → observations: what one cleaned record means to each rule of its dataset. Pure.

An observation is the small, PII-free fact a rule needs (its key, event time, value, the
record's event id, matched terms). Only observations leave this step, so the detector's state,
its internal topic and its changelogs never hold citizens' personal data.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govbus.core.identifiers import region_parent
from govbus.core.rules import ConsecutiveRule, RecordRule, Rule, SpikeRule, TriageRule, WindowRule, format_number

_UNSAFE = re.compile(r"[\s/|@]")  # '/' and '|' separate parts of incident ids and state keys


@dataclass(frozen=True)
class Observation:
    rule_id: str
    key: str                 # e.g. "350102" or "350102:0301"; never contains '/', '|' or '@'
    region: str              # where the incident is (the key's region, or the record's own)
    time: int                # event time, ms since the epoch
    event_id: str            # the record's envelope event id
    value: float = 1.0       # 1 for counts; the field's value for sum, max and readings
    measures: dict[str, float] = field(default_factory=dict)  # record rules: values graded
    terms: tuple[str, ...] = ()   # triage: the terms or category codes that matched
    group: str = ""               # triage: the group that matched (part of the key)

    @property
    def token(self) -> str:
        """Identity for de-duplication. Event ids come from the source's natural key, so a
        re-published record repeats its id; an indicator series repeats it for every reading,
        hence the event time; a record rule grades every new report of an accident, hence
        its measures."""
        measures = ",".join(f"{k}={format_number(v)}" for k, v in sorted(self.measures.items()))
        return f"{self.event_id}@{self.time}" + (f"#{measures}" if measures else "")


def field_value(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def to_millis(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _matches(record: dict[str, Any], conditions: dict[str, Any]) -> bool:
    """Every condition holds (a list: any of its values)."""
    for path, wanted in conditions.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if field_value(record, path) not in options:
            return False
    return True


def _fails_unless(record: dict[str, Any], conditions: dict[str, Any]) -> bool:
    return any(_matches(record, {path: wanted}) for path, wanted in conditions.items())


def _normal(text: str) -> str:
    # For matching only (the record is never altered): full-width letters and digits as ASCII,
    # one case, so "ＧＡＳ leak" and "gas LEAK" both match "gas leak".
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class _TriagePlan:
    groups: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[str]], ...]
    exclude: tuple[str, ...]


def _triage_plan(rule: TriageRule) -> _TriagePlan:
    groups = tuple((name, tuple((_normal(t), t) for t in g.terms), frozenset(g.category_codes))
                   for name, g in rule.groups.items())
    return _TriagePlan(groups, tuple(_normal(t) for t in rule.exclude_terms))


class Extractor:
    """Observations for every rule of a record's dataset, with an outcome per rule for metrics:
    observed, filtered, unkeyed (no region or key at the rule's level), no_time, no_value,
    no_match (triage found nothing)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_dataset: dict[str, list[Rule]] = {}
        for rule in rules:
            self.by_dataset.setdefault(rule.dataset, []).append(rule)
        self._triage = {r.id: _triage_plan(r) for r in rules if isinstance(r, TriageRule)}

    def datasets(self) -> list[str]:
        return sorted(self.by_dataset)

    def extract(self, dataset: str, record: dict[str, Any]) -> list[tuple[Rule, list[Observation], str]]:
        return [(rule, *self.extract_one(rule, record)) for rule in self.by_dataset.get(dataset, [])]

    def extract_one(self, rule: Rule, record: dict[str, Any]) -> tuple[list[Observation], str]:
        if not _matches(record, rule.where) or _fails_unless(record, rule.unless):
            return [], "filtered"
        time = to_millis(field_value(record, rule.time_field))
        if time is None:
            return [], "no_time"
        located = _key_and_region(rule, record)
        if located is None:
            return [], "unkeyed"
        key, region = located
        base = Observation(rule.id, key, region, time, str(field_value(record, "envelope.event_id")))
        return self._observations(rule, record, base)

    def _observations(self, rule: Rule, record: dict[str, Any],
                      base: Observation) -> tuple[list[Observation], str]:
        if isinstance(rule, TriageRule):
            return self._triage_observations(rule, record, base)
        if isinstance(rule, RecordRule):
            measures = {m: float(v) for m in sorted(rule.grade.measures())
                        if isinstance(v := field_value(record, m), (int, float))}
            return [_with(base, measures=measures, value=0.0)], "observed"
        if isinstance(rule, (WindowRule, ConsecutiveRule)) and rule.field is not None:
            value = field_value(record, rule.field)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return [], "no_value"
            return [_with(base, value=float(value))], "observed"
        assert isinstance(rule, (WindowRule, SpikeRule))  # counts
        return [base], "observed"

    def _triage_observations(self, rule: TriageRule, record: dict[str, Any],
                             base: Observation) -> tuple[list[Observation], str]:
        plan = self._triage[rule.id]
        text = _normal(" ".join(str(field_value(record, f) or "") for f in rule.text_fields))
        if any(term in text for term in plan.exclude):
            return [], "filtered"
        category = str(field_value(record, rule.category_field) or "")
        found = []
        for name, terms, codes in plan.groups:
            matched = tuple(original for normal, original in terms if normal in text)
            matched += (f"category:{category}",) if category in codes else ()
            if matched:
                found.append(_with(base, key=f"{base.key}:{name}", terms=matched, group=name))
        return found, "observed" if found else "no_match"


def _with(base: Observation, **changes: Any) -> Observation:
    return Observation(**(base.__dict__ | changes))


def _key_and_region(rule: Rule, record: dict[str, Any]) -> tuple[str, str] | None:
    region = field_value(record, rule.key.region_field)
    if not isinstance(region, str) or not region:
        return None
    parts = []
    if rule.key.region_level is not None:
        try:
            region = region_parent(region, rule.key.region_level.value)
        except ValueError:  # coarser than the level (a city-wide reading for a county rule)
            return None
        parts.append(region)
    for path in rule.key.fields:
        value = field_value(record, path)
        if value is None or value == "":
            return None
        parts.append(_UNSAFE.sub("_", str(value)))
    return ":".join(parts), region

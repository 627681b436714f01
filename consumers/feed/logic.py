"""The emergency-command feed's state and views, pure: no Kafka, no HTTP, no clock.

An incident is republished in full on every change, keyed by ``incident_id`` with a ``version``
that rises by one per change. The board keeps the highest version of each id, so replaying the
topic from the beginning (which the feed does on every start) rebuilds the same state, and a
duplicate or late older version changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from govbus.core.regions import RegionTable, load_region_table

GRADES = ("I", "II", "III", "IV")
STATES = ("open", "acknowledged", "escalated", "resolved")
CATEGORIES = ("natural_disaster", "accident_disaster", "public_health", "social_security")

# National Emergency Response Plan: grade → display colour and label (zh, en).
GRADE_VIEW: dict[str, dict[str, str]] = {
    "I": {"numeral": "Ⅰ", "colour": "red", "zh": "特别重大", "en": "Especially serious"},
    "II": {"numeral": "Ⅱ", "colour": "orange", "zh": "重大", "en": "Serious"},
    "III": {"numeral": "Ⅲ", "colour": "yellow", "zh": "较大", "en": "Relatively serious"},
    "IV": {"numeral": "Ⅳ", "colour": "blue", "zh": "一般", "en": "Ordinary"},
}
CATEGORY_VIEW: dict[str, dict[str, str]] = {
    "natural_disaster": {"zh": "自然灾害", "en": "Natural disaster"},
    "accident_disaster": {"zh": "事故灾难", "en": "Accident"},
    "public_health": {"zh": "公共卫生事件", "en": "Public health"},
    "social_security": {"zh": "社会安全事件", "en": "Social security"},
}
STATE_VIEW: dict[str, dict[str, str]] = {
    "open": {"zh": "待处置", "en": "Open"},
    "acknowledged": {"zh": "已接报", "en": "Acknowledged"},
    "escalated": {"zh": "已升级", "en": "Escalated"},
    "resolved": {"zh": "已处置", "en": "Resolved"},
}
WARNING_VIEW: dict[str, dict[str, str]] = {
    "red": {"zh": "红色预警", "en": "Red warning"},
    "orange": {"zh": "橙色预警", "en": "Orange warning"},
    "yellow": {"zh": "黄色预警", "en": "Yellow warning"},
    "blue": {"zh": "蓝色预警", "en": "Blue warning"},
}

_REGION_PREFIX = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


class FilterError(ValueError):
    """A filter the caller got wrong (HTTP 400), with a message that says how."""


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a viewer sees. Empty sets and None mean "any"."""

    region: str | None = None            # jurisdiction: region-code prefix of 2, 4 or 6 digits
    states: frozenset[str] = frozenset()
    grades: frozenset[str] = frozenset()

    def matches(self, incident: Mapping[str, Any]) -> bool:
        return ((self.region is None or str(incident["region_code"]).startswith(self.region))
                and (not self.states or incident["state"] in self.states)
                and (not self.grades or incident["grade"] in self.grades))

    def as_dict(self) -> dict[str, Any]:
        return {"region": self.region, "states": sorted(self.states, key=STATES.index),
                "grades": sorted(self.grades, key=GRADES.index)}


def jurisdiction_prefix(code: str) -> str:
    """The region-code prefix of a jurisdiction: province 2 digits, city 4, county 6.

    A 6-digit GB/T 2260 code of a province (``350000``) or city (``350100``) is shortened to its
    prefix, because their trailing zeros would otherwise match only the unit itself, not the
    counties under it.
    """
    code = code.strip()
    if len(code) == 6 and code.isdigit():
        code = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    if not _REGION_PREFIX.match(code):
        raise FilterError(f"region must be 2 (province), 4 (city) or 6 (county) digits, got {code!r}")
    return code


def _choices(raw: Iterable[str], allowed: tuple[str, ...], name: str) -> frozenset[str]:
    values = {v.strip() for item in raw for v in item.split(",") if v.strip()}
    unknown = values - set(allowed)
    if unknown:
        raise FilterError(f"unknown {name} {sorted(unknown)}; expected any of {list(allowed)}")
    return frozenset(values)


def parse_filter(region: str | None, states: Iterable[str] = (), grades: Iterable[str] = ()) -> IncidentFilter:
    """Build a filter from query parameters (each list may hold comma-separated values)."""
    grades = [g.upper() for g in grades]
    return IncidentFilter(region=jurisdiction_prefix(region) if region and region.strip() else None,
                          states=_choices(states, STATES, "state"), grades=_choices(grades, GRADES, "grade"))


@dataclass(frozen=True)
class Change:
    """What one record did to the board: ``previous`` is None for a new incident."""

    previous: dict[str, Any] | None
    current: dict[str, Any]


class IncidentBoard:
    """The latest version of every incident seen, by id."""

    def __init__(self) -> None:
        self._by_id: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def apply(self, incident: dict[str, Any]) -> Change | None:
        """Keep ``incident`` if it is newer than what we hold; None when it changes nothing."""
        previous = self._by_id.get(incident["incident_id"])
        if previous is not None and int(incident["version"]) <= int(previous["version"]):
            return None
        self._by_id[incident["incident_id"]] = incident
        return Change(previous, incident)

    def latest(self) -> list[dict[str, Any]]:
        """The latest version of every incident on the board."""
        return list(self._by_id.values())

    def select(self, flt: IncidentFilter) -> list[dict[str, Any]]:
        return sort_incidents(i for i in self._by_id.values() if flt.matches(i))

    def counts(self) -> dict[tuple[str, str], int]:
        """Incidents held, by (grade, state)."""
        out: dict[tuple[str, str], int] = {}
        for incident in self._by_id.values():
            key = (incident["grade"], incident["state"])
            out[key] = out.get(key, 0) + 1
        return out


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(aware.timestamp() * 1000)
    return int(value)


def sort_incidents(incidents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most serious grade first; within a grade the most recently updated first."""
    return sorted(incidents, key=lambda i: (GRADES.index(i["grade"]), -(_millis(i["updated_at"]) or 0),
                                            i["incident_id"]))


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, timezone.utc).isoformat(timespec="seconds")


def place_view(region_code: str, places: RegionTable | None = None) -> dict[str, Any]:
    """How a region reads: ``label`` 福建省 福州市 鼓楼区 (350102), its own ``name``, the ``path``."""
    place = (places or load_region_table()).place(region_code)
    return {"code": place.code, "name": place.name, "path": place.path, "label": place.label,
            "known": place.known}


def incident_view(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON view model of one incident: the record's fields plus display labels."""
    times = {k: _millis(incident.get(k)) for k in ("opened_at", "updated_at", "resolved_at")}
    warning = incident.get("warning_colour")
    return {
        "incident_id": incident["incident_id"], "rule_id": incident["rule_id"],
        "category": incident["category"], "category_label": CATEGORY_VIEW[incident["category"]],
        "grade": incident["grade"], "grade_label": GRADE_VIEW[incident["grade"]],
        "colour": GRADE_VIEW[incident["grade"]]["colour"],
        "warning_colour": warning, "warning_label": WARNING_VIEW.get(warning) if warning else None,
        "state": incident["state"], "state_label": STATE_VIEW[incident["state"]],
        "region_code": incident["region_code"], "dataset": incident["dataset"],
        "title": incident["title"], "summary": incident["summary"],
        # Versions from before title_zh existed read in English only.
        "title_zh": incident.get("title_zh") or incident["title"], "summary_zh": incident.get("summary_zh") or "",
        "place": place_view(incident["region_code"]),
        **{f"{k}_ms": v for k, v in times.items()}, **{k: _iso(v) for k, v in times.items()},
        "triggering_event_ids": list(incident.get("triggering_event_ids") or []),
        "matched_terms": list(incident.get("matched_terms") or []),
        "version": int(incident["version"]),
    }


def stream_event(flt: IncidentFilter, change: Change) -> tuple[str, dict[str, Any]] | None:
    """What a viewer with ``flt`` is told about ``change``: the new view when it matches, a removal
    when the incident left the view (e.g. resolved under a state=open filter), else nothing, so a
    viewer never learns of incidents outside its jurisdiction."""
    if flt.matches(change.current):
        return "incident", incident_view(change.current)
    if change.previous is not None and flt.matches(change.previous):
        return "remove", {"incident_id": change.current["incident_id"]}
    return None

"""The operator's overview of the incidents a viewer may see, pure (GET /api/overview).

- ``counts``: open incidents (not resolved) by grade and by category, and the grade × category grid;
- ``regions``: a tree province → city → county with the open incidents under each node (a
  township or village incident counts for its county; a county directly under its province,
  ``xx90xx``, hangs from the province), names from the region table;
- ``timeline``: the last 24 hours in hourly buckets: incidents opened (by grade) and resolved;
- ``sparklines``: for open incidents whose rule watches a series (water level, AQI), the recent
  readings the detector published with the incident (``indicator_readings``), one line per
  incident, newest first.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from consumers.feed.logic import CATEGORIES, CATEGORY_VIEW, GRADE_VIEW, GRADES, _millis, place_view
from govbus.core.identifiers import REGION_LEVELS, region_level, region_parent
from govbus.core.regions import RegionTable, load_region_table

HOUR_MS = 3_600_000
TIMELINE_HOURS = 24
MAX_SPARKLINES = 12


def is_open(incident: Mapping[str, Any]) -> bool:
    return incident["state"] != "resolved"


def counts(incidents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    live = [i for i in incidents if is_open(i)]
    grid = {g: {c: sum(1 for i in live if i["grade"] == g and i["category"] == c) for c in CATEGORIES}
            for g in GRADES}
    return {"open": len(live),
            "by_grade": [{"grade": g, "label": GRADE_VIEW[g], "open": sum(grid[g].values())} for g in GRADES],
            "by_category": [{"category": c, "label": CATEGORY_VIEW[c], "open": sum(grid[g][c] for g in GRADES)}
                            for c in CATEGORIES],
            "grid": grid}


def _chain(code: str) -> list[str]:
    """Province, city (unless the county hangs from the province) and county codes of ``code``;
    shorter for a province- or city-level code, empty for a malformed one."""
    try:
        depth = REGION_LEVELS.index(region_level(code))
    except ValueError:
        return []
    levels = [level for level in ("province", "city", "county") if REGION_LEVELS.index(level) <= depth]
    return list(dict.fromkeys(region_parent(code, level) for level in levels))


def region_tree(incidents: Sequence[Mapping[str, Any]], places: RegionTable | None = None) -> list[dict[str, Any]]:
    """Nodes ``{code, name, label, open, children}``, most open first, then by code."""
    table = places or load_region_table()
    root: dict[str, Any] = {"children": {}}
    for incident in incidents:
        if not is_open(incident):
            continue
        node = root
        for code in _chain(str(incident["region_code"])):
            node = node["children"].setdefault(code, {"code": code, "open": 0, "children": {}})
            node["open"] += 1
    return _finish(root["children"], table)


def _finish(children: dict[str, dict[str, Any]], table: RegionTable) -> list[dict[str, Any]]:
    out = []
    for node in children.values():
        place = table.place(node["code"])
        out.append({"code": node["code"], "name": place.name, "label": place.label, "open": node["open"],
                    "children": _finish(node["children"], table)})
    return sorted(out, key=lambda n: (-n["open"], n["code"]))


def timeline(incidents: Iterable[Mapping[str, Any]], now_ms: int) -> list[dict[str, Any]]:
    """24 hourly buckets ending with the current hour: ``{start_ms, opened: {grade: n}, resolved}``."""
    end = now_ms // HOUR_MS * HOUR_MS + HOUR_MS
    start = end - TIMELINE_HOURS * HOUR_MS
    buckets: list[dict[str, Any]] = [{"start_ms": start + n * HOUR_MS, "opened": dict.fromkeys(GRADES, 0),
                                      "resolved": 0} for n in range(TIMELINE_HOURS)]
    for incident in incidents:
        opened, resolved = _millis(incident.get("opened_at")), _millis(incident.get("resolved_at"))
        if opened is not None and start <= opened < end:
            buckets[(opened - start) // HOUR_MS]["opened"][incident["grade"]] += 1
        if resolved is not None and start <= resolved < end:
            buckets[(resolved - start) // HOUR_MS]["resolved"] += 1
    return buckets


def sparklines(incidents: Sequence[Mapping[str, Any]], places: RegionTable | None = None) -> list[dict[str, Any]]:
    """One line of readings per open incident that carries them, newest update first."""
    with_readings = [i for i in incidents if is_open(i) and i.get("indicator_readings")]
    with_readings.sort(key=lambda i: (-(_millis(i.get("updated_at")) or 0), i["incident_id"]))
    return [{"incident_id": i["incident_id"], "rule_id": i["rule_id"], "grade": i["grade"],
             "title": i.get("title_zh") or i["title"], "place": place_view(i["region_code"], places),
             "points": [[int(r["at_ms"]), float(r["value"])] for r in i["indicator_readings"]]}
            for i in with_readings[:MAX_SPARKLINES]]


def overview(incidents: Sequence[Mapping[str, Any]], now_ms: int, places: RegionTable | None = None) -> dict[str, Any]:
    return {"now_ms": now_ms, "counts": counts(incidents), "regions": region_tree(incidents, places),
            "timeline": timeline(incidents, now_ms), "sparklines": sparklines(incidents, places)}

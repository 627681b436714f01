"""An incident's titles (English, Chinese) and Chinese summary from its rule's templates. Pure
but for the region-name table, which is shipped data read once (govbus.core.regions)."""
from __future__ import annotations

from typing import Any

from govbus.core.incident_text import NUMERALS, region_text, render, time_zh, titles
from govbus.core.regions import RegionTable, load_region_table
from govbus.core.rules import Rule, TriageRule
from stream_processors.detect.evaluate import Hit


def group_names(rule: Rule, group: str) -> tuple[str, str]:
    """(English, Chinese) name of a triage group; its identifier only when the rule names none."""
    found = rule.groups.get(group) if isinstance(rule, TriageRule) else None
    if found is None:
        return group, group
    return found.name_en or group.replace("_", " "), found.name_zh or found.name_en or group


def incident_texts(rule: Rule, series: dict[str, Any], hit: Hit,
                   places: RegionTable | None = None) -> dict[str, str]:
    """``title``, ``title_zh`` and ``summary_zh`` for the incident of ``series`` after ``hit``."""
    region = region_text(places or load_region_table(), series["region"])
    group_en, group_zh = group_names(rule, series.get("group", ""))
    fill = {"region": region, "key": series["key"]}
    title, _ = titles(rule.title, "", fill | {"group": group_en})
    _, title_zh = titles(rule.title, rule.title_zh, fill | {"group": group_zh})
    facts = hit.facts | {"region": region, "grade": NUMERALS[hit.grade.value] + "级",
                         "at": time_zh(hit.at), "group": group_zh}
    summary_zh = render(rule.summary_zh, facts) if rule.summary_zh else ""
    return {"title": title, "title_zh": title_zh, "summary_zh": summary_zh}

"""Incident titles and summaries as people read them, from the rule files' templates. Pure.

A rule's ``title`` (English) and ``title_zh`` may use ``{region}`` (the place name with its code,
``福州市 鼓楼区 (350102)``), ``{key}`` and ``{group}`` (a triage group's name, ``燃气泄漏`` /
``gas leak``, never its identifier). ``summary_zh`` may use the facts its kind offers
(:data:`FACTS`), filled from the hit that opened or updated the incident: times in Beijing time,
durations in Chinese units, grades as Ⅰ–Ⅳ.
"""
from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone
from typing import Any

from govbus.core.regions import RegionTable

BEIJING = timezone(timedelta(hours=8))
TITLE_FIELDS = frozenset({"region", "key", "group"})
COMMON_FACTS = frozenset({"start", "end", "at", "grade", "region"})
# Facts a ``summary_zh`` of each kind may use (record rules also get their grade-table measures).
FACTS: dict[str, frozenset[str]] = {
    "window": COMMON_FACTS | {"value", "at_least", "window"},
    "consecutive": COMMON_FACTS | {"readings", "latest", "above", "field"},
    "spike": COMMON_FACTS | {"count", "ratio", "baseline", "bucket"},
    "record": COMMON_FACTS,
    "triage": COMMON_FACTS | {"terms", "group"},
}
NUMERALS = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ"}
_ZH_UNITS = ((86_400_000, "天"), (3_600_000, "小时"), (60_000, "分钟"), (1000, "秒"))


def template_fields(template: str) -> set[str]:
    """The ``{names}`` a template uses (ValueError for a malformed one)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def duration_zh(ms: int) -> str:
    for size, unit in _ZH_UNITS:
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}毫秒"


def time_zh(ms: int | None) -> str:
    """``12月03日 14:05`` in Beijing time (the command centre's clock)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, BEIJING).strftime("%m月%d日 %H:%M")


def number(value: Any) -> str:
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else f"{as_float:.2f}".rstrip("0").rstrip(".")


def region_text(places: RegionTable, region_code: str) -> str:
    """``福州市 鼓楼区 (350102)``: the last two names and the code (unknown codes marked)."""
    place = places.place(region_code)
    return f"{place.short} ({place.code})" if place.known else place.path


UNKNOWN_FACT = "不详"  # a measure the record left empty (a loss not yet assessed)


def render(template: str, facts: dict[str, Any]) -> str:
    """Fill a template; a fact the hit lacks renders as 不详 ("not known") rather than failing the agent."""
    missing = {name: UNKNOWN_FACT for name in template_fields(template) if name not in facts}
    return template.format(**(facts | missing))


def titles(title_en: str, title_zh: str, fill: dict[str, str]) -> tuple[str, str]:
    """(English title, Chinese title); a rule without ``title_zh`` gets the English one."""
    english = render(title_en, fill)
    return english, render(title_zh, fill) if title_zh else english

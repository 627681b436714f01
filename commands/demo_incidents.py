"""What `govbus demo` shows of the emergency side: the incidents the detector raised from the
demo's records (among them the planted fire-alarm burst and gas-leak call:
producers/synthetic/scenario.py), as a table in Chinese with place names, and with ``--serve``
the live feed's URL."""
from __future__ import annotations

import time
import urllib.request
from collections import Counter
from typing import Any, Callable

from rich.table import Table

from govbus.core.incident_text import NUMERALS
from govbus.core.regions import RegionTable, load_region_table
from govbus.core.settings import GovbusSettings
from producers.synthetic.scenario import PLANTED_INCIDENTS

SHOWN = 12          # incidents listed by name; the rest are counted by rule
DETECT_ARGS = ["detect", "--partitions", "1", "--idle-clock", "0", "--tick-seconds", "2"]


def incident_key(incident: dict[str, Any]) -> tuple[str, str]:
    """(rule, key) of an incident id ``<rule>/<key>/<opened>``."""
    parts = str(incident["incident_id"]).split("/")
    return (parts[0], parts[1]) if len(parts) == 3 else ("", "")


def planted_found(incidents: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The planted (rule, key) pairs among ``incidents``."""
    raised = {incident_key(i) for i in incidents}
    return [p for p in PLANTED_INCIDENTS if p in raised]


def shown_first(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Planted incidents first, then the most severe, then the newest."""
    planted = set(PLANTED_INCIDENTS)
    return sorted(incidents, key=lambda i: (incident_key(i) not in planted, ["I", "II", "III", "IV"].index(i["grade"]),
                                            -_ms(i["opened_at"]), i["incident_id"]))


def _ms(value: Any) -> int:
    return int(value.timestamp() * 1000) if hasattr(value, "timestamp") else int(value or 0)


def incident_rows(incidents: list[dict[str, Any]], places: RegionTable | None = None) -> list[tuple[str, ...]]:
    """(grade, title, place, rule) per incident shown, in Chinese, place names with their codes."""
    table = places or load_region_table()
    return [(f"{NUMERALS[i['grade']]}级", i.get("title_zh") or i["title"], table.label(i["region_code"]),
             i["rule_id"]) for i in shown_first(incidents)[:SHOWN]]


def incidents_caption(incidents: list[dict[str, Any]]) -> str:
    by_rule = Counter(i["rule_id"] for i in incidents)
    counted = "，".join(f"{rule} {n}" for rule, n in sorted(by_rule.items()))
    more = f"；另有 {len(incidents) - SHOWN} 起未列出" if len(incidents) > SHOWN else ""
    return f"检测到 {len(incidents)} 起事件 incidents raised（{counted}）{more}"


def incidents_table(incidents: list[dict[str, Any]]) -> Table:
    table = Table(title="应急事件 Incidents the detector raised", caption=incidents_caption(incidents))
    for header in ("等级 grade", "事件 title", "地点 place (code)", "规则 rule"):
        table.add_column(header)
    for row in incident_rows(incidents):
        table.add_row(*row)
    return table


def wait_incidents(settings: GovbusSettings, timeout: float, check_alive: Callable[[], None]) -> list[dict[str, Any]]:
    """Every incident on this run's topic once the planted ones are among them (or at the
    timeout, whatever is there: the summary then says which planted ones are missing)."""
    from govbus.core.serde import Serde
    from stream_processors.detect.feed import read_incidents

    serde = Serde.from_settings(settings)
    deadline = time.monotonic() + timeout
    incidents: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        incidents = list(read_incidents(settings, serde, timeout=10).values())
        if len(planted_found(incidents)) == len(PLANTED_INCIDENTS):
            return incidents
        check_alive()
        time.sleep(1)
    return incidents


def wait_ready(url: str, timeout: float, check_alive: Callable[[], None]) -> bool:
    """Until ``url`` answers 200 (a child's /readyz)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3):  # noqa: S310 - the child's http://127.0.0.1
                return True
        except OSError:
            check_alive()
            time.sleep(0.5)
    return False

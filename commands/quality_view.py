"""`govbus quality report`: day scorecards summed per department × dataset (pure), as a table.

Ratios of a window are recomputed from the counts (never averaged), so a busy day weighs more
than a quiet one. Dimensions, each a share in [0, 1] (None: nothing to measure):
completeness (complete / raw records), validity (passed / records), timeliness (on time / raw
records), uniqueness (not duplicate / raw records), consistency (not broken / checked).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.table import Table

DIMENSIONS = ("completeness", "validity", "timeliness", "uniqueness", "consistency")


def _share(good: int, total: int) -> float | None:
    return good / total if total else None


@dataclass
class Totals:
    records: int = 0
    raw: int = 0
    complete: int = 0
    passed: int = 0
    late: int = 0
    missing: int = 0
    duplicates: int = 0
    checked: int = 0
    broken: int = 0
    p95_ms: int | None = None

    def add(self, card: dict[str, Any]) -> None:
        self.records += card["records"]
        self.raw += card["raw_records"]
        self.complete += card["complete_records"]
        self.passed += card["passed"]
        self.late += card["late_records"]
        self.missing += card["missing_updates"]
        self.duplicates += card["duplicate_event_ids"] + card["duplicate_business_keys"]
        self.checked += sum(c["checked"] for c in card["consistency"])
        self.broken += sum(c["broken"] for c in card["consistency"])
        if card["delay_p95_ms"] is not None:
            self.p95_ms = max(self.p95_ms or 0, card["delay_p95_ms"])

    def shares(self) -> dict[str, float | None]:
        return {"completeness": _share(self.complete, self.raw), "validity": _share(self.passed, self.records),
                "timeliness": _share(self.raw - self.late, self.raw),
                "uniqueness": _share(self.raw - self.duplicates, self.raw),
                "consistency": _share(self.checked - self.broken, self.checked)}


@dataclass
class DatasetReport:
    department: str
    dataset: str
    totals: Totals = field(default_factory=Totals)
    days: list[tuple[datetime, dict[str, float | None]]] = field(default_factory=list)
    rules: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (stage, reason, rule)


def build_report(cards: list[dict[str, Any]], since: datetime, department: str | None = None,
                 dataset: str | None = None) -> list[DatasetReport]:
    """Day scorecards from ``since`` on, per department × dataset, sorted by them."""
    reports: dict[tuple[str, str], DatasetReport] = {}
    chosen = sorted((c for c in cards if c["granularity"] == "day" and c["period_start"] >= since
                     and department in (None, c["department"]) and dataset in (None, c["dataset"])),
                    key=lambda c: c["period_start"])
    for card in chosen:
        report = reports.setdefault((card["department"], card["dataset"]),
                                    DatasetReport(card["department"], card["dataset"]))
        report.totals.add(card)
        day = Totals()
        day.add(card)
        report.days.append((card["period_start"], day.shares()))
        for letter in card["dead_letters"]:
            report.rules[(letter["stage"], letter["reason"], letter["rule"])] += letter["count"]
    return [reports[k] for k in sorted(reports)]


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def worst_rule(report: DatasetReport) -> str:
    if not report.rules:
        return "–"
    (stage, reason, rule), count = report.rules.most_common(1)[0]
    return f"{rule} ({reason}, {stage}) ×{count}"


def report_table(reports: list[DatasetReport], title: str) -> Table:
    table = Table(title=title)
    for name in ("department", "dataset", "records", *DIMENSIONS, "p95 delay", "missing updates", "worst rule"):
        table.add_column(name, justify="left" if name in ("department", "dataset", "worst rule") else "right")
    for r in reports:
        shares = r.totals.shares()
        p95 = "–" if r.totals.p95_ms is None else f"{r.totals.p95_ms / 60_000:.1f} min"
        table.add_row(r.department, r.dataset, str(r.totals.records), *(percent(shares[d]) for d in DIMENSIONS),
                      p95, str(r.totals.missing), worst_rule(r))
    return table

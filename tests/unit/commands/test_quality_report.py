"""`govbus quality report`: day scorecards summed per department × dataset (ratios from counts),
and the page's SVG plots (pure; the page in Chromium is tests/e2e/quality)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from commands.quality_html import report_page, rules_svg, trend_svg
from commands.quality_view import build_report, report_table
from tests.support.samples import BUS_SAMPLES

DAY0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def card(day: int, department: str = "health", granularity: str = "day", **changes) -> dict:
    return BUS_SAMPLES["govbus.bus.QualityScorecard"] | {
        "department": department, "granularity": granularity, "period_start": DAY0 + timedelta(days=day),
        "scorecard_id": f"{department}|x|{granularity}|{day}"} | changes


def test_ratios_of_a_window_come_from_the_counts_not_an_average_of_ratios() -> None:
    cards = [card(0, records=10, passed=10), card(1, records=90, passed=45)]
    [report] = build_report(cards, DAY0)
    assert report.totals.shares()["validity"] == 55 / 100
    assert [round(s["validity"], 2) for _, s in report.days] == [1.0, 0.5]


def test_filters_and_window() -> None:
    cards = [card(0), card(3), card(3, "market"), card(3, granularity="hour")]
    assert [(r.department, len(r.days)) for r in build_report(cards, DAY0 + timedelta(days=1))] == [
        ("health", 1), ("market", 1)]
    assert [r.department for r in build_report(cards, DAY0, department="market")] == ["market"]
    assert build_report(cards, DAY0, dataset="other.dataset") == []


def test_the_table_names_the_worst_rule() -> None:
    [report] = build_report([card(0), card(1)], DAY0)
    table = report_table([report], "t")
    assert table.row_count == 1
    assert "GB11643.check (bad_check_char, process) ×4" in table.columns[-1]._cells


def test_the_page_has_a_line_per_dimension_and_a_bar_per_rule() -> None:
    [report] = build_report([card(0), card(1), card(2, consistency=[])], DAY0)
    trend = trend_svg(report)
    for dim in ("completeness", "validity", "timeliness", "uniqueness", "consistency"):
        assert f'class="dim-{dim}" d="M' in trend
    assert rules_svg(report).count("<rect") == 1
    page = report_page([report], "Data <quality>", DAY0)
    assert page.startswith("<!doctype html>") and "Data &lt;quality&gt;" in page
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # self-contained


def test_an_empty_window_says_so() -> None:
    assert "No scorecards in this window" in report_page([], "t", DAY0)

"""`govbus quality report --html FILE`: one self-contained page for a department head (pure).

No script and no external file: the plots are inline SVG (a line per quality dimension per day,
bars for the rules that refused most records), so the page opens anywhere, offline, and prints.
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from commands.quality_view import DIMENSIONS, DatasetReport, percent, worst_rule

COLOURS = {"completeness": "#1565c0", "validity": "#2e7d32", "timeliness": "#ef6c00",
           "uniqueness": "#6a1b9a", "consistency": "#c62828"}
WIDTH, HEIGHT, PAD = 640, 220, 40
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:960px}
table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child,td.l{text-align:left}h2{margin-top:2em}.legend span{margin-right:1em}
svg text{font-size:11px;fill:#444}"""


def _x(i: int, n: int) -> float:
    return PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)


def _y(share: float) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * share


def trend_svg(report: DatasetReport) -> str:
    """One line per dimension across the days (a day without data breaks the line)."""
    n = len(report.days)
    parts = [f'<svg class="trend" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="daily quality of {escape(report.dataset)}">']
    for tick in (0.0, 0.5, 1.0):
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{_y(tick):.1f}" y2="{_y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="4" y="{_y(tick) + 4:.1f}">{tick:.0%}</text>')
    for i, (day, _) in enumerate(report.days):
        parts.append(f'<text x="{_x(i, n) - 14:.1f}" y="{HEIGHT - 12}">{day:%m-%d}</text>')
    for dim in DIMENSIONS:
        path, pen = [], "M"
        for i, (day, shares) in enumerate(report.days):
            value = shares[dim]
            if value is None:
                pen = "M"
                continue
            path.append(f"{pen}{_x(i, n):.1f},{_y(value):.1f}")
            pen = "L"
            # A marker per day, with its figure on hover: a lone day or a gap's edge stays visible.
            parts.append(f'<circle cx="{_x(i, n):.1f}" cy="{_y(value):.1f}" r="3" fill="{COLOURS[dim]}">'
                         f'<title>{day:%Y-%m-%d} {dim} {value:.1%}</title></circle>')
        if path:
            d = " ".join(path) if len(path) > 1 else f"{path[0]} h1"  # one day: a visible dot
            parts.append(f'<path class="dim-{dim}" d="{d}" fill="none" stroke="{COLOURS[dim]}" '
                         f'stroke-width="2" stroke-linecap="round"/>')
    return "".join(parts) + "</svg>"


def rules_svg(report: DatasetReport, top: int = 8) -> str:
    """Horizontal bars: the rules with the most dead letters in the window."""
    worst = report.rules.most_common(top)
    if not worst:
        return "<p>No dead letters in this window.</p>"
    row, label = 22, 260
    height = row * len(worst) + 10
    most = worst[0][1]
    parts = [f'<svg class="rules" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="worst rules of {escape(report.dataset)}">']
    for i, ((stage, reason, rule), count) in enumerate(worst):
        y, width = 5 + i * row, max(2.0, (WIDTH - label - 60) * count / most)
        parts.append(f'<text x="0" y="{y + 14}">{escape(rule)} · {escape(reason)} ({escape(stage)})</text>'
                     f'<rect x="{label}" y="{y}" width="{width:.1f}" height="{row - 6}" fill="#c62828"/>'
                     f'<text x="{label + width + 6:.1f}" y="{y + 14}">{count}</text>')
    return "".join(parts) + "</svg>"


def _summary(reports: list[DatasetReport]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("department", "dataset", "records", *DIMENSIONS, "missing updates",
                                               "worst rule"))
    rows = []
    for r in reports:
        shares = r.totals.shares()
        cells = [escape(r.department), escape(r.dataset), str(r.totals.records),
                 *(percent(shares[d]) for d in DIMENSIONS), str(r.totals.missing)]
        worst = f'<td class="l">{escape(worst_rule(r))}</td>'
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + worst + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def report_page(reports: list[DatasetReport], title: str, generated: datetime) -> str:
    legend = "".join(f'<span style="color:{COLOURS[d]}">■ {d}</span>' for d in DIMENSIONS)
    sections = [f"<section><h2>{escape(r.department)} · {escape(r.dataset)}</h2>"
                f'<div class="legend">{legend}</div>{trend_svg(r)}<h3>Rules that refused most records</h3>'
                f"{rules_svg(r)}</section>" for r in reports]
    body = "".join(sections) or "<p>No scorecards in this window.</p>"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f"<p>Generated {generated:%Y-%m-%d %H:%M} UTC from the day scorecards on quality.scorecards. "
            "Each share counts records: completeness = every required field present; validity = passed "
            "cleaning; timeliness = ingested within the catalogue's max delay; uniqueness = not a duplicate "
            "event id or business key; consistency = cross-references found.</p>"
            f"{_summary(reports)}{body}</body></html>")

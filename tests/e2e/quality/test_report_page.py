"""The page `govbus quality report --html` writes, opened in headless Chromium (Debian's
``chromium``, driven by Playwright like tests/e2e/feed): every dataset's trend plot has a
rendered line per quality dimension and its worst-rules plot a rendered bar per rule; nothing
is fetched (the page is self-contained) and nothing logs an error.

The scorecards are those of the generated week (tests/support/quality_week.py) through the
role's pure functions, so the page shows real defects without a broker."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import sync_playwright

from commands.quality_html import report_page
from commands.quality_view import DIMENSIONS, build_report
from govbus.core.catalogue import load_catalogue
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from stream_processors.quality.closing import close_all
from stream_processors.quality.logic import QualityState, fold_letter, fold_record
from stream_processors.quality.observe import observe_letter, observe_record
from stream_processors.quality.spec import dataset_qualities
from tests.support.quality_week import DAY, KEY, WEEK_START, generate_week

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Per plot: how many drawn shapes, and how many of them have a non-empty box on the page.
SHAPES = """sel => [...document.querySelectorAll(sel)].map(svg => {
  const shapes = [...svg.querySelectorAll('path, rect')];
  return {n: shapes.length, drawn: shapes.filter(s => { const b = s.getBBox();
      return (b.width > 0 || b.height > 0) && s.getTotalLength?.() !== 0; }).length,
      box: svg.getBoundingClientRect().width};
})"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium here: apt-get install -y chromium (the quality report's page test needs it)"
    return found


def _week_page(path: Path) -> int:
    schemas = load_schemas(PROJECT_ROOT / "schemas" / "avro")
    specs = dataset_qualities(load_catalogue(PROJECT_ROOT / "catalogue"), schemas)
    state = QualityState(specs, 2 * DAY)
    for e in generate_week():
        if e.letter is None:
            fold_record(state, observe_record(specs[e.dataset], e.record, e.ingest_ms, KEY))
        else:
            fold_letter(state, observe_letter(e.letter, e.offset, e.event_ms))
    reports = build_report(close_all(state, 0), datetime.fromtimestamp(WEEK_START / 1000, tz=timezone.utc))
    path.write_text(report_page(reports, "Data quality, last 7d", datetime.now(timezone.utc)), encoding="utf-8")
    return len(reports)


def test_the_report_page_renders_its_plots(tmp_path: Path) -> None:
    page_file = tmp_path / "quality.html"
    datasets = _week_page(page_file)
    assert datasets == 4
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            trends = page.evaluate(SHAPES, "svg.trend")
            rules = page.evaluate(SHAPES, "svg.rules")
            lines = page.evaluate("""() => [...document.querySelectorAll('svg.trend path')]
                .map(p => [p.getAttribute('class'), p.getTotalLength()])""")
        finally:
            browser.close()
    assert requests == [page_file.as_uri()] and errors == []
    assert len(trends) == datasets and all(t["box"] > 0 for t in trends)
    assert all(t["n"] == t["drawn"] >= 4 for t in trends), trends  # consistency only where checked
    assert {cls for cls, length in lines if length > 50} == {f"dim-{d}" for d in DIMENSIONS}
    assert rules and all(r["n"] == r["drawn"] > 0 for r in rules), rules

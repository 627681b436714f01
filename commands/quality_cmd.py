"""`govbus quality run | report`: data-quality scorecards (issue 19, stream_processors/quality)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer
from rich.console import Console

from commands import exits
from commands.endpoints import with_endpoints
from commands.role_failures import log_with_time, role_failures
from govbus.core import identities
from govbus.core.settings import GovbusSettings, topic_names
from govbus.core.topic_plan import retention_ms

QUALITY_IDENTITY = identities.Service.QUALITY.value
quality_app = typer.Typer(help="Data-quality scorecards per department and dataset: run the role, report.",
                          no_args_is_help=True)
console = Console()


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")


@quality_app.command("run")
def run_cmd(idle_exit: float = typer.Option(0.0, help="Exit after this many idle seconds (0: run until stopped), "
                                    "scoring the periods still open (a later run replaces those cards)."),
            ) -> None:
    """Measure every raw and dlq topic; publish scorecards to quality.scorecards and feedback.<department>."""
    from stream_processors.quality.main import run_quality
    from stream_processors.quality.role import QualityError

    log_with_time("quality")
    with role_failures("quality"):
        try:
            summary = run_quality(with_endpoints(GovbusSettings(), identity=QUALITY_IDENTITY, check=False),
                                  idle_exit or None)
        except QualityError as exc:
            raise exits.Failure(exits.REFUSED, f"quality stopped: {exc}") from None
    Console(stderr=True).print(f"quality stopped: {summary}")


def _since(text: str) -> timedelta:
    try:
        return timedelta(milliseconds=retention_ms(text))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a duration such as 7d, 36h or 2w", param_hint="--since") from None


@quality_app.command("report")
def report_cmd(department: str | None = typer.Option(None, help="Only this department."),
               dataset: str | None = typer.Option(None, help="Only this dataset."),
               since: str = typer.Option("7d", help="Window: day scorecards starting this long ago or later."),
               html: Path | None = typer.Option(None, "--html", dir_okay=False,
                                                help="Also write a self-contained page with plots here.")) -> None:
    """A table of completeness, validity, timeliness, uniqueness and consistency per department × dataset."""
    from commands.quality_html import report_page
    from commands.quality_view import build_report, report_table
    from govbus.core.serde import Serde
    from stream_processors.quality.read import ScorecardsUnread, read_scorecards

    window = _since(since)
    now = datetime.now(timezone.utc)
    with role_failures("quality report"):
        settings = with_endpoints(GovbusSettings(), identity=QUALITY_IDENTITY)
        try:
            cards = read_scorecards(settings, Serde.from_settings(settings), topic_names(settings).quality_scorecards)
        except ScorecardsUnread as exc:
            raise exits.Failure(exits.UNAVAILABLE, f"quality report: {exc}; try again") from None
    reports = build_report(cards, now - window, department, dataset)
    title = " · ".join([f"Data quality, last {since}", *(x for x in (department, dataset) if x)])
    console.print(report_table(reports, title))
    if html is not None:
        try:
            html.write_text(report_page(reports, title, now), encoding="utf-8")
        except OSError as exc:
            raise exits.Failure(exits.REFUSED, f"cannot write {html}: {exc.strerror}") from None
        console.print(f"wrote {html}")
    if not reports:
        console.print("no scorecards in this window (is `govbus quality run` running?)")

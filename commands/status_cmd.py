"""`govbus status [--watch] [--json]`: one screen for an operator (commands/status/).

Roles are found through the file_sd files they write (`<stack dir>/targets/*.json`); the broker
is asked as bus-admin on the local stack (GOVBUS_KAFKA_USER names another identity, e.g. an
operator's `op.<name>`). A broker that does not answer is one line and exit 3 (UNAVAILABLE).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live

from commands import exits
from commands.endpoints import with_endpoints
from commands.exits import Failure
from commands.status.collect import Counters, build_view, scrape_all
from commands.status.model import StatusView, needs_attention
from commands.status.screen import screen
from govbus.core import identities
from govbus.core.kafka_access import BrokerUnreachable
from govbus.core.settings import GovbusSettings

console = Console()


def _view(settings: GovbusSettings, targets_dir: Path, previous: Counters | None) -> tuple[StatusView, Counters]:
    scrapes, counters, problems = scrape_all(targets_dir)
    try:
        return build_view(settings, scrapes, counters, previous, problems), counters
    except BrokerUnreachable as exc:
        raise Failure(exits.UNAVAILABLE, str(exc)) from None


def status(watch: bool = typer.Option(False, "--watch", help="Refresh the screen every --interval seconds."),
           as_json: bool = typer.Option(False, "--json", help="Print the view as one JSON object (for scripts)."),
           interval: float = typer.Option(5.0, min=1.0, help="Seconds between refreshes with --watch."),
           sample: float = typer.Option(3.0, min=0.0, help="Seconds between the two reads of the counters "
                                                           "that rates come from (0: totals only)."),
           targets: Path | None = typer.Option(None, help="Folder of file_sd target files "
                                                          "(default: <stack dir>/targets).")) -> None:
    """Each role up/ready and its lag, delivery rates, dead letters of the last hour by
    department, open incidents by grade, agreements expiring within 30 days, the audit chain.
    Exit 1 when a role is down or not ready, the chain failed verification, or a target could
    not be read; 3 when the broker does not answer."""
    settings = with_endpoints(GovbusSettings(), identity=identities.ADMIN)
    targets_dir = targets or settings.stack_dir / "targets"
    previous = None
    if sample > 0 and not watch:
        _scrapes, previous, _problems = scrape_all(targets_dir)
        time.sleep(sample)
    view, counters = _view(settings, targets_dir, previous)
    if watch:
        _watch(settings, targets_dir, view, counters, interval)
        return
    if as_json:
        print(json.dumps(view.as_json(), indent=2, sort_keys=True))
    else:
        console.print(screen(view))
    if needs_attention(view):
        raise typer.Exit(exits.FINDINGS)


def _watch(settings: GovbusSettings, targets_dir: Path, view: StatusView, counters: Counters,
           interval: float) -> None:
    with Live(screen(view), console=console, refresh_per_second=1, screen=False) as live:
        try:
            while True:
                time.sleep(interval)
                view, counters = _view(settings, targets_dir, counters)
                live.update(screen(view))
        except KeyboardInterrupt:
            return


def register(app: typer.Typer) -> None:
    app.command("status")(status)

"""`govbus detect` (the emergency detector) and `govbus incident list | ack | resolve | escalate`.

`ack`, `resolve` and `escalate` go through stream_processors.detect.operator, which sends the
command to the detector and waits for the version it publishes; each, with its required note and
its outcome, is an action of the identity connected on the audit chain (operator_actions.py).
"""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from commands.endpoints import with_endpoints
from commands.operator_actions import NOTE, checked_note, open_log, publish
from govbus.core import identities
from govbus.core.settings import GovbusSettings

# The identity each command connects as (docs/security.md#which-identity-each-command-uses);
# the ACLs compiled from the catalogue and agreements say what it may do.
DETECTOR_IDENTITY = identities.Service.DETECTOR.value
# The feed's identity on the local stack unless GOVBUS_KAFKA_USER names an operator (op.<name>):
# it may read incidents, send the detector operators' commands and record its actions.
INCIDENT_IDENTITY = identities.Service.FEED.value

console = Console()
incident_app = typer.Typer(help="Emergency incidents on emergency.incidents: list, acknowledge, resolve, escalate.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("detect")(detect_cmd)
    app.add_typer(incident_app, name="incident")


def detect_cmd(partitions: int = typer.Option(3, help="Partitions of the internal topics (fixed once created)."),
               idle_clock: float = typer.Option(900.0, help="Seconds a source may be silent before its event-time "
                                                "clock runs on with wall time (0: never; keep 0 for replays)."),
               tick_seconds: float = typer.Option(30.0, help="How often time reaches the detector's partitions."),
               check: bool = typer.Option(False, "--check", help="Only load and check the rules, then exit.")) -> None:
    """Run the emergency detector over the raw topics of the datasets in catalogue/rules."""
    from govbus.core.catalogue import CatalogueError
    from stream_processors.detect.main import load_detection_rules, run_detector

    settings = GovbusSettings()
    try:
        rules = load_detection_rules(settings)
    except CatalogueError as exc:
        console.print(f"[red]rules refused:[/red]\n{exc}")
        raise typer.Exit(1) from exc
    if check:
        for rule in rules.rules.values():
            console.print(f"{rule.id:40} {rule.kind:12} {rule.dataset}")
        console.print(f"{len(rules.rules)} rules ok")
        return
    from commands.role_failures import role_failures

    with role_failures("detect"):
        run_detector(with_endpoints(settings, identity=DETECTOR_IDENTITY, check=False), partitions, idle_clock,
                     tick_seconds)


@incident_app.command("list")
def list_cmd(all_states: bool = typer.Option(False, "--all", help="Include resolved incidents.")) -> None:
    """The newest version of each incident."""
    from govbus.core.regions import load_region_table
    from govbus.core.serde import Serde
    from stream_processors.detect.feed import read_incidents

    settings = with_endpoints(GovbusSettings(), identity=INCIDENT_IDENTITY)
    incidents = read_incidents(settings, Serde.from_settings(settings)).values()
    places = load_region_table()
    table = Table("grade", "state", "v", "opened", "title", "place")
    table.add_column("incident", overflow="fold")  # whole, so that operators can copy it
    for i in sorted(incidents, key=lambda r: r["opened_at"]):
        if all_states or i["state"] != "resolved":
            table.add_row(i["grade"], i["state"], str(i["version"]), f"{i['opened_at']:%Y-%m-%d %H:%M}",
                          i.get("title_zh") or i["title"], places.label(i["region_code"]), i["incident_id"])
    console.print(table)


@incident_app.command("ack")
def ack_cmd(incident_id: str, wait: float = typer.Option(30.0, help="Seconds to wait for the new version."),
            note: str = NOTE) -> None:
    """Acknowledge an incident: the command centre has seen it."""
    _operator("ack", incident_id, wait, note)


@incident_app.command("resolve")
def resolve_cmd(incident_id: str,
                wait: float = typer.Option(30.0, help="Seconds to wait for the new version."),
                note: str = NOTE) -> None:
    """Resolve an incident: it is handled. It stays resolved while its episode lasts."""
    _operator("resolve", incident_id, wait, note)


@incident_app.command("escalate")
def escalate_cmd(incident_id: str,
                 wait: float = typer.Option(30.0, help="Seconds to wait for the new version."),
                 note: str = NOTE) -> None:
    """Escalate an incident one grade (IV → III … II → I); the detector never lowers it again."""
    _operator("escalate", incident_id, wait, note)


def _operator(action: str, incident_id: str, wait: float, note: str) -> None:
    from datetime import datetime, timezone

    from govbus.core.actions import Act, action_record
    from stream_processors.detect.operator import NotAnIncidentId, request_action

    note = checked_note(note)
    try:
        settings = with_endpoints(GovbusSettings(), identity=INCIDENT_IDENTITY)
        log = open_log(settings)
        outcome = request_action(settings, action, incident_id, wait)
    except NotAnIncidentId as exc:
        raise typer.BadParameter(str(exc), param_hint="INCIDENT_ID") from exc
    details = {"version": str(outcome.version or ""), "state": outcome.state or "", "why": outcome.reason}
    publish(log, [action_record(Act(f"incident.{action}"), note, incident_id, datetime.now(timezone.utc),
                                outcome=outcome.kind, details=details)])
    if outcome.kind == "refused":
        console.print(f"[red]{incident_id}: {outcome.reason}[/red]")
        raise typer.Exit(1)
    if outcome.kind == "pending":
        console.print(f"{action} sent; {outcome.reason} (is `govbus detect` running?)")
    elif outcome.kind == "noop":
        console.print(f"{incident_id} v{outcome.version}: {outcome.reason}")
    else:
        console.print(f"{incident_id} v{outcome.version}: {outcome.state}")

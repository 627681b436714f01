"""`govbus detect` (the emergency detector) and `govbus incident list | ack | resolve`.

Operators never write incident versions themselves: `ack` and `resolve` send a command to the
detector, which owns each incident's state and publishes the next version. One writer per
incident means no two versions ever carry the same number. The command waits for that version
and prints it; with no detector running, the command waits in its topic until one starts.
"""
from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from govbus.cli.endpoints import with_endpoints
from govbus.core.settings import GovbusSettings

console = Console()
incident_app = typer.Typer(help="Emergency incidents on emergency.incidents: list, acknowledge, resolve.",
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
    run_detector(with_endpoints(settings), partitions, idle_clock, tick_seconds)


@incident_app.command("list")
def list_cmd(all_states: bool = typer.Option(False, "--all", help="Include resolved incidents.")) -> None:
    """The newest version of each incident."""
    from govbus.core.serde import Serde
    from stream_processors.detect.feed import read_incidents

    settings = with_endpoints(GovbusSettings())
    incidents = read_incidents(settings, Serde.connect(settings.registry_url)).values()
    table = Table("grade", "state", "v", "opened", "title")
    table.add_column("incident", overflow="fold")  # whole, so that operators can copy it
    for i in sorted(incidents, key=lambda r: r["opened_at"]):
        if all_states or i["state"] != "resolved":
            table.add_row(i["grade"], i["state"], str(i["version"]), f"{i['opened_at']:%Y-%m-%d %H:%M}",
                          i["title"], i["incident_id"])
    console.print(table)


@incident_app.command("ack")
def ack_cmd(incident_id: str, wait: float = typer.Option(30.0, help="Seconds to wait for the new version.")) -> None:
    """Acknowledge an incident: the command centre has seen it."""
    _operator("ack", incident_id, wait)


@incident_app.command("resolve")
def resolve_cmd(incident_id: str, wait: float = typer.Option(30.0, help="Seconds to wait for the new version.")) -> None:
    """Resolve an incident: it is handled. It stays resolved while its episode lasts."""
    _operator("resolve", incident_id, wait)


def _operator(action: str, incident_id: str, wait: float) -> None:
    from govbus.core.serde import Serde
    from stream_processors.detect.feed import read_incidents, send_command
    from stream_processors.detect.lifecycle import parse_incident_id
    from stream_processors.detect.main import detector_id, observations_topic
    from stream_processors.detect.messages import Command

    parsed = parse_incident_id(incident_id)
    if parsed is None:
        raise typer.BadParameter("not an incident id (rule/key/time)", param_hint="INCIDENT_ID")
    settings = with_endpoints(GovbusSettings())
    serde = Serde.connect(settings.registry_url)
    current = read_incidents(settings, serde).get(incident_id)
    if current is None or current["state"] == "resolved":
        console.print(f"[red]{incident_id}: {'already resolved' if current else 'no such incident'}[/red]")
        raise typer.Exit(1)
    if action == "ack" and current["state"] == "acknowledged":
        console.print(f"{incident_id} v{current['version']}: already acknowledged")
        return
    command = Command(action, incident_id, int(time.time() * 1000), *parsed)
    send_command(settings, observations_topic(detector_id(settings)), command)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        newer = read_incidents(settings, serde).get(incident_id)
        if newer is not None and newer["version"] > current["version"]:
            console.print(f"{incident_id} v{newer['version']}: {newer['state']}")
            return
        time.sleep(1.0)
    console.print(f"{action} sent; no new version within {wait:.0f}s (is `govbus detect` running?)")

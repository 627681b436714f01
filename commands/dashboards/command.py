"""``govbus dashboards render | check``.

grafana-foundation-sdk is a test and ``dashboards`` extra, not a run-time dependency of the bus:
the boards are imported inside the commands, and a missing library is one line.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

import typer
from rich.console import Console

from commands.exits import FINDINGS, REFUSED, Failure

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "monitoring" / "dashboards"

dashboards_app = typer.Typer(help="Grafana dashboards as code: render to JSON, or check the committed JSON.",
                             no_args_is_help=True)
console = Console()
FOLDER = typer.Option(DASHBOARDS_DIR, help="Folder of the board JSON files.")


def _render() -> ModuleType:
    try:
        from commands.dashboards import render
    except ImportError as exc:
        raise Failure(REFUSED, f"the boards need grafana-foundation-sdk ({exc}): "
                               "pip install -e '.[dashboards]'") from exc
    return render


@dashboards_app.command("render")
def render_cmd(folder: Path = FOLDER) -> None:
    """Write every board as JSON (one file per board) for Grafana's provisioning or import."""
    for path in _render().write(folder):
        console.print(f"wrote {path}")


@dashboards_app.command("check")
def check_cmd(folder: Path = FOLDER) -> None:
    """Exit 1 (listing them) when the files differ from a fresh render."""
    lines = _render().differences(folder)
    for line in lines:
        console.print(line)
    if lines:
        raise typer.Exit(FINDINGS)
    console.print(f"{folder}: every board equals a fresh render")

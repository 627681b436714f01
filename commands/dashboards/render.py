"""Render the boards to deploy/monitoring/dashboards/*.json, or check that the files there are
their render: ``python -m commands.dashboards render | check`` (``govbus dashboards render|check``)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from commands.dashboards.boards import overview
from commands.dashboards.role_boards import ROLE_BOARDS

BOARDS: dict[str, Callable[[], Dashboard]] = {"overview": overview, **{f"role-{role}": make
                                                                        for role, make in ROLE_BOARDS.items()}}


def rendered() -> dict[str, str]:
    """File name → JSON text of every board (sorted keys, two-space indent, final newline)."""
    return {f"{name}.json": JSONEncoder(sort_keys=True, indent=2).encode(make().build()) + "\n"
            for name, make in BOARDS.items()}


def write(folder: Path) -> list[Path]:
    """Write every board into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def differences(folder: Path) -> list[str]:
    """What differs between ``folder`` and a fresh render: one line per file (none: equal)."""
    fresh = rendered()
    lines = [f"{name}: missing (render it)" for name in fresh if not (folder / name).exists()]
    lines += [f"{name}: differs from a fresh render" for name, text in fresh.items()
              if (folder / name).exists() and (folder / name).read_text(encoding="utf-8") != text]
    lines += [f"{path.name}: no board renders it" for path in sorted(folder.glob("*.json")) if path.name not in fresh]
    return lines


def expressions(board: dict) -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) of every query of a rendered board, rows' panels included."""
    for panel in board.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                if target.get("expr"):
                    yield inner.get("title", ""), target["expr"]


def parsed(folder: Path) -> dict[str, dict]:
    """File name → the board of every JSON file in ``folder``."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}

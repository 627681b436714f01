"""Wiring for ``govbus incident ack | resolve | escalate | note``: an operator's command, sent to the detector.

Operators never write incident versions themselves: the command goes to the detector, which owns
each incident's state and publishes the next version. One writer per incident means no two
versions ever carry the same number. With no detector running, the command waits in its topic.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from govbus.core.incident_commands import action_problem
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from stream_processors.detect.feed import read_incidents, send_command
from stream_processors.detect.lifecycle import Who, parse_incident_id
from stream_processors.detect.main import detector_id, observations_topic
from stream_processors.detect.messages import Command


class NotAnIncidentId(ValueError):
    """The text is not an incident id (rule/key/time)."""


@dataclass(frozen=True)
class ActionOutcome:
    """What became of an operator's action: ``done`` with the new version and state, ``noop``
    (nothing to do, ``reason`` says why), ``refused`` (no such incident, or already resolved) or
    ``pending`` (sent, but no new version within the wait)."""

    kind: str
    reason: str = ""
    version: int | None = None
    state: str | None = None


def precheck(current: dict[str, Any] | None, action: str, grade: str = "") -> ActionOutcome | None:
    """Why ``action`` would change nothing (govbus.core.incident_commands.action_problem), or None."""
    problem = action_problem(current, action, grade)
    if problem is None:
        return None
    kind, why = problem
    return ActionOutcome(kind, why, current["version"] if current else None, current["state"] if current else None)


def request_action(settings: GovbusSettings, action: str, incident_id: str,
                   wait_seconds: float, who: Who = Who()) -> ActionOutcome:
    """Send ``action`` (ack, resolve, escalate, note) for ``incident_id`` and wait for the
    detector's version. ``who``: the operator, the note, and for escalate the grade asked."""
    parsed = parse_incident_id(incident_id)
    if parsed is None:
        raise NotAnIncidentId("not an incident id (rule/key/time)")
    serde = Serde.from_settings(settings)
    current = read_incidents(settings, serde).get(incident_id)
    refused = precheck(current, action, who.grade)
    if refused is not None or current is None:
        return refused or ActionOutcome("refused", "no such incident")
    command = Command(action, incident_id, int(time.time() * 1000), *parsed, who.operator,
                      settings.kafka_user or "", who.note, who.grade)
    send_command(settings, observations_topic(detector_id(settings)), command)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        newer = read_incidents(settings, serde).get(incident_id)
        if newer is not None and newer["version"] > current["version"]:
            return ActionOutcome("done", "", newer["version"], newer["state"])
        time.sleep(1.0)
    return ActionOutcome("pending", f"no new version within {wait_seconds:.0f}s")

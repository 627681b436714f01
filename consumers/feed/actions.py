"""Actions from the feed's page: acknowledge, escalate, add a note, resolve.

The feed never writes an incident version itself: like `govbus incident`, it sends the command
to the detector (govbus.core.incident_commands), which owns the incident's state and publishes
the next version on emergency.incidents, so the detector cannot undo it and no two versions
share a number. The feed then waits for that version on its own board (it reads the topic
anyway) and records the action on the audit chain: the actor is the identity the feed connects
as (``settings.kafka_user``, e.g. svc.feed; only it may write its action topic), the person is
the signed-in account, in the action's details and on the version itself.

``parse_action`` is pure; ``ActionDesk`` is the thin I/O around it (the producer calls run in a
thread: the event loop keeps serving the live streams meanwhile).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from consumers.feed.accounts import Account
from govbus.core.actions import Act, ActionError, ActionLog, action_record, reason_problem
from govbus.core.incident_commands import (
    ACTIONS,
    GRADES,
    MAX_NOTE_CHARS,
    Command,
    action_problem,
    detector_app_id,
    observations_topic,
    parse_incident_id,
    send_command,
)
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05   # how often the board is looked at while waiting for the detector's version
ACTS = {"ack": Act.INCIDENT_ACK, "resolve": Act.INCIDENT_RESOLVE, "escalate": Act.INCIDENT_ESCALATE,
        "note": Act.INCIDENT_NOTE}


class NotRecorded(RuntimeError):
    """The command went to the detector but its action did not reach the audit chain."""


@dataclass(frozen=True)
class ActionRequest:
    incident_id: str
    action: str
    note: str
    grade: str = ""


def parse_action(body: Any) -> ActionRequest | str:
    """The request of a JSON body ``{incident_id, action, note, grade?}``, or what is wrong with it."""
    if not isinstance(body, Mapping):
        return "send a JSON object {incident_id, action, note}"
    incident_id, action = str(body.get("incident_id", "")), str(body.get("action", ""))
    note, grade = str(body.get("note") or ""), str(body.get("grade") or "").upper()
    if parse_incident_id(incident_id) is None:
        return "incident_id is not an incident id (rule/key/time)"
    if action not in ACTIONS:
        return f"action must be one of {list(ACTIONS)}"
    problem = reason_problem(note)
    if problem is not None:
        return f"note: {problem}"
    if len(note) > MAX_NOTE_CHARS:
        return f"note: at most {MAX_NOTE_CHARS} characters"
    if grade and (action != "escalate" or grade not in GRADES):
        return f"grade is for escalate only, one of {list(GRADES)}"
    return ActionRequest(incident_id, action, note.strip(), grade)


@dataclass(frozen=True)
class ActionResult:
    """``done`` (the new version), ``noop`` / ``refused`` (nothing sent) or ``pending`` (sent, no
    version within the wait); ``status`` is the HTTP status the page gets."""

    kind: str
    reason: str = ""
    version: int | None = None
    state: str | None = None

    @property
    def status(self) -> int:
        return {"done": 200, "noop": 200, "pending": 202, "refused": 409}[self.kind]

    def body(self) -> dict[str, Any]:
        return {"outcome": self.kind, "reason": self.reason, "version": self.version, "state": self.state}


class ActionDesk:
    """Sends the page's actions and records them; one per feed process."""

    def __init__(self, settings: GovbusSettings, latest: Callable[[str], dict[str, Any] | None]) -> None:
        self._settings, self._latest = settings, latest
        self._topic = observations_topic(detector_app_id(settings))
        self._log: ActionLog | None = None

    async def perform(self, account: Account, request: ActionRequest) -> ActionResult:
        current = self._latest(request.incident_id)
        problem = action_problem(current, request.action, request.grade)
        if problem is not None or current is None:
            kind, why = problem or ("refused", "no such incident")
            return ActionResult(kind, why, current["version"] if current else None,
                                current["state"] if current else None)
        action_log = await self._action_log()  # before the command: a refusal stops here
        rule_id, key = parse_incident_id(request.incident_id)  # type: ignore[misc]  # parse_action checked it
        command = Command(request.action, request.incident_id, int(time.time() * 1000), rule_id, key,
                          account.name, self._settings.kafka_user, request.note, request.grade)
        await asyncio.to_thread(send_command, self._settings, self._topic, command)
        result = await self._wait(request.incident_id, int(current["version"]))
        details = {"operator": account.name, "role": account.role, "via": "feed",
                   "version": str(result.version or ""), "state": result.state or "", "why": result.reason}
        if request.grade:
            details["grade"] = request.grade
        record = action_record(ACTS[request.action], request.note, request.incident_id, datetime.now(timezone.utc),
                               outcome=result.kind, dataset=current.get("dataset"),
                               event_ids=current.get("triggering_event_ids") or (), details=details)
        try:
            await asyncio.to_thread(action_log.publish, [record])
        except ActionError as exc:  # sent (and maybe done): say so, never "nothing happened"
            raise NotRecorded(f"{result.kind} (v{result.version or '?'}), but not recorded on the audit "
                              f"chain: {exc}") from exc
        return result

    async def _action_log(self) -> ActionLog:
        if self._log is None:
            self._log = await asyncio.to_thread(ActionLog.open, self._settings)
        return self._log

    async def _wait(self, incident_id: str, version: int) -> ActionResult:
        deadline = time.monotonic() + self._settings.feed_action_wait_seconds
        while time.monotonic() < deadline:
            newer = self._latest(incident_id)
            if newer is not None and int(newer["version"]) > version:
                return ActionResult("done", "", int(newer["version"]), newer["state"])
            await asyncio.sleep(POLL_SECONDS)
        return ActionResult("pending", f"sent; no new version within {self._settings.feed_action_wait_seconds:.0f}s "
                                       "(is `govbus detect` running?)")

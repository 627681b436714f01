"""The processor's record of the agreements it starts and stops applying, on the audit chain.

Each activation or revocation the agreement book sees (stream_processors/agreement_book.py) is an
action of the processor's identity (``audit.actions.svc.processor``). Its id is deterministic
from the agreement, the change and the state of the agreements folder, so every worker of the
group, and a restarted one, sends the same action and the audit store keeps it once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from govbus.core.actions import Act, ActionLog, action_record, stable_action_id
from govbus.core.settings import GovbusSettings
from stream_processors.agreement_book import AgreementChange

log = logging.getLogger(__name__)


def change_action(change: AgreementChange, at: datetime) -> dict[str, Any]:
    act = Act.AGREEMENT_ACTIVATED if change.kind == "activated" else Act.AGREEMENT_REVOKED
    return action_record(act, change.why, f"{change.agreement_id}@{change.version}", at,
                         agreement=(change.agreement_id, change.version),
                         details={"purpose": change.purpose, "folder_state": change.seen},
                         action_id=stable_action_id("agreement", change.agreement_id, change.version,
                                                    change.kind, change.seen))


class AgreementRecorder:
    """``AgreementBook.on_change`` for the processor. Never raises into the reload: an action it
    could not send is kept and sent with the next change (and logged as an error meanwhile)."""

    def __init__(self, settings: GovbusSettings) -> None:
        self._settings = settings
        self._log: ActionLog | None = None
        self._pending: list[dict[str, Any]] = []

    def __call__(self, changes: list[AgreementChange]) -> None:
        now = datetime.now(timezone.utc)
        self._pending += [change_action(c, now) for c in changes]
        try:
            self._log = self._log or ActionLog.open(self._settings)
            self._log.publish(self._pending)
        except Exception as exc:  # noqa: BLE001 - recording must not stop routing; said loudly
            log.error("%d agreement changes not recorded on the audit chain yet: %s", len(self._pending), exc)
            return
        self._pending = []

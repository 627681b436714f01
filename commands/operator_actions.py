"""What the operator commands share to put their actions on the audit chain.

The actor is the identity the command connected as (``settings.kafka_user``, e.g. ``op.alice``),
never a name typed on the command line: the action goes to that identity's own action topic,
which only it may write (govbus.core.actions). Every action needs a note saying why.
"""
from __future__ import annotations

from typing import Any, Iterable

import typer

from commands.exits import REFUSED, UNAVAILABLE, Failure
from govbus.core.actions import ActionError, ActionLog, reason_problem
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings

NOTE = typer.Option(..., "--note", help="Why (a ticket, a decision): recorded with the action on the audit chain.")


def checked_note(note: str) -> str:
    """The note, or a refusal before anything is done."""
    problem = reason_problem(note)
    if problem is not None:
        raise Failure(REFUSED, f"--note: {problem}")
    return note.strip()


def open_log(settings: GovbusSettings) -> ActionLog:
    """The connected identity's action log, opened before the action (a refusal stops here)."""
    try:
        return ActionLog.open(settings)
    except ActionError as exc:
        raise Failure(REFUSED, str(exc)) from exc
    except Exception as exc:
        raise Failure(UNAVAILABLE, f"the action log {_topic(settings)} could not be opened as "
                      f"{settings.kafka_user}: {exc}; nothing was done") from exc


def publish(log: ActionLog, records: Iterable[dict[str, Any]]) -> None:
    try:
        log.publish(list(records))
    except ActionError as exc:
        raise Failure(UNAVAILABLE, f"done, but not recorded on the audit chain: {exc}") from exc


def _topic(settings: GovbusSettings) -> str:
    from govbus.core.settings import topic_names

    return topic_names(settings).audit_actions(settings.kafka_user) if settings.kafka_user else "audit.actions.?"


def record_persons(settings: GovbusSettings, serde: Serde, dataset: str,
                   value: bytes | None) -> tuple[list[str], list[str]]:
    """(event ids, audit pseudonyms of the persons) of a raw record's bytes, so that a re-drive
    or a view of it shows in ``who-received --id-no``; empty when the bytes do not decode."""
    from govbus.core.schemas import load_schemas
    from govbus.core.settings import pseudonym_master_key
    from stream_processors.route.logic import audit_key, subject_pseudonyms

    decoded = serde.decode(value) if value else None
    if not isinstance(decoded, Ok) or not isinstance(decoded.value, dict):
        return [], []
    record = decoded.value
    schema = load_schemas(settings.schemas_dir).get(dataset)
    envelope = record.get("envelope") or {}
    event_ids = [str(envelope["event_id"])] if isinstance(envelope, dict) and envelope.get("event_id") else []
    if schema is None or settings.pseudonym_key_file is None:
        return event_ids, []
    id_fields = tuple(n for n, t in schema.tags.items() if t.pii == "resident_id")
    return event_ids, subject_pseudonyms(record, id_fields, audit_key(pseudonym_master_key(settings)))

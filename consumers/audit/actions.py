"""Actions on the audit chain: their stored form, canonical bytes and chain links. Pure.

An action (govbus.core.actions) arrives on its actor's own topic, ``audit.actions.<identity>``,
which only that identity may write; the actor stored with it (``operator``) is taken from the
topic's name, never from the record, so it is as good as the broker's authentication.

Actions share the delivery chain (consumers/audit/logic.py): one ``seq`` and one head, each row's
hash ``SHA-256(prev ‖ canonical)`` over the row before it, whatever its kind. An action's
canonical form follows the same rules as a delivery's (sorted compact JSON, UTF-8, UTC ISO 8601
timestamps with microseconds) over exactly ``ACTION_FIELDS`` plus ``"kind": "action"``, so a
delivery row and an action row never have the same bytes.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from consumers.audit.logic import Head, chain_hash, from_columns
from govbus.core.result import Fault, Ok
from govbus.core.topics import TopicNames

ACTION_FIELDS = ("action_id", "operator", "source_topic", "action", "reason", "target", "outcome", "dataset",
                 "event_ids", "subject_pseudonyms", "agreement_id", "agreement_version", "details", "acted_at")
ACTION_JSON_FIELDS = ("event_ids", "subject_pseudonyms", "details")
_DEFAULTS: dict[str, Any] = {"outcome": "done", "dataset": None, "event_ids": [], "subject_pseudonyms": [],
                             "agreement_id": None, "agreement_version": None, "details": {}}
_FROM_RECORD = tuple(n for n in ACTION_FIELDS if n not in ("operator", "source_topic"))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_action(event: Mapping[str, Any]) -> bytes:
    body = {"kind": "action", **{name: event.get(name, _DEFAULTS.get(name)) for name in ACTION_FIELDS}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default).encode("utf-8")


def action_hash(prev_hex: str, event: Mapping[str, Any]) -> str:
    prev = bytes.fromhex(prev_hex)
    if len(prev) != 32:
        raise ValueError(f"previous hash must be 32 bytes of hex, got {prev_hex!r}")
    return hashlib.sha256(prev + canonical_action(event)).hexdigest()


def normalise_action(record: Any, topic: str, topics: TopicNames) -> Ok[dict[str, Any]] | Fault:
    """A decoded OperatorAction read from ``topic`` as the store keeps it, its actor from the
    topic, or why it is not one (a data fault: the rejects table)."""
    actor = topics.actor_of(topic)
    if actor is None:
        return Fault("not_an_action_topic", "action.topic", f"{topic} is not an identity's action topic")
    if not isinstance(record, Mapping):
        return Fault("not_an_action", "action.fields", "the record is not an Avro record")
    missing = [n for n in _FROM_RECORD if n not in record and n not in _DEFAULTS]
    if missing:
        return Fault("not_an_action", "action.fields", f"the record lacks {missing}")
    event = {name: record.get(name, _DEFAULTS.get(name)) for name in _FROM_RECORD}
    if not isinstance(event["acted_at"], datetime):
        return Fault("bad_time", "action.acted_at", "acted_at is not a timestamp", "acted_at")
    if not str(event["reason"] or "").strip():
        return Fault("no_reason", "action.reason", "an action without a reason", "reason")
    event |= {"action_id": str(event["action_id"]), "operator": actor, "source_topic": topic,
              "acted_at": _utc(event["acted_at"]), "event_ids": list(event["event_ids"] or []),
              "subject_pseudonyms": list(event["subject_pseudonyms"] or []), "details": dict(event["details"] or {})}
    return Ok(event)


def fresh_actions(events: Iterable[Mapping[str, Any]], known_ids: set[str]) -> list[Mapping[str, Any]]:
    """Actions whose id is neither stored nor earlier in the batch (an action sent twice, e.g. an
    agreement change seen by two processor workers, is chained once)."""
    seen, fresh = set(known_ids), []
    for event in events:
        if event["action_id"] not in seen:
            seen.add(event["action_id"])
            fresh.append(event)
    return fresh


def to_action_columns(event: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (json.dumps(event[name], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                   if name in ACTION_JSON_FIELDS else event[name]) for name in ACTION_FIELDS}


def from_action_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: json.loads(row[name]) if name in ACTION_JSON_FIELDS else row[name] for name in ACTION_FIELDS}


def action_rows(head: Head, events: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Head]:
    """Rows that append ``events`` after ``head`` on the shared chain, and the new head."""
    rows = []
    for event in events:
        digest = action_hash(head.hash, event)
        rows.append({"seq": head.seq + 1, **to_action_columns(event), "prev_hash": head.hash, "hash": digest})
        head = Head(head.seq + 1, digest)
    return rows, head


def row_hash(prev_hex: str, row: Mapping[str, Any]) -> str:
    """The hash a stored row of either kind should have after ``prev_hex`` (for verify)."""
    if "action_id" in row:
        return action_hash(prev_hex, from_action_columns(row))
    return chain_hash(prev_hex, from_columns(row))

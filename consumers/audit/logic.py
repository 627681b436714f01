"""Audit store logic: the canonical form of an audit event, the hash chain and its verifier.

Pure functions, no I/O. The chain (docs/architecture.md#guarantees, the audit trail):

    hash_1 = SHA-256(GENESIS ‖ canonical(event_1))
    hash_n = SHA-256(hash_{n-1} ‖ canonical(event_n))

where ``hash_{n-1}`` enters as its 32 raw digest bytes and ``GENESIS`` is 32 zero bytes (64 "0"
in hex). Each stored row keeps ``prev_hash`` and ``hash`` in lowercase hex, and the store keeps
the head (last seq and hash) in a separate row, so that cutting rows off the END of the chain,
which leaves a perfectly consistent shorter chain, is still noticed.

What the chain proves: any change, deletion or reordering of stored rows after the fact breaks
it at a named row, unless whoever changed them also recomputed every later hash and the head.
Against that, publish or countersign the head hash (``govbus audit verify`` prints it).

Canonical form (``canonical``), stable across SQLite, PostgreSQL and the Avro decoder:
- exactly the AuditDelivery fields (``EVENT_FIELDS``), absent optional ones as their default;
- JSON, object keys sorted, no whitespace (separators "," and ":"), UTF-8, non-ASCII kept as is;
- timestamps as UTC ISO 8601 with microseconds and "+00:00", e.g. 2025-03-01T08:30:00.000000+00:00;
  a naive timestamp is UTC (SQLite hands back naive UTC values);
- UUIDs as their lowercase hyphenated string; lists keep their order; maps are objects.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping
from uuid import UUID

from govbus.core.result import Fault, Ok

GENESIS = "0" * 64
# The AuditDelivery schema's fields, in schema order; a unit test keeps them in step with the .avsc.
EVENT_FIELDS = ("audit_id", "event_id", "dataset", "recipient", "recipient_topic", "agreement_id",
                "agreement_version", "purpose", "fields_delivered", "operators", "mask_profile",
                "subject_pseudonyms", "delivered_at", "processor", "processor_version")
# Stored as JSON text: one table layout serves SQLite and PostgreSQL alike.
JSON_FIELDS = ("fields_delivered", "operators", "subject_pseudonyms")
# Optional fields and the value an event without them means (their Avro defaults).
_DEFAULTS: dict[str, Any] = {"purpose": None, "subject_pseudonyms": []}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical(event: Mapping[str, Any]) -> bytes:
    """The bytes an audit event is hashed over (see the module docstring for the rules)."""
    body = {name: event.get(name, _DEFAULTS.get(name)) for name in EVENT_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default).encode("utf-8")


def chain_hash(prev_hex: str, event: Mapping[str, Any]) -> str:
    """``SHA-256(prev ‖ canonical(event))`` in hex, ``prev`` taken as its raw 32 bytes."""
    prev = bytes.fromhex(prev_hex)
    if len(prev) != 32:
        raise ValueError(f"previous hash must be 32 bytes of hex, got {prev_hex!r}")
    return hashlib.sha256(prev + canonical(event)).hexdigest()


def normalise(record: Mapping[str, Any]) -> Ok[dict[str, Any]] | Fault:
    """A decoded AuditDelivery as the store keeps it, or why it is not one (a data fault)."""
    if not isinstance(record, Mapping):
        return Fault("not_an_audit_event", "audit.fields", "the record is not an Avro record")
    missing = [n for n in EVENT_FIELDS if n not in record and n not in _DEFAULTS]
    if missing:
        return Fault("not_an_audit_event", "audit.fields", f"the record lacks {missing}")
    event = {name: record.get(name, _DEFAULTS.get(name)) for name in EVENT_FIELDS}
    if not isinstance(event["delivered_at"], datetime):
        return Fault("bad_time", "audit.delivered_at", "delivered_at is not a timestamp", "delivered_at")
    if not (isinstance(event["fields_delivered"], list) and isinstance(event["operators"], Mapping)
            and isinstance(event["subject_pseudonyms"] or [], list)):
        return Fault("not_an_audit_event", "audit.fields", "fields_delivered, operators or "
                     "subject_pseudonyms has the wrong type")
    event["audit_id"], event["event_id"] = str(event["audit_id"]), str(event["event_id"])
    event["delivered_at"] = _utc(event["delivered_at"])
    event["operators"] = dict(event["operators"])
    event["subject_pseudonyms"] = list(event["subject_pseudonyms"] or [])
    return Ok(event)


def to_columns(event: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of a normalised event (JSON fields as compact, sorted JSON text)."""
    return {name: (json.dumps(event[name], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                   if name in JSON_FIELDS else event[name]) for name in EVENT_FIELDS}


def from_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    """The event a stored row holds, ready for ``canonical`` (inverse of ``to_columns``)."""
    return {name: json.loads(row[name]) if name in JSON_FIELDS else row[name] for name in EVENT_FIELDS}


@dataclass(frozen=True)
class Head:
    """The end of the chain: the last row's seq and hash (seq 0 and GENESIS when empty)."""

    seq: int = 0
    hash: str = GENESIS


def fresh_events(events: Iterable[Mapping[str, Any]], known_ids: set[str]) -> list[Mapping[str, Any]]:
    """Events whose audit_id is neither stored nor earlier in the batch: the processor delivers
    at least once, so the same audit event (same deterministic audit_id) may arrive again."""
    seen, fresh = set(known_ids), []
    for event in events:
        if event["audit_id"] not in seen:
            seen.add(event["audit_id"])
            fresh.append(event)
    return fresh


def chain_rows(head: Head, events: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Head]:
    """Rows that append ``events`` after ``head`` (seq, columns, prev_hash, hash), and the new head."""
    rows = []
    for event in events:
        digest = chain_hash(head.hash, event)
        rows.append({"seq": head.seq + 1, **to_columns(event), "prev_hash": head.hash, "hash": digest})
        head = Head(head.seq + 1, digest)
    return rows, head


@dataclass(frozen=True)
class BrokenLink:
    """The first place the chain does not hold: which row and why."""

    seq: int
    kind: str      # hash_mismatch | prev_hash_mismatch | missing | out_of_order | head_mismatch
    message: str


@dataclass(frozen=True)
class VerifyResult:
    rows: int                      # rows checked before stopping
    head: Head                     # recomputed head of the rows checked
    broken: BrokenLink | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


# The hash a stored row should have after the previous one: a delivery's by default; the store
# passes one that also knows the other kinds of row on the chain (consumers/audit/actions.py).
RowHash = Callable[[str, Mapping[str, Any]], str]


def delivery_row_hash(prev: str, row: Mapping[str, Any]) -> str:
    return chain_hash(prev, from_columns(row))


def _check_row(row: Mapping[str, Any], expected: int, prev: str,
               row_hash: RowHash = delivery_row_hash) -> BrokenLink | None:
    seq = int(row["seq"])
    if seq > expected:
        span = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        return BrokenLink(expected, "missing", f"row(s) {span} are missing (deleted): "
                          f"the next stored row is seq {seq}")
    if seq < expected:
        return BrokenLink(seq, "out_of_order", f"seq {seq} comes after seq {expected - 1}")
    if row["prev_hash"] != prev:
        return BrokenLink(seq, "prev_hash_mismatch", f"seq {seq}: prev_hash {row['prev_hash']} is not "
                          f"the hash of seq {seq - 1} ({prev}): rows were reordered or seq {seq - 1} rewritten")
    if row_hash(prev, row) != row["hash"]:
        return BrokenLink(seq, "hash_mismatch", f"seq {seq}: stored hash {row['hash']} does not match "
                          "its content: the row was changed after it was chained")
    return None


def _check_head(computed: Head, stored: Head | None) -> BrokenLink | None:
    if stored is None or stored == computed:
        return None
    if stored.seq > computed.seq:
        return BrokenLink(computed.seq + 1, "missing", f"the head says seq {stored.seq} but the last "
                          f"row is seq {computed.seq}: rows after it are missing (deleted)")
    return BrokenLink(stored.seq, "head_mismatch", f"the stored head (seq {stored.seq}, {stored.hash}) "
                      f"does not match the chain (seq {computed.seq}, {computed.hash})")


def verify_chain(rows: Iterable[Mapping[str, Any]], head: Head | None = None,
                 row_hash: RowHash = delivery_row_hash) -> VerifyResult:
    """Recompute the chain over ``rows`` (in stored seq order) and name the FIRST broken link.

    Each row is checked against the recomputed hash of the row before it, so one changed row
    is named once, not together with every row after it. With ``head`` (the stored head), rows
    deleted from the end are found too.
    """
    computed, count = Head(), 0
    for row in rows:
        broken = _check_row(row, computed.seq + 1, computed.hash, row_hash)
        if broken is not None:
            return VerifyResult(count, computed, broken)
        computed, count = Head(int(row["seq"]), row["hash"]), count + 1
    return VerifyResult(count, computed, _check_head(computed, head))

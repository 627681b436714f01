"""`govbus dlq export DATASET --out letters.jsonl`: dead letters as editable JSON, one a line.

Each line is one letter: where it is (``letter``: dlq topic and offset), why it was refused
(``reason``, ``rule``, ``field_path``, ``message``) and the refused record decoded as JSON
(``record``), for a steward to correct and send back with `govbus dlq resend`
(commands/dlq_resend.py). Only ``record`` is read back; the envelope (ids, lineage) is the bus's
word and is taken from the letter itself.

Personal data: the record is printed in clear only to the dataset's owning department's own
identity (``dept.<department>``, its adapter's: the department holds the data anyway); any other
identity (bus-admin, op.<name>) gets it masked by the field tags exactly as `dlq show` prints it
(commands/dlq_view.py), with ``masked_fields`` naming what was masked, and its export is recorded
as a view of each letter on the audit chain. A masked field has to be typed in again before
`resend` accepts the record: a mask is never published. Bytes that do not decode (and an
adapter's rows) are not resendable and appear scrubbed as in `dlq show`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from commands.dlq_view import cut_long_digits, masked_message, masked_record, scrubbed_prefix
from govbus.core import identities
from govbus.core.deadletter import redrivable, stage_of
from govbus.core.schemas import FieldTag

FORMAT = "govbus.dlq.export/1"


def json_value(value: Any) -> Any:
    """``json.dumps`` default: times as ISO 8601 (what `resend` coerces back), bytes scrubbed."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return scrubbed_prefix(value)
    return str(value)


def as_json(value: Any) -> Any:
    """``value`` as it reads back from an export line (so a comparison sees what the file holds)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=json_value))


def sees_clear(identity: str | None, owner_department: str | None) -> bool:
    """Whether ``identity`` may see the owning department's records in clear: its own adapter's."""
    if not identity or not owner_department:
        return False
    try:
        return identity == identities.adapter(owner_department)
    except ValueError:  # an owner that is no department name has no identity of its own
        return False


@dataclass(frozen=True)
class Decoded:
    """A letter's original value: the record when it decodes from the raw topic's Avro."""

    record: dict[str, Any] | None
    scrubbed: str | None = None  # what `dlq show` prints of bytes that do not decode


def export_entry(dlq_topic: str, offset: int, letter: dict[str, Any], original: Decoded,
                 tags: dict[str, FieldTag], clear: bool, raw_topic: str) -> dict[str, Any]:
    """One line of the export (pure)."""
    entry: dict[str, Any] = {
        "format": FORMAT, "letter": {"topic": dlq_topic, "offset": offset},
        "dataset": letter.get("dataset"), "event_id": letter.get("event_id"), "stage": stage_of(letter),
        "first_seen": json_value(letter["first_seen"]) if letter.get("first_seen") else None,
        "source": f"{letter.get('source_topic', '')}@{letter.get('source_partition', '')}:"
                  f"{letter.get('source_offset', '')}",
        "reason": letter.get("reason", ""), "rule": letter.get("rule", ""),
        "field_path": letter.get("field_path") or "",
        "message": cut_long_digits(masked_message(letter.get("message") or "")),
    }
    refusal = redrivable(letter, raw_topic)
    if original.record is None:
        return entry | {"record": None, "original": original.scrubbed,
                        "not_resendable": refusal.message if refusal else "the original does not decode"}
    fields = {k: v for k, v in original.record.items() if k != "envelope"}
    shown = as_json(fields if clear else masked_record(fields, tags))
    masked = sorted(name for name in fields if shown[name] != as_json(fields[name]))
    entry |= {"masked": not clear, "masked_fields": masked, "record": shown}
    return entry | ({"not_resendable": refusal.message} if refusal else {})


def export_line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, default=json_value) + "\n"


def write_export(path: Path, entries: list[dict[str, Any]]) -> None:
    """The whole file at once, readable by its owner only (it may hold personal data in clear)."""
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("".join(export_line(e) for e in entries), encoding="utf-8")

"""`govbus dlq resend letters.jsonl`: corrected records back to their raw topics.

Reads a file written by `govbus dlq export` (commands/dlq_export.py) and edited by a steward.
For each line, the letter it names is read again from its dlq topic; the line's ``record`` (its
fields, never its envelope) replaces the refused record, and goes to the raw topic with:
- the letter's envelope (event id, source, event time are the bus's word) and one more lineage
  hop, ``stage: redrive``, whose ``component`` names the letter (``commands.dlq_resend:<dlq
  topic>@<offset>``), so the pools and every recipient see where the record came back from;
- the re-drive headers, the ``audit.redrives`` record and the operator's action on the audit
  chain, exactly as `dlq redrive` (commands/dlq_io.Redriver).
The processor then applies today's rules: a record that passes reaches the recipients, one that
fails comes back as a new dead letter with its new reason.

Nothing is sent unless every line is sound (so the file can be fixed and run again): a line that
is not JSON or not an export line is reported with its number; a record that still holds a mask
(a field masked at export that the steward did not type in again) is refused naming the line,
the letter and the field; so is a record the schema refuses, and a letter that cannot be re-driven.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.dlq_export import FORMAT, as_json
from commands.dlq_view import masked_record
from govbus import __version__
from govbus.core.deadletter import redrivable
from govbus.core.records import coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema

COMPONENT = "commands.dlq_resend"


@dataclass(frozen=True)
class Correction:
    """One line of the file: the letter it corrects and the corrected fields."""

    line: int
    dataset: str
    dlq_topic: str
    offset: int
    fields: dict[str, Any]

    @property
    def where(self) -> str:
        return f"line {self.line} ({self.dlq_topic}@{self.offset})"


def parse_line(number: int, text: str) -> Correction | str | None:
    """The correction on line ``number``, a problem naming the line, or None for a blank line."""
    if not text.strip():
        return None
    try:
        entry = json.loads(text)
    except ValueError as exc:
        return f"line {number}: not JSON ({exc}); fix the line or delete it"
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return f"line {number}: not a line of `govbus dlq export` (no \"format\": \"{FORMAT}\")"
    letter, record, dataset = entry.get("letter"), entry.get("record"), entry.get("dataset")
    if (not isinstance(letter, dict) or not isinstance(letter.get("topic"), str)
            or not isinstance(letter.get("offset"), int) or isinstance(letter.get("offset"), bool)):
        return f"line {number}: \"letter\" must hold the dlq \"topic\" and the \"offset\" of the letter"
    if not isinstance(dataset, str) or not dataset:
        return f"line {number}: \"dataset\" is missing"
    if not isinstance(record, dict):
        return f"line {number}: \"record\" must be the corrected record (a JSON object)"
    if "envelope" in record:
        return f"line {number}: \"record\" must not hold the envelope: it is taken from the letter"
    return Correction(number, dataset, letter["topic"], letter["offset"], record)


def still_masked(fields: dict[str, Any], original: dict[str, Any], schema: DatasetSchema) -> list[str]:
    """Fields of ``fields`` that still hold the mask export printed instead of the original
    value (recomputed from the letter, so a mask is recognised whoever exported the file)."""
    plain = {k: v for k, v in original.items() if k != "envelope"}
    shown, clear = as_json(masked_record(plain, schema.tags)), as_json(plain)
    return [name for name, value in fields.items()
            if name in shown and shown[name] != clear.get(name) and as_json(value) == shown[name]]


def redrive_hop(dlq_topic: str, offset: int, now: datetime) -> dict[str, Any]:
    """The lineage hop of a resent record: it names the letter it came back from."""
    return {"stage": "redrive", "component": f"{COMPONENT}:{dlq_topic}@{offset}", "version": __version__,
            "agreement_id": None, "agreement_version": None, "time": now}


def corrected_record(fix: Correction, letter: dict[str, Any], original: dict[str, Any] | None,
                     schema: DatasetSchema, raw_topic: str, now: datetime) -> Ok[dict[str, Any]] | str:
    """The record to publish for ``fix`` (coerced to the schema), or why not, naming the line."""
    refusal = redrivable(letter, raw_topic)
    if refusal is not None:
        return f"{fix.where}: cannot be resent: {refusal.message}; delete the line"
    if original is None or not isinstance(original.get("envelope"), dict):
        return f"{fix.where}: the letter's original record does not decode; it cannot be resent"
    unknown = sorted(set(fix.fields) - {f["name"] for f in schema.schema["fields"]})
    if unknown:
        return f"{fix.where}: {', '.join(unknown)} is not a field of {schema.dataset}"
    masked = still_masked(fix.fields, original, schema)
    if masked:
        return (f"{fix.where}: still masked as exported: {', '.join(masked)}; type the real value of "
                "each (or export as the owning department's identity)")
    envelope = original["envelope"]
    hop = redrive_hop(fix.dlq_topic, fix.offset, now)
    record = fix.fields | {"envelope": envelope | {"lineage": [*envelope.get("lineage", []), hop]}}
    coerced = coerce_record(schema, record)
    if isinstance(coerced, Fault):
        where = f" field {coerced.field}:" if coerced.field else ""
        return f"{fix.where}:{where} {coerced.reason}: {coerced.message}"
    return coerced

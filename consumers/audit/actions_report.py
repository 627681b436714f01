"""Who saw my data: deliveries and actions on a person's (or one record's) records, as one
report for `govbus audit who-received` (a table, or JSON for other systems). Pure.

A delivery's purpose and legal basis come from its agreement as the catalogue has it now (the
stored purpose is the one in force at delivery; the legal basis is looked up, with the version
named when the catalogue has moved on). An action on the records (a re-drive, an operator's view)
has the operator's note as its purpose, and no agreement: it is the bus's own handling.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

# Actions that touch a person's records (who-received lists them); others (ACLs, identities)
# name no person.
RECORD_ACTIONS = ("dlq.redrive", "dlq.view", "pool.view")


@dataclass(frozen=True)
class AgreementTerms:
    """What the catalogue says of an agreement: its version, purpose and legal basis."""

    version: int
    purpose: str
    legal_basis: str


def when(value: datetime) -> str:
    value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def _basis(terms: AgreementTerms | None, version: int) -> str:
    if terms is None:
        return "(agreement no longer in the catalogue)"
    return terms.legal_basis if terms.version == version else f"{terms.legal_basis} (catalogue now at v{terms.version})"


def delivery_entry(event: Mapping[str, Any], terms: Mapping[str, AgreementTerms]) -> dict[str, Any]:
    found = terms.get(event["agreement_id"])
    return {"kind": "delivery", "when": when(event["delivered_at"]), "seq": event.get("seq"),
            "event_id": event["event_id"], "dataset": event["dataset"], "who": event["recipient"],
            "what": f"delivered to {event['recipient_topic']}",
            "agreement": f"{event['agreement_id']}@{event['agreement_version']}",
            "purpose": event.get("purpose") or (found.purpose if found else ""),
            "legal_basis": _basis(found, int(event["agreement_version"])),
            "fields": list(event["fields_delivered"])}


def action_entry(action: Mapping[str, Any], terms: Mapping[str, AgreementTerms]) -> dict[str, Any]:
    agreement_id = action.get("agreement_id")
    found = terms.get(agreement_id) if agreement_id else None
    return {"kind": action["action"], "when": when(action["acted_at"]), "seq": action.get("seq"),
            "event_id": ",".join(action.get("event_ids") or []), "dataset": action.get("dataset") or "",
            "who": action["operator"], "what": f"{action['action']} {action['target']} ({action['outcome']})",
            "agreement": f"{agreement_id}@{action.get('agreement_version')}" if agreement_id else "",
            "purpose": action["reason"],
            "legal_basis": _basis(found, int(action.get("agreement_version") or 0)) if agreement_id
            else "operator action on the bus (its note is the purpose)",
            "fields": []}


def who_received(deliveries: Iterable[Mapping[str, Any]], actions: Iterable[Mapping[str, Any]],
                 terms: Mapping[str, AgreementTerms]) -> list[dict[str, Any]]:
    """Every delivery and record action, in chain order (seq), each with purpose and legal basis."""
    entries = [delivery_entry(e, terms) for e in deliveries]
    entries += [action_entry(a, terms) for a in actions if a["action"] in RECORD_ACTIONS]
    return sorted(entries, key=lambda e: (e["seq"] is None, e["seq"] or 0, e["when"]))

"""Routing (pure): which agreements admit a clean record, the masked copy for each, and the
audit event of each delivery."""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from stream_processors.route import masking
from stream_processors.route.pii_policy import scan_clear_value
from stream_processors.route.plan import AgreementPlan

try:  # the compiled UUIDv5 (native/src/ids.rs); without it, the Python twin below
    from govbus_native import uuid5 as _native_uuid5
except ImportError:  # pragma: no cover - CI builds the extension
    _native_uuid5 = None

AUDIT_NAMESPACE = uuid.UUID("0b7c5d0e-4a51-5f7e-8d3a-6c2f9e1a4b27")
# SHA-1 over the namespace, hashed once: a copy per id costs a third of ``uuid.uuid5``.
_AUDIT_PREFIX = hashlib.sha1(AUDIT_NAMESPACE.bytes, usedforsecurity=False)  # UUIDv5 is SHA-1 (RFC 4122)


Finding = tuple[str, str]  # (field, detector kind) of an identifier masked in a field in clear


class Delivery:
    """One agreement's masked copy of a record. A plain class, not a dataclass: compiled, its
    ``__init__`` is native, while a dataclass's stays Python (~0.5 µs; three a record)."""

    def __init__(self, plan: AgreementPlan, record: dict[str, Any], found: tuple[Finding, ...] = ()) -> None:
        self.plan = plan
        self.record = record
        # Identifiers found (and masked) in fields delivered in clear that are not tagged for them.
        self.found = found

    def _fields(self) -> tuple:
        return self.plan, self.record, self.found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Delivery) and self._fields() == other._fields()

    def __repr__(self) -> str:
        return "Delivery(plan={!r}, record={!r}, found={!r})".format(*self._fields())


def lineage_hop(stage: str, component: str, version: str, plan: AgreementPlan | None,
                now: datetime) -> dict[str, Any]:
    agreement = plan.agreement if plan else None
    return {"stage": stage, "component": component, "version": version,
            "agreement_id": agreement.id if agreement else None,
            "agreement_version": agreement.version if agreement else None, "time": now}


def mask_for(plan: AgreementPlan, record: dict[str, Any], hop: dict[str, Any]) -> dict[str, Any]:
    """The copy of ``record`` that ``plan``'s recipient may see (``masked_copy`` without findings)."""
    return masked_copy(plan, record, hop)[0]


def masked_copy(plan: AgreementPlan, record: dict[str, Any],
                hop: dict[str, Any]) -> tuple[dict[str, Any], tuple[Finding, ...]]:
    """The copy of ``record`` that ``plan``'s recipient may see: only the fields the agreement
    names, each through its operator, then identifiers in fields kept in clear that their tag
    is not for masked (and returned); the envelope gains ``hop`` and the delivered level."""
    envelope = record["envelope"]
    out = {"envelope": envelope | {"lineage": [*envelope.get("lineage", []), hop],
                                   "classification": plan.classification,
                                   "region_code": plan.envelope_region(envelope["region_code"])}}
    keep = masking.keep  # most fields are kept as they are: no call for those (~0.07 µs each)
    for name, _op_name, op in plan.ops:
        value = record.get(name)
        out[name] = value if op is keep else op(value)
    found: tuple[Finding, ...] = ()
    for name, tag in plan.clear_scan:
        out[name], kinds = scan_clear_value(out[name], tag)
        if kinds:  # rare: most fields in clear hold no identifier of another kind
            found += tuple((name, kind) for kind in kinds)
    return out, found


def untagged_counts(deliveries: list[Delivery]) -> dict[Finding, int]:
    """How many identifiers of each kind one record held in each field not tagged for them.

    A field goes to several recipients with the same findings: it is counted once, from the
    first delivery that scanned it."""
    counts: dict[Finding, int] = {}
    if not any(delivery.found for delivery in deliveries):
        return counts  # the common case: nothing found, no field sets to build
    fields_seen: set[str] = set()
    for delivery in deliveries:
        scanned = {name for name, _ in delivery.plan.clear_scan} - fields_seen
        for finding in delivery.found:
            if finding[0] in scanned:
                counts[finding] = counts.get(finding, 0) + 1
        fields_seen |= scanned
    return counts


def route(record: dict[str, Any], plans: list[AgreementPlan], now: datetime, component: str,
          version: str) -> list[Delivery]:
    """One delivery per agreement that admits ``record`` now (none: no agreement, no delivery)."""
    return [Delivery(plan, *masked_copy(plan, record, lineage_hop("route", component, version, plan, now)))
            for plan in plans if plan.admits(record, now)]


def audit_key(master_key: bytes) -> bytes:
    """The bus's own key for subject pseudonyms in the audit trail (never an agreement's key)."""
    return hmac.new(master_key, b"govbus|audit", hashlib.sha256).digest()


def subject_pseudonyms(record: dict[str, Any], id_fields: tuple[str, ...], key: bytes) -> list[str]:
    values = (record.get(name) for name in id_fields)
    return sorted({masking.pseudonym(key, "GB11643", v) for v in values if v})


def audit_id(event_id: str, recipient: str, agreement_id: str, agreement_version: int) -> str:
    """The delivery's deterministic audit id: ``uuid5(AUDIT_NAMESPACE, "event|recipient|
    agreement|version")`` bit for bit, so the same delivery made again (a restarted processor)
    has the same id and the audit store keeps it once. Compiled where ``govbus_native`` is
    installed (0.35 against 0.82 µs; three a record), else ``audit_id_python``."""
    name = f"{event_id}|{recipient}|{agreement_id}|{agreement_version}"
    return _native_uuid5(_AUDIT_NAMESPACE_BYTES, name) if _native_uuid5 else _uuid5_python(name)


def audit_id_python(event_id: str, recipient: str, agreement_id: str, agreement_version: int) -> str:
    """``audit_id`` in Python (the reference of the compiled one, and its fallback)."""
    return _uuid5_python(f"{event_id}|{recipient}|{agreement_id}|{agreement_version}")


def _uuid5_python(name: str) -> str:
    h = _AUDIT_PREFIX.copy()
    h.update(name.encode())
    x = h.hexdigest()  # its first 32 digits are the UUID's, but for the version and variant
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_RFC4122_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


# The 17th hex digit with its top two bits set to the RFC 4122 variant (10xx): 8, 9, a or b.
_RFC4122_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_AUDIT_NAMESPACE_BYTES = AUDIT_NAMESPACE.bytes


def audit_event(delivery: Delivery, source: dict[str, Any], topic: str, subjects: list[str],
                now: datetime, component: str, version: str) -> dict[str, Any]:
    event_id = str(source["envelope"]["event_id"])
    return (plan_audit_fields(delivery.plan, topic, component, version)
            | record_audit_fields(delivery.plan, event_id, subjects, now))


def plan_audit_fields(plan: AgreementPlan, topic: str, component: str, version: str) -> dict[str, Any]:
    """The fields of an audit event that are the same for every delivery under ``plan``."""
    agreement = plan.agreement
    return {
        "dataset": plan.dataset, "recipient": plan.recipient_id, "recipient_topic": topic,
        "agreement_id": agreement.id, "agreement_version": agreement.version,
        "purpose": agreement.purpose, "fields_delivered": plan.delivered_fields,
        "operators": plan.profile, "mask_profile": plan.profile_hash, "processor": component,
        "processor_version": version,
    }


def record_audit_fields(plan: AgreementPlan, event_id: str, subjects: list[str],
                        now: datetime) -> dict[str, Any]:
    """The fields of an audit event that are its record's (and its delivery's id)."""
    agreement = plan.agreement
    return {"audit_id": audit_id(event_id, plan.recipient_id, agreement.id, agreement.version),
            "event_id": event_id, "subject_pseudonyms": subjects, "delivered_at": now}

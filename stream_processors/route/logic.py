"""Per-recipient masking plans: compiled once, applied per record (pure).

A plan maps each delivered field to one operator; fields a plan does not name are dropped
(deny by default). In the walking skeleton one plan is hard-wired per dataset
(``default_plan``); sharing agreements replace it with one plan per agreement.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from govbus.core.schemas import DatasetSchema
from stream_processors.route import masking
from stream_processors.route.textscrub import scrub_text

Operator = Callable[[Any], Any]

OPERATOR_BY_PII: dict[str, tuple[str, Operator]] = {
    "name": ("mask_name", masking.mask_name),
    "phone": ("mask_phone", masking.mask_phone),
    "resident_id": ("mask_resident_id", masking.mask_resident_id),
    "free_text": ("scrub_text", lambda v: None if v is None else scrub_text(v)),
}

HARDWIRED_RECIPIENT = "public_security"


@dataclass(frozen=True)
class MaskPlan:
    recipient: str
    dataset: str
    agreement_id: str | None
    agreement_version: int | None
    ops: tuple[tuple[str, str, Operator], ...]  # (field, operator name, function)

    @property
    def profile(self) -> dict[str, str]:
        return {name: op_name for name, op_name, _ in self.ops}


def default_plan(schema: DatasetSchema, recipient: str = HARDWIRED_RECIPIENT) -> MaskPlan:
    """Skeleton plan: every field kept, names/phones/IDs masked, free text scrubbed."""
    ops = []
    for name, tag in schema.tags.items():
        op_name, op = OPERATOR_BY_PII.get(tag.pii or "", ("keep", masking.keep))
        ops.append((name, op_name, op))
    return MaskPlan(recipient, schema.dataset, None, None, tuple(ops))


def apply_plan(plan: MaskPlan, record: dict[str, Any], hop: dict[str, Any]) -> dict[str, Any]:
    """The masked copy of ``record`` for ``plan.recipient``, with ``hop`` added to its lineage."""
    envelope = record["envelope"]
    out = {"envelope": envelope | {"lineage": [*envelope.get("lineage", []), hop]}}
    for name, _op_name, op in plan.ops:
        out[name] = op(record.get(name))
    return out


def lineage_hop(stage: str, component: str, version: str, plan: MaskPlan | None,
                now: datetime) -> dict[str, Any]:
    return {"stage": stage, "component": component, "version": version,
            "agreement_id": plan.agreement_id if plan else None,
            "agreement_version": plan.agreement_version if plan else None, "time": now}

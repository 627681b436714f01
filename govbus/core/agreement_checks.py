"""Agreements checked against the catalogue and the schemas (pure; returns Problems)."""
from __future__ import annotations

from typing import Any

from govbus.core.agreements import (
    LEVEL_RANK,
    OPERATOR_TYPES,
    SCRUB_STRICT,
    UPWARD_DEFAULT,
    Agreement,
    AgreementSet,
    Condition,
    FieldOp,
    Status,
)
from govbus.core.catalogue import Catalogue, Problem, SharingType
from govbus.core.schemas import DatasetSchema

# Operators that give the same output for the same input, so a pool can still upsert by key.
KEY_OPERATORS = {"keep", "pseudonym"}


def base_type(avro_type: Any) -> str:
    """'string', 'int', 'date', 'timestamp-millis', 'enum', ... with null branches removed."""
    if isinstance(avro_type, list):
        branches = [t for t in avro_type if t != "null"]
        return base_type(branches[0]) if len(branches) == 1 else "union"
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") or base_type(avro_type["type"])
    return avro_type


def validate_agreements(agreements: AgreementSet, catalogue: Catalogue,
                        schemas: dict[str, DatasetSchema]) -> list[Problem]:
    problems: list[Problem] = []
    for agreement_id, agreement in sorted(agreements.agreements.items()):
        path = agreements.paths[agreement_id]
        problems += [Problem(path, where, msg) for where, msg in
                     agreement_problems(agreement, catalogue, schemas)]
    problems += _duplicate_topics(agreements)
    return problems


def agreement_problems(agreement: Agreement, catalogue: Catalogue,
                       schemas: dict[str, DatasetSchema]) -> list[tuple[str, str]]:
    """(field path, problem) pairs for one agreement."""
    entry, schema = catalogue.entries.get(agreement.dataset), schemas.get(agreement.dataset)
    if entry is None or schema is None:
        return [("dataset", f"unknown dataset {agreement.dataset!r} (not in the catalogue or schemas)")]
    found = []
    if agreement.provider != entry.provider.department:
        found.append(("provider", f"{agreement.provider!r} does not provide {agreement.dataset}; "
                                  f"the catalogue names {entry.provider.department!r}"))
    if entry.sharing_type is SharingType.not_shareable:
        found.append(("dataset", f"{agreement.dataset} is not shareable (catalogue sharing_type)"))
    upward = is_upward(agreement, entry.provider.level.value)
    if upward and not agreement.allow_upward:
        found.append(("recipient.level", f"the flow goes upward from the {entry.provider.level.value}-level "
                      f"provider to a {agreement.recipient.level.value}-level recipient: set allow_upward"))
    found += _field_problems(agreement, schema, upward and not agreement.upward_identified)
    if upward:
        found += upward_free_text_problems(agreement, schema, entry.provider.level.value)
    if agreement.row_filter is not None:
        found += [("row_filter", f"unknown field {name!r} in the row filter")
                  for name in _filter_fields(agreement.row_filter) if name not in schema.tags]
    return found


def is_upward(agreement: Agreement, provider_level: str) -> bool:
    """Data flows upward when the recipient sits above the provider's administrative level."""
    return LEVEL_RANK[agreement.recipient.level.value] < LEVEL_RANK[provider_level]


def _field_problems(agreement: Agreement, schema: DatasetSchema,
                    deidentify_upward: bool = False) -> list[tuple[str, str]]:
    types = {f["name"]: base_type(f["type"]) for f in schema.schema["fields"]}
    found = []
    for name, spec in agreement.fields.items():
        where = f"fields.{name}"
        tag = schema.tags.get(name)
        if tag is None:
            found.append((where, f"unknown field {name!r}: not in schema {agreement.dataset}"))
            continue
        if tag.level == "L4" and spec.op == "keep":
            found.append((where, f"{name} is L4 (highly sensitive) and may not be shared in clear: "
                                 f"use pseudonym, mask_resident_id, mask or drop"))
        found += _operator_fits_pii(where, name, spec, tag.pii, tag.level)
        allowed = OPERATOR_TYPES.get(spec.op, {"*"})
        if "*" not in allowed and types[name] not in allowed:
            found.append((where, f"operator {spec.op} does not apply to a {types[name]} field "
                                 f"(it takes {', '.join(sorted(allowed))})"))
        if deidentify_upward and spec.op == "keep" and tag.pii:
            # The plan replaces this keep by the upward default; it must fit the field too.
            implied = UPWARD_DEFAULT.get(tag.pii, "drop")
            fits = OPERATOR_TYPES.get(implied, {"*"})
            if "*" not in fits and types[name] not in fits:
                found.append((where, f"in an upward flow keep on {tag.pii} data becomes {implied}, "
                                     f"which does not apply to a {types[name]} field: drop the field "
                                     f"or set upward_identified"))
    key_op = agreement.fields.get(schema.key_field)
    if schema.key_field and (key_op is None or key_op.op not in KEY_OPERATORS):
        found.append((f"fields.{schema.key_field}", f"the business key {schema.key_field} must be "
                      f"delivered with keep or pseudonym, so the recipient's pool can upsert by it"))
    return found


def upward_free_text_problems(agreement: Agreement, schema: DatasetSchema,
                              provider_level: str) -> list[tuple[str, str]]:
    """An upward flow gets free text scrubbed at its strictest, whatever else the agreement
    says (``upward_identified`` included): ``keep`` on free text is refused rather than
    silently rewritten, and a free-text purpose, which could not take effect, is refused too."""
    found = []
    flow = (f"agreement {agreement.id}: recipient {agreement.recipient_id} "
            f"({agreement.recipient.level.value}) receives {agreement.dataset} upward from the "
            f"{provider_level}-level provider {agreement.provider}")
    for name, spec in agreement.fields.items():
        tag = schema.tags.get(name)
        if tag is not None and tag.pii == "free_text" and spec.op == "keep":
            found.append((f"fields.{name}", f"{flow}: keep on the free-text field {name} is refused "
                          f"in an upward flow; write scrub_text (delivered as {SCRUB_STRICT}) or drop"))
    if agreement.free_text_purpose is not None:
        found.append(("free_text_purpose", f"{flow}: free text always goes upward as {SCRUB_STRICT}, "
                      f"so free_text_purpose cannot take effect: remove it"))
    return found


# Operators that actually de-identify each kind of personal data: scrubbing a name as free text
# or generalising a phone as an address would deliver it in clear under a masked label.
OPERATORS_FOR_PII: dict[str, set[str]] = {
    "resident_id": {"keep", "pseudonym", "mask_resident_id", "mask", "year_only", "age_band"},
    "name": {"keep", "mask_name", "mask", "pseudonym"},
    "phone": {"keep", "mask_phone", "mask", "pseudonym"},
    "bank_card": {"keep", "mask", "pseudonym"},
    "plate": {"keep", "mask", "pseudonym"},
    "uscc": {"keep", "mask", "pseudonym"},
    "address": {"keep", "generalise_address", "mask"},
    "region": {"keep", "to_county"},
    "free_text": {"keep", "scrub_text", SCRUB_STRICT},
    "birth_date": {"keep", "year_only", "age_band"},
}
# ``mask`` on highly sensitive data shows at most the display convention (ID: first 6, last 4).
MAX_MASK_KEEP_L4 = (6, 4)


def _operator_fits_pii(where: str, name: str, spec: FieldOp, pii: str | None,
                       level: str) -> list[tuple[str, str]]:
    allowed = OPERATORS_FOR_PII.get(pii or "")
    if spec.op != "drop" and allowed is not None and spec.op not in allowed:
        return [(where, f"operator {spec.op} does not de-identify {pii} data in {name}: "
                        f"use one of {', '.join(sorted(allowed - {'keep'}))} or drop")]
    first, last = MAX_MASK_KEEP_L4
    if spec.op == "mask" and level == "L4" and (spec.keep_first > first or spec.keep_last > last):
        return [(where, f"mask on L4 field {name} may keep at most the first 6 and last 4 characters")]
    return []


def _filter_fields(condition: Condition) -> list[str]:
    if condition.field is not None:
        return [condition.field]
    children = (condition.all or []) + (condition.any or []) + ([condition.not_] if condition.not_ else [])
    return [name for child in children for name in _filter_fields(child)]


def _duplicate_topics(agreements: AgreementSet) -> list[Problem]:
    """One agreement per (recipient, dataset): they share one topic and one schema."""
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for agreement_id, agreement in sorted(agreements.agreements.items()):
        if agreement.status is Status.revoked:  # a revoked agreement may be replaced by a new one
            continue
        slot = (agreement.recipient_id, agreement.dataset)
        if slot in seen:
            problems.append(Problem(agreements.paths[agreement_id], "recipient",
                                    f"{seen[slot]} already shares {agreement.dataset} with "
                                    f"{agreement.recipient_id}; amend it instead of adding another"))
        seen.setdefault(slot, agreement_id)
    return problems

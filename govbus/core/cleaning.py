"""Record cleaning driven by the schema's field tags: pure, compiled once per dataset. It lives in the
foundation because two roles apply it: the processor (dead letters) and HTTP ingest (`?validate=true`).

Every string is trimmed; fields whose PII kind has a validator are NFKC-normalised (full-width
digits become ASCII), validated and replaced by their normal form (15-digit IDs upgraded, phones
stripped of +86 and dashes). Free text, names and addresses are not NFKC-normalised: that would
turn Chinese full-width punctuation into ASCII and alter what the citizen said. Every string,
nested ones included, must be one the pools can store (``text_rules``: no control characters
outside free text, no undecodable bytes, a length limit per field); a required string may not be
empty once trimmed. The first fault wins and names its field.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Callable

from govbus.core.identifiers import cached_region_code, check_mobile, check_plate, check_resident_id, check_uscc
from govbus.core.result import Fault, Ok
from govbus.core.rule_lists import NO_LISTS, USCC_ALLOW, RuleLists
from govbus.core.schemas import DatasetSchema
from govbus.core.text_rules import TextRule, check_strings, holds_maps, holds_strings, key_fields_of, text_rule_of

Validator = Callable[[str], "Ok[str] | Fault"]

VALIDATOR_BY_PII: dict[str, Validator] = {
    "resident_id": check_resident_id,
    "phone": check_mobile,
    "uscc": check_uscc,
    "plate": check_plate,
    "region": cached_region_code,
}


@dataclass(frozen=True)
class CleanPlan:
    dataset: str
    required: tuple[str, ...]
    string_fields: tuple[str, ...]
    validated: tuple[tuple[str, Validator], ...]
    # Every field that may hold strings (the envelope too), with the rule its strings follow
    # and whether it may hold an Avro map (whose keys are strings to check too).
    texts: tuple[tuple[str, TextRule, bool], ...] = ()

    @cached_property
    def required_strings(self) -> tuple[str, ...]:
        return tuple(name for name in self.required if name in self.string_fields)


def _is_string(avro_type: Any) -> bool:
    if isinstance(avro_type, list):
        return any(_is_string(t) for t in avro_type if t != "null")
    return avro_type == "string" or (isinstance(avro_type, dict) and avro_type.get("type") == "string"
                                     and "logicalType" not in avro_type)


def validators_with(lists: RuleLists) -> dict[str, Validator]:
    """``VALIDATOR_BY_PII`` with the catalogue's lists bound in (the USCC allow-list, and the
    file a dead letter tells the department to edit)."""
    uscc = partial(check_uscc, allow_list=lists.codes(USCC_ALLOW), allow_file=lists.file_of(USCC_ALLOW))
    return VALIDATOR_BY_PII | {"uscc": uscc}


def compile_clean_plan(schema: DatasetSchema, lists: RuleLists = NO_LISTS) -> CleanPlan:
    """``lists``: the catalogue's rule lists (govbus/core/rule_lists.py), loaded by the role."""
    fields = [f for f in schema.schema["fields"] if f["name"] != "envelope"]
    validators = validators_with(lists)
    validated = tuple((f["name"], validators[f["pii"]]) for f in fields if f.get("pii") in validators)
    required = tuple(f["name"] for f in fields if not (isinstance(f["type"], list) and "null" in f["type"]))
    keys = key_fields_of(schema.schema)
    texts = tuple((f["name"], text_rule_of(f, keys), holds_maps(f["type"])) for f in schema.schema["fields"]
                  if holds_strings(f["type"]))
    return CleanPlan(schema.dataset, required, tuple(f["name"] for f in fields if _is_string(f["type"])),
                     validated, texts)


def clean_record(plan: CleanPlan, record: dict[str, Any]) -> Ok[dict[str, Any]] | Fault:
    """The cleaned copy of ``record``, or the first fault (with its field path)."""
    out = dict(record)
    for name in plan.required:
        if out.get(name) is None:
            return Fault("missing_field", "schema.required", f"required field {name} is missing", name)
    for name in plan.string_fields:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = value.strip()
    for name in plan.required_strings:
        if out[name] == "":
            return Fault("missing_field", "schema.required", f"required field {name} is empty", name)
    refused = _refused_text(plan, out)
    if refused is not None:
        return refused
    for name, validator in plan.validated:
        value = out.get(name)
        if value is None or value == "":
            out[name] = None
            continue
        checked = validator(value) if type(value) is str else _validate(validator, value)
        if isinstance(checked, Fault):
            return checked.at(name)
        out[name] = checked.value
    return _clean_envelope(out)


def _refused_text(plan: CleanPlan, record: dict[str, Any]) -> Fault | None:
    """The first string the pools could not store, located (``check_strings`` field by field)."""
    for name, rule, maps in plan.texts:
        value = record.get(name)
        if value is None or (type(value) is str and value.isprintable() and len(value) <= rule.max_length):
            continue  # nothing to store, or the common case of TextRule.check, inline
        refused = check_strings(value, rule, maps)
        if refused is not None:
            return refused.at(name)
    return None


def _validate(validator: Validator, value: Any) -> Ok[Any] | Fault:
    """One value, or each element of a list (transport incidents carry several plates)."""
    if not isinstance(value, list):
        return validator(str(value))
    cleaned = []
    for index, item in enumerate(value):
        checked = validator(str(item))
        if isinstance(checked, Fault):
            return checked.at(f"[{index}]")
        cleaned.append(checked.value)
    return Ok(cleaned)


def _clean_envelope(record: dict[str, Any]) -> Ok[dict[str, Any]] | Fault:
    """``record`` (the cleaner's own copy) with its envelope's region code normalised. A record
    that gets this far with a valid code has an envelope, so its key keeps its place."""
    envelope = record.get("envelope") or {}
    region = cached_region_code(str(envelope.get("region_code", "")))
    if isinstance(region, Fault):
        return region.at("envelope.region_code")
    record["envelope"] = envelope | {"region_code": region.value}
    return Ok(record)

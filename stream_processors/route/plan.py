"""Sharing agreements compiled into masking plans: once per agreement, not per record.

A plan holds, for one agreement: the operator function for each delivered field (in schema
order), the projected Avro schema of the recipient's topic (envelope + delivered fields only;
masked fields become nullable strings), the jurisdiction prefix, and the admission test (in
force, inside the jurisdiction, the row filter holds).
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

from govbus.core.agreement_checks import is_upward
from govbus.core.agreements import UPWARD_DEFAULT, Agreement, FieldOp
from govbus.core.cleaning import VALIDATOR_BY_PII
from govbus.core.schemas import DatasetSchema, inline_named_types
from stream_processors.route import masking
from stream_processors.route.filters import Admission, compile_admission, compile_condition
from stream_processors.route.pii_policy import free_text_operator, scrub_identifiers, scrub_strict

Operator = Callable[[Any], Any]
PSEUDONYM_VERSION = "v1"
_PSEUDONYM_DOMAIN = {"resident_id": "GB11643", "phone": "MOBILE", "plate": "PLATE", "uscc": "GB32100",
                     "bank_card": "CARD", "name": "NAME"}


def agreement_key(master_key: bytes, agreement_id: str) -> bytes:
    """A pseudonym key per agreement: the same person joins within an agreement, not across."""
    return hmac.new(master_key, f"govbus|agreement|{agreement_id}".encode(), hashlib.sha256).digest()


def _nullable(op: Operator) -> Operator:
    return lambda v: None if v is None else op(v)


def make_operator(spec: FieldOp, pii: str | None, key: bytes) -> Operator:
    """The function for one field's operator (``drop`` never reaches here)."""
    simple: dict[str, Operator] = {
        "keep": masking.keep, "mask_name": masking.mask_name, "mask_phone": masking.mask_phone,
        "mask_resident_id": masking.mask_resident_id, "year_only": masking.year_only,
        "to_county": masking.to_county, "generalise_address": masking.generalise_address,
        "age_band": masking.age_band,
        # Free text is scrubbed once per record (cached), not once per agreement delivering it.
        "scrub_text": _nullable(scrub_identifiers), "scrub_text_strict": _nullable(scrub_strict),
    }
    if spec.op in simple:
        return simple[spec.op]
    if spec.op == "mask":
        return lambda v: masking.mask(v, spec.keep_first, spec.keep_last)
    if spec.op == "pseudonym":
        return _pseudonym_operator(key, _PSEUDONYM_DOMAIN.get(pii or "", "TEXT"))
    raise ValueError(f"no implementation for operator {spec.op}")


def _pseudonym_operator(key: bytes, domain: str) -> Operator:
    # A typed parameter, not a lambda's: were this module compiled (govbus/core/compiled.py; it is
    # not), a call with an untyped argument would take pseudonym's ``str`` overload and refuse None.
    def operator(v: str | None) -> str | None:
        return masking.pseudonym(key, domain, v, PSEUDONYM_VERSION)
    return operator


@dataclass(frozen=True)
class AgreementPlan:
    agreement: Agreement
    dataset: str
    recipient_id: str
    ops: tuple[tuple[str, str, Operator], ...]  # (field, operator name, function)
    shared_schema: dict[str, Any]
    jurisdiction_prefix: str
    # admits(record, now): in force now, the record inside the jurisdiction, and the agreement's
    # row filter holds (route/filters.py: compiled once per plan, the filter inside it).
    admits: Admission
    classification: str
    # The envelope's region code goes out generalised like the record's own region fields,
    # so a village code cannot leak through the header of a county-level delivery.
    envelope_region: Operator = masking.keep
    # (field, PII tag) of the string fields delivered in clear, scanned for identifiers that
    # are not the tag's own kind (route/pii_policy.py); the business key is not among them.
    clear_scan: tuple[tuple[str, str | None], ...] = ()

    @cached_property
    def profile(self) -> dict[str, str]:
        return {name: op_name for name, op_name, _ in self.ops}

    @cached_property
    def profile_hash(self) -> str:
        """Short stable name of the field → operator map, for the audit trail."""
        text = json.dumps(self.profile, sort_keys=True)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def delivered_fields(self) -> list[str]:
        return [name for name, _, _ in self.ops]



def effective_ops(agreement: Agreement, schema: DatasetSchema, upward: bool) -> dict[str, FieldOp]:
    """The agreement's operators, with ``keep`` on personal data de-identified in upward flows
    and free text scrubbed at its strictest unless a purpose allows less (route/pii_policy.py)."""
    ops = {}
    for name, spec in agreement.fields.items():
        pii = schema.tags[name].pii
        if pii == "free_text":
            op = free_text_operator(spec.op, upward, agreement.free_text_purpose is not None)
            spec = spec if op == spec.op else FieldOp(op=op)
        elif upward and not agreement.upward_identified and spec.op == "keep" and pii:
            spec = FieldOp(op=UPWARD_DEFAULT.get(pii, "drop"))
        if spec.op != "drop":
            ops[name] = spec
    return ops


def shared_schema(schema: DatasetSchema, ops: dict[str, FieldOp], agreement: Agreement) -> dict[str, Any]:
    """Envelope + delivered fields; a field whose operator is not ``keep`` becomes a nullable
    string (a masked phone is no longer a phone, a year is no longer a date)."""
    fields = []
    for field in schema.schema["fields"]:
        spec = ops.get(field["name"])
        if field["name"] == "envelope":
            fields.append(copy.deepcopy(field))
        elif spec is not None:
            out = copy.deepcopy(field)
            if spec.op != "keep":
                out |= {"type": ["null", "string"], "default": None}
            out["operator"] = spec.op
            fields.append(out)
    # A kept field may refer by name to a type defined in a field that is not delivered as is
    # (gov_service previous_status → status's enum): define it at the first reference instead.
    kept: dict[str, dict[str, Any]] = {}
    for field in fields:
        _named_definitions(field["type"], schema.schema.get("namespace", ""), kept)
    everywhere: dict[str, dict[str, Any]] = {}
    for field in schema.schema["fields"]:
        _named_definitions(field["type"], schema.schema.get("namespace", ""), everywhere)
    missing = {name: d for name, d in everywhere.items() if name not in kept}
    fields = inline_named_types({"fields": fields}, missing, set())["fields"]
    return {**copy.deepcopy(schema.schema), "fields": fields, "agreement": agreement.id}


def _named_definitions(avro_type: Any, namespace: str, out: dict[str, dict[str, Any]]) -> None:
    """Named types (record, enum, fixed) defined in ``avro_type``, by full name, each with an
    explicit namespace so it can be defined elsewhere in the schema."""
    if isinstance(avro_type, list):
        for branch in avro_type:
            _named_definitions(branch, namespace, out)
    elif isinstance(avro_type, dict):
        kind = avro_type.get("type")
        if kind in ("record", "enum", "fixed"):
            name = avro_type["name"]
            space = name.rpartition(".")[0] or avro_type.get("namespace", namespace)
            full = f"{space}.{name.rpartition('.')[2]}" if space else name
            out[full] = {**avro_type, "namespace": space} if space else avro_type
            for field in avro_type.get("fields", []):
                _named_definitions(field["type"], space, out)
        elif kind in ("array", "map"):
            _named_definitions(avro_type.get("items", avro_type.get("values")), namespace, out)
        elif isinstance(kind, (dict, list)):
            _named_definitions(kind, namespace, out)


def compile_plan(agreement: Agreement, schema: DatasetSchema, provider_level: str,
                 master_key: bytes) -> AgreementPlan:
    ops = effective_ops(agreement, schema, is_upward(agreement, provider_level))
    key = agreement_key(master_key, agreement.id)
    order = [f["name"] for f in schema.schema["fields"] if f["name"] in ops]
    compiled = tuple((n, ops[n].op, make_operator(ops[n], schema.tags[n].pii, key)) for n in order)
    generalised = any(spec.op == "to_county" for name, spec in ops.items()
                      if schema.tags[name].pii == "region")
    admits = compile_admission(agreement, agreement.recipient.prefix, compile_condition(agreement.row_filter))
    return AgreementPlan(agreement, schema.dataset, agreement.recipient_id, compiled,
                         shared_schema(schema, ops, agreement), agreement.recipient.prefix, admits,
                         delivered_level(schema, ops),
                         masking.to_county if generalised else masking.keep,
                         clear_scan_fields(schema, ops, order))


def clear_scan_fields(schema: DatasetSchema, ops: dict[str, FieldOp],
                      order: list[str]) -> tuple[tuple[str, str | None], ...]:
    """(field, PII tag) of every string-holding field delivered with ``keep``, except the key
    and fields whose kind cleaning validates: the processor routes only cleaned records, where
    such a value is exactly a mobile, an ID, a plate, a credit code or a region code, so no
    identifier of another kind fits inside it (and scanning every record for none costs)."""
    return tuple((n, schema.tags[n].pii) for n in order
                 if ops[n].op == "keep" and n in schema.text_rules and n != schema.key_field
                 and schema.tags[n].pii not in VALIDATOR_BY_PII)


def delivered_level(schema: DatasetSchema, ops: dict[str, FieldOp]) -> str:
    """The delivered record's level: the highest field kept in clear; a masked or pseudonymised
    field counts as L2 (de-identified, still internal)."""
    levels = [schema.tags[n].level if spec.op == "keep" else "L2" for n, spec in ops.items()]
    return max(levels, default="L1")

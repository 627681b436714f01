"""Pure parts of HTTP ingest: tokens, who may publish what, and per-field request validation.

Nothing here touches the network or the broker, so the 400/401/403/404 decisions are tested
with plain values.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from govbus.core.cleaning import CleanPlan, clean_record
from govbus.core.records import coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from producers.http.idempotency import with_idempotent_id
from producers.sdk.envelope import Source, envelope_for, versioned_record

if TYPE_CHECKING:  # typing.TypeIs is 3.13's; mypy knows typing_extensions', no runtime import
    from typing_extensions import TypeIs

HASHED = "sha256:"
log = logging.getLogger(__name__)


class TokenFileError(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hashed_token(token: str) -> str:
    """How a token is stored in the tokens file: ``sha256:<hex>`` of the token."""
    return HASHED + _digest(token)


def tokens_from(data: Any) -> dict[str, str]:
    """``{"sha256:<hex>": department}`` (optionally under ``tokens:``) → ``{<hex>: department}``.

    The file holds digests only, never tokens in clear: whoever reads it cannot call the ingest
    API (a token is shown once, when ``govbus ingest-token new`` makes it). A random 256-bit token
    needs no salt or slow hash. Lookups compare digests, so the dict lookup's timing says nothing
    useful about a token.
    """
    if isinstance(data, dict) and set(data) == {"tokens"}:
        data = data["tokens"]
    if not isinstance(data, dict) or not data:
        raise TokenFileError("the tokens file must map each token digest to a department")
    digests: dict[str, str] = {}
    for number, (token, department) in enumerate(data.items(), start=1):
        if not isinstance(token, str) or not isinstance(department, str) or not token or not department:
            raise TokenFileError(f"entry {number}: every token digest and department must be a non-empty string")
        digest = token[len(HASHED):].lower() if token.startswith(HASHED) else ""
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise TokenFileError(f"entry {number} (department {department}) is not sha256:<64 hex digits>: "
                                 f"tokens are stored hashed; make one with `govbus ingest-token new`")
        digests[digest] = department
    return digests


def load_tokens(path: Path) -> dict[str, str]:
    try:
        return tokens_from(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        # One line: YAML errors span several (the mark and a caret under it).
        raise TokenFileError(f"cannot read tokens file {path}: {' '.join(str(exc).split())}") from exc


def department_for(authorization: str | None, tokens: dict[str, str]) -> str | None:
    """The department a ``Bearer <token>`` header authenticates, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return tokens.get(_digest(token.strip()))


# --- request bodies -------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldError:
    """One entry of a 400 answer: which record (None: the request as a whole), which field."""

    index: int | None
    field: str
    reason: str
    message: str
    rule: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason,
                "rule": self.rule, "message": self.message}


def is_errors(value: list[Any]) -> TypeIs[list[FieldError]]:
    return bool(value) and isinstance(value[0], FieldError)


# --- per-field validation -------------------------------------------------------------------

_FIELD_SCHEMAS: dict[str, tuple[DatasetSchema, dict[str, DatasetSchema]]] = {}


def _optional(avro_field: dict[str, Any]) -> dict[str, Any]:
    ftype = avro_field["type"]
    branches = ftype if isinstance(ftype, list) else [ftype]
    return {**avro_field, "type": ["null", *[b for b in branches if b != "null"]], "default": None}


def field_schemas(schema: DatasetSchema) -> dict[str, DatasetSchema]:
    """For each top-level field F, the schema with every other field made optional.

    ``coerce_record`` stops at the first fault; coercing ``{F: value}`` against F's schema
    yields F's own fault, so a 400 can list every bad field at once. The other fields stay in
    place (optional) because they may define named types F refers to.
    """
    hit = _FIELD_SCHEMAS.get(schema.dataset)
    if hit is not None and hit[0] is schema:
        return hit[1]
    fields = schema.schema["fields"]
    subs = {f["name"]: DatasetSchema(
        f"{schema.dataset}#{f['name']}", "",
        {**schema.schema, "fields": [f if g is f else _optional(g) for g in fields]}, schema.path)
        for f in fields}
    _FIELD_SCHEMAS[schema.dataset] = (schema, subs)
    return subs


def guarded_coerce(schema: DatasetSchema, record: dict[str, Any]) -> Ok[dict[str, Any]] | Fault:
    """``coerce_record``, with a conversion that raises turned into the record's fault: an epoch
    number or ISO time outside years 1-9999 (``accepted_at=-1e18``) overflows ``datetime``."""
    try:
        return coerce_record(schema, record)
    except (OverflowError, ValueError, TypeError) as exc:
        return Fault("out_of_range", "http.value", f"a value cannot be converted to its field's "
                                                   f"type ({type(exc).__name__}: {exc})")


def record_faults(schema: DatasetSchema, data: dict[str, Any]) -> list[Fault]:
    """Every top-level field's first fault (schema order), then unknown fields."""
    faults = []
    for name, sub in field_schemas(schema).items():
        probe = {name: data[name]} if name in data else {}
        result = guarded_coerce(sub, probe)
        if isinstance(result, Fault):
            faults.append(result if result.field else result.at(name))
    known = set(field_schemas(schema))
    faults += [Fault("unknown_field", "avro.fields", f"{key} is not a field of the schema", key)
               for key in data if key not in known]
    return faults


def to_record(schema: DatasetSchema, item: Any, source: Source) -> Ok[dict[str, Any]] | list[Fault]:
    """One submitted item → a record with its envelope, or all its faults."""
    if not isinstance(item, dict):
        return [Fault("not_an_object", "http.body", "each record must be a JSON object")]
    if "envelope" in item:  # lineage and source are the bus's word, not the caller's
        return [Fault("reserved_field", "http.envelope", "the envelope is set by the bus",
                      "envelope")]
    record = item | {"envelope": envelope_for(schema, item, source)}
    result = guarded_coerce(schema, record)  # fast path: a clean record is coerced once
    if isinstance(result, Ok):
        return Ok(versioned_record(schema, result.value))
    faults = record_faults(schema, record)
    # The envelope's event time is copied from a record field: when that field is bad, the
    # caller needs to hear about the field they sent, not about the envelope they did not.
    theirs = [f for f in faults if f.field.split(".")[0] != "envelope"]
    return theirs or faults or [result]


def validate_items(schema: DatasetSchema, items: list[Any], source: Source,
                   idempotency_key: str | None = None) -> list[dict[str, Any]] | list[FieldError]:
    """All records, or every field error of every record (then nothing is published). With an
    Idempotency-Key, records without a natural key get ids derived from it (idempotency.py)."""
    records, errors = [], []
    for index, item in enumerate(items):
        result = to_record(schema, item, source)
        if isinstance(result, Ok):
            record = result.value
            if idempotency_key is not None:
                record = with_idempotent_id(schema, record, idempotency_key, index)
            records.append(record)
        else:
            errors += [FieldError(index, f.field, f.reason, f.message, f.rule) for f in result]
    return errors or records


def cleaning_errors(plan: CleanPlan, records: list[dict[str, Any]]) -> list[FieldError]:
    """The processor's own cleaning rules (govbus/core/cleaning.py, with the catalogue's rule
    lists) on each record, with the reason, rule and field its dead letter would carry."""
    errors = []
    for index, record in enumerate(records):
        try:
            result = clean_record(plan, record)
        except Exception as exc:  # noqa: BLE001 - the processor dead-letters this as processor_error
            log.warning("cleaning rules raised on record %d: %s", index, type(exc).__name__)
            errors.append(FieldError(index, "", "processor_error", f"{type(exc).__name__}: {exc}",
                                     "bug.clean_record"))
            continue
        if isinstance(result, Fault):
            errors.append(FieldError(index, result.field, result.reason, result.message,
                                     result.rule))
    return errors


def refused_answer(errors: list[FieldError], count: int) -> dict[str, Any]:
    """The 422 body for a request of ``count`` records some of which the processor would
    dead-letter (``errors`` from ``cleaning_errors``): a result per record, and nothing published
    (a request is all or nothing, as for a 400: the client fixes those records and sends the
    request again, with the same Idempotency-Key if it has one)."""
    by_index: dict[int, list[dict[str, Any]]] = {}
    for error in errors:
        by_index.setdefault(error.index if error.index is not None else -1, []).append(error.as_json())
    records = [{"index": i, "status": "refused", "errors": by_index[i]} if i in by_index
               else {"index": i, "status": "not_published", "reason": "request_refused"} for i in range(count)]
    refused = sum(1 for i in range(count) if i in by_index)
    return {"error": f"{refused} of {count} records would be dead-lettered by the processor; nothing was "
                     "published: fix them and send the request again",
            "refused": refused, "not_published": count - refused,
            "errors": [e.as_json() for e in errors], "records": records}

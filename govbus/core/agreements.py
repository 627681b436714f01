"""Sharing agreements (``catalogue/agreements/<id>.yaml``): data, not code.

An agreement lets one recipient (a department with a jurisdiction) receive one dataset, for a
stated purpose and legal basis, within a validity window, optionally only rows matching a
structured filter, with each delivered field passed through one masking operator. A field the
agreement does not name is never delivered (deny by default); no agreement, no delivery.

``validate_agreements`` checks agreements against the catalogue and schemas and refuses, with
file, field path and reason: unknown datasets or fields, an L4 field in clear, a not-shareable
resource, an operator that does not fit the field's type, a business key not delivered.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from govbus.core.catalogue import AdminLevel, CatalogueError, load_yaml_mapping, pydantic_errors

AGREEMENTS_DIR = "agreements"
LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}
REGION_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


class Status(StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"


# Operator name → the Avro base types it accepts ("*" any). Implementations: stream_processors.
OPERATOR_TYPES: dict[str, set[str]] = {
    "keep": {"*"}, "mask": {"string"}, "mask_name": {"string"}, "mask_phone": {"string"},
    "mask_resident_id": {"string"}, "year_only": {"string", "date", "timestamp-millis"},
    "to_county": {"string"}, "generalise_address": {"string"},
    "age_band": {"string", "date"}, "pseudonym": {"string"}, "scrub_text": {"string"},
    "scrub_text_strict": {"string"},
}
# Free text scrubbed of every kind of personal data (names and addresses too), not only of the
# identifiers ``scrub_text`` masks: what upward flows and recipients without a free-text
# purpose receive (stream_processors/route/pii_policy.py).
SCRUB_STRICT = "scrub_text_strict"
# What an upward flow applies instead of ``keep`` to a personal-data field: upward flows default
# to de-identified fields (docs/architecture.md#catalogue-agreements-masking).
UPWARD_DEFAULT = {"resident_id": "pseudonym", "name": "mask_name", "phone": "mask_phone",
                  "address": "generalise_address", "free_text": SCRUB_STRICT,
                  "birth_date": "year_only", "region": "to_county", "plate": "pseudonym",
                  "uscc": "keep", "bank_card": "pseudonym", "coordinates": "drop",
                  "health": "keep", "other": "keep"}  # not identifying once the person is hidden


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recipient(_Strict):
    department: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    region_code: str = Field(pattern=r"^[0-9]{6}([0-9]{6})?$")
    level: AdminLevel

    @model_validator(mode="after")
    def _code_fits_level(self) -> "Recipient":
        digits = REGION_DIGITS[self.level.value]
        if len(self.region_code) < digits:  # a 6-digit code at township level would cover the county
            raise ValueError(f"region_code {self.region_code} is too coarse for level "
                             f"{self.level.value}: it needs a 12-digit code")
        tail = self.region_code[digits:]
        if tail.strip("0"):
            raise ValueError(f"region_code {self.region_code} is finer than level {self.level.value}")
        return self

    @property
    def prefix(self) -> str:
        """Region-code prefix that every record inside this jurisdiction starts with."""
        return self.region_code[:REGION_DIGITS[self.level.value]]


class FieldOp(_Strict):
    op: str
    keep_first: int = Field(default=0, ge=0)
    keep_last: int = Field(default=0, ge=0)

    @field_validator("op")
    @classmethod
    def _known(cls, op: str) -> str:
        if op != "drop" and op not in OPERATOR_TYPES:
            raise ValueError(f"unknown operator {op!r}; known: drop, {', '.join(sorted(OPERATOR_TYPES))}")
        return op


class Condition(_Strict):
    """A structured row filter: exactly one of the comparison keys, or all/any/not."""

    field: str | None = None
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    prefix: str | None = None
    gte: Any = None
    lte: Any = None
    all: list["Condition"] | None = None
    any: list["Condition"] | None = None
    not_: "Condition | None" = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        combos = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        tests = [k for k in ("eq", "ne", "in_", "not_in", "prefix", "gte", "lte")
                 if getattr(self, k) is not None]
        if len(combos) > 1:  # only one would be evaluated; the others would be ignored
            raise ValueError("a condition takes one of all, any, not; nest them to combine")
        if combos and (tests or self.field):
            raise ValueError("a condition is either all/any/not or a field test, not both")
        if not combos and (self.field is None or len(tests) != 1):
            raise ValueError("a field test needs `field` and exactly one of eq, ne, in, not_in, prefix, gte, lte")
        return self


class Agreement(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    version: int = Field(ge=1)
    status: Status = Status.active
    provider: str
    dataset: str
    recipient: Recipient
    purpose: str = Field(min_length=4)
    legal_basis: str = Field(min_length=4)
    valid_from: datetime
    valid_to: datetime
    allow_upward: bool = False
    upward_identified: bool = Field(default=False, description="keep identities in upward flows")
    # Why the recipient needs the wording of free text (names, places): without it, free-text
    # fields are scrubbed at their strictest whatever operator is written (never upward).
    free_text_purpose: str | None = Field(default=None, min_length=4)
    row_filter: Condition | None = None
    fields: dict[str, FieldOp] = Field(min_length=1)

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date_to_datetime(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value.strip()) == 10:  # "2026-01-01" quoted: a date
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                pass  # pydantic reports it
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.min, tzinfo=timezone.utc)
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``name: mask_phone`` and ``name: {mask: {keep_first: 3}}`` are both accepted."""
        if not isinstance(value, dict):
            return value
        return {k: _field_op(v) for k, v in value.items()}

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # A naive time cannot be compared with the worker's aware clock (in_force would raise),
        # and guessing UTC or China time would shift the window by 8 hours.
        if value.tzinfo is None:
            raise ValueError("a time needs a timezone, e.g. 2026-01-01T00:00:00+08:00 (or give a date)")
        return value

    @field_validator("valid_to")
    @classmethod
    def _window(cls, valid_to: datetime, info: ValidationInfo) -> datetime:
        valid_from = info.data.get("valid_from")
        if valid_from is not None and valid_to <= valid_from:
            raise ValueError("valid_to must be after valid_from")
        return valid_to

    @property
    def recipient_id(self) -> str:
        """The recipient part of the shared topic: department and jurisdiction."""
        return f"{self.recipient.department}_{self.recipient.region_code}"

    def in_force(self, now: datetime) -> bool:
        return self.status is Status.active and self.valid_from <= now < self.valid_to


def _field_op(value: Any) -> Any:
    if isinstance(value, str):
        return {"op": value}
    if isinstance(value, dict) and len(value) == 1 and "op" not in value:
        (op, params), = value.items()
        return {"op": op, **(params or {})}
    return value


@dataclass(frozen=True)
class AgreementSet:
    agreements: dict[str, Agreement]
    paths: dict[str, Path]


def load_agreement(path: Path) -> Agreement:
    data = load_yaml_mapping(path)
    try:
        agreement = Agreement.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(path, pydantic_errors(exc)) from exc
    if agreement.id != path.stem:
        raise CatalogueError(path, [("id", f"{agreement.id!r} does not match the file name {path.stem!r}")])
    return agreement


def load_agreements(catalogue_dir: Path) -> AgreementSet:
    folder = catalogue_dir / AGREEMENTS_DIR
    agreements, paths = {}, {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        agreement = load_agreement(path)
        agreements[agreement.id], paths[agreement.id] = agreement, path
    return AgreementSet(agreements, paths)

"""Dirty and odd-but-valid variants of synthetic records, driven by the schema's field tags.

A dirty record carries exactly one defect and is labelled ``_dirty`` = the reason code the bus
gives it (at the adapter: missing_field, wrong_type, bad_enum; at the cleaner: the identifier
checks' codes) and ``_dirty_field`` = the field the fault names. An odd-but-valid record only
looks wrong (full-width digits, 15-digit IDs, a lower-case x, +86 prefixes): the cleaner
normalises it and it must be delivered; it is labelled ``_normalised`` and ``_normalised_field``.
Being tag-driven, the variants apply to every dataset, present and future.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from govbus.core.identifiers import USCC_CHARSET, resident_id_check_char
from govbus.core.schemas import DatasetSchema
from producers.sdk import region_field

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
Transform = Callable[[random.Random, Any, "FieldInfo"], Any]


@dataclass(frozen=True)
class FieldInfo:
    name: str
    pii: str | None
    required: bool   # no default and not nullable: leaving it out is a fault
    enum: bool
    date: bool
    key: bool
    fault_path: str  # where the bus reports a fault of this field's value


def field_infos(schema: DatasetSchema) -> list[FieldInfo]:
    infos, envelope_region = [], region_field(schema)
    for f in schema.schema["fields"]:
        if f["name"] == "envelope":
            continue
        ftype = f["type"]
        branches = ftype if isinstance(ftype, list) else [ftype]
        kinds = [b.get("type") if isinstance(b, dict) else b for b in branches]
        logical = [b.get("logicalType") for b in branches if isinstance(b, dict)]
        required = "default" not in f and "null" not in kinds
        # A region field without the region tag is checked only as the envelope's copy.
        untagged_region = f["name"] == envelope_region and f.get("pii") != "region"
        infos.append(FieldInfo(f["name"], f.get("pii"), required, "enum" in kinds,
                               "date" in logical, f["name"] == schema.key_field,
                               "envelope.region_code" if untagged_region else f["name"]))
    return infos


def _wrong_check_char(rng: random.Random, value: str, info: FieldInfo) -> str:
    charset = USCC_CHARSET if info.pii == "uscc" else "0123456789X"
    return value[:-1] + rng.choice([c for c in charset if c != value[-1]])


def _with_birth(value: str, birth: str) -> str:
    first17 = value[:6] + birth + value[14:17]
    return first17 + resident_id_check_char(first17)


def _impossible_birth(rng: random.Random, value: str, _info: FieldInfo) -> str:
    return _with_birth(value, rng.choice(("19490229", "19871301", "20010431", "19950000")))


def _future_birth(rng: random.Random, value: str, _info: FieldInfo) -> str:
    return _with_birth(value, f"20{rng.randrange(90, 99)}0101")


def _no_province(rng: random.Random, value: str, _info: FieldInfo) -> str:
    return rng.choice(("00", "99", "20")) + value[2:]


def _short_phone(_rng: random.Random, value: str, _info: FieldInfo) -> str:
    return value[:-1]  # ten digits: a digit lost while typing


DIRTY: dict[str, tuple[Callable[[FieldInfo], bool], Transform | None]] = {
    "missing_field": (lambda f: f.required and not f.key, None),
    "bad_check_char": (lambda f: f.pii in ("resident_id", "uscc"), _wrong_check_char),
    "bad_birth_date": (lambda f: f.pii == "resident_id", _impossible_birth),
    "future_birth_date": (lambda f: f.pii == "resident_id", _future_birth),
    "bad_format": (lambda f: f.pii == "phone", _short_phone),
    "wrong_type": (lambda f: f.date, lambda rng, v, f: rng.choice(("2023-02-30", "2021-13-01"))),
    "bad_enum": (lambda f: f.enum and not f.key, lambda rng, v, f: "其他类型"),
    "bad_region_prefix": (lambda f: f.pii == "region" or f.fault_path.startswith("envelope."),
                          _no_province),
}


def _id15(rng: random.Random, value: str) -> str | None:
    return value[:6] + value[8:17] if value[6:8] == "19" else None


NORMALISED: dict[str, tuple[Callable[[FieldInfo], bool], Callable[[random.Random, str], Any]]] = {
    "full_width": (lambda f: f.pii in ("resident_id", "phone"),
                   lambda rng, v: v.translate(FULL_WIDTH)),
    "id15": (lambda f: f.pii == "resident_id", _id15),
    "lower_x": (lambda f: f.pii == "resident_id",
                lambda rng, v: v[:-1] + "x" if v.endswith("X") else None),
    "phone_prefix": (lambda f: f.pii == "phone",
                     lambda rng, v: f"+86 {v[:3]}-{v[3:7]}-{v[7:]}"),
    "lower_case": (lambda f: f.pii == "uscc" and not f.key, lambda rng, v: v.lower()),
}


def _candidates(table: dict[str, tuple[Callable[[FieldInfo], bool], Any]],
                infos: list[FieldInfo], record: dict[str, Any]) -> dict[str, list[FieldInfo]]:
    """Kinds of ``table`` that fit ``record``, each with the fields it fits: a field must be
    given, and be text unless the kind just leaves it out."""
    found: dict[str, list[FieldInfo]] = {}
    for kind, (applies, transform) in table.items():
        fields = [f for f in infos if applies(f) and record.get(f.name) is not None
                  and (transform is None or isinstance(record[f.name], str))]
        if fields:
            found[kind] = fields
    return found


def make_dirty(rng: random.Random, infos: list[FieldInfo],
               record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with one defect of a kind that fits it, labelled; unchanged if none fits."""
    candidates = _candidates(DIRTY, infos, record)
    if not candidates:
        return record
    kind = rng.choice(sorted(candidates))
    target = rng.choice(candidates[kind])
    transform = DIRTY[kind][1]
    out = dict(record)
    if transform is None:
        out.pop(target.name)
    else:
        out[target.name] = transform(rng, record[target.name], target)
    path = target.name if transform is None else target.fault_path
    return out | {"_dirty": kind, "_dirty_field": path}


def make_normalised(rng: random.Random, infos: list[FieldInfo],
                    record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with one odd-but-valid spelling, labelled; unchanged if none fits."""
    candidates = _candidates(NORMALISED, infos, record)
    for kind in rng.sample(sorted(candidates), len(candidates)):
        target = rng.choice(candidates[kind])
        value = NORMALISED[kind][1](rng, record[target.name])
        if value is not None:
            return record | {target.name: value, "_normalised": kind,
                             "_normalised_field": target.name}
    return record

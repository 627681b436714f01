"""Properties of routing and masking (hypothesis), for any record of any dataset and any valid
agreement on it:

1. a delivered record has only the envelope and the fields its agreement names (deny by default);
2. no raw identifier or name held by a field delivered through a masking or pseudonym operator
   appears anywhere in the delivered record's Avro bytes.

Records start from the per-dataset samples (tests/support/samples.py) with every string field
redrawn by its PII kind: resident IDs with valid check characters, mobiles, names, and free text
with resident IDs, mobiles and Luhn-valid bank cards typed into it.
"""
from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govbus.core.agreement_checks import agreement_problems, base_type
from govbus.core.agreement_checks import OPERATORS_FOR_PII
from govbus.core.agreements import OPERATOR_TYPES, Agreement
from govbus.core.identifiers import resident_id_check_char
from govbus.core.schemas import DatasetSchema
from stream_processors.route.logic import route
from stream_processors.route.pii_policy import scrub_strict
from tests.support.agreements import NOW, catalogue, encode, plan_of, schemas
from tests.support.samples import SAMPLES

# --- value strategies -----------------------------------------------------------------------

# The alphabets are disjoint: filler text (addresses, free text, other strings) never contains
# a digit or a character names are drawn from, so a name or identifier can only turn up in a
# delivered record through the field that holds it (or a field that happens to hold the same
# drawn value, which the check below accounts for). Filler also avoids 省/市/区/县, so that
# generalise_address cannot cut an embedded identifier out of it as "the county part".
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华"
FILLER = "楼下噪音扰民施工夜间投诉反映道路积水路灯损坏请尽快处理谢谢，。、 "
GENERIC = "ABCDEFGHJKLMNPQRSTUVWXYZ-_"

filler = st.text(alphabet=FILLER, min_size=1, max_size=12)
generic = st.text(alphabet=GENERIC, min_size=1, max_size=16)
names = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES),
                  st.text(alphabet=GIVEN, min_size=1, max_size=3))
mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text(alphabet="0123456789", min_size=9, max_size=9))


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["350102", "350121", "110105", "440524", "620102"]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2015, 12, 31)))
    first17 = f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    """Luhn-valid numbers with a card network's issuer prefix (UnionPay 62, Visa 4, Mastercard 5)."""
    prefix = draw(st.sampled_from(["62", "4", "5"]))
    length = draw(st.integers(16, 19))
    body = prefix + draw(st.text(alphabet="0123456789", min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):  # positions as they will be once the check is appended
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


identifiers = st.one_of(resident_ids(), mobiles, bank_cards())


@st.composite
def free_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Filler with identifiers typed into it; filler separates them, so none touches another."""
    found = draw(st.lists(identifiers, max_size=3))
    parts = [draw(filler)]
    for identifier in found:
        parts += [identifier, draw(filler)]
    return "".join(parts), found


@st.composite
def region_codes(draw: st.DrawFn) -> str:
    county = "3501" + draw(st.sampled_from(["02", "03", "04", "05", "11", "21", "81"]))
    if draw(st.booleans()):
        return county
    return county + f"{draw(st.integers(1, 399)):03d}{draw(st.integers(0, 999)):03d}"


def field_types(schema: DatasetSchema) -> dict[str, str]:
    return {f["name"]: base_type(f["type"]) for f in schema.schema["fields"] if f["name"] != "envelope"}


@st.composite
def records(draw: st.DrawFn, dataset: str, region: str,
            required: str | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The dataset's sample with each string field redrawn by its PII kind; also, per field,
    the identifiers and names it holds (what must never leave in clear through a mask).
    ``required`` is never null."""
    schema = schemas()[dataset]
    record = copy.deepcopy(SAMPLES[dataset])
    record["envelope"]["region_code"] = region
    held: dict[str, list[str]] = {}
    for name, kind in field_types(schema).items():
        tag = schema.tags[name]
        if kind != "string" or tag.pii == "uscc":
            continue  # enums, numbers, dates, arrays, credit codes: the sample's value
        if tag.nullable and name not in (schema.key_field, required) and draw(st.integers(0, 9)) == 0:
            record[name] = None
            continue
        if tag.pii == "resident_id":
            value = draw(resident_ids())
            held[name] = [value]
        elif tag.pii == "phone":
            value = draw(mobiles)
            held[name] = [value]
        elif tag.pii == "name":
            value = draw(names)
            held[name] = [value]
        elif tag.pii == "free_text":
            value, held[name] = draw(free_text())
        elif tag.pii == "region" or name == "region_code":
            value = draw(region_codes())
        elif tag.pii in ("address", "other"):
            value = draw(filler)
        else:
            value = draw(generic)
        record[name] = value
    return record, held


# --- agreement strategy ---------------------------------------------------------------------

def operators_for(schema: DatasetSchema, name: str, upward_deidentified: bool,
                  upward: bool = False) -> list[str]:
    """Operators that fit the field's type (OPERATOR_TYPES) and its values, never L4 in clear.

    Value fit: to_county needs region codes, year_only a date, age_band a birth date (or an ID
    carrying one); other values make them raise (→ dead letter), not deliver. scrub_text and
    generalise_address are free-text and address operators: on a bare name they would leave the
    name readable, so they are not drawn for names (the checks do not refuse that wording).
    """
    kind, tag = field_types(schema)[name], schema.tags[name]
    fits = []
    for op, types in sorted(OPERATOR_TYPES.items()):
        if "*" not in types and kind not in types:
            continue
        if op == "keep" and tag.level == "L4":
            continue
        if op == "keep" and upward_deidentified and kind == "array" and tag.pii:
            continue  # no de-identifying operator applies to an array; refused by the checks
        if op == "keep" and upward and tag.pii == "free_text":
            continue  # refused by the checks: free text goes upward scrubbed at its strictest
        if op == "to_county" and not (tag.pii == "region" or name == "region_code"):
            continue
        if op == "year_only" and kind == "string":
            continue
        if op == "age_band" and not (kind == "date" or tag.pii == "resident_id"):
            continue
        if op in ("scrub_text", "scrub_text_strict", "generalise_address") and tag.pii == "name":
            continue
        if op not in OPERATORS_FOR_PII.get(tag.pii or "", {op}):
            continue  # refused by the checks: it would not de-identify this kind of data
        fits.append(op)
    return fits + ["drop"]


HOLDING = ("resident_id", "phone", "name", "free_text")  # the PII kinds records() tracks


def holding_fields(dataset: str) -> list[str]:
    schema = schemas()[dataset]
    return [n for n, kind in field_types(schema).items()
            if kind == "string" and schema.tags[n].pii in HOLDING]


def forced_candidates(op: str) -> list[tuple[str, str]]:
    """(dataset, field) pairs where ``op`` applies to a field holding identifiers or names."""
    return [(d, n) for d in sorted(SAMPLES) for n in holding_fields(d)
            if op in operators_for(schemas()[d], n, False)]


def mask_spec(draw: st.DrawFn, op: str) -> Any:
    if op != "mask":
        return op
    # At most the display convention (first 6, last 4), which the checks require on L4 fields.
    return {"mask": {"keep_first": draw(st.integers(0, 6)), "keep_last": draw(st.integers(0, 4))}}


@st.composite
def agreements_and_records(draw: st.DrawFn, forced: str | None = None,
                           ) -> tuple[Agreement, dict[str, Any], dict[str, list[str]]]:
    """Any dataset and agreement; with ``forced``, that operator on a field holding an
    identifier or a name (the rest of the agreement still drawn)."""
    forced_field = None
    if forced is None:
        dataset = draw(st.sampled_from(sorted(SAMPLES)))
    else:
        dataset, forced_field = draw(st.sampled_from(forced_candidates(forced)))
    schema, entry = schemas()[dataset], catalogue().entries[dataset]
    region = draw(region_codes())
    level = draw(st.sampled_from(["city", "province", "county"]))
    code = {"city": "350100", "province": "350000", "county": region[:6]}[level]
    upward = level == "province"
    identified = upward and draw(st.booleans())
    fields: dict[str, Any] = {schema.key_field: "keep"}
    # Each field named or not on its own coin (st.sets would favour small agreements and leave
    # most personal-data fields out of most examples).
    for name in (n for n in schema.tags if n != schema.key_field and draw(st.booleans())):
        fields[name] = mask_spec(draw, draw(st.sampled_from(operators_for(
            schema, name, upward and not identified, upward))))
    if forced is not None:
        fields[forced_field] = mask_spec(draw, forced)
    agreement = Agreement.model_validate({
        "id": "prop-test", "version": 1, "provider": entry.provider.department, "dataset": dataset,
        "recipient": {"department": "recipient_dept", "region_code": code, "level": level},
        "purpose": "property test", "legal_basis": "property test", "valid_from": "2026-01-01",
        "valid_to": "2028-01-01", "allow_upward": upward, "upward_identified": identified,
        "fields": fields})
    record, held = draw(records(dataset, region, forced_field))
    return agreement, record, held


# --- the properties -------------------------------------------------------------------------

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreements_and_records())
def test_delivered_records_hold_only_named_fields_and_no_raw_identifier(
        case: tuple[Agreement, dict[str, Any], dict[str, list[str]]]) -> None:
    check_delivery(*case)


# Every operator that is not keep, forced onto a field holding identifiers or names: a random
# agreement alone reaches some operator/field pairs only now and then.
MASKING_OPS = sorted({op for d in SAMPLES for n in holding_fields(d)
                      for op in operators_for(schemas()[d], n, False)} - {"keep", "drop"})


@pytest.mark.parametrize("op", MASKING_OPS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_masking_operator_hides_what_its_field_holds(op: str, data: st.DataObject) -> None:
    agreement, record, held = data.draw(agreements_and_records(forced=op))
    check_delivery(agreement, record, held)


def test_masking_operators_cover_the_identifier_operators() -> None:
    assert {"mask", "mask_name", "mask_phone", "mask_resident_id", "pseudonym",
            "scrub_text"} <= set(MASKING_OPS)


def check_delivery(agreement: Agreement, record: dict[str, Any], held: dict[str, list[str]]) -> None:
    """Route ``record`` under ``agreement``; check deny-by-default and that no identifier or
    name held by a field delivered through a non-keep operator is in the Avro bytes."""
    assert agreement_problems(agreement, catalogue(), schemas()) == [], "the generator draws valid agreements"
    plan = plan_of(agreement.model_dump(by_alias=True, exclude_none=True))
    [delivery] = route(record, [plan], NOW, "prop", "0")  # in force, inside the jurisdiction, no filter
    out = delivery.record

    named = {n for n, spec in agreement.fields.items() if spec.op != "drop"}
    assert set(out) - {"envelope"} <= named
    assert set(out) == {"envelope"} | set(plan.profile)
    assert all(schemas()[agreement.dataset].tags[n].level != "L4" for n, op in plan.profile.items()
               if op == "keep")

    data = encode(plan, out)
    clear = "\x00".join(str(record[n]) for n, op in plan.profile.items() if op == "keep")
    for name, op in plan.profile.items():
        if op == "keep":
            continue
        for raw in held.get(name, []):
            # Only identifiers (resident ID 18, mobile 11, bank card 16-19 characters) and names of
            # 2+ characters are checked: a 1-3 character value (a surname, "区", a digit run) can
            # legitimately turn up by chance inside a masked or scrubbed value, a kept field or
            # the envelope, and would make the property fail for no leak at all.
            if len(raw) < (2 if raw[0] in SURNAMES else 4):
                continue
            # A value the agreement delivers in clear through another field (two fields drawn the
            # same ID) is that field's business, not a leak of this one's mask.
            if raw in clear:
                continue
            assert raw.encode() not in data, f"{name} ({op}) leaks {raw!r}"


@settings(max_examples=60, deadline=None)
@given(free_text())
def test_free_text_embeds_what_it_says(drawn: tuple[str, list[str]]) -> None:
    """The generator's own promise: every identifier it lists is in the text, and scrub_text,
    which finds them by their check rules, masks every one (so the drawn IDs, mobiles and
    cards are ones the scrubber is meant to recognise)."""
    text, found = drawn
    scrubbed = scrub_strict(text)
    for identifier in found:
        assert identifier in text and identifier not in scrubbed

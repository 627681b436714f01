"""Agreements checked on load and against the catalogue and schemas (govbus/core/agreements.py,
govbus/core/agreement_checks.py): the shipped ones are clean, and each kind of mistake is refused
with the file, the field path and a reason a department can act on."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any, Callable

import fastavro
import pytest
import yaml

from govbus.core.agreement_checks import agreement_problems, validate_agreements
from govbus.core.agreements import AGREEMENTS_DIR, Agreement, AgreementSet, load_agreement, load_agreements
from govbus.core.catalogue import CatalogueError, Problem, load_catalogue
from stream_processors.route.logic import mask_for
from tests.support.agreements import (CATALOGUE_DIR, catalogue, encode, hop, hotline_agreement,
                                            plan_of, sample, schemas)

SHIPPED = sorted(p.stem for p in (CATALOGUE_DIR / AGREEMENTS_DIR).glob("*.yaml"))


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    """A copy of the shipped resource catalogue with an empty agreements folder, so each case
    writes exactly the agreement files it is about (and may break its own resources)."""
    shutil.copytree(CATALOGUE_DIR / "resources", tmp_path / "resources")
    (tmp_path / AGREEMENTS_DIR).mkdir()
    return tmp_path


def problems_in(catalogue_dir: Path) -> list[Problem]:
    """Load refusals of every file, then the checks on those that loaded (what `govbus
    agreements validate` reports)."""
    loaded, paths, problems = {}, {}, []
    for path in sorted((catalogue_dir / AGREEMENTS_DIR).glob("*.yaml")):
        try:
            agreement = load_agreement(path)
        except CatalogueError as exc:
            problems += [Problem(path, where, message) for where, message in exc.errors]
            continue
        loaded[agreement.id], paths[agreement.id] = agreement, path
    return problems + validate_agreements(AgreementSet(loaded, paths), load_catalogue(catalogue_dir),
                                          schemas())


def write(catalogue_dir: Path, stem: str, content: dict[str, Any] | str) -> Path:
    path = catalogue_dir / AGREEMENTS_DIR / f"{stem}.yaml"
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True,
                                                                   sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def not_shareable(catalogue_dir: Path) -> None:
    """Make the hotline resource not shareable (with the legal basis such a resource needs)."""
    path = catalogue_dir / "resources" / "hotline.work_order.yaml"
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry |= {"sharing_type": "not_shareable", "legal_basis": "《保密法》第九条"}
    path.write_text(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- the shipped agreements ---------------------------------------------------------------

def test_shipped_agreements_validate_clean() -> None:
    agreements = load_agreements(CATALOGUE_DIR)
    assert sorted(agreements.agreements) == SHIPPED and SHIPPED
    assert validate_agreements(agreements, catalogue(), schemas()) == []


@pytest.mark.parametrize("agreement_id", SHIPPED)
def test_shipped_agreement_compiles_and_its_sample_encodes(agreement_id: str) -> None:
    """Each shipped plan's projected schema parses, and the dataset's sample, routed inside the
    recipient's jurisdiction, encodes against it."""
    agreement = load_agreement(CATALOGUE_DIR / AGREEMENTS_DIR / f"{agreement_id}.yaml")
    assert agreement_problems(agreement, catalogue(), schemas()) == []
    plan = plan_of(agreement.model_dump(by_alias=True, exclude_none=True))
    fastavro.parse_schema(copy.deepcopy(plan.shared_schema))
    record = sample(agreement.dataset, region="350102001001")
    assert encode(plan, mask_for(plan, record, hop(plan)))


# --- refusals, one file ---------------------------------------------------------------------

def fields(**ops: Any) -> dict[str, Any]:
    return {"fields": hotline_agreement()["fields"] | ops}


def without(*names: str) -> dict[str, Any]:
    return {"fields": {k: v for k, v in hotline_agreement()["fields"].items() if k not in names}}


def transport_upward(**overrides: Any) -> dict[str, Any]:
    return hotline_agreement(
        provider="transport", dataset="transport.traffic_incident", allow_upward=True,
        recipient={"department": "emergency_management", "region_code": "350000", "level": "province"},
        fields={"incident_no": "keep", "plate_numbers": "keep"}) | overrides


def merged(**overrides: Any) -> dict[str, Any]:
    return hotline_agreement(**overrides)


REFUSALS: list[tuple[str, dict[str, Any] | str, Callable[[Path], None] | None, str, str]] = [
    # (case, agreement file content, catalogue change, field path, message fragment)
    ("unknown field", merged(**fields(caller_age="keep")), None,
     "fields.caller_age", "unknown field 'caller_age': not in schema hotline.work_order"),
    ("L4 field in clear", merged(**fields(caller_id_no="keep")), None,
     "fields.caller_id_no", "caller_id_no is L4 (highly sensitive) and may not be shared in clear"),
    ("not shareable resource", merged(), not_shareable,
     "dataset", "hotline.work_order is not shareable (catalogue sharing_type)"),
    ("unknown dataset", merged(dataset="hotline.call_log"), None,
     "dataset", "unknown dataset 'hotline.call_log' (not in the catalogue or schemas)"),
    ("wrong provider", merged(provider="market"), None,
     "provider", "'market' does not provide hotline.work_order; the catalogue names 'hotline'"),
    ("operator does not fit the type", merged(**fields(anonymous="mask_phone")), None,
     "fields.anonymous", "operator mask_phone does not apply to a boolean field (it takes string)"),
    ("year_only on an enum", merged(**fields(urgency="year_only")), None,
     "fields.urgency", "operator year_only does not apply to a enum field"),
    ("business key not named", merged(**without("order_no")), None,
     "fields.order_no", "the business key order_no must be delivered with keep or pseudonym"),
    ("business key masked", merged(**fields(order_no={"mask": {"keep_first": 2}})), None,
     "fields.order_no", "the business key order_no must be delivered with keep or pseudonym"),
    ("business key dropped", merged(**fields(order_no="drop")), None,
     "fields.order_no", "the business key order_no must be delivered"),
    ("upward without allow_upward",
     merged(recipient={"department": "emergency_management", "region_code": "350000", "level": "province"}),
     None, "recipient.level", "upward from the city-level provider to a province-level recipient: "
                              "set allow_upward"),
    ("upward default that cannot apply (plates are an array)", transport_upward(), None,
     "fields.plate_numbers", "in an upward flow keep on plate data becomes pseudonym, which does not "
                             "apply to a array field"),
    ("region code finer than level",
     merged(recipient={"department": "public_security", "region_code": "350102", "level": "city"}),
     None, "recipient", "region_code 350102 is finer than level city"),
    ("village code finer than township",
     merged(recipient={"department": "public_security", "region_code": "350102001001", "level": "township"}),
     None, "recipient", "region_code 350102001001 is finer than level township"),
    ("6-digit code at township level would cover the county",
     merged(recipient={"department": "public_security", "region_code": "350102", "level": "township"}),
     None, "recipient", "region_code 350102 is too coarse for level township"),
    ("valid_to before valid_from", merged(valid_from="2027-01-01", valid_to="2026-01-01"), None,
     "valid_to", "valid_to must be after valid_from"),
    ("empty window", merged(valid_from="2027-01-01", valid_to="2027-01-01"), None,
     "valid_to", "valid_to must be after valid_from"),
    ("time without a timezone", merged(valid_from="2026-01-01T08:00:00"), None,
     "valid_from", "a time needs a timezone"),
    ("malformed YAML", "id: hotline-test\nfields: {order_no: keep\n", None,
     "", "malformed YAML: line"),
    ("not a mapping", "- just\n- a list\n", None, "", "expected a mapping, got list"),
    ("unknown operator", merged(**fields(caller_name="blur")), None,
     "fields.caller_name.op", "unknown operator 'blur'; known: drop, age_band"),
    ("negative mask length", merged(**fields(caller_phone={"mask": {"keep_first": -1}})), None,
     "fields.caller_phone.keep_first", "greater than or equal to 0"),
    ("unknown key", merged(recipients=[]), None, "recipients", "Extra inputs are not permitted"),
    ("id does not match the file name", merged(id="hotline-other"), None,
     "id", "'hotline-other' does not match the file name 'hotline-test'"),
    ("no fields", merged(fields={}), None, "fields", "at least 1 item"),
    ("row filter: two tests in one condition",
     merged(row_filter={"field": "demand_type", "eq": "complaint", "in": ["report"]}), None,
     "row_filter", "a field test needs `field` and exactly one of eq, ne, in, not_in, prefix, gte, lte"),
    ("row filter: a test without a field", merged(row_filter={"eq": "complaint"}), None,
     "row_filter", "a field test needs `field`"),
    ("row filter: all and any side by side",
     merged(row_filter={"all": [{"field": "urgency", "eq": "urgent"}],
                        "any": [{"field": "demand_type", "eq": "report"}]}), None,
     "row_filter", "a condition takes one of all, any, not"),
    ("row filter: a field test beside all",
     merged(row_filter={"field": "urgency", "eq": "urgent", "all": []}), None,
     "row_filter", "either all/any/not or a field test, not both"),
    ("row filter: bad nested condition",
     merged(row_filter={"all": [{"field": "urgency", "eq": "urgent", "ne": "normal"}]}), None,
     "row_filter.all.0", "exactly one of eq"),
    ("row filter: unknown field", merged(row_filter={"not": {"field": "caller_age", "gte": 60}}), None,
     "row_filter", "unknown field 'caller_age' in the row filter"),
]


@pytest.mark.parametrize(("content", "change", "where", "message"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refused_with_file_field_and_reason(catalogue_dir: Path, content: dict[str, Any] | str,
                                            change: Callable[[Path], None] | None, where: str,
                                            message: str) -> None:
    path = write(catalogue_dir, "hotline-test", content)
    if change is not None:
        change(catalogue_dir)
    problems = problems_in(catalogue_dir)
    assert problems, "refused"
    assert [(p.file, p.field) for p in problems] == [(path, where)], problems
    assert message in problems[0].message


@pytest.mark.parametrize("content", [
    pytest.param(hotline_agreement(), id="the builder's agreement"),
    pytest.param(transport_upward(upward_identified=True), id="upward plates kept with identities"),
    pytest.param(transport_upward(fields={"incident_no": "keep", "plate_numbers": "drop"}),
                 id="upward plates dropped"),
    pytest.param(hotline_agreement(valid_from="2026-01-01T00:00:00+08:00"), id="aware time"),
    pytest.param(hotline_agreement(fields={"order_no": "pseudonym", "caller_id_no": "mask_resident_id"}),
                 id="pseudonymised key, masked ID"),
    pytest.param(hotline_agreement(row_filter={"all": [{"any": [{"field": "urgency", "eq": "urgent"}]},
                                                       {"not": {"field": "demand_type", "in": ["suggestion"]}}]}),
                 id="nested all/any/not"),
    pytest.param(hotline_agreement(recipient={"department": "urban_management",
                                              "region_code": "350102001000", "level": "township"}),
                 id="township recipient"),
])
def test_accepted(catalogue_dir: Path, content: dict[str, Any]) -> None:
    write(catalogue_dir, "hotline-test", content)
    assert problems_in(catalogue_dir) == []


# --- refusals across files ------------------------------------------------------------------

@pytest.mark.parametrize(("second", "refused"), [
    pytest.param({}, True, id="two active on one recipient topic"),
    pytest.param({"status": "suspended"}, True, id="a suspended one still holds the topic"),
    pytest.param({"valid_from": "2028-01-01", "valid_to": "2029-01-01"}, True,
                 id="later window: amend the first instead"),
    pytest.param({"status": "revoked"}, False, id="revoked one replaced"),
    pytest.param({"recipient": {"department": "public_security", "region_code": "350102",
                                "level": "county"}}, False, id="another jurisdiction"),
    pytest.param({"recipient": {"department": "urban_management", "region_code": "350100",
                                "level": "city"}}, False, id="another department"),
])
def test_one_agreement_per_recipient_and_dataset(catalogue_dir: Path, second: dict[str, Any],
                                                 refused: bool) -> None:
    write(catalogue_dir, "hotline-test", hotline_agreement())
    path = write(catalogue_dir, "hotline-test-2", hotline_agreement(id="hotline-test-2", **second))
    problems = problems_in(catalogue_dir)
    if not refused:
        assert problems == []
        return
    assert [(p.file, p.field) for p in problems] == [(path, "recipient")]
    assert problems[0].message == ("hotline-test already shares hotline.work_order with "
                                   "public_security_350100; amend it instead of adding another")


def test_every_bad_file_is_reported_not_only_the_first(catalogue_dir: Path) -> None:
    """`load_agreements` stops at the first bad file; the validating path reports each one."""
    bad_yaml = write(catalogue_dir, "a-bad-yaml", "id: [\n")
    bad_field = write(catalogue_dir, "b-bad-field", hotline_agreement(id="b-bad-field",
                                                                      **fields(caller_age="keep")))
    write(catalogue_dir, "c-good", hotline_agreement(id="c-good", recipient={
        "department": "x", "region_code": "350100", "level": "city"}))
    with pytest.raises(CatalogueError) as raised:
        load_agreements(catalogue_dir)
    assert raised.value.file == bad_yaml
    assert [(p.file, p.field) for p in problems_in(catalogue_dir)] == [
        (bad_yaml, ""), (bad_field, "fields.caller_age")]


# --- issue 16: free text in upward flows ----------------------------------------------------

PROVINCE = {"recipient": {"department": "emergency_management", "region_code": "350000",
                          "level": "province"}, "allow_upward": True}


@pytest.mark.parametrize(("change", "refused"), [
    ({"content": "keep"}, ["fields.content"]),
    ({"content": "keep", "upward_identified": True}, ["fields.content"]),  # identified or not
    ({"content": "scrub_text"}, []),
    ({"content": "scrub_text_strict"}, []),
    ({"content": "drop"}, []),
    ({"content": "scrub_text", "free_text_purpose": "needs the wording"}, ["free_text_purpose"]),
])
def test_upward_free_text(change: dict[str, Any], refused: list[str]) -> None:
    fields = {"order_no": "keep", "demand_type": "keep", "content": change.pop("content")}
    data = hotline_agreement(fields=fields, **PROVINCE, **change)
    problems = agreement_problems(Agreement.model_validate(data), catalogue(), schemas())
    assert [where for where, _ in problems] == refused
    for _, message in problems:  # names the agreement, the recipient and the flow
        assert "agreement hotline-test" in message and "emergency_management_350000" in message
        assert "upward from the city-level provider hotline" in message


def test_keep_on_free_text_not_upward_is_allowed() -> None:
    data = hotline_agreement(fields={"order_no": "keep", "content": "keep"})
    assert agreement_problems(Agreement.model_validate(data), catalogue(), schemas()) == []


def test_free_text_purpose_must_say_something() -> None:
    with pytest.raises(ValueError, match="free_text_purpose"):
        Agreement.model_validate(hotline_agreement(free_text_purpose="  "))


def test_the_shipped_province_agreement_with_keep_on_content_is_refused(catalogue_dir: Path) -> None:
    shipped = yaml.safe_load((CATALOGUE_DIR / AGREEMENTS_DIR / "hotline-to-province-emergency.yaml")
                             .read_text(encoding="utf-8"))
    write(catalogue_dir, "hotline-to-province-emergency", shipped | {
        "fields": shipped["fields"] | {"content": "keep"}})
    [problem] = problems_in(catalogue_dir)
    assert problem.field == "fields.content"
    assert "keep on the free-text field content is refused in an upward flow" in problem.message

"""Routing by agreement (stream_processors/route/plan.py, filters.py, logic.py), without a
broker: jurisdiction, validity window, row filters, upward de-identification, deny by default,
the delivered level, the audit event and per-agreement pseudonyms."""
from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import fastavro
import pytest

from govbus.core.agreement_checks import agreement_problems
from govbus.core.agreements import AGREEMENTS_DIR, UPWARD_DEFAULT, Agreement, load_agreement
from govbus.core.deadletter import load_bus_schema
from stream_processors.route import masking
from stream_processors.route.logic import audit_event, audit_key, mask_for, route, subject_pseudonyms
from stream_processors.route.plan import agreement_key
from tests.support.agreements import (CATALOGUE_DIR, MASTER_KEY, NOW, SCHEMAS_DIR, catalogue,
                                            encode, hop, hotline_agreement, plan_of, sample, schemas)

COMPONENT, VERSION = "stream_processors.route", "0.0.0-test"
RAW_ID = "35010219850312123X"
UTC = timezone.utc


def hotline(region: str = "350102001001", **fields: Any) -> dict[str, Any]:
    """The hotline sample, its envelope and its region_code field both at ``region``."""
    return sample("hotline.work_order", region=region, region_code=region, **fields)


def recipient(code: str, level: str, department: str = "public_security") -> dict[str, Any]:
    return {"recipient": {"department": department, "region_code": code, "level": level},
            "allow_upward": level == "province"}


def delivered(data: dict[str, Any], record: dict[str, Any], now: datetime = NOW) -> list[dict[str, Any]]:
    return [d.record for d in route(record, [plan_of(data)], now, COMPONENT, VERSION)]


# --- jurisdiction ---------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "level", "region", "admitted"), [
    ("350102", "county", "350102001001", True),      # a county gets its own county
    ("350102", "county", "350102", True),
    ("350102", "county", "350103001001", False),     # and not the neighbouring one
    ("350102", "county", "350100", False),           # nor the city as a whole
    ("350100", "city", "350102001001", True),        # a city gets all its counties
    ("350100", "city", "350121", True),
    ("350100", "city", "350100", True),
    ("350100", "city", "350200001001", False),       # not another city
    ("350102001000", "township", "350102001001", True),
    ("350102001000", "township", "350102002001", False),
    ("350000", "province", "350102001001", True),    # upward: the province gets every city
    ("350000", "province", "350802", True),
    ("350000", "province", "440104", False),         # but not another province
])
def test_jurisdiction(code: str, level: str, region: str, admitted: bool) -> None:
    data = hotline_agreement(**recipient(code, level))
    assert plan_of(data).admits(hotline(region), NOW) is admitted
    assert len(delivered(data, hotline(region))) == int(admitted)


def test_the_envelope_region_decides_not_the_field() -> None:
    """Routing reads the envelope's region code (set by cleaning), not a dataset field."""
    data = hotline_agreement(**recipient("350102", "county"))
    record = sample("hotline.work_order", region="350103001001", region_code="350102001001")
    assert delivered(data, record) == []


# --- validity window and status -------------------------------------------------------------

WINDOW = {"valid_from": "2026-01-01", "valid_to": "2027-01-01"}
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("status", "window", "now", "admitted"), [
    ("active", WINDOW, START - timedelta(seconds=1), False),  # before
    ("active", WINDOW, START, True),                          # from is inclusive
    ("active", WINDOW, datetime(2026, 6, 1, tzinfo=UTC), True),
    ("active", WINDOW, END - timedelta(milliseconds=1), True),
    ("active", WINDOW, END, False),                           # to is exclusive
    ("active", WINDOW, datetime(2027, 6, 1, tzinfo=UTC), False),
    ("revoked", WINDOW, datetime(2026, 6, 1, tzinfo=UTC), False),
    ("suspended", WINDOW, datetime(2026, 6, 1, tzinfo=UTC), False),
    # Beijing midnight is 16:00 UTC the day before.
    ("active", {"valid_from": "2026-01-01T00:00:00+08:00", "valid_to": "2027-01-01"},
     datetime(2025, 12, 31, 16, 0, tzinfo=UTC), True),
    ("active", {"valid_from": "2026-01-01T00:00:00+08:00", "valid_to": "2027-01-01"},
     datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), False),
])
def test_validity_window_and_status(status: str, window: dict[str, str], now: datetime,
                                    admitted: bool) -> None:
    data = hotline_agreement(status=status, **window)
    assert len(delivered(data, hotline(), now)) == int(admitted)


# --- row filters ----------------------------------------------------------------------------

DEMAND = {"field": "demand_type", "eq": "report"}
URGENT = {"field": "urgency", "in": ["urgent", "very_urgent"]}


@pytest.mark.parametrize(("row_filter", "fields", "admitted"), [
    (DEMAND, {"demand_type": "report"}, True),
    (DEMAND, {"demand_type": "complaint"}, False),
    ({"field": "demand_type", "ne": "suggestion"}, {"demand_type": "help"}, True),
    ({"field": "demand_type", "ne": "suggestion"}, {"demand_type": "suggestion"}, False),
    ({"field": "demand_type", "in": ["complaint", "report"]}, {"demand_type": "complaint"}, True),
    ({"field": "demand_type", "in": ["complaint", "report"]}, {"demand_type": "suggestion"}, False),
    ({"field": "demand_type", "not_in": ["suggestion"]}, {"demand_type": "report"}, True),
    ({"field": "demand_type", "not_in": ["suggestion"]}, {"demand_type": "suggestion"}, False),
    ({"field": "category_code", "prefix": "03"}, {"category_code": "0301"}, True),
    ({"field": "category_code", "prefix": "03"}, {"category_code": "0401"}, False),
    ({"field": "address", "prefix": "福州"}, {"address": None}, False),  # null never matches
    ({"field": "category_code", "gte": "0300"}, {"category_code": "0301"}, True),
    ({"field": "category_code", "gte": "0302"}, {"category_code": "0301"}, False),
    ({"field": "category_code", "lte": "0301"}, {"category_code": "0301"}, True),  # bounds inclusive
    ({"field": "category_code", "lte": "0300"}, {"category_code": "0301"}, False),
    ({"field": "accepted_at", "gte": datetime(2026, 1, 1, tzinfo=UTC)},
     {"accepted_at": datetime(2026, 3, 1, tzinfo=UTC)}, True),
    ({"field": "accepted_at", "lte": datetime(2026, 1, 1, tzinfo=UTC)},
     {"accepted_at": datetime(2026, 3, 1, tzinfo=UTC)}, False),
    ({"field": "address", "gte": "A"}, {"address": None}, False),  # not comparable: no match
    ({"all": [DEMAND, URGENT]}, {"demand_type": "report", "urgency": "urgent"}, True),
    ({"all": [DEMAND, URGENT]}, {"demand_type": "report", "urgency": "normal"}, False),
    ({"any": [DEMAND, URGENT]}, {"demand_type": "complaint", "urgency": "urgent"}, True),
    ({"any": [DEMAND, URGENT]}, {"demand_type": "complaint", "urgency": "normal"}, False),
    ({"not": DEMAND}, {"demand_type": "complaint"}, True),
    ({"not": DEMAND}, {"demand_type": "report"}, False),
    ({"all": [{"not": DEMAND}, {"any": [URGENT, {"field": "channel", "eq": "app"}]}]},
     {"demand_type": "help", "urgency": "normal", "channel": "app"}, True),
    ({"all": [{"not": DEMAND}, {"any": [URGENT, {"field": "channel", "eq": "app"}]}]},
     {"demand_type": "help", "urgency": "normal", "channel": "phone"}, False),
    ({"all": []}, {}, True),
    ({"any": []}, {}, False),
])
def test_row_filter(row_filter: dict[str, Any], fields: dict[str, Any], admitted: bool) -> None:
    data = hotline_agreement(row_filter=row_filter)
    assert len(delivered(data, hotline(**fields))) == int(admitted)


# --- upward de-identification ---------------------------------------------------------------

UPWARD_FIELDS = {"order_no": "keep", "demand_type": "keep", "content": "keep", "address": "keep",
                 "region_code": "keep", "caller_name": "keep", "caller_phone": "keep",
                 "caller_id_no": "pseudonym", "anonymous": "keep"}


@pytest.mark.parametrize(("level", "identified", "expected"), [
    ("province", False, {"order_no": "keep", "demand_type": "keep", "content": "scrub_text_strict",
                         "address": "generalise_address", "region_code": "to_county",
                         "caller_name": "mask_name", "caller_phone": "mask_phone",
                         "caller_id_no": "pseudonym", "anonymous": "keep"}),
    # upward_identified: keep stays keep, except on free text (strictest scrub upward, always)
    ("province", True, UPWARD_FIELDS | {"content": "scrub_text_strict"}),
    # not upward: as written, except free text without a free-text purpose (pii_policy)
    ("city", False, UPWARD_FIELDS | {"content": "scrub_text_strict"}),
])
def test_upward_flow_deidentifies_keep_on_personal_data(level: str, identified: bool,
                                                        expected: dict[str, str]) -> None:
    code = {"province": "350000", "city": "350100"}[level]
    plan = plan_of(hotline_agreement(fields=UPWARD_FIELDS, upward_identified=identified,
                                     **recipient(code, level)))
    assert plan.profile == expected
    tags = schemas()["hotline.work_order"].tags
    for name, op in plan.profile.items():  # what replaced keep is the table's default
        if op != UPWARD_FIELDS[name]:
            assert op == UPWARD_DEFAULT[tags[name].pii]


def test_upward_delivery_values() -> None:
    plan = plan_of(hotline_agreement(fields=UPWARD_FIELDS, **recipient("350000", "province")))
    [out] = [d.record for d in route(hotline(), [plan], NOW, COMPONENT, VERSION)]
    assert out["region_code"] == "350102"
    assert out["caller_name"] == "张*" and out["caller_phone"] == "138****8000"
    assert out["address"] == "福州市鼓楼区"
    assert "13800138000" not in out["content"]
    assert out["order_no"] == "GD2025030100001"


@pytest.mark.parametrize(("field", "written", "effective"), [
    ("patient_birth_date", "keep", "year_only"),
    ("patient_name", "keep", "mask_name"),
    ("patient_phone", "keep", "mask_phone"),
    ("current_address", "keep", "generalise_address"),
    ("disease_name", "keep", "keep"),     # health data is not identifying once the person is hidden
    ("patient_sex", "keep", "keep"),
    ("reporting_org_name", "keep", "keep"),  # no PII kind: as written
    ("patient_id_no", "mask_resident_id", "mask_resident_id"),  # explicit operators stand
])
def test_upward_defaults_for_health_reports(field: str, written: str, effective: str) -> None:
    data = load_agreement(CATALOGUE_DIR / AGREEMENTS_DIR / "health-case-to-province-cdc.yaml")
    data = data.model_dump(by_alias=True, exclude_none=True)
    data["fields"] = {"report_id": {"op": "keep"}, field: {"op": written}}
    assert plan_of(data).profile[field] == effective


# --- deny by default ------------------------------------------------------------------------

SHIPPED = sorted(p.stem for p in (CATALOGUE_DIR / AGREEMENTS_DIR).glob("*.yaml"))


@pytest.mark.parametrize("agreement_id", SHIPPED)
def test_only_named_fields_are_delivered(agreement_id: str) -> None:
    agreement = load_agreement(CATALOGUE_DIR / AGREEMENTS_DIR / f"{agreement_id}.yaml")
    plan = plan_of(agreement.model_dump(by_alias=True, exclude_none=True))
    record = sample(agreement.dataset, region="350102001001")
    if agreement.dataset == "gov_service.application":  # its agreement shares organisations only
        record["applicant_type"] = "legal_person"
    [delivery] = route(record, [plan], NOW, COMPONENT, VERSION)
    named = {n for n, spec in agreement.fields.items() if spec.op != "drop"}
    assert set(delivery.record) == {"envelope"} | set(plan.profile)
    assert set(plan.profile) <= named  # an upward default may drop more, never add
    assert set(record) - set(delivery.record) >= set(schemas()[agreement.dataset].tags) - named


def test_explicit_drop_and_unnamed_fields_are_not_delivered() -> None:
    data = hotline_agreement(fields={"order_no": "keep", "caller_phone": "drop"})
    [out] = delivered(data, hotline())
    assert set(out) == {"envelope", "order_no"}


def test_no_agreement_in_force_no_delivery() -> None:
    assert route(hotline(), [], NOW, COMPONENT, VERSION) == []
    closed = [plan_of(hotline_agreement(status="revoked")),
              plan_of(hotline_agreement(valid_from="2020-01-01", valid_to="2021-01-01")),
              plan_of(hotline_agreement(**recipient("350103", "county"))),
              plan_of(hotline_agreement(row_filter={"field": "demand_type", "eq": "suggestion"}))]
    assert route(hotline(), closed, NOW, COMPONENT, VERSION) == []


# --- classification and lineage of the delivered record -------------------------------------

@pytest.mark.parametrize(("dataset", "fields", "expected"), [
    ("hotline.work_order", {"order_no": "keep"}, "L2"),
    ("hotline.work_order", {"order_no": "keep", "content": "keep"}, "L2"),  # no free-text purpose: scrubbed
    ("hotline.work_order", {"order_no": "keep", "content": "scrub_text"}, "L2"),    # de-identified
    ("hotline.work_order", {"order_no": "keep", "caller_id_no": "pseudonym"}, "L2"),  # L4 pseudonymised
    ("city.indicator", {"series_id": "keep", "value": "keep"}, "L1"),
    ("city.indicator", {"series_id": "keep", "indicator_name": "mask"}, "L2"),     # masked counts L2
    ("health.case_report", {"report_id": "keep", "disease_name": "keep"}, "L3"),
])
def test_delivered_classification(dataset: str, fields: dict[str, str], expected: str) -> None:
    provider = {"hotline.work_order": "hotline", "city.indicator": "city_ops",
                "health.case_report": "health"}[dataset]
    plan = plan_of(hotline_agreement(provider=provider, dataset=dataset, fields=fields))
    assert plan.classification == expected
    record = sample(dataset, region="350102")
    out = mask_for(plan, record, hop(plan))
    assert out["envelope"]["classification"] == expected
    assert record == sample(dataset, region="350102")  # the source record is not changed
    assert encode(plan, out)


def test_lineage_hop_names_the_agreement() -> None:
    plan = plan_of(hotline_agreement(version=3))
    record = hotline()
    [out] = delivered(hotline_agreement(version=3), record)
    assert out["envelope"]["lineage"][:-1] == record["envelope"]["lineage"]
    assert out["envelope"]["lineage"][-1] == {
        "stage": "route", "component": COMPONENT, "version": VERSION, "agreement_id": "hotline-test",
        "agreement_version": 3, "time": NOW}
    assert record["envelope"]["lineage"] == sample("hotline.work_order")["envelope"]["lineage"]
    assert plan.recipient_id == "public_security_350100"


# --- the audit event ------------------------------------------------------------------------

def audit_for(data: dict[str, Any], record: dict[str, Any], master: bytes = MASTER_KEY) -> dict[str, Any]:
    [delivery] = route(record, [plan_of(data)], NOW, COMPONENT, VERSION)
    subjects = subject_pseudonyms(record, ("caller_id_no",), audit_key(master))
    return audit_event(delivery, record, "shared.public_security_350100.hotline.work_order",
                       subjects, NOW, COMPONENT, VERSION)


def test_audit_event_fields() -> None:
    record = hotline(caller_id_no=RAW_ID)
    event = audit_for(hotline_agreement(), record)
    expected_ops = {"order_no": "keep", "demand_type": "keep", "content": "scrub_text_strict",
                    "region_code": "keep", "caller_name": "mask_name", "caller_phone": "mask_phone",
                    "caller_id_no": "pseudonym"}
    assert event["fields_delivered"] == [n for n in schemas()["hotline.work_order"].tags if n in expected_ops]
    assert event["operators"] == expected_ops
    assert event["mask_profile"].startswith("sha256:") and len(event["mask_profile"]) == 23
    assert {k: event[k] for k in ("event_id", "dataset", "recipient", "agreement_id",
                                  "agreement_version", "purpose", "delivered_at", "processor",
                                  "processor_version")} == {
        "event_id": record["envelope"]["event_id"], "dataset": "hotline.work_order",
        "recipient": "public_security_350100", "agreement_id": "hotline-test", "agreement_version": 1,
        "purpose": "unit-test purpose", "delivered_at": NOW, "processor": COMPONENT,
        "processor_version": VERSION}
    # It fits the bus's audit schema.
    schema = fastavro.parse_schema(load_bus_schema(SCHEMAS_DIR, "govbus.bus.AuditDelivery"))
    fastavro.schemaless_writer(io.BytesIO(), schema, event)


@pytest.mark.parametrize(("change", "same_id"), [
    ({}, True),                                  # re-delivery of the same record: same audit id
    ({"purpose": "another purpose"}, True),      # not part of the identity of a delivery
    ({"version": 2}, False),
    ({"id": "hotline-other"}, False),
    ({"recipient": {"department": "health", "region_code": "350100", "level": "city"}}, False),
])
def test_audit_id_is_deterministic(change: dict[str, Any], same_id: bool) -> None:
    first = audit_for(hotline_agreement(), hotline())["audit_id"]
    assert (audit_for(hotline_agreement(**change), hotline())["audit_id"] == first) is same_id


def test_audit_id_differs_per_event() -> None:
    other = hotline()
    other["envelope"] = other["envelope"] | {"event_id": "00000000-0000-5000-8000-000000000001"}
    assert audit_for(hotline_agreement(), hotline())["audit_id"] != audit_for(hotline_agreement(), other)["audit_id"]


def test_audit_subjects_are_keyed_pseudonyms_never_raw_ids() -> None:
    record = hotline(caller_id_no=RAW_ID)
    event = audit_for(hotline_agreement(), record)
    [subject] = event["subject_pseudonyms"]
    assert subject == masking.pseudonym(audit_key(MASTER_KEY), "GB11643", RAW_ID)
    assert subject.startswith("v1:") and len(subject) == 67
    text = json.dumps(event, default=str, ensure_ascii=False)
    assert RAW_ID not in text and RAW_ID.lower() not in text
    # Keyed: another master key gives another pseudonym; and it is not the recipient's pseudonym.
    assert audit_for(hotline_agreement(), record, b"another-key")["subject_pseudonyms"] != [subject]
    [out] = delivered(hotline_agreement(), record)
    assert out["caller_id_no"] != subject


def test_audit_subjects_skip_missing_ids() -> None:
    assert audit_for(hotline_agreement(), hotline(caller_id_no=None))["subject_pseudonyms"] == []


# --- pseudonyms -----------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [
    RAW_ID, RAW_ID.lower(), f" {RAW_ID} ",
    "３５０１０２１９８５０３１２１２３Ｘ",    # full-width
])
def test_same_person_same_pseudonym_within_an_agreement(spelling: str) -> None:
    [a] = delivered(hotline_agreement(), hotline(caller_id_no=RAW_ID))
    [b] = delivered(hotline_agreement(), hotline(caller_id_no=spelling, order_no="GD-other"))
    assert a["caller_id_no"] == b["caller_id_no"]
    assert a["caller_id_no"] == masking.pseudonym(agreement_key(MASTER_KEY, "hotline-test"),
                                                  "GB11643", RAW_ID)


def test_old_15_digit_id_joins_its_18_digit_form() -> None:
    [a] = delivered(hotline_agreement(), hotline(caller_id_no="11010519491231002X"))
    [b] = delivered(hotline_agreement(), hotline(caller_id_no="110105491231002"))
    assert a["caller_id_no"] == b["caller_id_no"]


@pytest.mark.parametrize(("other", "master"), [
    pytest.param({"id": "hotline-other", "recipient": {"department": "health", "region_code": "350100",
                                                       "level": "city"}}, MASTER_KEY, id="another agreement"),
    pytest.param({}, b"rotated-master-key", id="another master key"),
])
def test_different_pseudonym_across_agreements(other: dict[str, Any], master: bytes) -> None:
    record = hotline(caller_id_no=RAW_ID)
    first = mask_for(plan_of(hotline_agreement()), record, {})
    second_plan = plan_of(hotline_agreement(**other), master)
    second = mask_for(second_plan, record, {})
    assert first["caller_id_no"] != second["caller_id_no"]
    assert RAW_ID not in (first["caller_id_no"], second["caller_id_no"])


def test_different_people_different_pseudonyms() -> None:
    [a] = delivered(hotline_agreement(), hotline(caller_id_no=RAW_ID))
    [b] = delivered(hotline_agreement(), hotline(caller_id_no="11010519491231002X"))
    assert a["caller_id_no"] != b["caller_id_no"]


# --- the projected schema of the recipient's topic ------------------------------------------

def _one_field_cases() -> list[Any]:
    cases = []
    for dataset, schema in sorted(schemas().items()):
        for name, tag in schema.tags.items():
            if name != schema.key_field and tag.level != "L4":
                cases.append(pytest.param(dataset, name, id=f"{dataset}.{name}"))
    return cases


PROVIDERS = {"hotline.work_order": "hotline", "gov_service.application": "gov_service",
             "market.enterprise_registration": "market", "health.case_report": "health",
             "transport.traffic_incident": "transport", "fire.alarm": "fire",
             "population.resident": "public_security", "city.indicator": "city_ops"}


@pytest.mark.parametrize(("dataset", "field"), _one_field_cases())
def test_each_field_delivered_alone_projects_a_schema_that_encodes(dataset: str, field: str) -> None:
    """A kept field may use a named type defined in a field the agreement does not deliver
    (gov_service previous_status uses status's enum): the projection must still define it."""
    key = schemas()[dataset].key_field
    data = hotline_agreement(provider=PROVIDERS[dataset], dataset=dataset,
                             fields={key: "keep", field: "keep"})
    assert agreement_problems(Agreement.model_validate(data), catalogue(), schemas()) == []
    plan = plan_of(data)
    record = sample(dataset, region="350102")
    assert set(mask_for(plan, record, hop(plan))) == {"envelope", key, field}
    assert encode(plan, mask_for(plan, record, hop(plan)))


@pytest.mark.parametrize("status", ["keep", "drop"])
def test_named_type_survives_the_projection(status: str) -> None:
    data = hotline_agreement(provider="gov_service", dataset="gov_service.application",
                             fields={"application_no": "keep", "status": status, "previous_status": "keep"})
    assert agreement_problems(Agreement.model_validate(data), catalogue(), schemas()) == []
    plan = plan_of(data)
    record = sample("gov_service.application", region="350102", previous_status="accepted")
    out = mask_for(plan, record, hop(plan))
    decoded = fastavro.schemaless_reader(io.BytesIO(encode(plan, out)),
                                         fastavro.parse_schema(copy.deepcopy(plan.shared_schema)))
    assert decoded["previous_status"] == "accepted"
    assert ("status" in decoded) is (status == "keep")

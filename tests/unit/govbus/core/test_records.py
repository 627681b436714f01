"""check_record / coerce_record, and every schema parsing and round-tripping through fastavro."""
from __future__ import annotations

import copy
import io
import json
import time
import uuid
from datetime import date, datetime, timezone
from typing import Any

import fastavro
import pytest

from govbus.core.records import check_record, coerce_record, record_checker
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import PROJECT_ROOT
from tests.support.samples import BUS_SAMPLES, SAMPLES, T0

SCHEMAS_DIR = PROJECT_ROOT / "schemas" / "avro"
DELETE = object()


@pytest.fixture(scope="module")
def schemas() -> dict[str, DatasetSchema]:
    """The shipped dataset schemas plus the bus-owned ones, wrapped alike so one test covers
    both (bus schemas have no envelope and no business key)."""
    found = dict(load_schemas(SCHEMAS_DIR))
    for path in sorted((SCHEMAS_DIR / "bus").glob("*.avsc")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        name = f"{raw['namespace']}.{raw['name']}"
        found[name] = DatasetSchema(name, "", raw, path)
    return found


ALL_SAMPLES = {**SAMPLES, **BUS_SAMPLES}


def _with(dataset: str, changes: dict[str, Any]) -> dict[str, Any]:
    """SAMPLES[dataset] with dotted-path ``changes`` applied (DELETE removes the key)."""
    record = copy.deepcopy(ALL_SAMPLES[dataset])
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = record
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return record


def _uuids_as_str(value: Any) -> Any:
    """fastavro reads logicalType uuid back as uuid.UUID; records carry canonical strings."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _uuids_as_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_uuids_as_str(v) for v in value]
    return value


def _jsonish(value: Any) -> Any:
    """What a JSON adapter hands over: ISO strings for dates and times."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    return value


# --- every schema parses, every sample is valid and round-trips -----------------------------

def test_every_dataset_schema_has_a_sample(schemas: dict[str, DatasetSchema]) -> None:
    assert set(SAMPLES) == {d for d in schemas if not d.startswith("govbus.bus.")}
    assert set(BUS_SAMPLES) == {d for d in schemas if d.startswith("govbus.bus.")}


@pytest.mark.parametrize("dataset", sorted(ALL_SAMPLES))
def test_sample_is_valid_and_round_trips_through_fastavro(
        schemas: dict[str, DatasetSchema], dataset: str) -> None:
    schema = schemas[dataset]
    record = ALL_SAMPLES[dataset]
    assert check_record(schema, record) == []
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema.parsed, record, strict=True)
    buffer.seek(0)
    assert _uuids_as_str(fastavro.schemaless_reader(buffer, schema.parsed)) == record


@pytest.mark.parametrize("dataset", sorted(SAMPLES))
def test_dataset_schema_is_documented_and_keyed(
        schemas: dict[str, DatasetSchema], dataset: str) -> None:
    schema = schemas[dataset]
    assert schema.schema["fields"][0]["name"] == "envelope"
    assert schema.key_field in schema.tags
    undocumented = [f["name"] for f in schema.schema["fields"] if not f.get("doc")]
    assert undocumented == []


# --- check_record ---------------------------------------------------------------------------

CHECK_CASES = [
    ("hotline.work_order", {"order_no": DELETE}, [("missing_field", "order_no")]),
    ("hotline.work_order", {"order_no": None}, [("missing_field", "order_no")]),
    ("hotline.work_order", {"channel": "fax"}, [("bad_enum", "channel")]),
    ("hotline.work_order", {"channel": 3}, [("wrong_type", "channel")]),
    ("hotline.work_order", {"accepted_at": "2025-03-01"}, [("wrong_type", "accepted_at")]),
    ("hotline.work_order", {"accepted_at": datetime(2025, 3, 1)}, [("wrong_type", "accepted_at")]),
    ("hotline.work_order", {"accepted_at": 1740789000000}, []),
    ("hotline.work_order", {"anonymous": "false"}, [("wrong_type", "anonymous")]),
    ("hotline.work_order", {"caller_phone": 13800138000}, [("wrong_type", "caller_phone")]),
    ("hotline.work_order", {"caller_phone": DELETE, "anonymous": DELETE}, []),
    ("hotline.work_order", {"callr_phone": "13800138000"}, [("unknown_field", "callr_phone")]),
    ("hotline.work_order", {"envelope.classification": "L5"},
     [("bad_enum", "envelope.classification")]),
    ("hotline.work_order", {"envelope.event_id": "not-a-uuid"},
     [("wrong_type", "envelope.event_id")]),
    ("hotline.work_order", {"envelope.event_id": uuid.uuid4()}, []),
    ("hotline.work_order", {"envelope.lineage": [{"stage": 1}]},
     [("wrong_type", "envelope.lineage[0].stage"),
      ("missing_field", "envelope.lineage[0].component"),
      ("missing_field", "envelope.lineage[0].version"),
      ("missing_field", "envelope.lineage[0].time")]),
    ("hotline.work_order", {"channel": "fax", "urgency": DELETE, "anonymous": 0},
     [("bad_enum", "channel"), ("wrong_type", "anonymous"), ("missing_field", "urgency")]),
    ("transport.traffic_incident", {"plate_numbers": ["闽A12345", 7]},
     [("wrong_type", "plate_numbers[1]")]),
    ("transport.traffic_incident", {"deaths": 2**31}, [("wrong_type", "deaths")]),
    ("transport.traffic_incident", {"deaths": True}, [("wrong_type", "deaths")]),
    ("transport.traffic_incident", {"longitude": "119.3"}, [("wrong_type", "longitude")]),
    ("transport.traffic_incident", {"longitude": 119}, []),
    ("gov_service.application", {"previous_status": "pending"}, [("bad_enum", "previous_status")]),
    ("market.enterprise_registration",
     {"established_on": datetime(2018, 6, 8, tzinfo=timezone.utc)},
     [("wrong_type", "established_on")]),
    ("market.enterprise_registration", {"established_on": "2018-06-08"},
     [("wrong_type", "established_on")]),
    ("govbus.bus.AuditDelivery", {"operators": {"content": 1}},
     [("wrong_type", "operators[content]")]),
    ("govbus.bus.EmergencyIncident", {"grade": "V"}, [("bad_enum", "grade")]),
]


@pytest.mark.parametrize(("dataset", "changes", "expected"), CHECK_CASES)
def test_check_record_names_each_bad_field(schemas: dict[str, DatasetSchema], dataset: str,
                                           changes: dict[str, Any],
                                           expected: list[tuple[str, str]]) -> None:
    faults = check_record(schemas[dataset], _with(dataset, changes))
    assert [(f.reason, f.field) for f in faults] == expected
    assert all(f.rule.startswith("avro.") and f.message for f in faults)


def test_check_record_refuses_a_non_mapping(schemas: dict[str, DatasetSchema]) -> None:
    faults = check_record(schemas["fire.alarm"], ["not", "a", "record"])  # type: ignore[arg-type]
    assert [(f.reason, f.field) for f in faults] == [("wrong_type", "")]


def test_fault_messages_never_echo_the_value(schemas: dict[str, DatasetSchema]) -> None:
    record = _with("hotline.work_order", {"caller_id_no": 35010219850312123, "channel": "张三"})
    messages = " ".join(f.message for f in check_record(schemas["hotline.work_order"], record))
    assert "35010219850312123" not in messages and "张三" not in messages


def test_checker_is_rebuilt_when_the_schema_changes(schemas: dict[str, DatasetSchema]) -> None:
    original = schemas["city.indicator"]
    narrowed = copy.deepcopy(original.schema)
    narrowed["fields"] = [f for f in narrowed["fields"] if f["name"] != "source_system"]
    changed = DatasetSchema(original.dataset, original.key_field, narrowed, original.path)
    sample = SAMPLES["city.indicator"]
    assert [(f.reason, f.field) for f in check_record(changed, sample)] == [
        ("unknown_field", "source_system")]
    assert check_record(original, sample) == []


def test_checker_keeps_up_with_a_busy_topic(schemas: dict[str, DatasetSchema]) -> None:
    """Generous bound (the compiled checker does >100k/s on a laptop); catches a regression to
    per-record schema walking, not a slow CI machine."""
    check = record_checker(schemas["hotline.work_order"])
    record = SAMPLES["hotline.work_order"]
    start = time.perf_counter()
    for _ in range(10_000):
        check(record)
    assert time.perf_counter() - start < 1.0


# --- coerce_record --------------------------------------------------------------------------

COERCE_CASES = [
    ("hotline.work_order", "accepted_at", "2025-03-01T08:30:00", T0),  # naive: China time
    ("hotline.work_order", "accepted_at", "2025-03-01 08:30:00", T0),
    ("hotline.work_order", "accepted_at", "2025-03-01T00:30:00Z", T0),
    ("hotline.work_order", "accepted_at", "2025-03-01T08:30:00+08:00", T0),
    ("hotline.work_order", "accepted_at", 1740789000000, T0),
    ("hotline.work_order", "accepted_at", "1740789000000", T0),
    ("hotline.work_order", "accepted_at", 1740789000000.0, T0),
    ("hotline.work_order", "accepted_at", datetime(2025, 3, 1, 8, 30), T0),
    ("hotline.work_order", "accepted_at", "2025-03-01T00:30:00.123456Z",
     T0.replace(microsecond=123000)),
    ("hotline.work_order", "anonymous", "TRUE", True),
    ("hotline.work_order", "caller_name", None, None),
    ("market.enterprise_registration", "established_on", "2018-06-08", date(2018, 6, 8)),
    ("market.enterprise_registration", "established_on", "20180608", date(2018, 6, 8)),
    ("market.enterprise_registration", "established_on", 17690, date(2018, 6, 8)),
    ("market.enterprise_registration", "registered_capital", "500", 500.0),
    ("market.enterprise_registration", "registered_capital", " 5e2 ", 500.0),
    ("market.enterprise_registration", "registered_capital", 500, 500.0),
    ("transport.traffic_incident", "deaths", "3", 3),
    ("transport.traffic_incident", "deaths", 3.0, 3),
    ("transport.traffic_incident", "road_closed", "false", False),
    ("transport.traffic_incident", "plate_numbers", ("闽A12345",), ["闽A12345"]),
    ("fire.alarm", "floor", "-1", -1),
    ("govbus.bus.AuditDelivery", "event_id", "6F9619FF-8B86-4D11-B42D-00C04FC964FF",
     "6f9619ff-8b86-4d11-b42d-00c04fc964ff"),
]


@pytest.mark.parametrize(("dataset", "field", "given", "expected"), COERCE_CASES)
def test_coerce_converts_jsonish_values(schemas: dict[str, DatasetSchema], dataset: str,
                                        field: str, given: Any, expected: Any) -> None:
    result = coerce_record(schemas[dataset], _with(dataset, {field: given}))
    assert isinstance(result, Ok), result
    assert result.value[field] == expected
    assert type(result.value[field]) is type(expected)


def test_coerce_fills_defaults(schemas: dict[str, DatasetSchema]) -> None:
    record = _with("transport.traffic_incident",
                   {"plate_numbers": DELETE, "deaths": DELETE, "description": DELETE})
    result = coerce_record(schemas["transport.traffic_incident"], record)
    assert isinstance(result, Ok)
    assert (result.value["plate_numbers"], result.value["deaths"],
            result.value["description"]) == ([], 0, None)


def test_coerce_honours_another_naive_time_zone(schemas: dict[str, DatasetSchema]) -> None:
    record = _with("fire.alarm", {"alarm_at": "2025-03-01T00:30:00"})
    result = coerce_record(schemas["fire.alarm"], record, naive_tz=timezone.utc)
    assert isinstance(result, Ok) and result.value["alarm_at"] == T0


COERCE_FAULTS = [
    ("transport.traffic_incident", {"deaths": "3.5"}, ("wrong_type", "deaths")),
    ("transport.traffic_incident", {"deaths": "three"}, ("wrong_type", "deaths")),
    ("transport.traffic_incident", {"occurred_at": "yesterday"}, ("wrong_type", "occurred_at")),
    ("market.enterprise_registration", {"established_on": "2018-06-08T10:00:00"},
     ("wrong_type", "established_on")),
    ("hotline.work_order", {"channel": "fax"}, ("bad_enum", "channel")),
    ("hotline.work_order", {"order_no": DELETE}, ("missing_field", "order_no")),
    # The first fault in schema order wins: order_no comes before channel.
    ("hotline.work_order", {"channel": "fax", "order_no": 7}, ("wrong_type", "order_no")),
]


@pytest.mark.parametrize(("dataset", "changes", "expected"), COERCE_FAULTS)
def test_coerce_returns_the_first_fault(schemas: dict[str, DatasetSchema], dataset: str,
                                        changes: dict[str, Any],
                                        expected: tuple[str, str]) -> None:
    result = coerce_record(schemas[dataset], _with(dataset, changes))
    assert isinstance(result, Fault)
    assert (result.reason, result.field) == expected


@pytest.mark.parametrize("dataset", sorted(ALL_SAMPLES))
def test_coerce_turns_the_json_form_of_every_sample_back_into_it(
        schemas: dict[str, DatasetSchema], dataset: str) -> None:
    sample = ALL_SAMPLES[dataset]
    result = coerce_record(schemas[dataset], _jsonish(sample))
    assert result == Ok(sample)


def test_coerce_does_not_touch_its_input(schemas: dict[str, DatasetSchema]) -> None:
    given = _jsonish(SAMPLES["fire.alarm"])
    before = copy.deepcopy(given)
    coerce_record(schemas["fire.alarm"], given)
    assert given == before


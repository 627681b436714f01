"""The triggering records' view and index (consumers/feed/records.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from consumers.feed.records import ENCRYPTED, RecordIndex, record_view

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def envelope(event_id: str, dataset: str, **extra) -> dict:
    return {"event_id": event_id, "event_time": T0, "dataset": dataset, "region_code": "350102",
            "classification": "L3", "lineage": [
                {"stage": "ingest", "agreement_id": None, "agreement_version": None},
                {"stage": "route", "agreement_id": "fire-alarm-to-emergency-fz", "agreement_version": 2}]} | extra


def alarm(n: int, minutes: int = 0, **fields) -> dict:
    return {"envelope": envelope(f"e{n}", "fire.alarm"), "alarm_id": f"FA-{n}", "device_id": f"SD-{n}",
            "device_type": "smoke_detector", "building_name": "东街口商业大厦", "address": "福州市东街口8号",
            "floor": 3, "region_code": "350102001001", "alarm_type": "fire", "value": 0.7, "unit": "dB/m",
            "threshold": None, "alarm_at": T0 + timedelta(minutes=minutes)} | fields


def test_a_fire_alarm_shows_time_place_sensor_and_readings_under_its_agreement():
    view = record_view(alarm(1, 5), "shared.emergency_management_350100.fire.alarm", "emergency_management_350100")
    assert view["time"] == "2025-03-01T08:05:00+00:00" and view["region_code"] == "350102001001"
    assert [p["value"] for p in view["place"]] == ["东街口商业大厦", "福州市东街口8号", "3"]
    assert view["sensor"] == [{"field": "device_type", "value": "smoke_detector"},
                              {"field": "device_id", "value": "SD-1"}]
    assert view["readings"] == [{"field": "value", "value": "0.7"}, {"field": "unit", "value": "dB/m"}]  # no threshold
    assert (view["agreement_id"], view["agreement_version"]) == ("fire-alarm-to-emergency-fz", 2)


def test_a_work_order_shows_its_scrubbed_text_and_an_encrypted_field_stays_unread():
    order = {"envelope": envelope("w1", "hotline.work_order"), "order_no": "GD1", "accepted_at": T0,
             "category_code": "0110", "demand_type": "help", "content": "燃气泄漏，王**，139****5678",
             "address": b"\x01ciphertext", "region_code": "350102", "urgency": "urgent"}
    view = record_view(order, "t", "emergency_management_350000")
    assert view["text"] == [{"field": "content", "value": "燃气泄漏，王**，139****5678"}]
    assert view["place"] == [{"field": "address", "value": ENCRYPTED}]


def test_an_unknown_dataset_shows_its_envelope_and_a_record_without_event_id_nothing():
    view = record_view({"envelope": envelope("x1", "other.thing")}, "t", "r")
    assert (view["time_ms"], view["region_code"], view["text"]) == (int(T0.timestamp() * 1000), "350102", [])
    assert record_view({"envelope": {"event_id": ""}}, "t", "r") is None and record_view({}, "t", "r") is None


def test_the_index_lists_an_incidents_records_newest_first_and_keeps_a_bounded_number():
    index = RecordIndex(capacity=3)
    for n, minutes in ((1, 3), (2, 1), (3, 2), (4, 9)):
        index.add(record_view(alarm(n, minutes), "t", "r"))
    assert len(index) == 3 and index.evicted == 1          # e1, the first in, went first
    found, missing = index.triggering(["e1", "e2", "e3", "e4", "e2"])
    assert [v["event_id"] for v in found] == ["e4", "e3", "e2"] and missing == ["e1"]
    index.add(record_view(alarm(2, 1), "t2", "r2"))          # delivered again (another recipient): kept once
    assert len(index) == 3 and index.triggering(["e2"])[0][0]["topic"] == "t2"

"""A generated emergency scenario with known answers, in three parts around a detector restart.

Event times start at T0 (2025-03-01 00:00Z); "hour h" is T0 + h hours.
- Hotline: 3 water-supply orders an hour for 24 hours in district A (350102) and in the quiet
  control district B (350103); in hour 24, 15 in A (a spike: 15 >= 3 x 3 and >= 10), 3 in B;
  then 3 an hour again until hour 30, so A's spike resolves 2 hours after hour 24 ends.
  One order in hour 26 smells gas in a community of A (triage).
- Fire alarms: a burst of 12 in county A between 24:30 and 24:38:30 (6 before the restart, 6
  after, three of them reported late but within the allowed lateness) → grade IV at the 5th, III at the 10th; sporadic alarms in A and in the
  control county B every 15 minutes until 26:30 keep the clocks going; a false alarm and a test
  alarm that must not count; one alarm far too late, sent last.
- Water level of series WATER.LEVEL:350102: above 7.0 m from 25:00, ≥ 7.5 at 28:00, back
  under from 29:00 → open, escalated, resolved at 31:00 (3 hours clear).
- Traffic accident SG…001: first reported with 2 deaths (IV), an hour later with 3 (III:
  escalated); a minor one raises nothing.
Records are sent in event-time order, except those the scenario delays on purpose.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
A, B = "350102", "350103"
GAS_COMMUNITY = "350102001001"


def at(hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes, seconds=seconds)


TIME_FIELDS = {"hotline.work_order": "accepted_at", "fire.alarm": "alarm_at",
               "city.indicator": "observed_at", "transport.traffic_incident": "occurred_at"}


@dataclass
class Part:
    sends: list[tuple[datetime, int, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, dataset: str, record: dict[str, Any], sent_at: datetime | None = None) -> None:
        """A record, sent when it happens unless ``sent_at`` says otherwise (a delayed report)."""
        self.sends.append((sent_at or record[TIME_FIELDS[dataset]], len(self.sends), dataset, record))

    @property
    def records(self) -> list[tuple[str, dict[str, Any]]]:
        """(dataset, record) in sending order: a live feed is in event-time order, give or take
        the delays a scenario gives on purpose."""
        return [(dataset, record) for _, _, dataset, record in sorted(self.sends, key=lambda s: s[:2])]


def order(seq: int, when: datetime, county: str, category: str = "0502",
          content: str = "小区停水两天了，没有通知，请尽快恢复供水。", village: str = "001001",
          demand: str = "complaint") -> dict[str, Any]:
    return {"order_no": f"GD{seq:013d}", "channel": "phone", "accepted_at": when, "demand_type": demand,
            "category_code": category, "content": content, "address": None,
            "region_code": county + village, "caller_name": None, "caller_phone": None,
            "caller_id_no": None, "anonymous": True, "urgency": "normal"}


def alarm(seq: int, when: datetime, county: str, alarm_type: str = "fire",
          confirmation: str = "unconfirmed") -> dict[str, Any]:
    return {"alarm_id": f"FA-{seq:06d}", "device_id": f"SD-{seq:04d}-01", "device_type": "smoke_detector",
            "building_id": f"BLD-{county}-{seq:04d}", "building_name": "东街口商业大厦",
            "address": "福州市东街口8号", "floor": None, "region_code": county + "001001",
            "longitude": None, "latitude": None, "alarm_type": alarm_type, "value": None, "unit": None,
            "threshold": None, "alarm_at": when, "confirmation": confirmation, "cleared_at": None}


def reading(when: datetime, value: float) -> dict[str, Any]:
    return {"series_id": f"WATER.LEVEL:{A}", "indicator_code": "WATER.LEVEL", "indicator_name": "闽江水位",
            "region_code": A, "value": value, "unit": "m", "period": "hour", "observed_at": when,
            "quality": "good", "source_system": None}


def accident(number: str, when: datetime, deaths: int, serious: int, loss: float) -> dict[str, Any]:
    return {"incident_no": number, "occurred_at": when, "incident_type": "vehicle_collision",
            "severity": "major" if deaths else "minor", "location": "福州绕城高速K12+300",
            "region_code": "350121", "longitude": None, "latitude": None, "plate_numbers": [],
            "vehicles_involved": 2, "deaths": deaths, "serious_injuries": serious, "minor_injuries": 0,
            "direct_loss_cny": loss, "road_closed": True, "reported_by": "police", "description": None}


def _hotline(first: Part, second: Part) -> None:
    seq = 0
    for hour in range(30):
        if hour == 26:
            second.add("hotline.work_order", order(9_000_001, at(26, 10), A, "0110",
                                                   "楼道里闻到很浓的燃气味，怀疑燃气泄漏！", demand="help"))
        for county in (A, B):
            n = 15 if (hour == 24 and county == A) else 3
            for i in range(n):
                seq += 1
                record = order(seq, at(hour, minutes=i * 60 / n + (1 if county == B else 0)), county)
                # The spike straddles the restart: 12 of its 15 orders before, 3 after.
                (first if hour < 24 or (hour == 24 and i < 12) else second).add("hotline.work_order", record)


def _fire(first: Part, second: Part) -> None:
    for i in range(6):
        first.add("fire.alarm", alarm(100 + i, at(24, 30 + i), A))
    for i in range(6):  # the first three reported after the last three: out of order, within lateness
        second.add("fire.alarm", alarm(106 + i, at(24, 36, 30 * i), A), at(24, 38, 45) if i < 3 else None)
    second.add("fire.alarm", alarm(150, at(24, 37), A, confirmation="false_alarm"))
    second.add("fire.alarm", alarm(151, at(24, 37), A, alarm_type="test"))
    for k in range(11):  # 24:00 … 26:30, every 15 minutes, in both counties
        when = at(24, 15 * k)
        (first if k < 2 else second).add("fire.alarm", alarm(200 + k, when, B))
        if when > at(24, 45):
            second.add("fire.alarm", alarm(300 + k, when, A))


def _water(first: Part, second: Part) -> None:
    levels = [6.5, 7.2, 7.4, 7.3, 7.6, 6.8, 6.5, 6.2, 6.0, 5.8]  # hours 24 … 33
    for k, level in enumerate(levels):
        (first if k < 4 else second).add("city.indicator", reading(at(24 + k), level))


def _traffic(first: Part, second: Part) -> None:
    first.add("transport.traffic_incident", accident("SG20250302001", at(25), 2, 0, 0.0))
    first.add("transport.traffic_incident", accident("SG20250302002", at(25, 5), 0, 0, 5000.0))
    second.add("transport.traffic_incident", accident("SG20250302001", at(25), 3, 0, 0.0), at(26))


def build() -> tuple[Part, Part, Part]:
    """(before the restart, after it, the late alarm)."""
    first, second, late = Part(), Part(), Part()
    _hotline(first, second)
    _fire(first, second)
    _water(first, second)
    _traffic(first, second)
    late.add("fire.alarm", alarm(999, at(24, 35), A))  # 2 hours behind the clock: late
    return first, second, late


def stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S") + f".{when.microsecond // 1000:03d}Z"


EXPECTED_IDS = {
    "fire": f"fire.alarm_burst/{A}/{stamp(at(24, 34))}",               # the 5th alarm
    "spike": f"hotline.category_spike/{A}:0502/{stamp(at(24, 36))}",    # the 10th order (every 4 min)
    "water": f"city.water_level_above_warning/WATER.LEVEL:{A}/{stamp(at(27))}",  # 3rd reading above
    "accident": f"transport.accident_grade/SG20250302001/{stamp(at(25))}",
    "gas": f"hotline.triage_accident/{GAS_COMMUNITY}:gas_leak/{stamp(at(26, 10))}",
}

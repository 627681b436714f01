"""A generated week of raw records and dead letters for the quality scorecards (issue 19), with
known defects, and the scorecard figures computed from it WITHOUT the quality role's code.

Departments: health (case reports), public_security (population base), gov_service
(applications), and market (the enterprise register the applications refer to). Defects, by a
seeded RNG: required fields missing, records ingested late, event ids re-sent, a business key
re-sent under a new event id, patients who are not residents, USCCs not registered, dead letters
at the process and adapter stages, quiet hours, and a day the population base sent nothing.
"""
from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

HOUR, DAY = 3_600_000, 86_400_000
WEEK_START = 1_764_547_200_000  # 2025-12-01T00:00:00Z
KEY = b"quality-test-pseudonym-key"


@dataclass
class Event:
    """A raw record (``letter`` None) or a dead letter, as the role would see it."""

    dataset: str
    event_ms: int
    ingest_ms: int
    record: dict[str, Any] = field(default_factory=dict)
    letter: dict[str, Any] | None = None
    offset: int = 0


def _id_no(rng: random.Random) -> str:
    return f"350102{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}X"


def _uscc(rng: random.Random) -> str:
    return "91350100" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(10))


def _envelope(rng: random.Random, event_ms: int) -> dict[str, Any]:
    return {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "event_time": event_ms}


class WeekBuilder:
    def __init__(self, seed: int, per_hour: int) -> None:
        self.rng, self.per_hour = random.Random(seed), per_hour
        self.events: list[Event] = []
        self.residents: list[str] = []
        self.enterprises: list[str] = []
        self.dlq_offsets: dict[str, int] = defaultdict(int)

    def add(self, dataset: str, event_ms: int, record: dict[str, Any], late: bool = False) -> Event:
        delay = self.rng.randint(25 * HOUR, 36 * HOUR) if late else self.rng.randint(0, 20 * 60_000)
        event = Event(dataset, event_ms, event_ms + delay, record)
        self.events.append(event)
        return event

    def letter(self, dataset: str, department: str, event_ms: int, stage: str, reason: str, rule: str) -> None:
        letter = {"dataset": dataset, "owner_department": department, "reason": reason, "rule": rule,
                  "field_path": rule.split(".")[0], "stage": stage}
        offset = self.dlq_offsets[dataset]
        self.dlq_offsets[dataset] += 1
        self.events.append(Event(dataset, event_ms, event_ms + 90_000, letter=letter, offset=offset))

    def maybe_blank(self, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        if self.rng.random() < 0.1:
            record[self.rng.choice(fields)] = self.rng.choice([None, "", "  "])
        return record

    def resident(self, t: int) -> None:
        id_no = _id_no(self.rng)
        self.residents.append(id_no)
        record = {"envelope": _envelope(self.rng, t), "person_no": f"P{len(self.residents)}", "id_no": id_no,
                  "name": "张三", "sex": "1", "birth_date": 1, "household_address": "福州市鼓楼区",
                  "household_region_code": "350102", "status": "normal"}
        self.add("population.resident", t, self.maybe_blank(record, ["name", "household_address"]),
                 late=self.rng.random() < 0.05)

    def enterprise(self, t: int) -> None:
        uscc = _uscc(self.rng)
        self.enterprises.append(uscc)
        record = {"envelope": _envelope(self.rng, t), "uscc": uscc, "enterprise_name": "某公司",
                  "enterprise_type": "llc", "legal_representative": "李四", "registered_address": "福州",
                  "region_code": "350102", "status": "active"}
        self.add("market.enterprise_registration", t, record)

    def case_report(self, t: int) -> None:
        known = self.residents and self.rng.random() > 0.1
        record = {"envelope": _envelope(self.rng, t), "report_id": f"R{len(self.events)}",
                  "patient_id_no": self.rng.choice(self.residents) if known else _id_no(self.rng),
                  "region_code": "350102", "disease_code": "A01", "case_classification": "confirmed",
                  "diagnosed_at": t, "reporting_org_code": "H1", "reported_at": t}
        event = self.add("health.case_report", t, self.maybe_blank(record, ["disease_code", "patient_id_no"]),
                         late=self.rng.random() < 0.08)
        self._defects(event, "health", "GB11643.check")

    def application(self, t: int) -> None:
        known = self.enterprises and self.rng.random() > 0.1
        uscc = self.rng.choice(self.enterprises) if known else _uscc(self.rng)
        record = {"envelope": _envelope(self.rng, t), "application_no": f"A{len(self.events)}",
                  "service_item_code": "S1", "region_code": "350102", "applicant_type": "legal_person",
                  "applicant_uscc": uscc if self.rng.random() > 0.2 else None, "status": "submitted",
                  "submitted_at": t}
        event = self.add("gov_service.application", t, self.maybe_blank(record, ["status"]),
                         late=self.rng.random() < 0.03)
        self._defects(event, "gov_service", "GB32100.check")

    def _defects(self, event: Event, department: str, rule: str) -> None:
        roll = self.rng.random()
        if roll < 0.03:  # the same record re-sent: same event id
            self.events.append(Event(event.dataset, event.event_ms, event.ingest_ms + 1000, dict(event.record)))
        elif roll < 0.06:  # the same business record under a new event id
            again = dict(event.record) | {"envelope": _envelope(self.rng, event.event_ms)}
            self.events.append(Event(event.dataset, event.event_ms, event.ingest_ms + 2000, again))
        elif roll < 0.11:
            self.letter(event.dataset, department, event.event_ms, "process", "bad_check_char", rule)
        elif roll < 0.13:
            self.letter(event.dataset, department, event.event_ms, "adapter", "missing_field", "row.required")
        elif roll < 0.14:
            self.letter(event.dataset, department, event.event_ms, "sink", "pool_refused", "pool.column")


def generate_week(seed: int = 19, per_hour: int = 6, days: int = 7) -> list[Event]:
    """The events of the week in ingest order (as a stream would bring them)."""
    week = WeekBuilder(seed, per_hour)
    for hour in range(days * 24):
        start = WEEK_START + hour * HOUR
        if hour // 24 != 3:  # day 4: the population base sends nothing
            for _ in range(week.rng.randint(1, 3)):
                week.resident(start + week.rng.randrange(HOUR))
        week.enterprise(start + week.rng.randrange(HOUR))
        quiet = week.rng.random() < 0.1  # an hour with no case report
        for _ in range(0 if quiet else week.rng.randint(1, per_hour)):
            week.case_report(start + week.rng.randrange(HOUR))
        for _ in range(week.rng.randint(0, per_hour)):
            week.application(start + week.rng.randrange(HOUR))
    return sorted(week.events, key=lambda e: e.ingest_ms)

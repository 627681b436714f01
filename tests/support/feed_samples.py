"""Emergency incidents for the feed's tests: valid against govbus.bus.EmergencyIncident."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def incident(incident_id: str = "INC-1", **overrides: Any) -> dict[str, Any]:
    """An incident opened at T0; ``minutes`` moves its updated_at that many minutes on."""
    minutes = overrides.pop("minutes", 0)
    record = {
        "incident_id": incident_id, "rule_id": "transport.accident_grade",
        "category": "accident_disaster", "grade": "III", "warning_colour": "yellow",
        "state": "open", "region_code": "350102", "dataset": "transport.traffic_incident",
        "title": "道路交通事故 3 人死亡", "summary": "deaths=3 meets grade III",
        "opened_at": T0, "updated_at": T0 + timedelta(minutes=minutes), "resolved_at": None,
        "triggering_event_ids": ["6f9619ff-8b86-4d11-b42d-00c04fc964ff"],
        "matched_terms": ["deaths>=3"], "version": 1, "actions": [],
    }
    return record | overrides

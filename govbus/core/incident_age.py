"""How long incidents have waited for an operator (``govbus_incident_unacknowledged_age_seconds``):
pure, shared by the detector (incidents in its state, times in ms) and the feed (decoded, datetimes)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from govbus.core.rules import Grade

# Not acknowledged by anyone yet: open, or escalated by a rising grade before anyone acknowledged it.
UNACKNOWLEDGED = frozenset({"open", "escalated"})


def epoch_seconds(value: object) -> float | None:
    """A time as Unix seconds: a time-zone-aware datetime, or epoch milliseconds (Avro timestamp-millis)."""
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 1000.0
    return None


def unacknowledged_ages(incidents: Iterable[Mapping[str, Any] | None], now: float) -> dict[str, float]:
    """Per grade (every grade, 0 when none waits): seconds since the oldest open, unacknowledged
    incident of that grade was opened."""
    ages = {grade.value: 0.0 for grade in Grade}
    for incident in incidents:
        if incident is None or incident.get("state") not in UNACKNOWLEDGED:
            continue
        opened = epoch_seconds(incident.get("opened_at"))
        grade = str(incident.get("grade"))
        if opened is not None and grade in ages:
            ages[grade] = max(ages[grade], max(0.0, now - opened))
    return ages

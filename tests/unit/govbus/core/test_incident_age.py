"""How long incidents have waited for an operator, by grade (govbus.core.incident_age)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from govbus.core.incident_age import epoch_seconds, unacknowledged_ages

NOW = 10_000.0


@pytest.mark.parametrize(("incidents", "expected"), [
    ([], {"I": 0.0, "II": 0.0, "III": 0.0, "IV": 0.0}),
    ([{"state": "open", "grade": "I", "opened_at": 9_000_000}], {"I": 1000.0}),       # epoch ms
    ([{"state": "escalated", "grade": "II", "opened_at": datetime.fromtimestamp(9_940, timezone.utc)}],
     {"II": 60.0}),                                                                  # a datetime
    ([{"state": "acknowledged", "grade": "I", "opened_at": 0},
      {"state": "resolved", "grade": "I", "opened_at": 0}], {"I": 0.0}),             # not waiting
    ([{"state": "open", "grade": "III", "opened_at": 9_990_000},
      {"state": "open", "grade": "III", "opened_at": 9_000_000}], {"III": 1000.0}),  # the oldest
    ([{"state": "open", "grade": "IV", "opened_at": None}, None], {"IV": 0.0}),      # no time: skipped
    ([{"state": "open", "grade": "I", "opened_at": 11_000_000}], {"I": 0.0}),        # future: 0
])
def test_unacknowledged_ages(incidents, expected):
    ages = unacknowledged_ages(incidents, NOW)
    assert set(ages) == {"I", "II", "III", "IV"}
    assert {g: ages[g] for g in expected} == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1_500, 1.5), (datetime.fromtimestamp(7, timezone.utc), 7.0), (datetime(2026, 1, 1), None),
    (None, None), (True, None), ("12", None),
])
def test_epoch_seconds(value, expected):
    assert epoch_seconds(value) == expected

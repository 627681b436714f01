"""Operators' commands to the detector (govbus.core.incident_commands): grades an escalation can
reach, and which actions would change nothing (refused or a no-op) before anything is sent."""
from __future__ import annotations

import pytest

from govbus.core.incident_commands import action_problem, parse_incident_id, raised_grade


@pytest.mark.parametrize(("current", "asked", "expected"), [
    ("IV", "", "III"), ("II", "", "I"), ("I", "", None),
    ("IV", "I", "I"), ("III", "II", "II"), ("III", "III", None), ("II", "IV", None), ("IV", "V", None),
])
def test_raised_grade(current, asked, expected):
    assert raised_grade(current, asked) == expected


OPEN = {"state": "open", "grade": "IV"}


@pytest.mark.parametrize(("current", "action", "grade", "expected"), [
    (None, "ack", "", ("refused", "no such incident")),
    ({"state": "resolved", "grade": "IV"}, "note", "", ("refused", "already resolved")),
    ({"state": "acknowledged", "grade": "IV"}, "ack", "", ("noop", "already acknowledged")),
    ({"state": "open", "grade": "I"}, "escalate", "", ("noop", "already at grade I")),
    (OPEN, "escalate", "IV", ("noop", "grade IV is not above IV")),
    (OPEN, "escalate", "II", None), (OPEN, "ack", "", None), (OPEN, "note", "", None),
    ({"state": "acknowledged", "grade": "IV"}, "resolve", "", None),
])
def test_action_problem(current, action, grade, expected):
    assert action_problem(current, action, grade) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("fire.alarm_burst/350102/20250301T083000.000Z", ("fire.alarm_burst", "350102")),
    ("a/b", None), ("a//c", None), ("", None), ("a/b/c/d", None),
])
def test_parse_incident_id(text, expected):
    assert parse_incident_id(text) == expected

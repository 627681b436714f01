"""Agreement activations and revocations as the processor sees them (agreement_book.py), and
the actions they become (agreement_actions.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from stream_processors.agreement_actions import change_action
from stream_processors.agreement_book import AgreementChange, agreement_changes

ON, OFF = True, False


@pytest.mark.parametrize(("before", "after", "expected"), [
    ({}, {"a": (1, ON, "p")}, [("a", 1, "activated")]),                       # first load
    ({"a": (1, ON, "p")}, {"a": (1, ON, "p")}, []),                           # nothing changed
    ({"a": (1, ON, "p")}, {"a": (1, OFF, "p")}, [("a", 1, "revoked")]),       # status: revoked
    ({"a": (1, ON, "p")}, {}, [("a", 1, "revoked")]),                         # file removed or refused
    ({"a": (1, OFF, "p")}, {"a": (1, ON, "p")}, [("a", 1, "activated")]),     # restored
    ({"a": (1, ON, "p")}, {"a": (2, ON, "p")}, [("a", 1, "revoked"), ("a", 2, "activated")]),
    ({"a": (1, OFF, "p")}, {}, []),                                           # was not applied anyway
    ({}, {"a": (1, OFF, "p")}, []),
])
def test_changes_between_two_loads(before, after, expected) -> None:
    assert [(c.agreement_id, c.version, c.kind) for c in agreement_changes(before, after, "f1")] == expected


def test_every_worker_sends_the_same_action_for_the_same_change() -> None:
    change = AgreementChange("a", 1, "revoked", "no longer in force", "f1", "purpose")
    one = change_action(change, datetime(2026, 1, 1, tzinfo=timezone.utc))
    two = change_action(change, datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert one["action_id"] == two["action_id"] and one["action"] == "agreement.revoked"
    assert (one["agreement_id"], one["agreement_version"], one["target"]) == ("a", 1, "a@1")
    again = change_action(AgreementChange("a", 1, "revoked", "x", "f2", "p"), datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert again["action_id"] != one["action_id"]  # revoked again after a later change of the folder

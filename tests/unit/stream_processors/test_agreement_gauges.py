"""Agreements in force and seconds to expiry, from the plans and the time (agreement_book.agreement_gauges)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from govbus.core.agreements import Status
from stream_processors.agreement_book import agreement_gauges

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
DAY = 86_400.0


def plan(agreement_id: str, status: Status, start_days: float, end_days: float, recipient: str = "r"):
    start, end = NOW + timedelta(days=start_days), NOW + timedelta(days=end_days)
    agreement = SimpleNamespace(id=agreement_id, status=status, valid_from=start, valid_to=end,
                                in_force=lambda now: status is Status.active and start <= now < end)
    return SimpleNamespace(agreement=agreement, recipient_id=recipient)


@pytest.mark.parametrize(("plans", "active", "expiry"), [
    ([], 0, {}),
    ([plan("a", Status.active, -10, 30)], 1, {("a", "r"): 30 * DAY}),
    ([plan("a", Status.active, -10, -2)], 0, {("a", "r"): -2 * DAY}),          # expired: negative, not active
    ([plan("a", Status.revoked, -10, 30)], 0, {}),                              # revoked: nothing to watch
    ([plan("a", Status.suspended, -10, 30)], 0, {}),
    ([plan("a", Status.active, 5, 30)], 0, {("a", "r"): 30 * DAY}),            # not yet valid
    ([plan("a", Status.active, -1, 1, "p"), plan("b", Status.active, -1, 2, "q")], 2,
     {("a", "p"): DAY, ("b", "q"): 2 * DAY}),
])
def test_agreement_gauges(plans, active, expiry):
    assert agreement_gauges(plans, NOW) == (active, expiry)

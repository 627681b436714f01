"""A plan's compiled admission test (route/filters.py ``compile_admission``) says what its
agreement's ``in_force`` says, at the window's edges and for every status, and then asks the
jurisdiction and the row filter."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from govbus.core.agreements import Agreement
from tests.support.agreements import hotline_agreement, plan_of, sample

UTC = timezone.utc
FROM, TO = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
TIMES = [FROM - timedelta(seconds=1), FROM, FROM + timedelta(days=300), TO - timedelta(microseconds=1),
         TO, TO + timedelta(days=1)]


@pytest.mark.parametrize("status", ["active", "suspended", "revoked"])
@pytest.mark.parametrize("now", TIMES)
def test_it_is_in_force_exactly_when_the_agreement_says_so(status: str, now: datetime) -> None:
    data = hotline_agreement(status=status)
    record = sample("hotline.work_order", region="350102001001")
    assert plan_of(data).admits(record, now) is Agreement.model_validate(data).in_force(now)


@pytest.mark.parametrize(("region", "row_filter", "admitted"), [
    ("350102001001", None, True),
    ("350202001001", None, False),  # another city: outside the recipient's jurisdiction
    ("350102001001", {"field": "demand_type", "eq": "complaint"}, True),
    ("350102001001", {"field": "demand_type", "eq": "consultation"}, False),
])
def test_then_the_jurisdiction_and_the_row_filter_decide(region: str, row_filter: dict | None,
                                                         admitted: bool) -> None:
    data = hotline_agreement(row_filter=row_filter)
    record = sample("hotline.work_order", region=region, demand_type="complaint")
    assert plan_of(data).admits(record, FROM + timedelta(days=1)) is admitted

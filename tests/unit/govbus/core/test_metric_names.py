"""The PromQL reader behind the dashboards' and alerts' check: which names an expression selects."""
from __future__ import annotations

import pytest

from govbus.core.metric_names import CONTRACT_METRICS, contract_series, metric_names_in, unknown_names

CASES = [
    ("up", {"up"}),
    ('min by (role, instance_name) (up{role!=""})', {"up"}),
    ("sum by (role, group, topic) (govbus_consumer_lag_records{role=\"process\"})", {"govbus_consumer_lag_records"}),
    ("histogram_quantile(0.95, sum by (le, dataset, stage) (rate(govbus_freshness_seconds_bucket[$__rate_interval])))",
     {"govbus_freshness_seconds_bucket"}),
    ("sum by (department) (increase(govbus_dlq_records_total[1h])) > 0", {"govbus_dlq_records_total"}),
    ("min by (agreement) (govbus_agreement_expiry_seconds) < 30 * 86400", {"govbus_agreement_expiry_seconds"}),
    ("time() - max by (pool) (govbus_audit_checkpoint_timestamp_seconds)",
     {"govbus_audit_checkpoint_timestamp_seconds"}),
    # a label value that looks like a name, a keyword, an offset, a binary operation with on()
    ('rate(a_total{reason="by b"}[5m] offset 1h) / on (x) group_left (y) c', {"a_total", "c"}),
    ("a and b unless c or d", {"a", "b", "c", "d"}),
    ("sum without (partition) (x) > bool 1e3", {"x"}),
    ('govbus_outage{role=~"${role}"} == 1', {"govbus_outage"}),
    ('{__name__="x"}', set()),  # no selector by name outside matchers: nothing to check
]


@pytest.mark.parametrize(("expr", "names"), CASES)
def test_names_in_an_expression(expr: str, names: set[str]) -> None:
    assert metric_names_in(expr) == names


def test_a_histogram_is_its_three_series_and_not_its_bare_name() -> None:
    series = contract_series()
    assert {"govbus_freshness_seconds_bucket", "govbus_freshness_seconds_sum",
            "govbus_freshness_seconds_count"} <= series
    assert "govbus_freshness_seconds" not in series
    assert unknown_names("rate(govbus_stage_latency_seconds_bucket[5m])") == {"govbus_stage_latency_seconds_bucket"}


def test_counters_carry_their_total_suffix() -> None:
    counters = [name for name in CONTRACT_METRICS if "records_total" in name or "requests" in name]
    assert counters and all(name.endswith("_total") for name in counters)

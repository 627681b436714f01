"""`govbus status`'s view model from parsed inputs (no broker, no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from commands.status.model import (
    Scrape, StatusView, Target, audit_pools, counter_totals, dead_letters_by_department, expiring_agreements,
    group_lags, incidents_by_grade, needs_attention, parse_metrics, parse_targets, rates, role_row)
from govbus.core.result import Fault, Ok

PROCESS = Target("process", "process-1234", "127.0.0.1:9401")
FEED = Target("feed", "feed-1", "127.0.0.1:9405")
DETECT = Target("detect", "detect-1", "127.0.0.1:9402")

EXPOSITION = """\
# TYPE govbus_role_ready gauge
govbus_role_ready{role="process"} 1.0
# TYPE govbus_outage gauge
govbus_outage{role="process",dependency="broker"} 0.0
govbus_outage{role="process",dependency="registry"} 1.0
# TYPE govbus_consumer_lag_records gauge
govbus_consumer_lag_records{role="process",group="g",topic="raw.a",partition="0"} 5.0
govbus_consumer_lag_records{role="process",group="g",topic="raw.a",partition="1"} 7.0
# TYPE govbus_consumer_lag_seconds gauge
govbus_consumer_lag_seconds{role="process",group="g",topic="raw.a"} 12.5
# TYPE govbus_deliveries counter
govbus_deliveries_total{recipient="r1",dataset="d",agreement="a"} 10.0
govbus_deliveries_total{recipient="r2",dataset="d",agreement="b"} 4.0
govbus_deliveries_created{recipient="r1",dataset="d",agreement="a"} 1.7e9
"""


def samples(text: str = EXPOSITION) -> dict:
    parsed = parse_metrics(text)
    assert isinstance(parsed, Ok)
    return parsed.value


@pytest.mark.parametrize(("text", "expected"), [
    ('[{"targets": ["127.0.0.1:9401"], "labels": {"role": "process", "instance_name": "process-1"}}]',
     [Target("process", "process-1", "127.0.0.1:9401")]),
    ('[{"targets": ["h:1", "h:2"], "labels": {"role": "sink"}}]',  # no instance_name: the address
     [Target("sink", "h:1", "h:1"), Target("sink", "h:2", "h:2")]),
    ("[]", []),
])
def test_targets_files_in_the_file_sd_format(text: str, expected: list[Target]) -> None:
    assert parse_targets(text, "t.json") == Ok(expected)


@pytest.mark.parametrize("text", ["{", '{"targets": []}', '[{"labels": {}}]', '["x"]'])
def test_a_damaged_targets_file_is_a_fault_naming_it(text: str) -> None:
    found = parse_targets(text, "/s/targets/p-1.json")
    assert isinstance(found, Fault) and "/s/targets/p-1.json" in found.message


def test_metrics_text_keeps_series_names_and_labels() -> None:
    parsed = samples()
    assert parsed["govbus_deliveries_total"][0] == ({"recipient": "r1", "dataset": "d", "agreement": "a"}, 10.0)
    assert isinstance(parse_metrics("govbus_x{"), Fault)


ROLE_CASES = [
    ("up, ready, waiting for the registry, lag summed over partitions, oldest age",
     Scrape(PROCESS, samples()), (True, True, ("registry",), 12.0, 12.5)),
    ("down: error kept, ready unknown", Scrape(PROCESS, error="ConnectionRefusedError"),
     (False, None, (), None, None)),
    ("no gauge: /readyz answered 503", Scrape(FEED, {}, ready_answer=False), (True, False, (), None, None)),
    ("not ready by the gauge", Scrape(PROCESS, samples('govbus_role_ready{role="process"} 0\n')),
     (True, False, (), None, None)),
]


@pytest.mark.parametrize(("why", "scrape", "expected"), ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_role_rows(why: str, scrape: Scrape, expected: tuple) -> None:
    row = role_row(scrape)
    assert (row.up, row.ready, row.outages, row.lag_records, row.lag_seconds) == expected


@pytest.mark.parametrize(("before", "after", "seconds", "expected"), [
    ({"r1": 10.0}, {"r1": 40.0}, 10.0, {"r1": 3.0}),
    ({}, {"r1": 5.0}, 5.0, {"r1": 1.0}),             # a recipient that appeared: from 0
    ({"r1": 100.0}, {"r1": 20.0}, 10.0, {"r1": 2.0}),  # the role restarted: its counter restarted at 0
    ({"r1": 1.0}, {"r1": 2.0}, 0.0, {}),
])
def test_rates_between_two_reads(before: dict, after: dict, seconds: float, expected: dict) -> None:
    assert rates(before, after, seconds) == expected


def test_counters_add_up_over_instances() -> None:
    two = [Scrape(PROCESS, samples()), Scrape(Target("process", "process-2", "h:9402"), samples())]
    assert counter_totals(two, "govbus_deliveries_total", "recipient") == {"r1": 20.0, "r2": 8.0}


def test_open_incidents_add_a_roles_instances_and_take_the_larger_view() -> None:
    detect = 'govbus_incidents_open{grade="I",state="open"} 2\ngovbus_incidents_open{grade="II",state="open"} 1\n'
    detect_2 = 'govbus_incidents_open{grade="I",state="open"} 1\n'
    feed = 'govbus_incidents_open{grade="I",state="open"} 3\ngovbus_incidents_open{grade="II",state="acked"} 0\n'
    scrapes = [Scrape(DETECT, samples(detect)), Scrape(Target("detect", "detect-2", "h:1"), samples(detect_2)),
               Scrape(FEED, samples(feed))]
    assert incidents_by_grade(scrapes) == {"I": 3, "II": 1}


def test_audit_pools_from_the_audit_sinks_gauges() -> None:
    text = ('govbus_audit_chain_length{pool="audit"} 120\ngovbus_audit_verify_ok{pool="audit"} 0\n'
            'govbus_audit_verify_timestamp_seconds{pool="audit"} 1000\n'
            'govbus_audit_checkpoint_timestamp_seconds{pool="audit"} 400\n')
    (pool,) = audit_pools([Scrape(Target("audit-sink", "a", "h:1"), samples(text))], now=1060.0)
    assert (pool.pool, pool.chain_length, pool.verify_ok, pool.verified_seconds_ago,
            pool.checkpoint_seconds_ago) == ("audit", 120, False, 60.0, 660.0)
    assert audit_pools([Scrape(PROCESS, samples())], now=0) == []


NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize(("valid_to", "active", "listed"), [
    (NOW + timedelta(days=10), True, True),
    (NOW + timedelta(days=30), True, True),
    (NOW + timedelta(days=31), True, False),
    (NOW - timedelta(days=1), True, False),   # already ended: not "expiring"
    (NOW + timedelta(days=3), False, False),  # revoked / suspended
])
def test_agreements_expiring_within_30_days(valid_to: datetime, active: bool, listed: bool) -> None:
    found = expiring_agreements([("a1", "dept_350100", "hotline.work_order", valid_to, active)], NOW)
    assert bool(found) == listed
    if listed:
        assert found[0].days_left == round((valid_to - NOW).total_seconds() / 86400, 1)


def test_expiring_agreements_soonest_first() -> None:
    rows = [("late", "r", "d", NOW + timedelta(days=20), True), ("soon", "r", "d", NOW + timedelta(days=2), True)]
    assert [e.agreement for e in expiring_agreements(rows, NOW)] == ["soon", "late"]


def test_group_lag_is_end_minus_committed_summed_per_topic() -> None:
    committed = {"g": {("raw.a", 0): 10, ("raw.a", 1): -1001, ("gone", 0): 5}, "h": {("raw.a", 0): 15}}
    ends = {("raw.a", 0): 15, ("raw.a", 1): 4}
    assert [(x.group, x.topic, x.lag, x.partitions) for x in group_lags(committed, ends)] == [
        ("g", "raw.a", 9, 2), ("h", "raw.a", 0, 1)]  # never committed (-1001): the whole partition


def test_dead_letters_go_to_the_providing_department() -> None:
    counts = {"hotline.work_order": 3, "fire.alarm": 0, "city.indicator": 2, "unknown.ds": 1}
    departments = {"hotline.work_order": "hotline", "city.indicator": "hotline", "fire.alarm": "fire"}
    assert dead_letters_by_department(counts, departments) == {"?": 1, "hotline": 5}


def _view(**changes: object) -> StatusView:
    base: dict = dict(taken_at="t", roles=[role_row(Scrape(PROCESS, samples()))], group_lags=[],
                      deliveries_per_second=None, records_per_second=None, deliveries_total={},
                      dead_letters_last_hour={}, incidents_open={}, agreements_expiring=[], audit=[])
    return StatusView(**(base | changes))


@pytest.mark.parametrize(("view", "attention"), [
    (_view(), False),
    (_view(roles=[role_row(Scrape(PROCESS, error="refused"))]), True),
    (_view(problems=["no scrape targets"]), True),
    (_view(audit=audit_pools([Scrape(PROCESS, samples('govbus_audit_verify_ok{pool="a"} 0\n'))], 0)), True),
])
def test_what_needs_attention(view: StatusView, attention: bool) -> None:
    assert needs_attention(view) is attention


def test_the_json_view_is_plain_data() -> None:
    import json

    data = json.loads(json.dumps(_view().as_json()))
    assert data["roles"][0]["role"] == "process" and data["roles"][0]["outages"] == ["registry"]

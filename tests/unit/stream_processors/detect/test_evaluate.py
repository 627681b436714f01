"""Rule evaluation over tables of timed inputs: event-time windows, out-of-order and late
records, duplicates, spikes, consecutive readings and graded records."""
from __future__ import annotations

import pytest

from tests.unit.stream_processors.detect.builders import burst_rule, detector, feed, ms, obs, rule, sample, states

BURST = burst_rule()


@pytest.mark.parametrize("arrivals, opened_at", [
    ([0, 1, 2, 3, 4], 4),                 # the fifth alarm opens it
    ([0, 4, 1, 3, 2], 2),                 # out of order, within the lateness: the fifth to arrive
    ([0, 2, 4, 6, 9.9], 9.9),             # all inside one 10-minute window
    ([0, 2, 4, 6, 10], None),             # windows are half-open: [0, 10) holds four
    ([0, 3, 6, 9, 12], None),             # no 10 minutes hold five
    ([20, 0, 1, 2, 3, 4], None),          # 16+ minutes behind the clock: late, not counted
    ([0, 1, 2, 3, 3], None),              # the last is the fourth alarm sent again (same id and time)
])
def test_sliding_count_window(arrivals, opened_at):
    det, _ = detector(BURST)
    ids = [3 if (i == 4 and arrivals == [0, 1, 2, 3, 3]) else i for i in range(len(arrivals))]
    versions = feed(det, [obs("t.burst", m, n) for m, n in zip(arrivals, ids)])
    if opened_at is None:
        assert versions == []
    else:
        assert versions[0]["state"] == "open" and versions[0]["opened_at"] == ms(opened_at)
        assert versions[0]["incident_id"].startswith("t.burst/350102/")


def test_late_records_are_counted_never_silently_dropped():
    det, metrics = detector(BURST)
    feed(det, [obs("t.burst", 20, "now")] + [obs("t.burst", m, m) for m in range(5)])
    assert sample(metrics, metrics.late, rule="t.burst") == 5
    assert sample(metrics, metrics.evaluations, rule="t.burst", result="hit") == 0


def test_within_the_lateness_a_record_still_counts():
    det, metrics = detector(BURST)
    versions = feed(det, [obs("t.burst", 10, "a")] + [obs("t.burst", 5 + m / 10, m) for m in range(4)])
    assert states(versions) == [(1, "open", "IV")] and sample(metrics, metrics.late) == 0


def test_duplicates_are_counted_as_such():
    det, metrics = detector(BURST)
    feed(det, [obs("t.burst", 0, "a"), obs("t.burst", 0, "a")])
    assert sample(metrics, metrics.evaluations, result="duplicate") == 1


def test_tumbling_windows_do_not_overlap():
    tumbling = rule(id="t.tumble", kind="window", aggregate="count", window={"size": "10m"}, at_least=5, grade="IV")
    det, _ = detector(tumbling)
    assert feed(det, [obs("t.tumble", m, m) for m in (8, 9, 10, 11, 12, 13)]) == []
    [opened] = feed(det, [obs("t.tumble", 14, 14)])
    assert "(2025-03-01 08:10:00Z to 2025-03-01 08:20:00Z)" in opened["summary"]


@pytest.mark.parametrize("aggregate, values, at", [("sum", [40, 30, 35], 2), ("max", [50, 95], 1)])
def test_sum_and_max_windows(aggregate, values, at):
    measured = rule(id="t.measure", kind="window", aggregate=aggregate, field="value",
                    window={"size": "10m", "slide": "5m"}, at_least=90 if aggregate == "max" else 100, grade="IV")
    det, _ = detector(measured)
    versions = [feed(det, [obs("t.measure", i, i, value=v)]) for i, v in enumerate(values)]
    assert [bool(v) for v in versions] == [i == at for i in range(len(values))]
    assert versions[at][0]["matched_terms"][0].startswith(f"{aggregate}(value)>=")


def test_the_grade_follows_the_count_and_never_falls():
    det, _ = detector(BURST)
    versions = feed(det, [obs("t.burst", m / 2, m) for m in range(11)])
    assert states(versions)[0] == (1, "open", "IV")
    assert states(versions)[5] == (6, "escalated", "III")
    assert versions[-1]["matched_terms"] == ["count>=5", "count>=10"]
    assert versions[-1]["warning_colour"] is None  # the rule issues no warning


SPIKE = rule(id="t.spike", kind="spike", dataset="hotline.work_order", time_field="accepted_at",
             key={"region_level": "county", "fields": ["category_code"]}, bucket="1h", trailing=3,
             ratio=3, min_count=4, baseline_floor=1, grade="IV", warning_colour="blue",
             allowed_lateness="30m", clear_after="2h")


def _orders(hour: int, n: int, key: str = "350102:0502") -> list:
    return [obs("t.spike", 60 * hour + i * 50 / n, f"{key}-{hour}-{i}", key=key) for i in range(n)]


def test_a_spike_is_a_multiple_of_the_trailing_average():
    det, _ = detector(SPIKE)
    baseline = _orders(0, 2) + _orders(1, 2) + _orders(2, 2)
    assert feed(det, baseline + _orders(3, 5)) == []      # 5 < 3 x 2
    det, _ = detector(SPIKE)
    versions = feed(det, baseline + _orders(3, 6))
    assert states(versions) == [(1, "open", "IV")] and versions[0]["warning_colour"] == "blue"
    assert "6 records in 1h" in versions[0]["summary"] and len(versions[0]["triggering_event_ids"]) == 6


def test_a_spike_needs_the_minimum_count_over_a_quiet_baseline():
    det, _ = detector(SPIKE)
    assert feed(det, _orders(3, 3)) == []                  # 3 x floor 1, but fewer than 4
    assert states(feed(det, _orders(3, 4)[3:])) == [(1, "open", "IV")]


WATER = rule(id="t.water", kind="consecutive", dataset="city.indicator", time_field="observed_at",
             key={"fields": ["series_id"]}, field="value", above=7.0, readings=3, allowed_lateness="2h",
             clear_after="3h", grade={"table": [{"grade": "III", "any_of": {"value": 7.5}},
                                                {"grade": "IV", "any_of": {"value": 7.0}}]})


def _readings(*pairs) -> list:
    # One series: every reading repeats the series' event id (its natural key), as the SDK does.
    return [obs("t.water", 0, "series", key="S", value=v, hours=h) for h, v in pairs]


@pytest.mark.parametrize("pairs, hit_at", [
    ([(0, 7.1), (1, 7.2), (2, 6.9), (3, 7.3), (4, 7.4), (5, 7.5)], 5),   # the run restarts after 6.9
    ([(0, 7.1), (2, 7.3), (1, 7.2)], 2),                                # out of order: the run is by event time
    ([(0, 7.1), (1, 7.0), (2, 7.2), (3, 7.3)], None),                   # 7.0 is not above 7.0
])
def test_consecutive_readings_above_a_limit(pairs, hit_at):
    det, _ = detector(WATER)
    hits = [i for i, o in enumerate(_readings(*pairs)) if feed(det, [o])]
    assert hits == ([] if hit_at is None else [hit_at])


def test_consecutive_grade_by_the_latest_reading():
    det, _ = detector(WATER)
    versions = feed(det, _readings((0, 7.1), (1, 7.2), (2, 7.3), (3, 7.6)))
    assert states(versions) == [(1, "open", "IV"), (2, "escalated", "III")]


ACCIDENT = rule(id="t.accident", kind="record", dataset="transport.traffic_incident", time_field="occurred_at",
                key={"fields": ["incident_no"]}, clear_after=None, allowed_lateness="1d",
                grade={"table": [{"grade": "I", "any_of": {"deaths": 30, "direct_loss_cny": 100_000_000}},
                                 {"grade": "III", "any_of": {"deaths": 3}},
                                 {"grade": "IV", "any_of": {"deaths": 1}}]})


def test_a_record_rule_escalates_on_a_worse_report_and_ignores_a_repeat():
    def report(deaths, loss=0.0):
        return obs("t.accident", 0, "acc", key="SG1", measures={"deaths": deaths, "direct_loss_cny": loss})

    det, _ = detector(ACCIDENT)
    assert feed(det, [report(0)]) == []
    assert states(feed(det, [report(2)])) == [(1, "open", "IV")]
    assert feed(det, [report(2)]) == []
    assert states(feed(det, [report(3)])) == [(2, "escalated", "III")]
    assert states(feed(det, [report(2, 120_000_000)])) == [(3, "escalated", "I")]
    assert feed(det, [report(1)]) == []                     # a lower grade never lowers it


def test_an_unknown_rule_is_counted_not_applied():
    det, metrics = detector(BURST)
    assert feed(det, [obs("t.gone", 0, 1)]) == []
    assert sample(metrics, metrics.evaluations, rule="t.gone", result="unknown_rule") == 1


def test_windows_need_no_wall_clock():
    det, _ = detector(BURST)
    versions = [v for o in [obs("t.burst", m, m) for m in range(5)] for v in det.handle(o, "0", now=0)]
    assert versions[0]["updated_at"] == 0 and versions[0]["opened_at"] == ms(4)

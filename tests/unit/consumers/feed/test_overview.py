"""The operator's overview (consumers.feed.overview): counts, region tree, 24 h time line, sparklines."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from consumers.feed.overview import counts, overview, region_tree, sparklines, timeline
from govbus.core.regions import RegionTable
from tests.support.feed_samples import T0, incident

PLACES = RegionTable({"350000": "福建省", "350100": "福州市", "350102": "鼓楼区", "350104": "仓山区",
                      "350200": "厦门市", "350203": "思明区", "460000": "海南省", "469001": "五指山市"})
NOW = int((T0 + timedelta(minutes=30)).timestamp() * 1000)   # 08:30 UTC


def test_counts_open_incidents_by_grade_and_category():
    board = [incident("A", grade="I"), incident("B", grade="IV", category="natural_disaster"),
             incident("C", grade="IV", category="natural_disaster"), incident("D", grade="II", state="resolved")]
    got = counts(board)
    assert got["open"] == 3
    assert [g["open"] for g in got["by_grade"]] == [1, 0, 0, 2]
    assert {c["category"]: c["open"] for c in got["by_category"]} == {
        "natural_disaster": 2, "accident_disaster": 1, "public_health": 0, "social_security": 0}
    assert got["grid"]["IV"]["natural_disaster"] == 2 and got["grid"]["II"]["accident_disaster"] == 0


def _shape(nodes):
    return [(n["code"], n["name"], n["open"], _shape(n["children"])) for n in nodes]


@pytest.mark.parametrize(("codes", "tree"), [
    ([], []),
    (["350102"], [("350000", "福建省", 1, [("350100", "福州市", 1, [("350102", "鼓楼区", 1, [])])])]),
    # villages count for their county; the county with more open incidents comes first
    (["350104", "350102001001", "350102100000", "350203"],
     [("350000", "福建省", 4, [("350100", "福州市", 3, [("350102", "鼓楼区", 2, []), ("350104", "仓山区", 1, [])]),
                               ("350200", "厦门市", 1, [("350203", "思明区", 1, [])])])]),
    (["469001"], [("460000", "海南省", 1, [("469001", "五指山市", 1, [])])]),   # no city level
    (["350100"], [("350000", "福建省", 1, [("350100", "福州市", 1, [])])]),    # a city-wide incident
    (["350199"], [("350000", "福建省", 1, [("350100", "福州市", 1, [("350199", "350199（未登记）", 1, [])])])]),
    (["bad"], []),
])
def test_region_tree(codes, tree):
    board = [incident(f"I{n}", region_code=c) for n, c in enumerate(codes)]
    board.append(incident("R", region_code="350102", state="resolved"))  # resolved: not counted
    assert _shape(region_tree(board, PLACES)) == tree


def test_the_region_tree_labels_carry_the_code():
    assert region_tree([incident(region_code="350102")], PLACES)[0]["children"][0]["children"][0]["label"] == \
        "福建省 福州市 鼓楼区 (350102)"


def test_timeline_buckets_the_last_24_hours_by_hour():
    board = [incident("A", grade="I"),                                                   # 08:00, this hour
             incident("B", grade="IV", opened_at=T0 - timedelta(hours=22, minutes=59)),   # first bucket
             incident("C", opened_at=T0 - timedelta(hours=25)),                           # too old
             incident("D", grade="III", opened_at=T0 - timedelta(hours=2),
                      resolved_at=T0 - timedelta(minutes=30), state="resolved")]
    line = timeline(board, NOW)
    assert len(line) == 24
    assert datetime.fromtimestamp(line[-1]["start_ms"] / 1000, timezone.utc) == T0
    assert line[-1]["opened"] == {"I": 1, "II": 0, "III": 0, "IV": 0}
    assert line[0]["opened"]["IV"] == 1
    assert line[-3]["opened"]["III"] == 1 and line[-2]["resolved"] == 1
    assert sum(sum(b["opened"].values()) for b in line) == 3


def test_sparklines_come_from_the_readings_open_series_incidents_carry():
    readings = [{"at_ms": 1000 * n, "value": 7.0 + n / 10} for n in range(4)]
    board = [incident("W", rule_id="city.water_level_above_warning", indicator_readings=readings,
                      title_zh="鼓楼区 水位超警戒"),
             incident("F", rule_id="fire.alarm_burst"),                                     # no series
             incident("OLD", indicator_readings=readings, state="resolved")]
    lines = sparklines(board, PLACES)
    assert [line["incident_id"] for line in lines] == ["W"]
    assert lines[0]["points"] == [[0, 7.0], [1000, 7.1], [2000, 7.2], [3000, 7.3]]
    assert lines[0]["title"] == "鼓楼区 水位超警戒" and lines[0]["place"]["name"] == "鼓楼区"


def test_overview_has_every_part():
    assert set(overview([incident()], NOW, PLACES)) == {"now_ms", "counts", "regions", "timeline", "sparklines"}

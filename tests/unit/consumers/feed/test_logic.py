"""Table tests for consumers.feed.logic: versions, filters, order, view model, stream events."""
from __future__ import annotations

import pytest

from consumers.feed.logic import (GRADE_VIEW, Change, FilterError, IncidentBoard, IncidentFilter,
                                  incident_view, jurisdiction_prefix, parse_filter, sort_incidents,
                                  stream_event)
from tests.support.feed_samples import incident


@pytest.mark.parametrize("versions, kept", [
    ([1], 1),
    ([1, 2, 3], 3),
    ([3, 1, 2], 3),      # a late older version changes nothing
    ([1, 2, 2], 2),      # a duplicate (producer retry, replay) changes nothing
])
def test_board_keeps_the_highest_version(versions, kept):
    board = IncidentBoard()
    for v in versions:
        board.apply(incident(version=v, title=f"v{v}"))
    (held,) = board.select(IncidentFilter())
    assert (held["version"], held["title"]) == (kept, f"v{kept}")


def test_apply_says_what_changed():
    board = IncidentBoard()
    first = board.apply(incident(version=1))
    second = board.apply(incident(version=2, grade="I"))
    assert first == Change(None, incident(version=1))
    assert second.previous["grade"] == "III" and second.current["grade"] == "I"
    assert board.apply(incident(version=2)) is None
    assert len(board) == 1


@pytest.mark.parametrize("given, prefix", [
    ("35", "35"), ("3501", "3501"), ("350102", "350102"),
    ("350000", "35"),      # a province's GB/T 2260 code covers its cities and counties
    ("350100", "3501"),    # a city's likewise
    (" 3501 ", "3501"),
])
def test_jurisdiction_prefix(given, prefix):
    assert jurisdiction_prefix(given) == prefix


@pytest.mark.parametrize("bad", ["3", "350", "35010", "3501021", "35a1", "350102001001", ""])
def test_jurisdiction_prefix_refuses(bad):
    with pytest.raises(FilterError, match="2 \\(province\\), 4 \\(city\\) or 6 \\(county\\)"):
        jurisdiction_prefix(bad)


@pytest.mark.parametrize("flt, region, state, grade, seen", [
    (IncidentFilter(), "110101", "resolved", "IV", True),
    (IncidentFilter(region="35"), "350102", "open", "III", True),
    (IncidentFilter(region="35"), "350102001001", "open", "III", True),   # 12-digit statistical code
    (IncidentFilter(region="3501"), "350203", "open", "III", False),      # Xiamen is not Fuzhou
    (IncidentFilter(region="350102"), "350102", "open", "III", True),
    (IncidentFilter(region="350102"), "350103", "open", "III", False),
    (IncidentFilter(states=frozenset({"open", "escalated"})), "350102", "escalated", "III", True),
    (IncidentFilter(states=frozenset({"open"})), "350102", "resolved", "III", False),
    (IncidentFilter(grades=frozenset({"I", "II"})), "350102", "open", "II", True),
    (IncidentFilter(grades=frozenset({"I", "II"})), "350102", "open", "III", False),
    (IncidentFilter("35", frozenset({"open"}), frozenset({"I"})), "350102", "open", "I", True),
])
def test_filter_matches(flt, region, state, grade, seen):
    assert flt.matches(incident(region_code=region, state=state, grade=grade)) is seen


@pytest.mark.parametrize("region, states, grades, expected", [
    (None, [], [], IncidentFilter()),
    ("", [], [], IncidentFilter()),
    ("350100", ["open"], [], IncidentFilter("3501", frozenset({"open"}))),
    ("35", ["open,escalated"], ["i", "II"], IncidentFilter("35", frozenset({"open", "escalated"}),
                                                           frozenset({"I", "II"}))),
])
def test_parse_filter(region, states, grades, expected):
    assert parse_filter(region, states, grades) == expected


@pytest.mark.parametrize("states, grades, message", [
    (["closed"], [], "unknown state"), ([], ["V"], "unknown grade")])
def test_parse_filter_refuses(states, grades, message):
    with pytest.raises(FilterError, match=message):
        parse_filter(None, states, grades)


def test_sort_by_grade_then_most_recent():
    rows = [incident("a", grade="III", minutes=5), incident("b", grade="I", minutes=0),
            incident("c", grade="III", minutes=9), incident("d", grade="IV", minutes=20),
            incident("e", grade="II", minutes=1)]
    assert [i["incident_id"] for i in sort_incidents(rows)] == ["b", "e", "c", "a", "d"]


@pytest.mark.parametrize("grade, numeral, colour, zh", [
    ("I", "Ⅰ", "red", "特别重大"), ("II", "Ⅱ", "orange", "重大"),
    ("III", "Ⅲ", "yellow", "较大"), ("IV", "Ⅳ", "blue", "一般")])
def test_grade_colour_and_label(grade, numeral, colour, zh):
    view = incident_view(incident(grade=grade))
    assert view["colour"] == colour == GRADE_VIEW[grade]["colour"]
    assert (view["grade_label"]["numeral"], view["grade_label"]["zh"]) == (numeral, zh)


def test_view_model():
    view = incident_view(incident(warning_colour=None, minutes=30))
    assert view["incident_id"] == "INC-1" and view["version"] == 1
    assert view["category_label"] == {"zh": "事故灾难", "en": "Accident"}
    assert view["state_label"]["en"] == "Open" and view["warning_label"] is None
    assert view["opened_at"] == "2025-03-01T08:00:00+00:00" and view["updated_at"] == "2025-03-01T08:30:00+00:00"
    assert view["updated_at_ms"] - view["opened_at_ms"] == 30 * 60 * 1000
    assert view["resolved_at"] is None and view["matched_terms"] == ["deaths>=3"]


FUZHOU = IncidentFilter(region="3501", states=frozenset({"open"}))


@pytest.mark.parametrize("previous, current, expected", [
    (None, incident(), "incident"),                                          # new, visible
    (None, incident(region_code="110101"), None),                            # new, elsewhere: say nothing
    (incident(), incident(version=2, grade="I"), "incident"),                # update, still visible
    (incident(), incident(version=2, state="resolved"), "remove"),           # left the view
    (incident(state="resolved"), incident(version=2, state="resolved"), None),  # never was visible
    (incident(state="resolved"), incident(version=2, state="open"), "incident"),  # reopened
])
def test_stream_event(previous, current, expected):
    event = stream_event(FUZHOU, Change(previous, current))
    assert (event[0] if event else None) == expected
    if expected == "remove":
        assert event[1] == {"incident_id": "INC-1"}


@pytest.mark.parametrize(("overrides", "title_zh", "summary_zh", "place"), [
    ({}, "道路交通事故 3 人死亡", "", "福建省 福州市 鼓楼区 (350102)"),     # a version from before title_zh
    ({"title_zh": "仓山区 火警", "summary_zh": "10分钟内 6 起", "region_code": "350104"},
     "仓山区 火警", "10分钟内 6 起", "福建省 福州市 仓山区 (350104)"),
    ({"region_code": "350102001001"}, "道路交通事故 3 人死亡", "",
     "福建省 福州市 鼓楼区 鼓东街道 中山社区 (350102001001)"),
    ({"region_code": "350102001039"}, "道路交通事故 3 人死亡", "", "福建省 福州市 鼓楼区 鼓东街道 350102001039（未登记）"),
])
def test_the_view_reads_in_chinese_with_place_names(overrides, title_zh, summary_zh, place):
    view = incident_view(incident(**overrides))
    assert (view["title_zh"], view["summary_zh"], view["place"]["label"]) == (title_zh, summary_zh, place)
    assert view["place"]["code"] == view["region_code"]

"""Incident titles and Chinese summaries from the rule templates (stream_processors.detect.texts)."""
from __future__ import annotations

import pytest

from govbus.core.incident_text import duration_zh, region_text, render, time_zh
from govbus.core.regions import RegionTable
from govbus.core.rules import Grade
from stream_processors.detect.evaluate import Hit
from stream_processors.detect.texts import group_names, incident_texts
from tests.unit.stream_processors.detect.builders import burst_rule, rule

PLACES = RegionTable({"350000": "福建省", "350100": "福州市", "350102": "鼓楼区",
                      "350102001000": "鼓东街道", "350102001001": "中山社区"})
AT = 1_764_750_300_000  # 2025-12-03 08:25 UTC = 16:25 Beijing


def hit(**facts: str) -> Hit:
    return Hit(AT, AT, AT, Grade.IV, [], ["e1"], "english", facts)


def triage(**fields: object):
    return rule(id="t.triage", kind="triage", grade="IV", dataset="hotline.work_order",
                groups={"gas_leak": {"terms": ["燃气泄漏"], "name_zh": "燃气泄漏", "name_en": "gas leak"},
                        "fire": {"terms": ["着火"]}}, **fields)


@pytest.mark.parametrize(("code", "text"), [
    ("350102", "福州市 鼓楼区 (350102)"),
    ("350102001001", "鼓东街道 中山社区 (350102001001)"),
    ("350102001039", "福建省 福州市 鼓楼区 鼓东街道 350102001039（未登记）"),
])
def test_region_text(code: str, text: str) -> None:
    assert region_text(PLACES, code) == text


@pytest.mark.parametrize(("ms", "text"), [(600_000, "10分钟"), (3_600_000, "1小时"), (86_400_000, "1天"),
                                          (90_000, "90秒"), (1500, "1500毫秒")])
def test_duration_zh(ms: int, text: str) -> None:
    assert duration_zh(ms) == text


def test_time_zh_is_beijing_time() -> None:
    assert time_zh(AT) == "12月03日 16:25"


def test_a_missing_fact_renders_as_not_known_not_an_error() -> None:
    assert render("{value} 起，损失（元）{nothing}", {"value": "5"}) == "5 起，损失（元）不详"


def test_window_titles_and_summary() -> None:
    burst = burst_rule(title_zh="{region} 短时多起火警", summary_zh="{window}内 {value} 起；{grade}")
    texts = incident_texts(burst, {"region": "350102", "key": "350102"},
                           hit(window="10分钟", value="6"), PLACES)
    assert texts == {"title": "Test rule in 福州市 鼓楼区 (350102)", "title_zh": "福州市 鼓楼区 (350102) 短时多起火警",
                     "summary_zh": "10分钟内 6 起；Ⅳ级"}


@pytest.mark.parametrize(("group", "en", "zh"), [("gas_leak", "gas leak", "燃气泄漏"), ("fire", "fire", "fire"),
                                                 ("unknown_group", "unknown_group", "unknown_group")])
def test_group_names(group: str, en: str, zh: str) -> None:
    assert group_names(triage(), group) == (en, zh)


def test_triage_title_names_the_group_not_its_identifier() -> None:
    r = triage(title="Possible {group} in {region}", title_zh="{region} 疑似{group}",
               summary_zh="{at} 工单提到“{terms}”")
    texts = incident_texts(r, {"region": "350102001001", "key": "350102001001:gas_leak", "group": "gas_leak"},
                           hit(terms="燃气泄漏"), PLACES)
    assert texts["title"] == "Possible gas leak in 鼓东街道 中山社区 (350102001001)"
    assert texts["title_zh"] == "鼓东街道 中山社区 (350102001001) 疑似燃气泄漏"
    assert texts["summary_zh"] == "12月03日 16:25 工单提到“燃气泄漏”"


def test_a_rule_without_chinese_templates_falls_back_to_english_and_no_summary() -> None:
    texts = incident_texts(burst_rule(), {"region": "350102", "key": "350102"}, hit(), PLACES)
    assert texts["title_zh"] == texts["title"] and texts["summary_zh"] == ""


def test_a_series_incident_reads_in_chinese_and_carries_its_readings_for_the_sparkline():
    from tests.unit.stream_processors.detect.builders import detector, feed, obs

    level = rule(id="t.level", kind="consecutive", field="value", above=7.0, readings=3, grade="IV",
                 key={"fields": ["series_id"]}, allowed_lateness="2h", clear_after="3h", title="Water level above warning in {region}",
                 title_zh="{region} 水位超警戒", summary_zh="连续 {readings} 次超过 {above} 米，最新 {latest} 米；{grade}")
    det, _ = detector(level)
    values = [6.5, 7.2, 7.4, 7.8]
    versions = feed(det, [obs("t.level", 0, "series", key="350102", value=v, hours=n) for n, v in enumerate(values)])
    opened = versions[0]
    assert opened["title_zh"] == "福州市 鼓楼区 (350102) 水位超警戒"
    assert opened["summary_zh"] == "连续 3 次超过 7 米，最新 7.8 米；Ⅳ级"
    assert [r["value"] for r in opened["indicator_readings"]] == values   # the run and what came before

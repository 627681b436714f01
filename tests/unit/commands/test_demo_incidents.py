"""What `govbus demo` prints of the incidents it raised (commands/demo_incidents.py) and what it
plants for the detector to find (producers/synthetic/scenario.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from commands.demo_incidents import SHOWN, incident_rows, incidents_caption, planted_found
from govbus.core.rules import load_rules
from govbus.core.settings import PROJECT_ROOT
from producers.synthetic.generate import DEFAULT_NOW
from producers.synthetic.scenario import BURST_ALARMS, planted
from tests.support.feed_samples import incident

BURST = incident("fire.alarm_burst/350102/20261126T080100.000Z", rule_id="fire.alarm_burst", grade="IV",
                 region_code="350102", title_zh="福州市 鼓楼区 (350102) 短时多起火警")
GAS = incident("hotline.triage_accident/350102001001:gas_leak/20261126T080200.000Z", grade="IV",
               rule_id="hotline.triage_accident", region_code="350102001001",
               title_zh="鼓东街道 中山社区 (350102001001) 12345 热线反映疑似燃气泄漏")
OTHER = [incident(f"transport.accident_grade/SG{n}/20261126T070000.000Z", grade="III", region_code="350104")
         for n in range(SHOWN + 3)]


def test_the_planted_incidents_come_first_with_names_and_codes():
    rows = incident_rows(OTHER + [GAS, BURST])
    assert rows[:2] == [
        ("Ⅳ级", "福州市 鼓楼区 (350102) 短时多起火警", "福建省 福州市 鼓楼区 (350102)", "fire.alarm_burst"),
        ("Ⅳ级", "鼓东街道 中山社区 (350102001001) 12345 热线反映疑似燃气泄漏",
         "福建省 福州市 鼓楼区 鼓东街道 中山社区 (350102001001)", "hotline.triage_accident")]
    assert len(rows) == SHOWN and rows[2][2] == "福建省 福州市 仓山区 (350104)"


def test_the_caption_counts_by_rule_and_says_how_many_are_not_listed():
    caption = incidents_caption(OTHER + [GAS, BURST])
    assert f"检测到 {len(OTHER) + 2} 起事件" in caption and "fire.alarm_burst 1" in caption
    assert f"另有 {len(OTHER) + 2 - SHOWN} 起未列出" in caption
    assert planted_found([GAS]) == [("hotline.triage_accident", "350102001001:gas_leak")]


def test_the_planted_records_meet_the_rules_they_are_planted_for():
    alarms = list(planted("fire.alarm", 1, DEFAULT_NOW))
    rules = load_rules(PROJECT_ROOT / "catalogue").rules
    burst = rules["fire.alarm_burst"]
    assert len(alarms) == BURST_ALARMS >= burst.at_least
    times = sorted(datetime.fromisoformat(a["alarm_at"]) for a in alarms)
    assert times[0] > DEFAULT_NOW                                 # after every random alarm
    assert (times[-1] - times[0]).total_seconds() * 1000 < min(burst.window.size, burst.allowed_lateness)
    assert {a["region_code"][:6] for a in alarms} == {"350102"}
    assert all(a["alarm_type"] == "fire" and a["confirmation"] != "false_alarm" for a in alarms)
    [order] = planted("hotline.work_order", 1, DEFAULT_NOW)
    assert order["category_code"] == "0110" and "燃气泄漏" in order["content"]
    assert datetime.fromisoformat(order["accepted_at"]).astimezone(timezone.utc) > DEFAULT_NOW
    assert list(planted("city.indicator", 1, DEFAULT_NOW)) == []

"""Records → observations: filters, keys at a region level, times, values, triage terms."""
from __future__ import annotations

from datetime import timedelta

import pytest

from govbus.core.rules import load_rules
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from stream_processors.detect.extract import Extractor
from tests.unit.stream_processors.detect.builders import T0, ms, rule
from tests.support.helpers import SCHEMAS_DIR, work_order

RULES = load_rules(PROJECT_ROOT / "catalogue", load_schemas(SCHEMAS_DIR)).rules
EXTRACTOR = Extractor(list(RULES.values()))


def alarm(**overrides):
    return {"envelope": {"event_id": "ev-1", "event_time": T0 + timedelta(days=1)},
            "alarm_id": "FA-1", "alarm_type": "fire", "confirmation": "unconfirmed",
            "region_code": "350102001001", "alarm_at": T0} | overrides


def one(rule_id, record):
    return EXTRACTOR.extract_one(RULES[rule_id], record)


def test_an_alarm_is_keyed_by_its_county_and_timed_by_alarm_at_not_the_envelope():
    [observation], outcome = one("fire.alarm_burst", alarm())
    assert outcome == "observed"
    assert (observation.key, observation.region, observation.time, observation.event_id) == \
        ("350102", "350102", ms(), "ev-1")


@pytest.mark.parametrize("overrides, outcome", [
    ({"alarm_type": "fault"}, "filtered"),             # where: fire or pre_alarm
    ({"confirmation": "false_alarm"}, "filtered"),     # unless: false alarm
    ({"alarm_type": "pre_alarm"}, "observed"),
    ({"region_code": "350000"}, "unkeyed"),            # a province code has no county
    ({"alarm_at": None}, "no_time"),
])
def test_filters_and_keys(overrides, outcome):
    assert one("fire.alarm_burst", alarm(**overrides))[1] == outcome


def test_a_spike_key_joins_the_district_and_the_category():
    [observation], _ = one("hotline.category_spike", work_order(category_code="0502"))
    assert observation.key == "110105:0502" and observation.region == "110105"


def test_a_key_part_cannot_break_the_incident_id_format():
    custom = rule(id="t.keyed", kind="window", aggregate="count", window={"size": "10m"}, at_least=1,
                  grade="IV", key={"fields": ["building_id"]})
    [observation], _ = Extractor([custom]).extract_one(custom, alarm(building_id="A/B|C D@E"))
    assert observation.key == "A_B_C_D_E"


def test_an_accident_carries_the_measures_its_grade_table_reads():
    record = {"envelope": {"event_id": "ev-9"}, "incident_no": "SG1", "occurred_at": T0,
              "region_code": "350121", "deaths": 3, "serious_injuries": 0, "direct_loss_cny": None}
    [observation], _ = one("transport.accident_grade", record)
    assert observation.key == "SG1" and observation.region == "350121"
    assert observation.measures == {"deaths": 3.0, "serious_injuries": 0.0}


def test_a_reading_carries_its_value():
    record = {"envelope": {"event_id": "ev-2"}, "series_id": "WATER.LEVEL:350102", "indicator_code": "WATER.LEVEL",
              "region_code": "350102", "value": 7.2, "observed_at": T0, "quality": "good", "period": "hour"}
    [observation], _ = one("city.water_level_above_warning", record)
    assert observation.value == 7.2 and observation.key == "WATER.LEVEL:350102"


@pytest.mark.parametrize("content, category, groups", [
    ("楼道里闻到很浓的燃气味，怀疑燃气泄漏！", "0301", {"gas_leak": ("燃气泄漏", "燃气味")}),
    ("小区门口有人反映停水", "0110", {"gas_leak": ("category:0110",)}),           # by category
    ("仓库起火了，冒出浓烟，还听到爆炸声", "0301", {"fire": ("起火", "浓烟"), "explosion": ("爆炸",)}),
    ("There is a GAS LEAK at the gate", "0301", {"gas_leak": ("gas leak",)}),          # case folded
    ("消防演练时有浓烟，请勿惊慌", "0301", {}),                                          # a drill
    ("楼下施工太吵", "0301", {}),
])
def test_triage_records_the_terms_that_matched(content, category, groups):
    observations, outcome = one("hotline.triage_accident", work_order(content=content, category_code=category))
    found = {o.group: tuple(sorted(o.terms)) for o in observations}
    assert found == {g: tuple(sorted(t)) for g, t in groups.items()}
    assert all(o.key == f"110105001001:{o.group}" for o in observations)
    assert outcome == ("observed" if groups else "filtered" if "演练" in content else "no_match")


def test_triage_matches_full_width_letters():
    [observation], _ = one("hotline.triage_accident", work_order(content="门口ＧＡＳ　ＬＥＡＫ了"))
    assert observation.terms == ("gas leak",)


def test_a_consultation_is_not_triaged():
    record = work_order(content="燃气泄漏了怎么办？", demand_type="consultation")
    assert one("hotline.triage_accident", record) == ([], "filtered")

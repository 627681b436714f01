"""Rule files: the shipped ones load and check against their schemas; a bad file is refused with
its file name, the field path and the problem; the accident grade table grades as Decree 493."""
from __future__ import annotations

from pathlib import Path

import pytest

from govbus.core.rules import (Grade, GradeTable, RuleError, format_duration, load_rules, parse_duration)
from govbus.core.schemas import load_schemas
from govbus.core.settings import PROJECT_ROOT
from tests.support.helpers import SCHEMAS_DIR

CATALOGUE = PROJECT_ROOT / "catalogue"
SCHEMAS = load_schemas(SCHEMAS_DIR)
GOOD = """\
id: fire.test_burst
kind: window
title: Burst in {region}
dataset: fire.alarm
category: accident_disaster
grade: IV
key: {region_level: county}
time_field: alarm_at
aggregate: count
window: {size: 10m, slide: 1m}
at_least: 5
"""


def test_the_shipped_rules_load_and_cover_the_issue():
    rules = load_rules(CATALOGUE, SCHEMAS).rules
    kinds = {r.kind for r in rules.values()}
    assert kinds == {"window", "consecutive", "spike", "record", "triage"}
    assert {"fire.alarm_burst", "hotline.category_spike", "transport.accident_grade",
            "city.water_level_above_warning", "hotline.triage_accident"} <= set(rules)


def test_every_shipped_rule_speaks_chinese_without_identifiers():
    for rule in load_rules(CATALOGUE, SCHEMAS).rules.values():
        assert rule.title_zh and rule.summary_zh, rule.id
        assert "{key}" not in rule.title or rule.kind == "record", rule.id   # ids like WATER.LEVEL:350102
        for name, group in getattr(rule, "groups", {}).items():
            assert group.name_zh and group.name_en, (rule.id, name)


def _load(tmp_path: Path, text: str, name: str = "fire.test_burst") -> None:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / f"{name}.yaml").write_text(text, encoding="utf-8")
    load_rules(tmp_path, SCHEMAS)


@pytest.mark.parametrize("change, field, words", [
    (("at_least: 5", "at_least: 5\ncolour: red"), "colour", "Extra inputs"),
    (("size: 10m", "size: 10"), "window.size", "duration"),
    (("slide: 1m", "slide: 3m"), "window", "divide"),
    (("grade: IV", "grade: V"), "grade", ""),
    (("Burst in {region}", "Burst in {place}"), "", "title may only use"),
    (("time_field: alarm_at", "time_field: alarm_time"), "time_field", "no field 'alarm_time'"),
    (("time_field: alarm_at", "time_field: building_name"), "time_field", "expected timestamp-millis"),
    (("at_least: 5", "at_least: 5\nwhere: {alarm_type: fires}"), "where.alarm_type", "not among"),
    (("aggregate: count", "aggregate: count\nfield: value"), "", "count takes no field"),
    (("key: {region_level: county}", "key: {}"), "key", "region_level, fields, or both"),
    (("at_least: 5", "at_least: 5\nat_least: 6"), "", "duplicate key"),
    (("dataset: fire.alarm", "dataset: fire.alarms"), "dataset", "no schema"),
    (("at_least: 5", "at_least: 5\ntitle_zh: '{place}火警'"), "", "title_zh may only use"),
    (("at_least: 5", "at_least: 5\nsummary_zh: '{readings} 次'"), "", "a window rule offers"),
    (("at_least: 5", "at_least: 5\nsummary_zh: '{value'"), "", ""),
])
def test_a_bad_rule_is_refused_naming_file_field_and_problem(tmp_path, change, field, words):
    with pytest.raises(RuleError) as refused:
        _load(tmp_path, GOOD.replace(*change))
    assert "fire.test_burst.yaml" in str(refused.value)
    assert any(path == field and words in message for path, message in refused.value.errors), refused.value.errors


def test_the_file_name_is_the_rule_id(tmp_path):
    with pytest.raises(RuleError, match="does not match the file name"):
        _load(tmp_path, GOOD, name="fire.other")


def test_a_grade_table_runs_from_most_to_least_severe(tmp_path):
    table = "grade: {table: [{grade: IV, any_of: {value: 5}}, {grade: III, any_of: {value: 10}}]}"
    with pytest.raises(RuleError, match="most to the least severe"):
        _load(tmp_path, GOOD.replace("grade: IV", table))


def test_a_grade_table_uses_only_what_the_kind_measures(tmp_path):
    table = "grade: {table: [{grade: IV, any_of: {deaths: 1}}]}"
    with pytest.raises(RuleError, match="offers"):
        _load(tmp_path, GOOD.replace("grade: IV", table))


@pytest.mark.parametrize("text, ms", [("30s", 30_000), ("10m", 600_000), ("1h", 3_600_000),
                                      ("2d", 172_800_000), ("250ms", 250)])
def test_durations(text, ms):
    assert parse_duration(text) == ms
    assert parse_duration(format_duration(ms)) == ms


@pytest.mark.parametrize("bad", ["10", 10, "0m", "1w", "", None])
def test_a_duration_needs_a_unit(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


ACCIDENTS: GradeTable = load_rules(CATALOGUE, SCHEMAS).rules["transport.accident_grade"].grade


@pytest.mark.parametrize("deaths, serious, loss, grade", [
    (3, 0, 0, "III"),                # docs/domain.md#emergency-levels
    (2, 0, 120_000_000, "I"),        # docs/domain.md#emergency-levels: any criterion suffices
    (30, 0, 0, "I"), (29, 0, 0, "II"), (10, 0, 0, "II"), (9, 0, 0, "III"),   # 以上 includes the boundary
    (0, 100, 0, "I"), (0, 99, 0, "II"), (0, 50, 0, "II"), (0, 49, 0, "III"), (0, 10, 0, "III"),
    (0, 0, 100_000_000, "I"), (0, 0, 99_999_999, "II"), (0, 0, 50_000_000, "II"),
    (0, 0, 10_000_000, "III"), (0, 0, 9_999_999, "IV"),
    (1, 0, 0, "IV"), (0, 1, 0, "IV"), (0, 0, 1_000_000, "IV"),
    (0, 0, 999_999, None), (0, 0, 0, None),   # below the bus's reporting threshold: no incident
])
def test_decree_493_accident_grades(deaths, serious, loss, grade):
    graded = ACCIDENTS.grade_for({"deaths": deaths, "serious_injuries": serious, "direct_loss_cny": loss})
    assert (graded[0].value if graded else None) == grade


def test_a_graded_accident_names_the_criteria_met():
    graded = ACCIDENTS.grade_for({"deaths": 12, "serious_injuries": 60, "direct_loss_cny": 0})
    assert graded == (Grade.II, ["deaths>=10", "serious_injuries>=50"])

"""Values the pools can store: a table of strings per text kind, and the cleaner naming the field."""
from __future__ import annotations

import pytest

from govbus.core.cleaning import clean_record, compile_clean_plan
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from govbus.core.text_rules import (
    DEFAULT_MAX_LENGTH,
    TextKind,
    TextRule,
    attribute_problems,
    check_strings,
    holds_maps,
    holds_strings,
    text_rule_of,
)
from tests.support.helpers import hotline_schema, work_order

KEY, LINE, FREE = (TextRule(k, DEFAULT_MAX_LENGTH[k]) for k in TextKind)
PLAN = compile_clean_plan(hotline_schema())
SURROGATE = b"\xed\xa0\x80".decode("utf-8", "surrogateescape")   # a lone surrogate, as UTF-8 bytes
BAD_BYTE = b"caf\xe9".decode("utf-8", "surrogateescape")          # Latin-1, not UTF-8


@pytest.mark.parametrize(("rule", "value", "reason"), [
    (LINE, "人民路1号", None),
    (LINE, "a\x00b", "control_character"),
    (KEY, "GD\x00", "control_character"),
    (FREE, "a\x00b", "control_character"),           # NUL never, not even in free text
    (LINE, "a\tb", "control_character"),             # tab only in free text
    (LINE, "a\nb", "control_character"),
    (FREE, "第一行\n第二行\r\n\t缩进", None),           # tab, LF, CR allowed in free text
    (FREE, "bell\x07", "control_character"),
    (FREE, "esc\x1b[31m", "control_character"),
    (LINE, "del\x7f", "control_character"),
    (LINE, "c1\x85", "control_character"),           # C1 control (NEL)
    (LINE, SURROGATE, "invalid_encoding"),
    (FREE, BAD_BYTE, "invalid_encoding"),
    (KEY, "K" * 128, None),
    (KEY, "K" * 129, "too_long"),
    (KEY, "K" * 5000, "too_long"),
    (LINE, "地" * 512, None),
    (LINE, "地" * 513, "too_long"),
    (FREE, "话" * 32_768, None),
    (FREE, "话" * 100_000, "too_long"),
    (LINE, "", None),
])
def test_rule_by_kind(rule, value, reason):
    fault = rule.check(value)
    assert (fault.reason if fault else None) == reason
    if fault:
        assert fault.rule.startswith("text.") and fault.message


def test_fault_message_names_the_character_and_position():
    fault = LINE.check("ab\x00")
    assert fault is not None and "U+0000" in fault.message and "character 2" in fault.message


@pytest.mark.parametrize(("avro_field", "kind", "length"), [
    ({"name": "order_no", "type": "string"}, TextKind.KEY, 128),
    ({"name": "order_no", "type": "string", "max_length": 64}, TextKind.KEY, 64),
    ({"name": "content", "type": "string", "pii": "free_text"}, TextKind.FREE, 32_768),
    ({"name": "address", "type": ["null", "string"], "pii": "address"}, TextKind.LINE, 512),
    ({"name": "scope", "type": "string", "text": "free", "max_length": 4000}, TextKind.FREE, 4000),
    ({"name": "note", "type": "string", "max_length": 0}, TextKind.LINE, 512),  # invalid: default
])
def test_rule_from_attributes(avro_field, kind, length):
    assert text_rule_of(avro_field, ("order_no",)) == TextRule(kind, length)


@pytest.mark.parametrize(("avro_field", "problem"), [
    ({"name": "a", "type": "string", "text": "poem"}, "text 'poem'"),
    ({"name": "a", "type": "string", "max_length": -1}, "positive integer"),
    ({"name": "a", "type": "string", "max_length": True}, "positive integer"),
    ({"name": "a", "type": "int", "max_length": 5}, "string fields only"),
    ({"name": "k", "type": "string", "max_length": 1000}, "a key may be at most 512"),
])
def test_attribute_problems(avro_field, problem):
    found = attribute_problems(avro_field, ("k",))
    assert any(problem in p for p in found), found


def test_valid_attributes_have_no_problems():
    assert attribute_problems({"name": "k", "type": "string", "max_length": 64}, ("k",)) == []
    assert attribute_problems({"name": "c", "type": ["null", "string"], "text": "free"}, ("k",)) == []


@pytest.mark.parametrize(("avro_type", "expected"), [
    ("string", True), (["null", "string"], True), ({"type": "string", "logicalType": "uuid"}, True),
    ({"type": "array", "items": "string"}, True), ("int", False), (["null", "double"], False),
    ({"type": "long", "logicalType": "timestamp-millis"}, False),
    ({"type": "enum", "name": "E", "symbols": ["a"]}, False), ("boolean", False),
])
def test_holds_strings(avro_type, expected):
    assert holds_strings(avro_type) is expected


def test_nested_strings_are_located():
    fault = check_strings({"lineage": [{"stage": "ok"}, {"stage": "x\x00"}]}, LINE)
    assert fault is not None and fault.field == "lineage[1].stage"
    assert check_strings(["粤B12345", "bad\x01"], KEY).field == "[1]"


# --- the cleaner: each poisoned value becomes a fault naming its field ------------------------

@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"content": "噪音\x00很吵"}, "content", "control_character"),
    ({"content": "噪音" + SURROGATE}, "content", "invalid_encoding"),
    ({"content": "话" * 100_000}, "content", "too_long"),
    ({"order_no": "GD" + "1" * 4998}, "order_no", "too_long"),
    ({"order_no": "GD" + "1" * 63}, "order_no", "too_long"),     # the schema's max_length 64
    ({"order_no": "GD\x00001"}, "order_no", "control_character"),
    ({"address": "人民路\t1号"}, "address", "control_character"),   # tab: not in a line field
    ({"caller_name": "张" + BAD_BYTE}, "caller_name", "invalid_encoding"),
    ({"category_code": "0301\x1f9"}, "category_code", "control_character"),
    ({"address": "路" * 513}, "address", "too_long"),
    ({"order_no": ""}, "order_no", "missing_field"),              # empty required string
    ({"order_no": "   "}, "order_no", "missing_field"),           # empty once trimmed
    ({"category_code": ""}, "category_code", "missing_field"),
    ({"content": " \n "}, "content", "missing_field"),
    ({"region_code": ""}, "region_code", "missing_field"),        # required and validated
])
def test_cleaner_refuses_poison_with_field(overrides, field, reason):
    result = clean_record(PLAN, work_order(**overrides))
    assert isinstance(result, Fault), result
    assert (result.field, result.reason) == (field, reason)


def test_cleaner_checks_the_envelope_too():
    record = work_order()
    record["envelope"] = record["envelope"] | {"source_department": "hot\x00line"}
    result = clean_record(PLAN, record)
    assert isinstance(result, Fault)
    assert (result.field, result.reason) == ("envelope.source_department", "control_character")


@pytest.mark.parametrize("overrides", [
    {"content": "第一行\n第二行\t缩进"},   # free text keeps tabs and newlines
    {"content": "话" * 32_768},
    {"order_no": "GD" + "1" * 62},
    {"address": None, "caller_name": ""},  # empty optional strings are fine
])
def test_cleaner_accepts(overrides):
    assert isinstance(clean_record(PLAN, work_order(**overrides)), Ok)


def test_limits_come_from_the_schema():
    schema = hotline_schema()
    assert schema.text_rules["order_no"] == TextRule(TextKind.KEY, 64)
    assert schema.text_rules["content"].kind == TextKind.FREE
    raw = dict(schema.schema)
    raw["fields"] = [f | {"max_length": 10} if f["name"] == "content" else f for f in raw["fields"]]
    plan = compile_clean_plan(DatasetSchema(schema.dataset, schema.key_field, raw, schema.path))
    result = clean_record(plan, work_order(content="x" * 11))
    assert isinstance(result, Fault) and (result.field, result.reason) == ("content", "too_long")


def test_map_keys_are_checked_only_where_the_type_holds_a_map():
    assert check_strings({"ba\x00d": "v"}, LINE) is not None
    assert check_strings({"ba\x00d": "v"}, LINE, keys=False) is None  # a record: keys are field names
    envelope = hotline_schema().schema["fields"][0]["type"]
    assert not holds_maps(envelope) and holds_maps({"type": "map", "values": "string"})
    assert holds_maps(["null", {"type": "array", "items": {"type": "map", "values": "long"}}])

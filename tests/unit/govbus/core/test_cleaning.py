"""Cleaning driven by field tags: a table of records in, cleaned values or faults out."""
from __future__ import annotations

import pytest

from govbus.core.result import Fault, Ok
from govbus.core.cleaning import clean_record, compile_clean_plan
from tests.support.helpers import hotline_schema, work_order

PLAN = compile_clean_plan(hotline_schema())


@pytest.mark.parametrize(("overrides", "field", "expected"), [
    ({"caller_id_no": "11010519491231002x"}, "caller_id_no", "11010519491231002X"),
    ({"caller_id_no": "110105491231002"}, "caller_id_no", "11010519491231002X"),
    ({"caller_id_no": "１１０１０５１９４９１２３１００２Ｘ"}, "caller_id_no", "11010519491231002X"),
    ({"caller_phone": "+86 138-0013-8000"}, "caller_phone", "13800138000"),
    ({"caller_phone": "１３８００１３８０００"}, "caller_phone", "13800138000"),
    ({"caller_phone": ""}, "caller_phone", None),
    ({"caller_id_no": None}, "caller_id_no", None),
    ({"content": "  噪音，很吵。 "}, "content", "噪音，很吵。"),  # full-width comma kept
])
def test_clean_normalises(overrides, field, expected):
    result = clean_record(PLAN, work_order(**overrides))
    assert isinstance(result, Ok), result
    assert result.value[field] == expected


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"caller_id_no": "110105194912310021"}, "caller_id_no", "bad_check_char"),
    ({"caller_id_no": "11010519490229002X"}, "caller_id_no", "bad_birth_date"),
    ({"caller_phone": "1380013800"}, "caller_phone", "bad_format"),
    ({"region_code": "990105001001"}, "region_code", None),
    ({"order_no": None}, "order_no", "missing_field"),
])
def test_clean_refuses_with_field(overrides, field, reason):
    result = clean_record(PLAN, work_order(**overrides))
    assert isinstance(result, Fault)
    assert result.field == field
    if reason:
        assert result.reason == reason


def test_envelope_region_is_validated():
    record = work_order()
    record["envelope"] = record["envelope"] | {"region_code": "12"}
    result = clean_record(PLAN, record)
    assert isinstance(result, Fault) and result.field == "envelope.region_code"

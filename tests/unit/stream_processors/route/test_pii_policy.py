"""Issue 16 policy (stream_processors/route/pii_policy.py and its use in plans and routing):
free text scrubbed at its strictest upward and without a free-text purpose; every string field
delivered in clear scanned for identifiers its tag is not for, which are masked and counted."""
from __future__ import annotations

from typing import Any

import pytest

from stream_processors.route.logic import Delivery, masked_copy, route, untagged_counts
from stream_processors.route.pii_policy import (
    free_text_operator,
    mask_untagged,
    scan_clear_value,
    scrub_identifiers,
    scrub_strict,
)
from tests.support.agreements import NOW, hop, hotline_agreement, plan_of, sample

RAW_ID = "11010519491231002X"
MASKED_ID = "110105********002X"


@pytest.mark.parametrize(("written", "upward", "has_purpose", "effective"), [
    ("keep", True, False, "scrub_text_strict"),        # upward: always the strictest
    ("keep", True, True, "scrub_text_strict"),         # a purpose does not open an upward flow
    ("scrub_text", True, False, "scrub_text_strict"),
    ("scrub_text", False, False, "scrub_text_strict"),  # no purpose naming free text
    ("keep", False, False, "scrub_text_strict"),
    ("scrub_text", False, True, "scrub_text"),          # purpose, not upward: as written
    ("keep", False, True, "keep"),
    ("scrub_text_strict", False, True, "scrub_text_strict"),
    ("drop", True, False, "drop"),                      # dropped stays dropped
    ("drop", False, False, "drop"),
])
def test_free_text_operator(written: str, upward: bool, has_purpose: bool, effective: str) -> None:
    assert free_text_operator(written, upward, has_purpose) == effective


@pytest.mark.parametrize(("text", "tag", "masked", "kinds"), [
    ("13800138000", "address", "138****8000", ("mobile",)),            # a phone typed into address
    ("鼓楼区五四路88号 电话138-0013-8000", "address", "鼓楼区五四路88号 电话138-****-8000", ("mobile",)),
    ("13800138000", "phone", "13800138000", ()),                      # the phone field's own kind
    (RAW_ID, "phone", MASKED_ID, ("id_card",)),                       # an ID in the phone field
    (RAW_ID, "resident_id", RAW_ID, ()),
    (RAW_ID, "name", MASKED_ID, ("id_card",)),
    ("6222020200001234562", None, "622202*********4562", ("bank_card",)),  # untagged field
    ("6222020200001234562", "bank_card", "6222020200001234562", ()),
    (f"张三 {RAW_ID} 13800138000", "free_text", f"张三 {MASKED_ID} 138****8000", ("id_card", "mobile")),
    ("GD2025030100001", None, "GD2025030100001", ()),                 # order numbers stay readable
    ("福州市鼓楼区五四路88号", "address", "福州市鼓楼区五四路88号", ()),
    ("", "address", "", ()),
])
def test_mask_untagged(text: str, tag: str | None, masked: str, kinds: tuple[str, ...]) -> None:
    assert mask_untagged(text, tag) == (masked, kinds)


@pytest.mark.parametrize(("value", "tag", "expected"), [
    (["闽A12345", "13800138000"], "plate", (["闽A12345", "138****8000"], ("mobile",))),
    ([RAW_ID, RAW_ID], None, ([MASKED_ID, MASKED_ID], ("id_card", "id_card"))),
    (None, "address", (None, ())),
    (42, None, (42, ())),
])
def test_scan_clear_value(value: Any, tag: str | None, expected: tuple[Any, tuple[str, ...]]) -> None:
    assert scan_clear_value(value, tag) == expected


def test_scrub_levels_mask_identifiers_and_the_strict_one_names_too() -> None:
    text = f"我是张三，身份证{RAW_ID}，电话13800138000"
    for scrub in (scrub_strict, scrub_identifiers):
        assert RAW_ID not in scrub(text) and "13800138000" not in scrub(text)
    assert scrub_identifiers(text).startswith("我是张三，身份证110105")
    assert scrub_strict(text).startswith("我是张*，身份证110105")


# --- in plans and routing -------------------------------------------------------------------

PS_FIELDS = {"order_no": "keep", "demand_type": "keep", "category_code": "keep",
             "content": "scrub_text", "address": "keep", "region_code": "keep",
             "caller_phone": "keep", "caller_id_no": "pseudonym"}


def test_clear_scan_covers_kept_strings_but_not_the_key_enums_or_validated_kinds() -> None:
    # region_code and caller_phone hold, once cleaned, exactly a region code and a mobile.
    plan = plan_of(hotline_agreement(fields=PS_FIELDS))
    assert dict(plan.clear_scan) == {"category_code": None, "address": "address"}
    market = plan_of(hotline_agreement(
        provider="market", dataset="market.enterprise_registration",
        fields={"uscc": "keep", "enterprise_name": "keep", "legal_representative": "keep",
                "registered_address": "keep", "region_code": "keep", "business_scope": "keep"}))
    assert dict(market.clear_scan) == {"enterprise_name": None, "legal_representative": "name",
                                       "registered_address": "address", "region_code": None,
                                       "business_scope": None}


@pytest.mark.parametrize(("field", "value", "delivered", "found"), [
    ("address", "鼓楼区五四路88号 13800138000", "鼓楼区五四路88号 138****8000", (("address", "mobile"),)),
    ("address", f"身份证{RAW_ID}", f"身份证{MASKED_ID}", (("address", "id_card"),)),
    ("address", "13800138000", "138****8000", (("address", "mobile"),)),
    ("category_code", RAW_ID, MASKED_ID, (("category_code", "id_card"),)),
    ("category_code", "6222020200001234562", "622202*********4562", (("category_code", "bank_card"),)),
    ("address", "福州市鼓楼区五四路88号", "福州市鼓楼区五四路88号", ()),
])
def test_identifier_in_a_field_in_clear_is_masked(field: str, value: str, delivered: str,
                                                  found: tuple[tuple[str, str], ...]) -> None:
    plan = plan_of(hotline_agreement(fields=PS_FIELDS))
    record = sample("hotline.work_order", region="350102001001", **{field: value})
    out, findings = masked_copy(plan, record, hop(plan))
    assert out[field] == delivered
    assert findings == found
    assert record[field] == value  # the source record is not changed


def test_free_text_purpose_lets_keep_through_with_identifiers_masked() -> None:
    data = hotline_agreement(fields={"order_no": "keep", "content": "keep"},
                             free_text_purpose="调解纠纷需要当事人称呼 (mediation needs the parties' names)")
    plan = plan_of(data)
    assert plan.profile["content"] == "keep" and plan.classification == "L3"
    record = sample("hotline.work_order", region="350102001001", content=f"我是张三，身份证{RAW_ID}")
    [delivery] = route(record, [plan], NOW, "unit", "0")
    assert delivery.record["content"] == f"我是张三，身份证{MASKED_ID}"
    assert delivery.found == (("content", "id_card"),)


def test_without_a_purpose_free_text_is_scrubbed_strictly_and_not_scanned_again() -> None:
    plan = plan_of(hotline_agreement(fields={"order_no": "keep", "content": "keep"}))
    assert plan.profile["content"] == "scrub_text_strict"
    assert "content" not in dict(plan.clear_scan)


def test_a_field_delivered_to_several_recipients_is_counted_once() -> None:
    one = plan_of(hotline_agreement(fields=PS_FIELDS))
    two = plan_of(hotline_agreement(id="hotline-two", fields={"order_no": "keep", "address": "keep"}))
    three = plan_of(hotline_agreement(id="hotline-three", fields={"order_no": "keep",
                                                                  "address": "generalise_address"}))
    record = sample("hotline.work_order", region="350102001001",
                    address="13800138000 / 13900139000", category_code=RAW_ID)
    deliveries = route(record, [one, two, three], NOW, "unit", "0")
    assert untagged_counts(deliveries) == {("address", "mobile"): 2, ("category_code", "id_card"): 1}
    assert untagged_counts([]) == {}
    assert untagged_counts([Delivery(three, {}, ())]) == {}

"""What `govbus dlq show` prints of a letter (commands/dlq_view.py): the original record masked
by the dataset's field tags, undecodable bytes scrubbed, never an identifier in clear."""
from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest

from commands.dlq_view import HIDDEN, letter_lines, masked_message, masked_record, original_value_text, scrubbed_prefix
from tests.support.agreements import sample, schemas

RAW_ID = "35010219850312123X"
OTHER_ID = "11010519491231002X"
TAGS = schemas()["hotline.work_order"].tags


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("caller_id_no", RAW_ID, "350102********123X"),
    ("caller_id_no", "350102198503121231", "350102********1231"),    # a bad check char: still masked
    ("caller_name", "张三", "张*"),
    ("caller_phone", "13800138000", "138****8000"),
    ("address", "福州市鼓楼区东街1号", "福州市鼓楼区"),
    ("address", f"东街1号 {OTHER_ID}", "*"),                          # nothing recognised: hidden
    ("content", f"我的身份证{OTHER_ID}", "我的身份证110105********002X"),
    ("region_code", "350102001001", "350102"),
    ("region_code", "99", HIDDEN),                                    # the mask cannot read it
    ("order_no", f"GD{OTHER_ID}", "GD110105********002X"),            # untagged: scanned
    ("category_code", "0301", "0301"),
    ("caller_phone", None, None),
])
def test_masked_by_field_tags(field: str, value: Any, shown: Any) -> None:
    record = sample("hotline.work_order", **{field: value})
    assert masked_record(record, TAGS)[field] == shown


def test_every_personal_field_is_masked_and_the_envelope_kept() -> None:
    record = sample("hotline.work_order")
    out = masked_record(record, TAGS)
    assert out["envelope"] == record["envelope"]
    text = json.dumps(out, ensure_ascii=False, default=str)
    for raw in (RAW_ID, "13800138000", "张三", "东街1号"):
        assert raw not in text
    assert out["demand_type"] == "complaint" and out["anonymous"] is False


@pytest.mark.parametrize(("dataset", "field", "value", "shown"), [
    ("health.case_report", "disease_name", "肺结核", HIDDEN),          # kinds without a mask: hidden
    ("health.case_report", "occupation", "教师", HIDDEN),
    ("transport.traffic_incident", "plate_numbers", ["闽A12345", "闽AD12345"], ["闽A*****", "闽A******"]),
    ("market.enterprise_registration", "uscc", "91350100M000100Y43", "91350100M000100Y43"),
])
def test_other_kinds(dataset: str, field: str, value: Any, shown: Any) -> None:
    record = sample(dataset, **{field: value})
    assert masked_record(record, schemas()[dataset].tags)[field] == shown


@pytest.mark.parametrize(("data", "absent", "present"), [
    (f"row 7: {OTHER_ID}, 13800138000".encode(), [OTHER_ID, "13800138000"], ["row 7: 110105"]),
    # An Avro length byte that is a digit ('4' = 26 bytes) glued to the ID: the run is cut down.
    (b"\x00\x00\x00\x00\x07" + b"4" + OTHER_ID.encode() + "某某".encode(), [OTHER_ID, "1949123"], ["某某"]),
    (b"\xff\xfe" + OTHER_ID.encode(), [OTHER_ID], []),
    (b"GD2025030100001 amount 12.50", [], ["GD202", "amount 12.50"]),
])
def test_scrubbed_prefix(data: bytes, absent: list[str], present: list[str]) -> None:
    shown = scrubbed_prefix(data)
    for raw in absent:
        assert raw not in shown
    for kept in present:
        assert kept in shown
    assert all(ch.isprintable() for ch in shown)


def test_scrubbed_prefix_is_bounded() -> None:
    assert len(scrubbed_prefix(b"a" * 1000)) == 200


def _avro(record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schemas()["hotline.work_order"].parsed, record)
    return b"\x00\x00\x00\x00\x01" + out.getvalue()


def test_original_value_decoded_undecoded_and_json() -> None:
    record = sample("hotline.work_order")
    data = _avro(record)
    decoded = original_value_text(data, record, TAGS)
    assert decoded.startswith(f"{len(data)} bytes, decoded, masked by the field tags: {{")
    assert RAW_ID not in decoded and "350102********123X" in decoded
    undecoded = original_value_text(data, None, TAGS)  # the registry did not know the schema
    assert "not decodable" in undecoded and RAW_ID not in undecoded
    row = json.dumps({"caller_id_no": RAW_ID, "姓名": "张三", "备注": "电话13800138000"},
                     ensure_ascii=False).encode()
    shown = original_value_text(row, None, TAGS)
    assert "of JSON, masked by the field tags" in shown
    assert RAW_ID not in shown and "13800138000" not in shown
    cells = json.dumps([RAW_ID, "x"]).encode()
    assert RAW_ID not in original_value_text(cells, None, TAGS)


def test_letter_lines_mask_every_part_of_the_letter() -> None:
    record = sample("hotline.work_order")
    letter = {"dataset": "hotline.work_order", "reason": "bad_check_char", "field_path": "caller_id_no",
              "message": f"pool refused value {OTHER_ID}", "original_key": OTHER_ID.encode(),
              "original_value": _avro(record), "original_headers": {"note": f"id {OTHER_ID}".encode()},
              "source_offset": 42, "redrive_count": 0}
    lines = dict(letter_lines(letter, record, TAGS))
    assert list(lines) == list(letter)
    text = "\n".join(lines.values())
    assert RAW_ID not in text and OTHER_ID not in text
    assert lines["field_path"] == "caller_id_no" and lines["source_offset"] == "42"
    assert masked_message("bad_check_char (expected X)") == "bad_check_char (expected X)"

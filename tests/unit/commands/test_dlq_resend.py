"""Fix and resend, the pure parts (commands/dlq_export.py, dlq_resend.py): what an export line
holds for whom, how a corrected line is read back, and which lines are refused before anything
is sent (masks left in, malformed lines, fields the schema refuses, letters not re-drivable)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from commands.dlq_export import FORMAT, Decoded, export_entry, export_line, sees_clear
from commands.dlq_resend import COMPONENT, Correction, corrected_record, parse_line, still_masked
from govbus.core.result import Ok
from tests.support.agreements import sample, schemas

SCHEMA = schemas()["hotline.work_order"]
DLQ, RAW = "dlq.hotline.work_order", "raw.hotline.work_order"
BAD_ID, GOOD_ID = "350102198503121230", "35010219850312123X"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
SAMPLE_CONTENT = sample("hotline.work_order")["content"]


def _letter(**overrides: Any) -> dict[str, Any]:
    return {"dataset": "hotline.work_order", "owner_department": "hotline", "reason": "bad_check_char",
            "rule": "GB11643.check", "field_path": "caller_id_no", "message": f"bad {BAD_ID}",
            "event_id": "e-1", "source_topic": RAW, "source_partition": 0, "source_offset": 7,
            "original_key": b"GD1", "original_value": b"\x00avro", "original_headers": {},
            "first_seen": NOW, "redrive_count": 0, "stage": "process"} | overrides


def _original(**fields: Any) -> dict[str, Any]:
    return sample("hotline.work_order", caller_id_no=BAD_ID, **fields)


@pytest.mark.parametrize(("identity", "owner", "clear"), [
    ("dept.hotline", "hotline", True),         # the owning department's own identity
    ("dept.fire", "hotline", False),
    ("bus-admin", "hotline", False),
    ("op.alice", "hotline", False),
    ("dept.hotline", None, False),
    (None, "hotline", False),
    ("dept.hotline", "Hot Line", False),       # no identity can be made of that owner
])
def test_who_sees_the_record_in_clear(identity, owner, clear):
    assert sees_clear(identity, owner) is clear


def test_export_for_another_identity_masks_and_names_what_it_masked():
    entry = export_entry(DLQ, 3, _letter(), Decoded(_original()), SCHEMA.tags, False, RAW)
    assert entry["format"] == FORMAT and entry["letter"] == {"topic": DLQ, "offset": 3}
    assert (entry["reason"], entry["rule"], entry["field_path"]) == ("bad_check_char", "GB11643.check", "caller_id_no")
    assert entry["masked"] and {"caller_id_no", "caller_name", "caller_phone"} <= set(entry["masked_fields"])
    assert "order_no" not in entry["masked_fields"] and "envelope" not in entry["record"]
    line = export_line(entry)
    assert BAD_ID not in line and "张三" not in line and "13800138000" not in line
    assert json.loads(line)["first_seen"] == NOW.isoformat()


def test_export_for_the_owner_is_in_clear():
    entry = export_entry(DLQ, 3, _letter(), Decoded(_original()), SCHEMA.tags, True, RAW)
    assert not entry["masked"] and entry["masked_fields"] == []
    assert entry["record"]["caller_id_no"] == BAD_ID and entry["record"]["accepted_at"].startswith("20")
    assert "not_resendable" not in entry


@pytest.mark.parametrize(("letter", "decoded", "why"), [
    (_letter(), Decoded(None, "12 bytes, not decodable"), "does not decode"),
    (_letter(source_topic="http:/v1/hotline.work_order/records", stage="adapter"), Decoded(None, "row"), "re-import"),
    (_letter(stage="sink", recipient="police"), Decoded(_original()), "fix the record at its source"),
])
def test_export_says_why_a_letter_cannot_be_resent(letter, decoded, why):
    entry = export_entry(DLQ, 0, letter, decoded, SCHEMA.tags, False, RAW)
    assert why in entry["not_resendable"]


def _line(**overrides: Any) -> str:
    entry = {"format": FORMAT, "letter": {"topic": DLQ, "offset": 3}, "dataset": "hotline.work_order",
             "record": {"order_no": "GD1"}} | overrides
    return json.dumps(entry, ensure_ascii=False)


@pytest.mark.parametrize(("text", "says"), [
    ("{not json", "line 4: not JSON"),
    ("[1, 2]", "line 4: not a line of `govbus dlq export`"),
    (_line(format="other/1"), "not a line of"),
    (_line(letter={"topic": DLQ}), "\"letter\" must hold"),
    (_line(letter={"topic": DLQ, "offset": "3"}), "\"letter\" must hold"),
    (_line(letter={"topic": DLQ, "offset": True}), "\"letter\" must hold"),
    (_line(dataset=""), "\"dataset\" is missing"),
    (_line(record=None), "\"record\" must be the corrected record"),
    (_line(record={"envelope": {}}), "must not hold the envelope"),
])
def test_malformed_lines_are_reported_with_their_number(text, says):
    problem = parse_line(4, text)
    assert isinstance(problem, str) and says in problem and problem.startswith("line 4")


def test_a_sound_line_and_a_blank_line():
    assert parse_line(2, "   ") is None
    assert parse_line(2, _line()) == Correction(2, "hotline.work_order", DLQ, 3, {"order_no": "GD1"})


def _fix(original: dict[str, Any], clear: bool, **edits: Any) -> Correction:
    record = export_entry(DLQ, 3, _letter(), Decoded(original), SCHEMA.tags, clear, RAW)["record"]
    return Correction(1, "hotline.work_order", DLQ, 3, record | edits)


@pytest.mark.parametrize(("clear", "edits", "left"), [
    (False, {}, ["address", "caller_id_no", "caller_name", "caller_phone", "content", "region_code"]),
    (False, {"caller_id_no": GOOD_ID}, ["address", "caller_name", "caller_phone", "content", "region_code"]),
    (False, {"caller_id_no": GOOD_ID, "caller_name": "张三", "caller_phone": "13800138000",
             "address": "福州市鼓楼区东街1号", "region_code": "350102001001",
             "content": SAMPLE_CONTENT}, []),
    (False, {"caller_name": "张*"} | dict.fromkeys(["caller_id_no", "caller_phone", "address", "content",
                                                    "region_code"], "typed"), ["caller_name"]),
    (True, {}, []),                                # the owner's export holds no mask
    (True, {"caller_id_no": GOOD_ID}, []),
])
def test_fields_still_holding_their_mask(clear, edits, left):
    original = _original()
    assert sorted(still_masked(_fix(original, clear, **edits).fields, original, SCHEMA)) == left


def test_a_corrected_record_keeps_the_envelope_and_gains_a_hop_naming_the_letter():
    original = _original()
    result = corrected_record(_fix(original, True, caller_id_no=GOOD_ID), _letter(), original, SCHEMA, RAW, NOW)
    assert isinstance(result, Ok)
    record = result.value
    assert record["caller_id_no"] == GOOD_ID and record["envelope"]["event_id"] == original["envelope"]["event_id"]
    hop = record["envelope"]["lineage"][-1]
    assert (hop["stage"], hop["component"], hop["time"]) == ("redrive", f"{COMPONENT}:{DLQ}@3", NOW)
    assert record["envelope"]["lineage"][:-1] == original["envelope"]["lineage"]
    assert record["accepted_at"] == original["accepted_at"]  # ISO text in the file, a time again


@pytest.mark.parametrize(("edits", "letter", "says"), [
    ({}, _letter(), "still masked as exported: content, address, region_code, caller_name, caller_phone, caller_id_no"),
    ({"colour": "red"}, _letter(), "colour is not a field of hotline.work_order"),
    ({"accepted_at": "yesterday"}, _letter(), "field accepted_at:"),
    ({"urgency": "whenever"}, _letter(), "field urgency:"),
    ({}, _letter(stage="sink", recipient="police"), "cannot be resent"),
])
def test_refusals_name_the_line_the_letter_and_the_field(edits, letter, says):
    original = _original()
    clear = "still masked" not in says
    result = corrected_record(_fix(original, clear, **edits), letter, original, SCHEMA, RAW, NOW)
    assert isinstance(result, str) and result.startswith(f"line 1 ({DLQ}@3)") and says in result, result


def test_a_letter_whose_original_does_not_decode_is_refused():
    result = corrected_record(Correction(1, "hotline.work_order", DLQ, 3, {}), _letter(), None, SCHEMA, RAW, NOW)
    assert isinstance(result, str) and "does not decode" in result

"""Which dead letters can be re-driven, and the headers a re-driven record carries."""
from __future__ import annotations

import pytest

from govbus.core.deadletter import DistinctLetters, redrivable, redrive_headers

RAW = "raw.hotline.work_order"


@pytest.mark.parametrize(("letter", "reason"), [
    ({"original_value": b"\x00abc", "source_topic": RAW}, None),
    ({"original_value": None, "source_topic": RAW}, "no_value"),
    ({"original_value": b"{}", "source_topic": "/data/orders.csv"}, "not_from_raw"),
])
def test_redrivable(letter, reason):
    fault = redrivable(letter, RAW)
    assert (fault.reason if fault else None) == reason


def test_redrive_headers_keep_originals_and_count():
    letter = {"original_headers": {"trace": b"1", "govbus.redrive.count": b"1"}, "redrive_count": 1}
    headers = dict(redrive_headers(letter, 42))
    assert headers == {"trace": b"1", "govbus.redrive.count": b"2", "govbus.redrive.dlq_offset": b"42"}


def _letter(offset: int, **changes: object) -> dict:
    return {"stage": "process", "source_topic": "raw.hotline.work_order", "source_partition": 2,
            "source_offset": offset, "recipient": None, "reason": "undecodable", "rule": "serde.decode",
            "field_path": "", "event_id": None, "original_value": b"not avro",
            "first_seen": f"2026-12-03T05:{offset:02d}"} | changes


@pytest.mark.parametrize("letters, offsets, repeats", [
    ([_letter(7), _letter(8)], [0, 1], 0),                              # two inputs, two letters
    ([_letter(7), _letter(7), _letter(8), _letter(7)], [0, 2], 2),     # reprocessed after a crash
    ([_letter(7), _letter(7, reason="mask_failed")], [0, 1], 0),       # refused again, for another reason
    ([_letter(7, stage="sink", recipient="a"), _letter(7, stage="sink", recipient="b")], [0, 1], 0),
    ([_letter(7, source_partition=3), _letter(7)], [0, 1], 0),
    ([_letter(-1, stage="adapter", original_value=b"row 1"),
      _letter(-1, stage="adapter", original_value=b"row 2")], [0, 1], 0),  # adapters: told by their bytes
    ([{"reason": "unreadable letter"}, {"reason": "unreadable letter"}], [0, 1], 0),  # never merged
])
def test_distinct_letters_keep_each_letter_once_at_its_first_offset(letters, offsets, repeats):
    distinct = DistinctLetters()
    assert [o for o, _ in distinct.of(enumerate(letters))] == offsets
    assert distinct.repeats == repeats

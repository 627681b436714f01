"""Which dead letters can be re-driven, and the headers a re-driven record carries."""
from __future__ import annotations

import pytest

from govbus.core.deadletter import redrivable, redrive_headers

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

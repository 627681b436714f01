"""When a sink's batch is written (consumers/batch_fill.py): at once when the consumer has nothing
more to give, when full, or at the cap; a fresh batch waits for its first record only."""
from __future__ import annotations

import pytest

from consumers.batch_fill import Fill, Read, next_read

SIZE, IDLE, CAP = 500, 1.0, 0.1

CASES = [
    # (held, asked, got, gathering) -> next read (None: write the batch now)
    pytest.param(Fill(0, 0, 0, 0.0), Read(1, IDLE), id="fresh batch: wait for the first record only"),
    pytest.param(Fill(0, 1, 0, 0.0), None, id="idle wait passed with nothing: empty batch back to the loop"),
    pytest.param(Fill(0, 1, 1, 0.0), None, id="only a transient error event arrived: empty batch back"),
    pytest.param(Fill(1, 1, 1, 0.0), Read(SIZE - 1, 0.0), id="first record: take what is held, no wait"),
    pytest.param(Fill(120, 499, 119, 0.001), None, id="fewer than asked: nothing more to give, write now"),
    pytest.param(Fill(1, 499, 0, 0.0), None, id="a single record at a trickle is written at once"),
    pytest.param(Fill(500, 499, 499, 0.002), None, id="full: write"),
    pytest.param(Fill(600, 1, 600, 0.0), None, id="more than the size (a stand-in consumer): write"),
    pytest.param(Fill(3, 1, 3, 0.0), None, id="more than asked (a stand-in consumer's whole batch): write"),
    pytest.param(Fill(250, 250, 250, CAP), None, id="every read full but the cap reached: write"),
    pytest.param(Fill(250, 250, 250, CAP / 2), Read(SIZE - 250, 0.0), id="every read full, under the cap: read on"),
]


@pytest.mark.parametrize(("fill", "expected"), CASES)
def test_next_read(fill: Fill, expected: Read | None) -> None:
    assert next_read(fill, SIZE, IDLE, CAP) == expected


def test_a_batch_size_of_one_is_written_record_by_record() -> None:
    assert next_read(Fill(1, 1, 1, 0.0), 1, IDLE, CAP) is None

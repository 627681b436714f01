"""The agent's stream buffer and the consumer's poll size (stream_processors/app.py): a poll
handed over after Faust pauses a partition must fit in the buffer, or each record past its end
takes Faust's slow path (a task per record)."""
from __future__ import annotations

from mode.utils.queues import FlowControlEvent, FlowControlQueue

from stream_processors.app import MAX_POLL_RECORDS, STREAM_BUFFER


def test_a_poll_after_the_pause_fits_in_the_buffer() -> None:
    queue: FlowControlQueue = FlowControlQueue(maxsize=STREAM_BUFFER, flow_control=FlowControlEvent())
    paused: list[bool] = []
    # Fill as the conductor does, until the queue asks for the partition to be paused.
    while not paused:
        queue.put_nowait_enhanced(object(), on_pressure_high=lambda: paused.append(True),
                                  on_pressure_drop=lambda: None)
    # The poll in hand when the pause was asked, at its largest: every record still fits.
    for _ in range(MAX_POLL_RECORDS):
        assert not queue.full(), "a record of the poll would wait in a task of its own"
        queue.put_nowait_enhanced(object(), on_pressure_high=lambda: None, on_pressure_drop=lambda: None)


def test_the_poll_is_not_trivially_small() -> None:
    # One poll per few hundred records would cost a thread round trip each (Faust's consumer
    # runs in a thread of its own): at least a few batches' worth.
    assert MAX_POLL_RECORDS >= 4 * 500

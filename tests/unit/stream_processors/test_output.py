"""The processor's producer side (stream_processors/output.py), against a recording producer:
every output is produced once, in order, with its headers (none given where it has none), a
full local queue is waited out rather than losing the message, and a refused output raises."""
from __future__ import annotations

from typing import Any

import pytest

from stream_processors.output import OutputFailed, OutputProducer
from stream_processors.pipeline import OutMessage


class RecordingProducer:
    def __init__(self, full_times: int = 0) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, Any]] = []
        self.polls: list[float] = []
        self.full_times = full_times

    def produce(self, topic: str, value: bytes, key: bytes | None = None, **kwargs: Any) -> None:
        if self.full_times:
            self.full_times -= 1
            raise BufferError("Local: Queue full")
        assert callable(kwargs.pop("on_delivery"))
        self.sent.append((topic, value, key, kwargs.get("headers")))
        assert set(kwargs) <= {"headers"}

    def poll(self, timeout: float) -> int:
        self.polls.append(timeout)
        return 0

    def flush(self, timeout: float) -> int:
        return 0


OUTS = [OutMessage("shared.a", b"k", b"v1", [("govbus.agreement", b"a@1")]),
        OutMessage("audit", b"e", b"v2"),
        OutMessage("shared.b", None, b"v3", [("govbus.agreement", b"b@2")])]


def test_every_output_is_produced_once_in_order_with_its_headers_and_none_where_it_has_none() -> None:
    producer = RecordingProducer()
    OutputProducer(producer).send_all(OUTS)  # type: ignore[arg-type]
    assert producer.sent == [("shared.a", b"v1", b"k", [("govbus.agreement", b"a@1")]),
                             ("audit", b"v2", b"e", None),
                             ("shared.b", b"v3", None, [("govbus.agreement", b"b@2")])]


def test_a_full_local_queue_is_waited_out_and_nothing_is_lost_or_sent_twice() -> None:
    producer = RecordingProducer(full_times=3)
    OutputProducer(producer).send_all(OUTS)  # type: ignore[arg-type]
    assert [sent[1] for sent in producer.sent] == [b"v1", b"v2", b"v3"]
    assert producer.polls.count(0.05) == 3  # one wait per refusal, then the send goes through


def test_a_refused_output_raises_at_the_next_flush() -> None:
    output = OutputProducer(RecordingProducer())  # type: ignore[arg-type]

    class Refused:
        def topic(self) -> str:
            return "shared.a"
    output._on_delivery("MSG_SIZE_TOO_LARGE", Refused())  # type: ignore[arg-type]
    with pytest.raises(OutputFailed, match="shared.a: MSG_SIZE_TOO_LARGE"):
        output.flush_checked(0)

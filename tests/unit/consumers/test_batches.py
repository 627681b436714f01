"""The sinks' batch loop rides out outages: the same batch is retried until it is stored, a stop
during the wait ends the loop with nothing stored, and errors no retry fixes propagate."""
from __future__ import annotations

import threading

import pytest
from confluent_kafka import KafkaError, KafkaException
from sqlalchemy import exc as sql_errors

from consumers.batches import ConsumeRefused, consume_batches, gather
from govbus.core.kafka_errors import ClientErrorLatch
from govbus.core.outage import Backoff
from govbus.core.outage_watch import OutageWatch
from govbus.core.settings import GovbusSettings


class Msg:
    def __init__(self, offset: int, error: KafkaError | None = None) -> None:
        self.offset_, self.error_ = offset, error

    def error(self) -> KafkaError | None:
        return self.error_

    def offset(self) -> int:
        return self.offset_


class Batches:
    """A consumer whose consume() hands out the given batches, then nothing."""

    def __init__(self, *batches: list[Msg]) -> None:
        self.batches = list(batches)

    def consume(self, _n: int, _timeout: float) -> list[Msg]:
        return self.batches.pop(0) if self.batches else []


def _db_down() -> Exception:
    class NoConnection(Exception):
        sqlstate = None

    return sql_errors.OperationalError("INSERT", {}, NoConnection("connection refused"))


def _loop(consumer: Batches, handle, stop: threading.Event | None = None, idle: float = 0.3) -> None:
    watch = OutageWatch("sink", backoff=Backoff(0.01, 2.0, 0.02))
    consume_batches(consumer, GovbusSettings(), ClientErrorLatch(watch), handle, lambda: 0.0, stop, idle)


def test_a_batch_that_cannot_be_stored_is_retried_whole_until_it_is():
    failures = [_db_down(), _db_down()]
    handed: list[list[int]] = []

    def handle(messages) -> bool:
        handed.append([m.offset() for m in messages])
        if failures and messages:
            raise failures.pop()
        return bool(messages)

    _loop(Batches([Msg(1), Msg(2)], [Msg(3)]), handle)
    assert handed[:4] == [[1, 2], [1, 2], [1, 2], [3]]  # the same batch, then the next


def test_transient_error_events_are_not_handed_to_the_batch():
    handed: list[list[int]] = []
    _loop(Batches([Msg(1), Msg(-1, KafkaError(KafkaError._TRANSPORT)), Msg(-1, KafkaError(KafkaError._MAX_POLL_EXCEEDED)),
                   Msg(2)]), lambda ms: handed.append([m.offset() for m in ms]) or bool(ms))
    assert handed[0] == [1, 2]


def test_a_stop_during_an_outage_ends_the_loop_with_the_batch_unstored():
    stop = threading.Event()
    tries = []

    def handle(messages) -> bool:
        tries.append(len(messages))
        if len(tries) == 3:
            stop.set()
        raise _db_down()

    _loop(Batches([Msg(1)]), handle, stop, idle=None)
    assert tries == [1, 1, 1]


def test_a_refusal_about_the_messages_stops_the_loop():
    def handle(_messages) -> bool:
        raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))

    with pytest.raises(ConsumeRefused):
        _loop(Batches([Msg(1)]), handle)


class Queue:
    """A consumer holding ``ready`` messages that honours the count it is asked for, and records
    each call (count, timeout)."""

    def __init__(self, ready: int) -> None:
        self.ready = [Msg(n) for n in range(ready)]
        self.calls: list[tuple[int, float]] = []

    def consume(self, n: int, timeout: float) -> list[Msg]:
        self.calls.append((n, timeout))
        taken, self.ready = self.ready[:n], self.ready[n:]
        return taken


def _gather(consumer: Queue, size: int = 500) -> list[int]:
    settings = GovbusSettings(sink_batch_size=size, sink_batch_seconds=0.5)
    return [m.offset() for m in gather(consumer, settings, ClientErrorLatch(OutageWatch("sink")))]


def test_gather_writes_what_the_consumer_holds_without_waiting_for_the_batch_to_fill():
    consumer = Queue(3)
    assert _gather(consumer) == [0, 1, 2]
    assert consumer.calls == [(1, 0.5), (499, 0.0)]  # waits for the first record only


def test_gather_stops_at_the_batch_size_under_load():
    consumer = Queue(1200)
    assert len(_gather(consumer)) == 500
    assert len(_gather(consumer)) == 500
    assert _gather(consumer) == list(range(1000, 1200))


def test_gather_hands_back_an_empty_batch_when_nothing_comes():
    consumer = Queue(0)
    assert _gather(consumer) == []
    assert consumer.calls == [(1, 0.5)]

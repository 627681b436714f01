"""The batch loop the pool and audit sinks share: consume, hand the batch over, ride out outages,
and end when asked or when idle for long enough.

A batch is gathered in one or more consume() calls (``gather``, deciding by
consumers/batch_fill.py): it is handed over as soon as the consumer has nothing more to give, so
a record waits for the next one only while the consumer already holds it. A rebalance callback
may run in any of those calls; the sinks check each message against the partitions they own
when the batch is handled (their ``_accept``), so records of a partition revoked meanwhile are
left to its new owner, which reads from the offsets stored with the rows.

Outages: librdkafka reconnects to the broker by itself, so a broker outage is only consume()
calls that return nothing (the role's prober says when it starts and ends). A batch that cannot
be stored because the registry or the database is unreachable is retried, the same batch, with
backoff (``ride_out``), until it is stored or the sink is asked to stop: nothing is committed
past it, and the batch in hand is not dropped. Errors no retry can fix propagate.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message

from consumers.batch_fill import Fill, next_read
from govbus.core.health_server import Health
from govbus.core.kafka_errors import UNREACHABLE_CLIENT_ERRORS, ClientErrorLatch
from govbus.core.outage_watch import OutageWatch, Stopped, ride_out
from govbus.core.settings import GovbusSettings

log = logging.getLogger(__name__)
# Message-level errors that only say "not now": the consumer recovers from them by itself
# (max.poll.interval exceeded while a batch waited out an outage: it rejoins the group).
TRANSIENT_MESSAGE_ERRORS = UNREACHABLE_CLIENT_ERRORS | {KafkaError._MAX_POLL_EXCEEDED}


def without_transient_errors(messages: list[Message], client_error: ClientErrorLatch) -> list[Message]:
    """``messages`` without the transient error events (handled by waiting, not by the batch)."""
    kept = []
    for message in messages:
        error = message.error()
        if error is not None and error.code() in TRANSIENT_MESSAGE_ERRORS:
            if client_error.watch is not None:
                client_error.watch.changed.set()
            log.debug("consumer: %s", error)
            continue
        kept.append(message)
    return kept


def consume_batches(consumer: Consumer, settings: GovbusSettings, client_error: ClientErrorLatch,
                    handle: Callable[[list[Message]], bool], assigned_at: Callable[[], float],
                    stop: threading.Event | None, idle_exit_seconds: float | None,
                    health: Health | None = None) -> None:
    """Batches (``gather``) to ``handle`` (which says whether it took records) until ``stop`` is
    set, or until nothing arrived for ``idle_exit_seconds``, counted from the start or the last
    assignment (``assigned_at``): a rebalance is not idleness. ``handle`` must
    leave no trace when it raises, so that the same batch can be handed over again."""
    watch = health.watch if health is not None else client_error.watch or OutageWatch("sink")
    beat = health.beat if health is not None else (lambda: None)

    def stopping() -> bool:
        return stop is not None and stop.is_set()

    idle_since = time.monotonic()
    while not stopping():
        beat()
        messages = gather(consumer, settings, client_error)
        client_error.raise_if_failed()
        try:
            took = ride_out(watch, _guarded(handle, messages), stopping, on_wait=beat)
        except Stopped:
            return  # the batch in hand was not stored, so nothing past it is committed
        if took:
            idle_since = time.monotonic()
        idle_since = max(idle_since, assigned_at())
        if idle_exit_seconds is not None and time.monotonic() - idle_since >= idle_exit_seconds:
            return


def gather(consumer: Consumer, settings: GovbusSettings, client_error: ClientErrorLatch,
           clock: Callable[[], float] = time.monotonic) -> list[Message]:
    """One batch: up to ``sink_batch_size`` messages, read until the consumer has nothing more
    to give or ``sink_batch_max_wait_seconds`` have passed since the first (``next_read``); empty
    when nothing arrived within ``sink_batch_seconds``."""
    messages: list[Message] = []
    fill, first_at = Fill(0, 0, 0, 0.0), 0.0
    while (read := next_read(fill, settings.sink_batch_size, settings.sink_batch_seconds,
                             settings.sink_batch_max_wait_seconds)) is not None:
        got = consumer.consume(read.count, read.timeout)
        if got and not messages:
            first_at = clock()
        messages += without_transient_errors(got, client_error)
        fill = Fill(len(messages), read.count, len(got), clock() - first_at if messages else 0.0)
    return messages


class ConsumeRefused(RuntimeError):
    """A message-level error no retry fixes (after ``without_transient_errors``, what the
    batch raises about its messages): the sink stops with one line."""


def _guarded(handle: Callable[[list[Message]], bool], messages: list[Message]) -> Callable[[], bool]:
    def attempt() -> bool:
        try:
            return handle(messages)
        except KafkaException as exc:  # about the messages in hand: the same batch would fail again
            raise ConsumeRefused(f"the broker refused the consumer: {exc.args[0] if exc.args else exc}") from exc
    return attempt

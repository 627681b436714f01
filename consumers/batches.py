"""The batch loop the pool and audit sinks share: consume, stop on a fatal client error, hand
the batch over, and end when asked or when idle for long enough."""
from __future__ import annotations

import threading
import time
from typing import Callable

from confluent_kafka import Consumer, Message

from govbus.core.kafka_errors import ClientErrorLatch
from govbus.core.settings import GovbusSettings


def consume_batches(consumer: Consumer, settings: GovbusSettings, client_error: ClientErrorLatch,
                    handle: Callable[[list[Message]], bool], assigned_at: Callable[[], float],
                    stop: threading.Event | None, idle_exit_seconds: float | None) -> None:
    """Batches of up to ``sink_batch_size`` to ``handle`` (which says whether it took records)
    until ``stop`` is set, or until nothing arrived for ``idle_exit_seconds``, counted from the
    start or the last assignment (``assigned_at``): a rebalance is not idleness."""
    idle_since = time.monotonic()
    while not (stop is not None and stop.is_set()):
        messages = consumer.consume(settings.sink_batch_size, settings.sink_batch_seconds)
        client_error.raise_if_failed()
        if handle(messages):
            idle_since = time.monotonic()
        idle_since = max(idle_since, assigned_at())
        if idle_exit_seconds is not None and time.monotonic() - idle_since >= idle_exit_seconds:
            return

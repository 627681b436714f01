"""How long the broker may hold a Faust worker's fetch when there is nothing to send
(docs/capacity.md §6, issue 18: the end-to-end "saw-tooth").

faust-streaming 0.15.3 builds its aiokafka consumer with ``fetch_max_wait_ms=1500``
(transport/drivers/aiokafka.py). aiokafka sends one fetch at a time to a broker, and leaves out of
it every partition whose last fetched records are not all taken yet. A worker subscribed to
several partitions on one broker (`govbus process` reads every dataset's raw topic) that is
behind on one of them therefore sends a fetch for the idle ones only; with nothing to return, the
broker holds it the full 1.5 s, and no fetch for the busy partition can go out meanwhile. Measured
at 2,400 work orders/s (`bench.e2e_bench --rate 2400`, the raw topic broker-stamped): fetches of
1.5 s, the busy partition fetched once a cycle, records ~1.7-1.9 s old when the agent got them
while it sat idle a third of the time; the same point at 2,150 rec/s and below came and went
with whether the worker happened to be caught up when aiokafka sent its fetch.

A short wait bounds that delay; what it costs is a fetch round trip every ``wait_ms`` while the
bus is idle (10 a second at 100 ms): an idle `govbus process` used 2.3-2.4 % of a core against
1.4-1.6 % with Faust's 1.5 s (30 s each, two alternations, the local stack).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_PATCHED = "_govbus_fetch_wait_ms"


def short_fetch_wait(wait_ms: int) -> None:
    """Build every Faust worker consumer with ``fetch_max_wait_ms=wait_ms`` (the last call's
    value: one process runs one worker)."""
    create: Callable[..., Any] = AIOKafkaConsumerThread._create_worker_consumer
    if not getattr(create, _PATCHED, None):
        create = _with_fetch_wait(create)
        AIOKafkaConsumerThread._create_worker_consumer = create  # type: ignore[method-assign]
    setattr(create, _PATCHED, wait_ms)


def _with_fetch_wait(create: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(create)
    def create_worker_consumer(self: AIOKafkaConsumerThread, *args: Any, **kwargs: Any) -> Any:
        consumer = create(self, *args, **kwargs)
        # Read by AIOKafkaConsumer.start() when it builds its fetcher (the consumer is not started yet).
        consumer._fetch_max_wait_ms = getattr(create_worker_consumer, _PATCHED)
        return consumer
    return create_worker_consumer

"""The Faust worker: a thin agent around ``Pipeline.process`` (docs/findings.md#faust-streaming-0153).

Raw-bytes topics (decoding happens inside our own error handling), ``concurrency=1`` (faust-streaming issue #606:
higher concurrency commits past in-flight messages), at-least-once: the agent takes events in
batches (``noack_take``: Faust acknowledges nothing by itself) and acknowledges a batch only once
the broker has every output of it (``_confirm``). That wait overlaps the next batch's processing:
while batch N's outputs travel, N+1 is processed; N+1 is sent once N is confirmed, so each flush
waits for one batch only, at most two batches are unacknowledged and acknowledgements keep
their order. Faust's web server is off (its
/table views would expose personal data); metrics, /healthz and /readyz are served by
govbus.core.health_server instead.

Workers: every `govbus process` with the same GOVBUS_PROCESSOR_GROUP shares the raw topics'
partitions (stream_processors/faust_group.py: what a rebalance does to the batch in hand).

Outages (docs/operations.md#outages): an event whose processing fails because the registry is
unreachable is retried, the same event, with backoff; outputs the broker has not acknowledged
are waited for. The batch is acknowledged only once every output of it is, however long that
takes; a stop asked meanwhile exits without acknowledging it. What no retry fixes (a refused
output, a bug) stops the worker with one line (exit 70) before Faust can commit past it.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timezone
from typing import Any, Callable

import faust

from govbus.core.deadletter import Origin
from govbus.core.health_server import Health
from govbus.core.lag_gauges import LagGauges
from govbus.core.outage_watch import describe, outage_of, ride_out_async
from govbus.core.settings import GovbusSettings
from stream_processors.fatal import die
from stream_processors.faust_auth import broker_credentials, broker_urls
from stream_processors.faust_drain import lean_drain
from stream_processors.faust_fetch import short_fetch_wait
from stream_processors.faust_fix import seek_before_resume
from stream_processors.faust_group import group_member_config
from stream_processors.faust_health import install_heartbeat, leave_unacknowledged
from stream_processors.faust_lean import LeanMonitor, RawBytes, lean_producer_ebb
from stream_processors.faust_yield import lean_stream_yield
from stream_processors.heap import settle_heap
from stream_processors.output import OutputProducer
from stream_processors.pipeline import OutMessage, Pipeline

log = logging.getLogger(__name__)
BATCH_SIZE = 500
BATCH_SECONDS = 0.05


def build_app(settings: GovbusSettings, pipeline: Pipeline, raw_topics: list[str], output: OutputProducer,
              health: Health, lag: dict[str, bool],
              on_agreements_changed: Callable[[], None] = lambda: None) -> faust.App:
    seek_before_resume()  # faust 0.15.3 resumes partitions before seeking them (faust_fix.py)
    lean_drain()  # no four tasks per fetched record (faust_drain.py)
    lean_stream_yield()  # no turn of the event loop per record (faust_yield.py)
    short_fetch_wait(settings.faust_fetch_max_wait_ms)  # no busy partition held behind idle ones (faust_fetch.py)
    app = faust.App(
        settings.processor_group,
        broker=broker_urls(settings), broker_credentials=broker_credentials(settings),
        value_serializer="raw", key_serializer="raw",
        **group_member_config(settings, "processor"),
        web_enabled=False, producer_acks=-1,
        topic_allow_declare=False, topic_disable_leader=True,
        monitor=LeanMonitor(),  # no per-record statistics for Faust's web views (faust_lean.py)
        # Faust's documented opt-in: the stream takes an event already in its queue without
        # awaiting the channel (its coroutines, per record). Its other effect,
        # one decode for every channel of a topic, is moot here: one agent, raw bytes.
        cython_optimizations=True,
        # Fetch more a round trip and buffer more: with 1 MiB a partition (Faust's default) the
        # worker waited for the next fetch once its batches overlapped their flush (issue 18:
        # 3,958 -> 4,722 input records/s, docs/capacity.md §6). Both bounded: aiokafka's
        # fetch_max_bytes (50 MB) caps a response, ~2 KB an event caps the stream's buffer at ~35 MB.
        consumer_max_fetch_size=8 * 1024 * 1024, stream_buffer_maxsize=16384,
    )
    lean_producer_ebb(app)  # the processor sends nothing through Faust's producer (faust_lean.py)
    source = app.topic(*raw_topics, schema=RawBytes())
    gauges = LagGauges(pipeline.metrics, "process", settings.processor_group)

    @app.agent(source, concurrency=1)
    async def process(stream: faust.StreamT) -> None:
        confirming: asyncio.Future | None = None  # the batch before: its flush, then its acknowledgement
        # Faust hands agents a Stream, which has noack_take; StreamT does not declare it.
        async for events in stream.noack_take(BATCH_SIZE, within=BATCH_SECONDS):  # type: ignore[attr-defined]
            settle_heap()  # once: the worker is built by its first batch (stream_processors/heap.py)
            try:
                outs = await _process_batch(events, pipeline, health)
                # A batch is processed while the one before flushes, and sent only once that is
                # confirmed: a flush waits for every output queued, so sending first made each
                # confirmation wait for the next batch's outputs too (issue 18: the worker sat
                # idle ~16 % of the time).
                if confirming is not None:
                    await confirming  # at most one batch sent and not yet confirmed
                output.send_all(outs)
                confirming = asyncio.ensure_future(_confirm(stream, events, output, health, gauges))
            except asyncio.CancelledError:  # asked to stop mid-batch: acknowledge nothing of it
                leave_unacknowledged("stopping mid-batch")
            except Exception as exc:  # noqa: BLE001 - data faults never raise: this no retry fixes
                die(f"stopping: {describe(exc)}")

    @app.timer(interval=settings.agreements_reload_seconds)
    async def reload_agreements() -> None:
        # Registry calls block: keep them off the event loop.
        loop = asyncio.get_running_loop()
        try:
            changed = await loop.run_in_executor(None, pipeline.reload_agreements)
            if changed:
                await loop.run_in_executor(None, on_agreements_changed)
        except Exception as exc:
            if outage_of(exc) is None:
                raise
            return
        if changed:
            log.warning("agreements reloaded: %d in force", len(pipeline.book.all_plans()),
                        extra={"event": "agreements_reloaded"})

    install_heartbeat(app, health, gauges, lag,
                      on_beat=lambda: pipeline.refresh_agreement_gauges(datetime.now(timezone.utc)))
    return app


async def _process_batch(events: list, pipeline: Pipeline, health: Health) -> list[OutMessage]:
    """Every event's outputs, signed. An event the registry could not be asked about is retried
    (the same event: nothing after it runs first)."""
    batch: list = []
    for event in events:
        origin = _origin(event.message)
        try:
            outs = pipeline.process(origin)
        except Exception as exc:
            if outage_of(exc) is None:
                raise
            outs = await ride_out_async(health.watch, functools.partial(pipeline.process, origin), health.beat)
        batch += outs
    signed = pipeline.sign(batch)  # one signature per shared topic for the whole batch
    pipeline.flush_metrics()
    return signed


async def _confirm(stream: faust.StreamT, events: list, output: OutputProducer, health: Health,
                   gauges: LagGauges) -> None:
    """Wait until the broker has every output sent so far (this batch's, and any of the next
    batch's already sent), then acknowledge the batch's events: Faust commits no input whose
    outputs are not on the broker. Runs while the agent processes the next batch."""
    try:
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, output.flush_checked):
            health.beat()  # waiting for the broker is alive; the prober says it is down
        for event in events:
            await stream.ack(event)
        _note_processed(events, gauges)
    except asyncio.CancelledError:  # asked to stop while waiting: acknowledge nothing of it
        leave_unacknowledged("stopping while a batch's outputs were in flight")
    except Exception as exc:  # noqa: BLE001 - a refused output: the worker must stop, not skip
        die(f"stopping: {describe(exc)}")


def _note_processed(events: list, gauges: LagGauges) -> None:
    """The timestamp of each partition's last record of the batch (lag in seconds: govbus.core.lag)."""
    for event in events:
        message = event.message
        gauges.clock.processed(message.topic, message.partition, message.timestamp)


def _origin(message: faust.types.tuples.Message) -> Origin:
    return Origin(message.topic, message.partition, message.offset, message.key, message.value,
                  _headers(message.headers))


def _headers(headers: Any) -> tuple[tuple[str, bytes], ...]:
    if not headers:
        return ()
    items = headers.items() if isinstance(headers, dict) else headers
    return tuple((str(k), bytes(v or b"")) for k, v in items)

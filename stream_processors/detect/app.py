"""The detector's Faust worker: two thin agents around ``DetectPipeline`` (docs/findings.md#faust-streaming-0153).

raw.<dataset> ──observe──▶ <app id>-observations (keyed rule|key) ──detect──▶ emergency.incidents
                                         ▲ commands (govbus incident ack|resolve), ticks (timer)

Raw-bytes topics, ``concurrency=1`` (faust-streaming issue #606: with more, offsets are committed
past in-flight messages), at-least-once (Faust flushes sends and
changelogs before it commits offsets), web server off. State lives in three Faust tables
(memory store, recovered from their compacted changelogs), not in windowed tables: those
expire by wall clock and drop late data silently. The tables are co-partitioned with the
observations topic, which is why the first stage repartitions by ``rule|key``.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TableT

from govbus.core.health_server import Health
from govbus.core.outage_watch import describe, outage_of, ride_out_async
from govbus.core.settings import GovbusSettings
from stream_processors.detect.messages import Tick, encode
from stream_processors.detect.pipeline import DetectPipeline
from stream_processors.detect.state import Stores, json_copy
from stream_processors.fatal import die
from stream_processors.faust_auth import broker_credentials, broker_urls
from stream_processors.faust_drain import lean_drain
from stream_processors.faust_fetch import short_fetch_wait
from stream_processors.faust_fix import seek_before_resume
from stream_processors.faust_health import leave_unacknowledged

TABLES = ("buckets", "series", "clocks")


class TableStore:
    """A Faust table as a ``Store``. Copies on the way in and out: a memory-store table keeps the
    very object assigned and serialises it for the changelog later, so a caller changing a value
    it read would change the table without a changelog write."""

    def __init__(self, table: TableT) -> None:
        self.table = table

    def get(self, key: str) -> Any:
        value = self.table.get(key)
        return None if value is None else json_copy(value)

    def put(self, key: str, value: Any) -> None:
        self.table[key] = json_copy(value)

    def delete(self, key: str) -> None:
        if key in self.table:
            del self.table[key]


@dataclass(frozen=True)
class DetectOptions:
    app_id: str
    observations_topic: str
    partitions: int
    tick_seconds: float = 30.0


def _faust_app(settings: GovbusSettings, options: DetectOptions) -> faust.App:
    seek_before_resume()
    lean_drain()
    short_fetch_wait(settings.faust_fetch_max_wait_ms)
    return faust.App(
        options.app_id,
        broker=broker_urls(settings), broker_credentials=broker_credentials(settings),
        value_serializer="raw", key_serializer="raw", datadir=str(settings.state_dir / "faust-detect"),
        web_enabled=False, producer_acks=-1, stream_wait_empty=False, topic_allow_declare=False,
        topic_disable_leader=True, topic_partitions=options.partitions,
        # A crashed worker's partitions move after this long (Faust's default is 60 s).
        broker_session_timeout=15.0,
    )


def build_app(settings: GovbusSettings, pipeline: DetectPipeline, options: DetectOptions,
              health: Health) -> tuple[faust.App, dict[str, TableT]]:
    app = _faust_app(settings, options)
    raw = app.topic(*pipeline.raw_topics(), value_serializer="raw", key_serializer="raw")
    observations = app.topic(options.observations_topic, partitions=options.partitions,
                             value_serializer="raw", key_serializer="raw")
    incidents = app.topic(pipeline.topics.emergency_incidents, value_serializer="raw", key_serializer="raw")
    tables = {name: app.Table(name, partitions=options.partitions, help=f"detector {name}") for name in TABLES}
    pipeline.detector.stores = Stores(*(TableStore(tables[name]) for name in TABLES))

    @app.agent(raw, concurrency=1)
    async def observe(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                observed = await _observed(pipeline, event.message.topic, event.message.value, health)
                for key, value in observed:
                    await observations.send(key=key, value=value)
            except asyncio.CancelledError:  # asked to stop mid-event: acknowledge nothing of it
                leave_unacknowledged("stopping mid-event")
            except Exception as exc:  # noqa: BLE001 - data faults never raise (stream_processors/fatal.py)
                die(f"stopping: observing failed: {describe(exc)}")

    @app.agent(observations, concurrency=1)
    async def detect(stream: faust.StreamT) -> None:
        async for event in stream.events():
            now = int(time.time() * 1000)
            try:
                outputs = pipeline.handle(event.message.value, event.message.partition, now)
            except Exception as exc:  # noqa: BLE001 - data faults never raise (stream_processors/fatal.py)
                die(f"stopping: detection failed: {exc!r}")
            for key, value in outputs:
                await incidents.send(key=key, value=value)

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        # Sent as (app, assigned); rebalances are eager: ``assigned`` is the whole new assignment.
        assigned: set = args[0]
        pipeline.assigned(tp.partition for tp in assigned if tp.topic == options.observations_topic)

    @app.timer(interval=options.tick_seconds)
    async def tick() -> None:
        # Tables may change only inside stream iteration, so time reaches the detector as a
        # message on every partition; the open-incidents gauge is read from local state.
        value = encode(Tick(int(time.time() * 1000)))
        for partition in range(options.partitions):
            await observations.send(value=value, partition=partition)
        pipeline.detect_metrics.count_open(v.get("incident") for v in tables["series"].values())

    return app, tables


async def _observed(pipeline: DetectPipeline, topic: str, value: bytes | None,
                    health: Health) -> list[tuple[bytes, bytes]]:
    """Observations of one raw record; a registry outage is waited out (the same record again)."""
    try:
        return pipeline.observe(topic, value)
    except Exception as exc:
        if outage_of(exc) is None:
            raise
        return await ride_out_async(health.watch, lambda: pipeline.observe(topic, value), health.beat)


def changelog_topics(tables: dict[str, TableT]) -> list[str]:
    return [table.changelog_topic.get_topic_name() for table in tables.values()]

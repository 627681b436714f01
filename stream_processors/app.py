"""The Faust worker: a thin agent around ``Pipeline.process`` (faust-notes.md).

Raw-bytes topics (decoding happens inside our own error handling), ``concurrency=1`` (issue #606:
higher concurrency commits past in-flight messages), at-least-once (Faust flushes sends before it
commits offsets), Faust's web server off (its /table views would expose personal data; metrics
are served by prometheus-client instead).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

import faust

from govbus.core.deadletter import Origin
from govbus.core.settings import GovbusSettings
from stream_processors.pipeline import Pipeline

log = logging.getLogger(__name__)


def build_app(settings: GovbusSettings, pipeline: Pipeline, raw_topics: list[str],
              on_agreements_changed: Callable[[], None] = lambda: None) -> faust.App:
    app = faust.App(
        settings.processor_group,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        value_serializer="raw", key_serializer="raw",
        datadir=str(settings.state_dir / "faust"),
        web_enabled=False, producer_acks=-1, stream_wait_empty=False,
        topic_allow_declare=False, topic_disable_leader=True,
    )
    source = app.topic(*raw_topics, value_serializer="raw", key_serializer="raw")
    sinks: dict[str, faust.TopicT] = {}

    @app.agent(source, concurrency=1)
    async def process(stream):  # noqa: ANN001 - Faust's stream type
        async for event in stream.events():
            message = event.message
            origin = Origin(message.topic, message.partition, message.offset, message.key,
                            message.value, _headers(message.headers))
            for out in pipeline.process(origin):
                topic = sinks.get(out.topic) or sinks.setdefault(
                    out.topic, app.topic(out.topic, value_serializer="raw", key_serializer="raw"))
                await topic.send(key=out.key, value=out.value, headers=out.headers)

    @app.timer(interval=settings.agreements_reload_seconds)
    async def reload_agreements() -> None:
        # Registry calls block: keep them off the event loop.
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(None, pipeline.reload_agreements):
            await loop.run_in_executor(None, on_agreements_changed)
            log.warning("agreements reloaded: %d in force", len(pipeline.book.all_plans()))

    return app


def _headers(headers: object) -> tuple[tuple[str, bytes], ...]:
    if not headers:
        return ()
    items = headers.items() if isinstance(headers, dict) else headers
    return tuple((str(k), bytes(v or b"")) for k, v in items)

"""Baseline (a) of the processor benchmark: a naive Faust agent that decodes each Avro record and
re-encodes it to another topic with Faust's own send — no cleaning, no routing, no masking.

Run as: python -m bench.naive_faust <raw topic> <out topic> <group id>
(endpoints and identity from GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL / GOVBUS_KAFKA_*).
"""
from __future__ import annotations

import os
import sys
import tempfile

import faust

from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from govbus.core.topics import value_subject
from stream_processors.faust_auth import broker_credentials, broker_urls


def main(raw_topic: str, out_topic: str, group: str) -> None:
    settings = GovbusSettings()
    schema = load_schemas(settings.schemas_dir)["hotline.work_order"]
    serde = Serde.from_settings(settings)
    serde.prepare(value_subject(raw_topic), schema.schema)
    serde.prepare(value_subject(out_topic), schema.schema)
    app = faust.App(group, broker=broker_urls(settings), broker_credentials=broker_credentials(settings),
                    value_serializer="raw",
                    key_serializer="raw", web_enabled=False, datadir=os.path.join(tempfile.gettempdir(), group),
                    topic_allow_declare=False, topic_disable_leader=True)
    source = app.topic(raw_topic, value_serializer="raw", key_serializer="raw")
    sink = app.topic(out_topic, value_serializer="raw", key_serializer="raw")

    @app.agent(source, concurrency=1)
    async def copy(stream: faust.StreamT) -> None:
        async for event in stream.events():
            record = serde.decode(event.message.value).value
            await sink.send(key=event.message.key, value=serde.encode(value_subject(out_topic), record))

    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main(*sys.argv[1:4])

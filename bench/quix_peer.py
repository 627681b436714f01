"""Peer side of the processor benchmark: Quix Streams (the ``bench`` extra, in its own venv:
docs/capacity.md) decoding each Avro record and re-encoding it to another topic, through its
own consumer, producer and StreamingDataFrame, connected with the bus's SASL_SSL identity.

Run as: <quix venv>/bin/python -m bench.quix_peer <raw topic> <out topic> <group id> <out schema id>
(endpoints and identity from GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL / GOVBUS_KAFKA_*).
Runs until terminated.
"""
from __future__ import annotations

import sys
import tempfile
from typing import Any

from quixstreams import Application
from quixstreams.kafka.configuration import ConnectionConfig
from quixstreams.models import Deserializer, SerializationContext, Serializer

from bench.avro_frames import Frames
from bench.avro_frames import frames as framing
from govbus.core.settings import GovbusSettings, kafka_config

# What kafka_config adds beyond the connection; Quix takes those as the clients' extra config.
_CONNECTION = {"bootstrap.servers", "security.protocol", "sasl.mechanisms", "sasl.username",
               "sasl.password", "ssl.ca.location"}


class FramedAvroIn(Deserializer):
    def __init__(self, frames: Frames) -> None:
        super().__init__()
        self._frames = frames

    def __call__(self, value: bytes, ctx: SerializationContext) -> Any:
        return self._frames.decode(value)


class FramedAvroOut(Serializer):
    def __init__(self, frames: Frames) -> None:
        self._frames = frames

    def __call__(self, value: Any, ctx: SerializationContext) -> bytes:
        return self._frames.encode(value)


def main(raw_topic: str, out_topic: str, group: str, out_id: str) -> None:
    settings = GovbusSettings()
    frames = framing(settings, int(out_id))
    producer = kafka_config(settings, "producer")
    app = Application(
        broker_address=ConnectionConfig.from_librdkafka_dict(
            {k: v for k, v in producer.items() if k in _CONNECTION}),
        consumer_group=group, auto_offset_reset="earliest", auto_create_topics=False,
        use_changelog_topics=False, state_dir=tempfile.mkdtemp(prefix="quix-bench-"), loglevel="WARNING",
        producer_extra_config={k: v for k, v in producer.items() if k not in _CONNECTION})
    source = app.topic(raw_topic, key_deserializer="bytes", value_deserializer=FramedAvroIn(frames))
    sink = app.topic(out_topic, key_serializer="bytes", value_serializer=FramedAvroOut(frames))
    app.dataframe(source).to_topic(sink)
    app.run()


if __name__ == "__main__":
    main(*sys.argv[1:5])

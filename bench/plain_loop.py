"""Peer side of the processor benchmark: the plainest confluent-kafka loop — consume, fastavro
decode, re-encode, produce — with the bus's own client settings (SASL_SSL identity, idempotent
producer with acks=all and lz4, like govbus's).

Run as: python -m bench.plain_loop <raw topic> <out topic> <group id> <out schema id>
(endpoints and identity from GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL / GOVBUS_KAFKA_*).
Runs until terminated.
"""
from __future__ import annotations

import sys

from confluent_kafka import Consumer, Producer

from bench.avro_frames import frames as framing
from govbus.core.settings import GovbusSettings, kafka_config


def main(raw_topic: str, out_topic: str, group: str, out_id: str) -> None:
    settings = GovbusSettings()
    frames = framing(settings, int(out_id))
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    producer = Producer(kafka_config(settings, "producer"))
    consumer.subscribe([raw_topic])
    while True:
        for message in consumer.consume(500, 0.5):
            if message.error() is not None:
                continue
            value = frames.encode(frames.decode(message.value() or b""))
            while True:
                try:
                    producer.produce(out_topic, value, message.key())
                    break
                except BufferError:  # the local queue is full: let deliveries drain
                    producer.poll(0.05)
        producer.poll(0)


if __name__ == "__main__":
    main(*sys.argv[1:5])

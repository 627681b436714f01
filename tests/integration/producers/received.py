"""Reading back what the SQL-polling and HTTP-ingest adapters published, keyed and decoded."""
from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Consumer

from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config


@dataclass(frozen=True)
class Received:
    key: str
    value: dict


def consume(settings: GovbusSettings, topic: str, expected: int, timeout: float = 60.0,
            settle: float = 2.0) -> list[Received]:
    """Every record on ``topic`` from the start: waits for ``expected`` of them, then ``settle``
    seconds more so that unexpected extras (duplicates) are caught too."""
    serde = Serde.from_settings(settings)
    consumer = Consumer(kafka_config(settings, "consumer",
                                     **{"group.id": f"{topic}-check-{time.monotonic_ns()}"}))
    consumer.subscribe([topic])
    received: list[Received] = []
    deadline, quiet_until = time.monotonic() + timeout, None
    try:
        while time.monotonic() < (quiet_until or deadline):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                received.append(Received(message.key().decode(), serde.decode(message.value()).value))
            if quiet_until is None and len(received) >= expected:
                quiet_until = time.monotonic() + settle
    finally:
        consumer.close()
    return received

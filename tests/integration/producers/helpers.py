"""Reading back what an adapter published, for the producers' integration tests."""
from __future__ import annotations

import time
import uuid
from typing import Any

from confluent_kafka import Consumer

from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config


def consume(settings: GovbusSettings, topic: str, expected: int,
            timeout: float = 60.0) -> list[Any]:
    """Every message on ``topic`` until ``expected`` arrived (and a second of quiet after, so
    that a surplus shows), or the timeout."""
    group = f"{settings.topic_prefix}-check-{uuid.uuid4().hex[:6]}"
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    consumer.subscribe([topic])
    messages: list[Any] = []
    deadline, quiet_until = time.monotonic() + timeout, None
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
            if len(messages) >= expected:
                quiet_until = quiet_until or time.monotonic() + 1.0
                if time.monotonic() > quiet_until:
                    break
    finally:
        consumer.close()
    return messages


def decoded(settings: GovbusSettings, messages: list[Any]) -> list[dict[str, Any]]:
    serde = Serde.from_settings(settings)
    return [serde.decode(m.value()).value for m in messages]

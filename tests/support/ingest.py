"""Stand-ins for HTTP ingest's unit tests: a librdkafka producer whose delivery reports the test
decides, and a serde that encodes records as JSON (no registry)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

from confluent_kafka import KafkaError


class FakeProducer:
    """``produce`` queues; ``poll`` serves the queued reports while ``release`` is set. A report
    is an error when ``error_for(topic, key, value)`` returns a KafkaError code."""

    def __init__(self, error_for: Callable[[str, bytes, bytes], int | None] | None = None,
                 raise_for: Callable[[bytes], BaseException | None] | None = None) -> None:
        self.error_for = error_for or (lambda topic, key, value: None)
        self.raise_for = raise_for or (lambda key: None)  # what produce() raises for a key
        self.produced: list[tuple[str, bytes, bytes]] = []
        self.acknowledged: list[tuple[str, bytes, bytes]] = []
        self.pending: list[tuple[tuple[str, bytes, bytes], Callable[..., None]]] = []
        self.release = threading.Event()
        self.release.set()
        self.lock = threading.Lock()
        self.flushes = 0

    def produce(self, topic: str, value: bytes, key: bytes, on_delivery: Callable[..., None]) -> None:
        refusal = self.raise_for(key)
        if refusal is not None:
            raise refusal
        with self.lock:
            self.produced.append((topic, key, value))
            self.pending.append(((topic, key, value), on_delivery))

    def poll(self, timeout: float = 0) -> int:
        if not self.release.is_set():
            time.sleep(min(timeout, 0.02))
            return 0
        with self.lock:
            pending, self.pending = self.pending, []
        for message, callback in pending:
            code = self.error_for(*message)
            if code is None:
                self.acknowledged.append(message)
            callback(None if code is None else KafkaError(code), None)
        if not pending:
            time.sleep(min(timeout, 0.01))
        return len(pending)

    def flush(self, timeout: float = 0) -> int:
        self.flushes += 1
        self.poll(0)
        return len(self.pending)

    def __len__(self) -> int:
        return len(self.pending)


class JsonSerde:
    """``prepare`` remembers subjects; ``encode`` writes JSON (datetimes as text)."""

    def __init__(self, fail_prepare: Exception | None = None) -> None:
        self.prepared: list[str] = []
        self.fail_prepare = fail_prepare

    def prepare(self, subject: str, schema: dict[str, Any]) -> int:
        if self.fail_prepare is not None:
            raise self.fail_prepare
        self.prepared.append(subject)
        return 1

    def encode(self, subject: str, record: dict[str, Any]) -> bytes:
        return json.dumps(record, default=str, ensure_ascii=False).encode()


def published_records(producer: FakeProducer) -> list[dict[str, Any]]:
    return [json.loads(value) for _, _, value in producer.acknowledged]

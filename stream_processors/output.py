"""Outputs of the processor go through one confluent-kafka producer, batch by batch.

Why not Faust's ``topic.send``: it costs far more per message than librdkafka, and a record
with three agreements makes six messages (three deliveries, three audit events). The agent
produces a batch here, then waits for every delivery report before the batch's input events
are acknowledged — so Faust never commits an offset whose outputs are not on the broker
(at-least-once). A refused delivery raises ``OutputFailed``: the worker must stop, not skip.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from stream_processors.pipeline import OutMessage


class OutputFailed(RuntimeError):
    """The broker did not acknowledge an output: the input must not be committed."""


@dataclass
class OutputProducer:
    producer: Producer
    failures: list[str] = field(default_factory=list)

    def send_all(self, outs: list[OutMessage]) -> None:
        for out in outs:
            self._produce(out)
        self.producer.poll(0)

    def _produce(self, out: OutMessage) -> None:
        while True:
            try:
                # (str, bytes) pairs are a header form produce() takes; the stub's list is invariant.
                self.producer.produce(out.topic, out.value, out.key, headers=out.headers,  # type: ignore[arg-type]
                                      on_delivery=self._on_delivery)
                return
            except BufferError:  # local queue full: let deliveries drain, then retry
                self.producer.poll(0.05)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.failures.append(f"{msg.topic()}: {err}")

    def flush_checked(self, timeout: float = 60.0) -> None:
        """Block until every output is acknowledged; raise if any was refused or timed out."""
        remaining = self.producer.flush(timeout)
        if remaining or self.failures:
            detail = self.failures[0] if self.failures else f"{remaining} still unacknowledged"
            raise OutputFailed(f"outputs not acknowledged by the broker: {detail}")

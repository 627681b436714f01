"""Outputs of the processor go through one confluent-kafka producer, batch by batch.

Why not Faust's ``topic.send``: it costs far more per message than librdkafka, and a record
with three agreements makes six messages (three deliveries, three audit events). The agent
produces a batch here, then waits for every delivery report before the batch's input events
are acknowledged — so Faust never commits an offset whose outputs are not on the broker
(at-least-once). A refused delivery raises ``OutputFailed``: the worker must stop, not skip.

Outages: the producer is built with no local message timeout (``OUTAGE_CONFIG``), so outputs wait
in librdkafka's queue however long the broker is away and are delivered when it returns;
``flush_checked`` answers how many are still waiting and the agent keeps flushing (and keeps the
batch unacknowledged) until none is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from govbus.core.kafka_errors import ClientErrorLatch
from stream_processors.pipeline import OutMessage

# message.timeout.ms 0: never give up on an output locally (librdkafka retries it until the
# broker takes it); an outage of any length then costs waiting, not a lost or re-sent batch.
# delivery.report.only.error: ``_on_delivery`` is called for refused outputs only (the only
# ones it records): six Python callbacks an input record fewer, as in producers/sdk/publisher.py.
OUTAGE_CONFIG = {"message.timeout.ms": 0, "delivery.report.only.error": True}


class OutputFailed(RuntimeError):
    """The broker refused an output: the input must not be committed."""


@dataclass
class OutputProducer:
    producer: Producer
    failures: list[str] = field(default_factory=list)
    # The producer's error_cb: a refused login or a fatal producer error stops the worker.
    client_error: ClientErrorLatch | None = None

    def send_all(self, outs: list[OutMessage]) -> None:
        # Six messages an input record: ``produce`` and the report callback are looked up once,
        # and a message without headers (an audit event) is produced without an empty list,
        # which librdkafka would still turn into a header set (~0.15 µs).
        produce, report = self.producer.produce, self._on_delivery
        for out in outs:
            try:
                if out.headers:
                    # (str, bytes) pairs are a header form produce() takes; the stub's list is invariant.
                    produce(out.topic, out.value, out.key, headers=out.headers,  # type: ignore[arg-type]
                            on_delivery=report)
                else:
                    produce(out.topic, out.value, out.key, on_delivery=report)
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._produce_when_room(out)
        self.producer.poll(0)

    def _produce_when_room(self, out: OutMessage) -> None:
        while True:
            self.producer.poll(0.05)
            try:
                self.producer.produce(out.topic, out.value, out.key, headers=out.headers or None,  # type: ignore[arg-type]
                                      on_delivery=self._on_delivery)
                return
            except BufferError:
                continue

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.failures.append(f"{msg.topic()}: {err}")

    def flush_checked(self, timeout: float = 5.0) -> int:
        """Wait up to ``timeout`` seconds for the outputs; how many are still unacknowledged.
        Raises if the broker refused any."""
        remaining = self.producer.flush(timeout)
        if self.client_error is not None:
            self.client_error.raise_if_failed()
        if self.failures:
            raise OutputFailed(f"outputs refused by the broker: {self.failures[0]}")
        return remaining

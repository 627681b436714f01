"""The publisher every department adapter sends through.

It produces idempotently (enable.idempotence, acks=all) keyed by the business key, serialises
with the shared serde, checks every delivery report (``flush`` raises if any record was not
acknowledged) and counts what it does in Prometheus metrics.
"""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from confluent_kafka import KafkaError, Message, Producer

from govbus import __version__
from govbus.core.deadletter import Origin, dead_letter_headers, dead_letter_record, load_dead_letter_schema
from govbus.core.metrics import Metrics, new_metrics
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topics import value_subject

# How long a publisher that is being left because of an error waits for what is in flight.
EXIT_FLUSH_SECONDS = 30.0


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge some records: the adapter must not report success."""


@dataclass(eq=False)  # identity, not value: two publishers are never "equal"
class Publisher:
    """Sends records of any dataset for one process. ``prepare`` each dataset once, then
    ``publish`` (one record dict) or ``publish_encoded`` (framed bytes, the bulk path), and
    ``flush`` before reporting success. A ``producer`` given by the caller (tests) must report
    deliveries to ``_on_delivery`` for ``flush`` to see refusals.

    ``with Publisher(...) as p:`` flushes and closes on exit: strictly (DeliveryFailed raises)
    when the block ends normally; on an exception (SystemExit from SIGTERM included) it still
    delivers what is in flight but only reports, so the original error is the one seen. It
    installs no signal handler and no exit hook: what SIGTERM does is the wiring's choice."""

    settings: GovbusSettings
    serde: Serde
    metrics: Metrics
    producer: Producer | None = None
    failures: list[str] = field(default_factory=list)
    acknowledged: int = 0
    sent: int = 0
    refused: int = 0

    def __post_init__(self) -> None:
        self.topics = topic_names(self.settings)
        if self.producer is None:
            self.producer = Producer(producer_config(self.settings, self._on_delivery))
        self._counters: dict[tuple[str, str, str], Any] = {}

    @property
    def _client(self) -> Producer:
        """``producer``, never None after ``__post_init__``."""
        assert self.producer is not None
        return self.producer

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            if exc_type is None:
                self.flush()
            else:
                self.deliver_in_flight()
        finally:
            self.close()

    def close(self) -> None:
        """Release the client (its threads and connections) once nothing is left to deliver.
        With records still queued it stays open: ``Producer.close`` would wait for a broker
        that is not answering, and the caller is already on its way out."""
        close = getattr(self.producer, "close", None)  # test stand-ins may have none
        if close is not None and not _in_flight(self.producer):
            close()

    def deliver_in_flight(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Deliver what is still queued; report on stderr, never raise (the caller is already
        failing or exiting, and its own error is the one to see)."""
        try:
            if not _in_flight(self.producer):  # nothing to deliver: do not wait
                return
            left = self._client.flush(timeout)
        except Exception as exc:  # noqa: BLE001 - failing anyway: say what happened
            print(f"govbus: flush on the way out failed: {exc}", file=sys.stderr)
            return
        if left or self.failures:
            print(f"govbus: on the way out {left} records unacknowledged and "
                  f"{len(self.failures)} refused", file=sys.stderr)

    def prepare(self, schema: DatasetSchema, dead_letter_schema: dict[str, Any]) -> None:
        self.serde.prepare(value_subject(self.topics.raw(schema.dataset)), schema.schema)
        self.serde.prepare(value_subject(self.topics.dlq(schema.dataset)), dead_letter_schema)

    def schema_id(self, dataset: str) -> int:
        """The registry id of ``raw.<dataset>``'s schema (after ``prepare``), for framing."""
        return self.serde.schema_id(value_subject(self.topics.raw(dataset)))

    def publish(self, schema: DatasetSchema, record: dict[str, Any], key: str) -> None:
        """Encode and send one record (with its envelope) to ``raw.<dataset>``."""
        topic = self.topics.raw(schema.dataset)
        self._produce(topic, key.encode(), self.serde.encode(value_subject(topic), record), [])
        self.sent += 1
        self._count(schema.dataset, record["envelope"]["source_department"], "published", 1)
        self._client.poll(0)

    def publish_encoded(self, schema: DatasetSchema, department: str,
                        items: Iterable[tuple[bytes, bytes]]) -> int:
        """Send already framed (key, value) pairs to ``raw.<dataset>``: the bulk path, with one
        ``poll(0)`` and one metrics update per batch instead of per record."""
        topic, produce, sent = self.topics.raw(schema.dataset), self._client.produce, 0
        for key, value in items:
            try:
                produce(topic, value, key)
            except BufferError:  # local queue full: serve delivery reports, then retry
                self._produce(topic, key, value, [])
            sent += 1
        self.sent += sent
        self._count(schema.dataset, department, "published", sent)
        self._client.poll(0)
        return sent

    def publish_reject(self, schema: DatasetSchema, fault: Fault, origin: Origin,
                       owner: str) -> None:
        """Send a record the adapter refused to ``dlq.<dataset>``, original bytes included."""
        topic = self.topics.dlq(schema.dataset)
        letter = dead_letter_record(fault, dataset=schema.dataset, owner=owner, origin=origin,
                                    processor="producers", version=__version__)
        self._produce(topic, origin.key, self.serde.encode(value_subject(topic), letter),
                      dead_letter_headers(fault, schema.dataset, owner))
        self.sent += 1
        self._count(schema.dataset, owner, "rejected", 1)
        self.metrics.dlq_records.labels("adapter", schema.dataset, owner, fault.reason).inc()

    def _produce(self, topic: str, key: bytes | None, value: bytes, headers: list) -> None:
        while True:
            try:
                self._client.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                self._client.poll(0.05)

    def _count(self, dataset: str, department: str, outcome: str, n: int) -> None:
        """Cached labelled children: ``labels()`` costs a lock and a dict build per call."""
        child = self._counters.get((dataset, department, outcome))
        if child is None:
            child = self._counters[(dataset, department, outcome)] = \
                self.metrics.records.labels("ingest", dataset, department, outcome)
        child.inc(n)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        # Called for failures only (delivery.report.only.error): a success costs no Python call.
        if err is not None:
            self.refused += 1
            topic = msg.topic()
            assert topic is not None  # a delivery report names the topic it was sent to
            self.failures.append(f"{topic} key={msg.key()!r}: {err}")
            try:
                dataset = self.topics.dataset_of(topic)
            except ValueError:
                dataset = topic
            self.metrics.records.labels("ingest", dataset, "", "failed").inc()

    def in_flight(self, timeout: float = 0.0) -> int:
        """Serve delivery reports for up to ``timeout`` seconds, then the number of records
        sent but neither acknowledged nor refused yet (for loops that pace themselves)."""
        self._client.poll(timeout)
        return _in_flight(self.producer)

    def flush(self, timeout: float = 60.0) -> int:
        """Wait for every delivery report; raise DeliveryFailed if any record was refused."""
        remaining = self._client.flush(timeout)
        if remaining:
            raise DeliveryFailed(f"{remaining} records still unacknowledged after {timeout}s")
        if self.failures:
            raise DeliveryFailed(f"{len(self.failures)} records refused by the broker, first: "
                                 f"{self.failures[0]}")
        # Every report is in and this batch had no refusal: the rest of what was sent is
        # acknowledged (a caller may clear ``failures`` it has answered, never ``refused``).
        self.acknowledged = self.sent - self.refused
        return self.acknowledged


def producer_config(settings: GovbusSettings, on_delivery: Any) -> dict[str, Any]:
    """The SDK's producer configuration. Refuses overrides that would weaken the guarantees."""
    config = kafka_config(settings, "producer", **{"delivery.report.only.error": True,
                                                   "on_delivery": on_delivery})
    if str(config.get("enable.idempotence")).lower() != "true" or \
            str(config.get("acks")) not in ("all", "-1"):
        raise ValueError("producers must run with enable.idempotence=true and acks=all")
    return config


def _in_flight(producer: Any) -> int:
    try:
        return len(producer)
    except TypeError:  # a stand-in without a queue length: flush to be safe
        return 1


def connect_publisher(settings: GovbusSettings, schema: DatasetSchema,
                      metrics: Metrics | None = None) -> Publisher:
    """A Publisher on the configured registry, ``schema`` (and the dead-letter schema)
    prepared. Use it as a context manager."""
    publisher = Publisher(settings, Serde.from_settings(settings), metrics or new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    return publisher


@contextmanager
def exits_on_sigterm() -> Iterator[None]:
    """For the wiring of a run that must not lose records: while inside, SIGTERM raises
    SystemExit(128 + SIGTERM), so ``with Publisher(...)`` blocks unwind and deliver what is in
    flight (SIGTERM's default action would end the process with records still queued in
    librdkafka). The previous handler is restored on the way out. Off the main thread, where
    Python cannot set handlers, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def signals_held() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM wait (blocked in the kernel) and are handled on the way
    out: a step that sends records and then counts them is never cut between the two, so an
    interrupted import's count is what reached the broker (a batch sent but not counted would
    be sent again by the resumed run). Off the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

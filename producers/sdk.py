"""The producer SDK every department adapter uses.

It fills the envelope (a deterministic event id from the source's natural key, so a re-import
publishes the same ids and downstream deduplicates), serialises with the shared serde, produces
idempotently (enable.idempotence, acks=all) keyed by the business key, checks every delivery
report (``flush`` raises if any record was not acknowledged), flushes what is in flight when the
process exits or receives SIGTERM, and counts what it does in Prometheus metrics.
"""
from __future__ import annotations

import atexit
import hashlib
import signal
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from confluent_kafka import KafkaError, Message, Producer

from govbus import __version__
from govbus.core.catalogue import Catalogue
from govbus.core.deadletter import Origin, dead_letter_headers, dead_letter_record
from govbus.core.metrics import Metrics
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topics import value_subject

# Fixed namespace for govbus event ids (UUIDv5): same source key, same id, on every machine.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8c1e-5b7e-9a43-2f1b7a9e0c11")
EXIT_FLUSH_SECONDS = 30.0


class EventIds:
    """UUIDv5 event ids of one (dataset, department), bit for bit ``uuid.uuid5``'s.

    Why not ``uuid.uuid5`` itself: it costs ~4 µs a call, a fifth of the per-row budget of a
    bulk import; hashing the constant prefix once and copying the SHA-1 state costs a third.
    """

    def __init__(self, dataset: str, department: str) -> None:
        self.prefix_bytes = EVENT_ID_NAMESPACE.bytes + f"{dataset}|{department}|".encode()
        self._prefix = hashlib.sha1(self.prefix_bytes)

    def __call__(self, natural_key: str) -> str:
        h = self._prefix.copy()
        h.update(natural_key.encode())
        d = bytearray(h.digest()[:16])
        d[6] = (d[6] & 0x0F) | 0x50  # version 5
        d[8] = (d[8] & 0x3F) | 0x80  # RFC 4122 variant
        x = d.hex()
        return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def event_id_for(dataset: str, department: str, natural_key: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{dataset}|{department}|{natural_key}"))


def versioned_key(natural_key: str, body: bytes) -> str:
    """The natural key of one *version* of an entity: the key plus a digest of the record's Avro
    body (every field but the envelope). Why: the processor drops an event id it has seen
    recently, so an id from the key alone would drop every update of a work order; with the
    body digest, re-importing an unchanged record repeats its id (and deduplicates) while a
    changed one gets a new id."""
    return f"{natural_key}#{hashlib.sha256(body).hexdigest()[:16]}"


@dataclass(frozen=True)
class Source:
    """Who publishes: the department, its administrative level and its region."""

    department: str
    level: str
    region_code: str
    component: str


def region_field(schema: DatasetSchema) -> str | None:
    """The field that locates a record: ``region_code``, else the first field tagged as a
    region (population.resident has only household_region_code)."""
    if "region_code" in schema.tags:
        return "region_code"
    return next((t.name for t in schema.tags.values() if t.pii == "region"), None)


def envelope_for(schema: DatasetSchema, record: dict[str, Any], source: Source,
                 now: datetime | None = None, body: bytes | None = None) -> dict[str, Any]:
    """The envelope for ``record``; its event time is the field the schema names as
    ``event_time`` (e.g. accepted_at), else now; its region the record's own, else the
    source's."""
    now = now or datetime.now(timezone.utc)
    time_field = schema.schema.get("event_time")
    event_time = record.get(time_field) if time_field else None
    natural_key = str(record.get(schema.key_field, "")) if schema.key_field else ""
    if natural_key and body is not None:
        natural_key = versioned_key(natural_key, body)
    where = region_field(schema)
    return {
        "event_id": event_id_for(schema.dataset, source.department, natural_key) if natural_key
        else str(uuid.uuid4()),
        "event_time": event_time or now, "dataset": schema.dataset,
        "source_department": source.department, "source_level": source.level,
        "region_code": str((record.get(where) if where else None) or source.region_code),
        "classification": schema.classification(record),
        "lineage": [{"stage": "ingest", "component": source.component, "version": __version__,
                     "agreement_id": None, "agreement_version": None, "time": now}],
    }


class NotProvider(ValueError):
    """A department tried to publish a dataset the catalogue says another department provides."""


def check_provider(catalogue: Catalogue, dataset: str, department: str) -> None:
    """Raise NotProvider unless ``department`` provides ``dataset`` (raw topics are written by
    their owner only: architecture.md)."""
    entry = catalogue.entries.get(dataset)
    if entry is None:
        raise NotProvider(f"dataset {dataset} has no catalogue entry, so nobody may publish it")
    if entry.provider.department != department:
        raise NotProvider(f"department {department!r} may not publish {dataset}: the catalogue "
                          f"names {entry.provider.department!r} as its provider")


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge some records: the adapter must not report success."""


@dataclass(eq=False)  # identity, not value: publishers live in a WeakSet for the exit flush
class Publisher:
    """Sends records of any dataset for one process. ``prepare`` each dataset once, then
    ``publish`` (one record dict) or ``publish_encoded`` (framed bytes, the bulk path), and
    ``flush`` before reporting success. A ``producer`` given by the caller (tests) must report
    deliveries to ``_on_delivery`` for ``flush`` to see refusals."""

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
        _LIVE.add(self)
        _install_exit_hooks()

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
        self.producer.poll(0)

    def publish_encoded(self, schema: DatasetSchema, department: str,
                        items: Iterable[tuple[bytes, bytes]]) -> int:
        """Send already framed (key, value) pairs to ``raw.<dataset>``: the bulk path, with one
        ``poll(0)`` and one metrics update per batch instead of per record."""
        topic, produce, sent = self.topics.raw(schema.dataset), self.producer.produce, 0
        for key, value in items:
            try:
                produce(topic, value, key)
            except BufferError:  # local queue full: serve delivery reports, then retry
                self._produce(topic, key, value, [])
            sent += 1
        self.sent += sent
        self._count(schema.dataset, department, "published", sent)
        self.producer.poll(0)
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
        self.metrics.dlq_records.labels(schema.dataset, fault.reason).inc()

    def _produce(self, topic: str, key: bytes | None, value: bytes, headers: list) -> None:
        while True:
            try:
                self.producer.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                self.producer.poll(0.05)

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
            self.failures.append(f"{msg.topic()} key={msg.key()!r}: {err}")
            try:
                dataset = self.topics.dataset_of(msg.topic())
            except ValueError:
                dataset = msg.topic()
            self.metrics.records.labels("ingest", dataset, "", "failed").inc()

    def flush(self, timeout: float = 60.0) -> int:
        """Wait for every delivery report; raise DeliveryFailed if any record was refused."""
        remaining = self.producer.flush(timeout)
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


# --- flush on exit and on SIGTERM -----------------------------------------------------------

_LIVE: "weakref.WeakSet[Publisher]" = weakref.WeakSet()
_hooks_installed = False


def _flush_live(timeout: float = EXIT_FLUSH_SECONDS) -> None:
    """Deliver what every live publisher still holds; report, never raise (we are exiting)."""
    for publisher in list(_LIVE):
        try:
            if not _in_flight(publisher.producer):  # nothing to deliver: do not wait
                continue
            left = publisher.producer.flush(timeout)
        except Exception as exc:  # noqa: BLE001 - exiting anyway: say what happened
            print(f"govbus: flush at exit failed: {exc}", file=sys.stderr)
            continue
        if left or publisher.failures:
            print(f"govbus: at exit {left} records unacknowledged and "
                  f"{len(publisher.failures)} refused", file=sys.stderr)


def _in_flight(producer: Any) -> int:
    try:
        return len(producer)
    except TypeError:  # a stand-in without a queue length: flush to be safe
        return 1


def _on_sigterm(signum: int, _frame: Any) -> None:
    _flush_live()
    raise SystemExit(128 + signum)


def _install_exit_hooks() -> None:
    """Once per process: flush at interpreter exit, and on SIGTERM unless the program already
    handles SIGTERM itself (then it owns shutdown and calls ``flush``)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_flush_live)
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)

"""Delivery for HTTP ingest: each request waits for the delivery reports of its own records.

Every record is produced with its own delivery callback (``produce(..., on_delivery=...)``,
``delivery.report.only.error=false``), so one request's refused or oversized record cannot make
another request fail, and no request waits for a flush of everybody's records. One thread
serves the callbacks (``poll``); one worker thread registers schemas (blocking HTTP), encodes
and produces.

Why a 503 means "not published, and never will be": the producer runs with
``message.timeout.ms`` = ``GOVBUS_INGEST_DELIVERY_TIMEOUT_SECONDS``, after which librdkafka
stops retrying a record and reports ``_MSG_TIMED_OUT``; a request is answered only once every
one of its records has its final report, so no record of an answered request is still queued
for a broker that comes back. A timed-out record is still ambiguous (librdkafka's
``POSSIBLY_PERSISTED`` when it was in flight, a status confluent-kafka does not expose): the
producer's statistics (``txmsgs``, messages put into produce requests) settle it: unchanged
between the record's produce() and a statistics snapshot taken after its report means it was
never sent (outcome.py).

Admission is by an in-flight record limit (HTTP 429 beyond it), so produce() never blocks on a
full librdkafka queue.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from confluent_kafka import KafkaError, KafkaException

from govbus.core.metrics import Metrics
from govbus.core.schemas import DatasetSchema
from govbus.core.topics import TopicNames, value_subject
from producers.http.outcome import (
    RecordOutcome,
    Report,
    Status,
    record_outcome,
    too_large_indices,
    transmitted_messages,
)

log = logging.getLogger(__name__)

# librdkafka's default message.max.bytes, used when the configuration does not set it.
LIBRDKAFKA_MESSAGE_MAX_BYTES = 1_000_000
# Framing librdkafka adds to key + value when it checks message.max.bytes (its
# RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD is smaller; this leaves room for the batch header too).
FRAMING_BYTES = 128
STATS_INTERVAL_MS = 500
POLL_SECONDS = 0.1


class Unavailable(RuntimeError):
    """Nothing of the request was produced (the registry did not answer, the producer is
    stopping): the caller answers 503 and the client may retry."""


class TooLarge(ValueError):
    """Records larger than the producer's message.max.bytes: nothing was produced (413)."""

    def __init__(self, indices: list[int], limit: int) -> None:
        super().__init__(f"records {indices} exceed {limit} bytes")
        self.indices, self.limit = indices, limit


class Unencodable(ValueError):
    """A record the Avro encoder refused (a bug in validation if it happens): 400."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class TransmitWatch:
    """The producer's ``txmsgs`` from its statistics callback (poll thread), and how many
    snapshots have been seen (the event loop reads both; ints are swapped atomically). Made
    with its producer: before the first snapshot, nothing has been transmitted (0)."""

    def __init__(self) -> None:
        self.txmsgs: int | None = 0
        self.snapshots = 0

    def on_stats(self, stats_json: str) -> None:
        self.txmsgs = transmitted_messages(stats_json)
        self.snapshots += 1


@dataclass
class _Request:
    """The reports of one request's records; ``done`` is set on the loop when all are in."""

    reports: list[Report | None]
    pending: int
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future
    txmsgs_before: int | None
    # Reports come from the poll thread, and from the worker thread for records produce()
    # refused: the count is shared.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def callback(self, index: int) -> Callable[[KafkaError | None, Any], None]:
        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            self.reports[index] = Report() if err is None else Report(err.code(), err.str())
            with self.lock:
                self.pending -= 1
                last = self.pending == 0
            if last:
                try:
                    self.loop.call_soon_threadsafe(_settle, self.done)
                except RuntimeError:  # the loop is closed: the server stopped, nobody waits
                    pass
        return on_delivery


def _settle(done: asyncio.Future) -> None:
    if not done.done():
        done.set_result(None)


class IngestDelivery:
    def __init__(self, producer: Any, serde: Any, topics: TopicNames, metrics: Metrics,
                 max_in_flight: int, timeout_seconds: float, max_message_bytes: int,
                 watch: TransmitWatch | None = None) -> None:
        self.producer, self.serde, self.topics, self.metrics = producer, serde, topics, metrics
        self.max_in_flight = max_in_flight
        self.timeout_seconds = timeout_seconds
        self.max_message_bytes = max_message_bytes
        self.watch = watch or TransmitWatch()
        self.in_flight = 0
        self._prepared: set[str] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._poller: threading.Thread | None = None
        self._stopping = threading.Event()

    def reserve(self, count: int) -> bool:
        """Admit ``count`` records, or say no (429). Only called on the event loop's thread."""
        if self.in_flight + count > self.max_in_flight:
            return False
        self.in_flight += count
        return True

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govbus-ingest")
        self._stopping.clear()
        self._poller = threading.Thread(target=self._poll, name="govbus-ingest-reports",
                                        daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                self.producer.poll(POLL_SECONDS)
            except Exception:  # a callback that raises must not end the reports
                log.exception("serving delivery reports failed; going on")

    async def deliver(self, schema: DatasetSchema, records: list[dict[str, Any]],
                      department: str) -> list[RecordOutcome]:
        """Each record's outcome once every report is in (records reserved first). Raises
        Unavailable, TooLarge or Unencodable when nothing was produced."""
        try:
            return await self._deliver(schema, records, department)
        finally:
            self.in_flight -= len(records)

    async def _deliver(self, schema: DatasetSchema, records: list[dict[str, Any]],
                       department: str) -> list[RecordOutcome]:
        if self._executor is None:
            raise Unavailable("the ingest is stopping")
        loop = asyncio.get_running_loop()
        encoded = await loop.run_in_executor(self._executor, self._encode, schema, records)
        sizes = [len(key) + len(value) for key, value in encoded]
        too_large = too_large_indices(sizes, self.max_message_bytes, FRAMING_BYTES)
        if too_large:
            raise TooLarge(too_large, self.max_message_bytes)
        request = _Request([None] * len(records), len(records), loop, loop.create_future(),
                           self.watch.txmsgs)
        await loop.run_in_executor(self._executor, self._produce, schema, encoded, request)
        # Shielded: a client that hangs up does not stop its records, which are already queued.
        deadline = self.timeout_seconds + 5 * STATS_INTERVAL_MS / 1000 + 2.0
        try:
            await asyncio.wait_for(asyncio.shield(request.done), deadline)
        except asyncio.TimeoutError:
            log.error("%d of %d delivery reports missing %.0fs after produce", request.pending,
                      len(records), deadline)
        outcomes = await self._outcomes(request)
        self._count(schema.dataset, department, outcomes)
        return outcomes

    def _encode(self, schema: DatasetSchema, records: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
        """On the worker thread: register the subjects once, then Avro-encode every record."""
        topic = self.topics.raw(schema.dataset)
        try:
            self._prepare(schema)
        except Exception as exc:
            raise Unavailable(f"the schema registry did not answer: {exc}") from exc
        out = []
        for index, record in enumerate(records):
            try:
                value = self.serde.encode(value_subject(topic), record)
            except (ValueError, TypeError, OverflowError) as exc:
                raise Unencodable(index, f"the Avro encoder refused the record: {exc}") from exc
            out.append((str(record.get(schema.key_field, "") or "").encode(), value))
        return out

    def _prepare(self, schema: DatasetSchema) -> None:
        if schema.dataset not in self._prepared:
            self.serde.prepare(value_subject(self.topics.raw(schema.dataset)), schema.schema)
            self._prepared.add(schema.dataset)

    def _produce(self, schema: DatasetSchema, encoded: list[tuple[bytes, bytes]],
                 request: _Request) -> None:
        """On the worker thread. A record produce() refuses gets its report at once; the rest of
        the request is then not sent (fewer partly published requests)."""
        topic = self.topics.raw(schema.dataset)
        for index, (key, value) in enumerate(encoded):
            try:
                self.producer.produce(topic, value, key, on_delivery=request.callback(index))
            except (BufferError, KafkaException) as exc:
                error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else \
                    KafkaError(KafkaError._QUEUE_FULL)
                for rest in range(index, len(encoded)):
                    request.callback(rest)(error, None)
                return

    async def _outcomes(self, request: _Request) -> list[RecordOutcome]:
        reports = [r or Report(KafkaError._TIMED_OUT, "no delivery report") for r in request.reports]
        if any(r.code == KafkaError._MSG_TIMED_OUT for r in reports):
            transmitted = await self._transmitted_since(request.txmsgs_before)
        else:
            transmitted = True
        return [record_outcome(r, transmitted) for r in reports]

    async def _transmitted_since(self, before: int | None) -> bool:
        """Whether any message went into a produce request after ``before`` was read: waits for
        a statistics snapshot taken after the reports (both come through the poll queue in
        order). Without statistics the answer is the cautious one: yes."""
        seen, waited = self.watch.snapshots, 0.0
        while self.watch.snapshots <= seen and waited < 4 * STATS_INTERVAL_MS / 1000:
            await asyncio.sleep(0.05)
            waited += 0.05
        after, fresh = self.watch.txmsgs, self.watch.snapshots > seen
        return not fresh or before is None or after is None or after != before

    def _count(self, dataset: str, department: str, outcomes: list[RecordOutcome]) -> None:
        names = {Status.PUBLISHED: "published", Status.NOT_PUBLISHED: "failed",
                 Status.UNKNOWN: "unacknowledged"}
        for status, name in names.items():
            n = sum(o.status is status for o in outcomes)
            if n:
                self.metrics.records.labels("ingest", dataset, department, name).inc(n)

    async def stop(self) -> None:
        """Answer what is in flight, flush, and release the threads (shutdown and SIGTERM)."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.timeout_seconds + 5
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        executor, self._executor = self._executor, None
        self._stopping.set()
        if self._poller is not None:
            await loop.run_in_executor(None, self._poller.join)
        if executor is None:
            return
        try:
            await loop.run_in_executor(executor, self.producer.flush, self.timeout_seconds)
        finally:
            executor.shutdown(wait=False)

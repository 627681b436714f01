"""Delivery for HTTP ingest: produce and await the broker's acknowledgement off the event loop.

One worker thread owns the Publisher (confluent-kafka's produce/flush block, and the
Publisher's delivery bookkeeping is not thread-safe). Requests that arrive while a flush runs
queue up and go out together in the next group, with one flush for all of them (group commit):
a request is answered 202 only after the flush that covered its records returned cleanly.

Admission is by an in-flight record limit: a request that would push the records awaiting
acknowledgement over it is refused at once (HTTP 429) instead of waiting behind a full
librdkafka queue, where the Publisher would block its thread until room frees up.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from govbus.core.schemas import DatasetSchema
from producers.sdk import Publisher

log = logging.getLogger(__name__)


class Unavailable(RuntimeError):
    """The broker did not acknowledge a group: the caller should retry (same event ids)."""


@dataclass
class _Job:
    schema: DatasetSchema
    records: list[dict[str, Any]]
    done: asyncio.Future = field(repr=False)


class IngestDelivery:
    def __init__(self, publisher: Publisher, dead_letter_schema: dict[str, Any],
                 max_in_flight: int, flush_timeout: float = 30.0) -> None:
        self.publisher = publisher
        self.dead_letter_schema = dead_letter_schema
        self.max_in_flight = max_in_flight
        self.flush_timeout = flush_timeout
        self.in_flight = 0
        self._prepared: set[str] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task | None = None

    def reserve(self, count: int) -> bool:
        """Admit ``count`` records, or say no (429). Only called on the event loop's thread."""
        if self.in_flight + count > self.max_in_flight:
            return False
        self.in_flight += count
        return True

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govbus-ingest")
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="govbus-ingest-delivery")

    async def deliver(self, schema: DatasetSchema, records: list[dict[str, Any]]) -> None:
        """Returns once the broker acknowledged ``records`` (reserved first); raises Unavailable."""
        assert self._queue is not None, "IngestDelivery.start() was not awaited"
        job = _Job(schema, records, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        # Shielded: a client that hangs up does not stop its records, which are already queued.
        await asyncio.shield(job.done)

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            while not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            error: BaseException | None = None
            try:
                await loop.run_in_executor(self._executor, self._produce_and_flush, jobs)
            except Exception as exc:  # noqa: BLE001 - every failure is answered, then we go on
                log.error("delivery of %d requests failed: %s", len(jobs), exc)
                error = Unavailable(str(exc))
            for job in jobs:
                self.in_flight -= len(job.records)
                if job.done.done():
                    continue
                if error is not None:
                    job.done.set_exception(error)
                else:
                    job.done.set_result(None)

    def _produce_and_flush(self, jobs: list[_Job]) -> None:
        """Runs on the worker thread."""
        try:
            for job in jobs:
                self._prepare(job.schema)
                key_field = job.schema.key_field
                for record in job.records:
                    self.publisher.publish(job.schema, record, str(record.get(key_field, "")))
            self.publisher.flush(self.flush_timeout)
        finally:
            # The Publisher keeps refusals for its lifetime; a long-running server must not
            # fail every later group because of one refused record.
            self.publisher.failures.clear()

    def _prepare(self, schema: DatasetSchema) -> None:
        # Lazily, on the worker thread: registering a schema is a blocking HTTP call.
        if schema.dataset not in self._prepared:
            self.publisher.prepare(schema, self.dead_letter_schema)
            self._prepared.add(schema.dataset)

    async def stop(self) -> None:
        """Finish what is queued, flush, and release the thread (on shutdown and SIGTERM)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_timeout
        while self.in_flight and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if self._task is not None:
            self._task.cancel()
        executor, self._executor, self._task, self._queue = self._executor, None, None, None
        if executor is None:
            return
        try:
            await loop.run_in_executor(executor, self.publisher.flush, self.flush_timeout)
        finally:
            executor.shutdown(wait=False)  # idle by now; not worth blocking the loop on

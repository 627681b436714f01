"""The feed's live state on the event loop: the incident board, the SSE subscribers, health.

Everything here runs on the event-loop thread only (the consumer thread hands records over with
``loop.call_soon_threadsafe``), so the board and the subscriber set need no locks, and each
subscriber sees changes in the order the board applied them.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from prometheus_client import Gauge

from consumers.feed.logic import GRADES, STATES, Change, IncidentBoard, IncidentFilter, incident_view, stream_event
from govbus.core.incident_age import unacknowledged_ages
from govbus.core.metrics import Metrics, new_metrics

log = logging.getLogger(__name__)

STAGE, DATASET = "feed", "emergency.incidents"
# A viewer this far behind is cut off; its browser reconnects and gets a fresh snapshot, which
# is cheaper than letting one slow tab hold an unbounded backlog.
SUBSCRIBER_QUEUE = 1000

Event = tuple[str, dict[str, Any]]


@dataclass(eq=False)
class Subscriber:
    filter: IncidentFilter
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(SUBSCRIBER_QUEUE))

    def offer(self, event: Event | None) -> bool:
        """Queue ``event``; on overflow end the stream (None) and say so."""
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return False


@dataclass
class FeedMetrics:
    base: Metrics
    incidents: Gauge
    subscribers: Gauge
    unacknowledged_age: Gauge

    @classmethod
    def create(cls, base: Metrics | None = None) -> "FeedMetrics":
        base = base or new_metrics()
        return cls(base,
                   Gauge("govbus_feed_incidents", "Incidents on the feed, latest version, by grade and state.",
                         ["grade", "state"], registry=base.registry),
                   Gauge("govbus_feed_subscribers", "Live-stream (SSE) viewers connected.", registry=base.registry),
                   Gauge("govbus_incident_unacknowledged_age_seconds", "Age of the oldest open, unacknowledged "
                         "incident of the grade (0: none).", ["grade"], registry=base.registry))


class FeedHub:
    def __init__(self, metrics: FeedMetrics | None = None) -> None:
        self.board = IncidentBoard()
        self.metrics = metrics or FeedMetrics.create()
        self.replayed = False          # the topic has been read up to its end once since start
        self.consumer_alive = False
        self.error: BaseException | None = None
        self._subscribers: set[Subscriber] = set()
        self.listeners: list[Callable[[Change], None]] = []  # e.g. the webhook notifier
        self._stop_requested = False
        self._done: asyncio.Future[None] | None = None

    # --- from the consumer thread (via call_soon_threadsafe) --------------------------------

    def ingest(self, incident: dict[str, Any]) -> None:
        change = self.board.apply(incident)
        self._count("applied" if change else "stale")
        if change is None:
            return
        if self.replayed:  # replayed history would swamp the latency histogram with old times
            self._observe_latency(incident)
            for listener in self.listeners:  # live changes only: history was notified when it happened
                listener(change)
        for sub in list(self._subscribers):
            event = stream_event(sub.filter, change)
            if event is not None:
                self._send(sub, event)

    def reject(self, reason: str) -> None:
        self._count("rejected")
        log.warning("skipped an undecodable incident record: %s", reason)

    def mark_replayed(self) -> None:
        self.replayed = True
        for sub in list(self._subscribers):
            self._send(sub, ("status", self.status()))

    def set_consumer_alive(self, alive: bool) -> None:
        self.consumer_alive = alive

    def fail(self, error: BaseException) -> None:
        """The consumer stopped on an infrastructure fault: the process stops with it."""
        self.error, self.consumer_alive = error, False
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)

    # --- for the web handlers ---------------------------------------------------------------

    def subscribe(self, flt: IncidentFilter) -> Subscriber:
        """A new viewer; its first event is the snapshot of what it may see."""
        sub = Subscriber(flt)
        sub.offer(("snapshot", self.snapshot(flt)))
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def close_all(self) -> None:
        """End every stream (at shutdown, so that open SSE responses do not hold it up)."""
        for sub in list(self._subscribers):
            sub.offer(None)
        self._subscribers.clear()

    def snapshot(self, flt: IncidentFilter) -> dict[str, Any]:
        incidents = [incident_view(i) for i in self.board.select(flt)]
        return {"incidents": incidents, "count": len(incidents), "filter": flt.as_dict(),
                "replayed": self.replayed}

    def status(self) -> dict[str, Any]:
        return {"status": "failed" if self.error else "ok", "consumer_alive": self.consumer_alive,
                "replayed": self.replayed, "incidents": len(self.board),
                "subscribers": len(self._subscribers),
                "error": repr(self.error) if self.error else None}

    def refresh_gauges(self) -> None:
        """Set the gauges at scrape time: cheaper than on every record during a replay."""
        counts = self.board.counts()
        for grade in GRADES:
            for state in STATES:
                self.metrics.incidents.labels(grade, state).set(counts.get((grade, state), 0))
        self.metrics.subscribers.set(len(self._subscribers))
        for grade, age in unacknowledged_ages(self.board.latest(), time.time()).items():
            self.metrics.unacknowledged_age.labels(grade).set(age)

    # --- lifetime ---------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_requested = True
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def wait_stopped(self) -> None:
        """Return on ``stop()``; raise the consumer's error on ``fail()`` (either may come first)."""
        self._done = asyncio.get_running_loop().create_future()
        if self.error is not None:
            raise self.error
        if not self._stop_requested:
            await self._done

    def _send(self, sub: Subscriber, event: Event) -> None:
        if not sub.offer(event):
            log.warning("dropped a slow feed viewer (%d events behind)", SUBSCRIBER_QUEUE)
            self._subscribers.discard(sub)

    def _count(self, outcome: str) -> None:
        self.metrics.base.records.labels(STAGE, DATASET, "", outcome).inc()

    def _observe_latency(self, incident: dict[str, Any]) -> None:
        updated = incident.get("updated_at")
        if isinstance(updated, datetime) and updated.tzinfo is not None:
            seconds = (datetime.now(timezone.utc) - updated).total_seconds()
            self.metrics.base.freshness.labels(STAGE, DATASET, "").observe(max(0.0, seconds))

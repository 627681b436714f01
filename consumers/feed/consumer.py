"""Reads ``emergency.incidents`` for the feed, in a thread of its own.

The feed keeps no state of its own: on every start it reads the topic from the beginning and
rebuilds the board (the topic holds every version of every incident). So partitions are
assigned by hand at OFFSET_BEGINNING, with no consumer-group membership (no rebalance wait at
start, nothing committed), and every instance of the feed sees every incident.

Thin and strict like the pool sink: a record that does not decode is counted and skipped (the
feed only displays). Broker and registry outages are waited out (docs/operations.md#outages):
librdkafka reconnects by itself, a record whose schema cannot be fetched is retried, and the
role's prober writes the outage's WARNING lines; refused access stops the feed.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Protocol

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from govbus.core.deadletter import load_bus_schema
from govbus.core.health_server import Health
from govbus.core.kafka_errors import UNREACHABLE_CLIENT_ERRORS, ClientErrorLatch, client_logger
from govbus.core.lag_gauges import LagGauges
from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch, Stopped, describe, outage_of, ride_out
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topics import value_subject

log = logging.getLogger(__name__)

SCHEMA = "govbus.bus.EmergencyIncident"
LAG_SECONDS = 5.0  # how often the lag gauges are refreshed
# poll() returns as soon as a record arrives; the timeout only bounds how late a stop is seen.
POLL_SECONDS = 0.2
TOPIC_WAIT_SECONDS = 2.0      # re-check for a topic that does not exist yet
PARTITIONS_REFRESH_SECONDS = 30.0   # pick up partitions added to the topic while running


class IncidentSink(Protocol):
    """Where decoded incidents go; called on the consumer thread."""

    def incident(self, record: dict[str, Any]) -> None: ...
    def reject(self, reason: str) -> None: ...
    def replayed(self) -> None: ...


class IncidentConsumer:
    def __init__(self, settings: GovbusSettings, serde: Serde, sink: IncidentSink,
                 health: Health | None = None, lag: LagGauges | None = None) -> None:
        self._settings, self._serde, self._sink = settings, serde, sink
        self.topic = topic_names(settings).emergency_incidents
        self._subject = value_subject(self.topic)
        self._assigned: set[int] = set()
        self._pending: set[int] = set()   # partitions not yet read to their end since start
        self._replayed = False
        self._next_refresh = 0.0
        self._health = health
        self._watch = health.watch if health is not None else OutageWatch("feed")
        self._client_error = ClientErrorLatch(self._watch)
        self._beat = health.beat if health is not None else (lambda: None)
        # Lag gauges (the feed reads every partition from the start, in no group) from the next
        # offset it reads per partition (None: not read yet, it starts at the beginning).
        self._lag = lag
        self._next_offsets: dict[tuple[str, int], int | None] = {}
        self._next_lag = 0.0

    def prepare(self) -> None:
        """Resolve the reader schema in the registry; call before ``run`` so that a registry
        outage stops the start-up rather than the first record."""
        self._serde.prepare(self._subject, load_bus_schema(self._settings.schemas_dir, SCHEMA))

    def run(self, stop: threading.Event) -> None:
        consumer = Consumer(kafka_config(self._settings, "consumer", **{
            # Required by librdkafka even without group membership; never joined or committed.
            "group.id": f"govbus-feed-{os.getpid()}-{id(self):x}",
            "enable.partition.eof": True,
            "error_cb": self._client_error, "logger": client_logger(self._watch)}))
        try:
            while not stop.is_set():
                self._beat()
                if time.monotonic() >= self._next_refresh:
                    self._refresh(consumer)
                if not self._assigned:
                    stop.wait(POLL_SECONDS)
                    continue
                message = consumer.poll(POLL_SECONDS)
                self._client_error.raise_if_failed()
                if message is not None:
                    self._handle(message, stop)
                self._report_lag(consumer)
        except Stopped:
            pass  # asked to stop while waiting out an outage: the feed keeps no state to save
        finally:
            consumer.close()

    def _report_lag(self, consumer: Consumer) -> None:
        if self._lag is not None and time.monotonic() >= self._next_lag:
            self._lag.report(consumer, self._next_offsets)  # cached end offsets: no round trip
            self._next_lag = time.monotonic() + LAG_SECONDS

    def _refresh(self, consumer: Consumer) -> None:
        """New partitions; while the broker is away, look again after a short wait."""
        try:
            self._assign_new_partitions(consumer)
        except KafkaException as exc:
            if outage_of(exc) is None:
                raise
            self._watch.failed(Service.BROKER, describe(exc), held=False)  # the prober sees it end
            self._next_refresh = time.monotonic() + TOPIC_WAIT_SECONDS

    def _assign_new_partitions(self, consumer: Consumer) -> None:
        metadata = consumer.list_topics(self.topic, timeout=10)  # raises when the broker is away
        topic = metadata.topics.get(self.topic)
        partitions: list[int] = []
        if topic is not None and topic.error is None:
            partitions = sorted(topic.partitions)
        elif topic is not None and topic.error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise KafkaException(topic.error)
        new = [p for p in partitions if p not in self._assigned]
        if new:
            consumer.incremental_assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in new])
            self._assigned.update(new)
            self._next_offsets.update({(self.topic, p): None for p in new})
            self._pending.update(new)
            log.info("reading %s partitions %s from the beginning", self.topic, new)
        self._next_refresh = time.monotonic() + (PARTITIONS_REFRESH_SECONDS if partitions
                                                 else TOPIC_WAIT_SECONDS)
        self._tell_if_replayed()  # a topic that does not exist yet has nothing to replay

    def _handle(self, message: Message, stop: threading.Event) -> None:
        error = message.error()
        if error is not None:
            if error.code() in UNREACHABLE_CLIENT_ERRORS:
                return  # librdkafka reconnects; the prober says when the broker is back
            if error.code() != KafkaError._PARTITION_EOF:
                raise KafkaException(error)
            self._pending.discard(message.partition())
            self._tell_if_replayed()
            return
        # A schema id not seen yet is fetched from the registry: wait out its outage.
        decoded = ride_out(self._watch, lambda: self._serde.decode(message.value(), self._subject), stop.is_set,
                           on_wait=self._beat)
        self._next_offsets[(self.topic, message.partition() or 0)] = (message.offset() or 0) + 1
        if self._lag is not None:
            self._lag.processed([message])
        if isinstance(decoded, Ok):
            self._sink.incident(decoded.value)
        else:
            self._sink.reject(f"{decoded.reason} at {message.topic()}[{message.partition()}]"
                              f"@{message.offset()}: {decoded.message}")

    def _tell_if_replayed(self) -> None:
        if not self._replayed and not self._pending:
            self._replayed = True
            self._sink.replayed()


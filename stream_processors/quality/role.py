"""`govbus quality`: the scorecard role. A plain confluent-kafka loop around the pure modules.

Reads every raw and dlq topic (regex subscriptions: a new dataset needs nothing), folds each
record or letter into the open periods (logic.py), and publishes the scorecards of the periods
the watermark passed (closing.py) to ``quality.scorecards`` and the owner's ``feedback.<dept>``,
keyed by scorecard id on compacted topics. Every assigned raw and dlq partition counts as behind
until it is read to its end, so a period does not close on one topic before another it counts
is read (the fetch order across topics is the client's).

State lives in memory only and no offset is committed: at every start the role re-reads what
the raw and dlq topics retain (7 and 30 days by default) and recomputes, and a recomputed
scorecard replaces its earlier copy by key. One worker (its periods span every partition).
Outages: decoding waits out a registry outage with the batch in hand; publishing waits out a
broker outage with the cards in hand (``ride_out``), so nothing is counted twice or lost.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from govbus.core.catalogue import Catalogue, load_catalogue
from govbus.core.deadletter import load_bus_schema
from govbus.core.health_server import Health
from govbus.core.kafka_errors import UNREACHABLE_CLIENT_ERRORS, ClientErrorLatch, client_logger
from govbus.core.outage_watch import Stopped, ride_out
from govbus.core.result import Fault
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, pseudonym_master_key, topic_names
from govbus.core.topic_plan import retention_ms
from govbus.core.topics import value_subject
from stream_processors.quality.closing import close_all, close_due
from stream_processors.quality.logic import QualityState, fold_letter, fold_record, refresh_watermark
from stream_processors.quality.marks import PartitionMarks, note_position
from stream_processors.quality.metrics import QualityMetrics, observe_scorecard
from stream_processors.quality.observe import (
    LetterObservation,
    Observation,
    millis,
    observe_letter,
    observe_record,
    undecodable,
)
from stream_processors.quality.spec import dataset_qualities

log = logging.getLogger(__name__)
SCORECARD_SCHEMA = "govbus.bus.QualityScorecard"
BATCH = 500
PUBLISH_TIMEOUT_SECONDS = 30.0


class QualityError(RuntimeError):
    """A condition the role cannot ride out (refused access, scorecards not accepted): one line."""


@dataclass
class QualitySummary:
    records: int = 0
    letters: int = 0
    scorecards: int = 0
    too_late: int = 0

    def __str__(self) -> str:
        return (f"{self.records} records and {self.letters} dead letters measured, "
                f"{self.scorecards} scorecards published, {self.too_late} too late for their period")


def retained_since(catalogue: Catalogue, started_ms: int) -> dict[str, int]:
    """Per dataset, the oldest event time whose records its raw topic still fully holds at start
    (the entry's retention back from now; none for ``forever``)."""
    return {d: started_ms - ms for d, e in catalogue.entries.items() if (ms := retention_ms(e.retention)) > 0}


def complete_only(cards: list[dict[str, Any]], floors: dict[str, int]) -> list[dict[str, Any]]:
    """The cards of periods the raw topic held whole when the role started: a period older than
    the retention was partly deleted already, and its recomputed card would replace (by key)
    the complete one published before the restart."""
    return [c for c in cards
            if millis(c["period_start"]) >= floors.get(c["dataset"], -(2 ** 62))]


def quality_key(master_key: bytes) -> bytes:
    """The role's own pseudonym key: its pseudonyms match nothing outside it (not an agreement's)."""
    return hmac.new(master_key, b"govbus|quality", hashlib.sha256).digest()


class QualityRole:
    def __init__(self, settings: GovbusSettings, serde: Serde, metrics: QualityMetrics, health: Health) -> None:
        self.settings, self.serde, self.metrics, self.health = settings, serde, metrics, health
        self.topics = topic_names(settings)
        catalogue = load_catalogue(settings.catalogue_dir)
        self.specs = dataset_qualities(catalogue, load_schemas(settings.schemas_dir))
        self.floors = retained_since(catalogue, int(time.time() * 1000))
        self.state = QualityState(self.specs, int(settings.quality_lateness_seconds * 1000),
                                  settings.quality_reference_keys_max)
        self.key = quality_key(pseudonym_master_key(settings))
        self.client_error = ClientErrorLatch(health.watch)
        self.summary = QualitySummary()
        self.pending: list[dict[str, Any]] = []

    def prepare(self) -> None:
        """Register (or find) the scorecard schema under every topic the role writes."""
        schema = load_bus_schema(self.settings.schemas_dir, SCORECARD_SCHEMA)
        for topic in self.output_topics():
            self.serde.prepare(value_subject(topic), schema)

    def output_topics(self) -> list[str]:
        departments = sorted({q.department for q in self.specs.values()})
        return [self.topics.quality_scorecards, *(self.topics.feedback(d) for d in departments)]

    def patterns(self) -> list[str]:
        return ["^" + re.escape(self.topics.raw("x")[:-1]) + ".+", "^" + re.escape(self.topics.dlq("x")[:-1]) + ".+"]

    def run(self, stop: threading.Event, idle_exit_seconds: float | None = None) -> QualitySummary:
        consumer = Consumer(kafka_config(self.settings, "consumer", **{
            "group.id": self.settings.quality_group, "error_cb": self.client_error,
            "logger": client_logger(self.health.watch), "topic.metadata.refresh.interval.ms": 10_000,
            "enable.partition.eof": True}))  # a partition's end: it no longer holds periods open
        producer = Producer(kafka_config(self.settings, "producer", error_cb=self.client_error,
                                         logger=client_logger(self.health.watch)))
        consumer.subscribe(self.patterns(), on_assign=self._on_assign, on_revoke=self._on_revoke)
        self.health.mark_started()
        try:
            self._loop(consumer, producer, stop, idle_exit_seconds)
        except Stopped:
            pass
        finally:
            consumer.close()
            producer.flush(5)
        self.summary.too_late = self.state.too_late
        return self.summary

    def _loop(self, consumer: Consumer, producer: Producer, stop: threading.Event, idle_exit: float | None) -> None:
        idle_since = time.monotonic()
        while not stop.is_set():
            self.health.beat()
            read = consumer.consume(BATCH, 0.5)
            self.client_error.raise_if_failed()
            messages = [m for m in read if self._usable(m)]
            observed = ride_out(self.health.watch, lambda batch=messages: self._observe(batch),  # type: ignore[misc]
                                stop.is_set, on_wait=self.health.beat)
            self._fold(observed)
            self._note_positions(consumer, read)
            self.pending += complete_only(close_due(self.state, int(time.time() * 1000)), self.floors)
            if self.pending:
                ride_out(self.health.watch, lambda: self._publish(producer), stop.is_set, on_wait=self.health.beat)
            if messages:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                self._close_open_periods(producer, stop)
                return

    def _close_open_periods(self, producer: Producer, stop: threading.Event) -> None:
        """The end of a bounded run: what was read is scored now, open periods included (a later
        run re-reads the topics and its cards replace these by key)."""
        self.pending += complete_only(close_all(self.state, int(time.time() * 1000)), self.floors)
        if self.pending:
            ride_out(self.health.watch, lambda: self._publish(producer), stop.is_set, on_wait=self.health.beat)

    def _input_marks(self, topic: str | None, partition: int | None) -> tuple[PartitionMarks, str, int] | None:
        """The marks a raw or dlq partition's position is noted in, its dataset and number."""
        dataset = self.topics.dataset_of(topic or "")
        if dataset not in self.specs or partition is None:
            return None
        if topic == self.topics.raw(dataset):
            return self.state.partitions.setdefault(dataset, PartitionMarks()), dataset, partition
        if topic == self.topics.dlq(dataset):
            return self.state.dlq_partitions.setdefault(dataset, PartitionMarks()), dataset, partition
        return None

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._note_behind([(tp.topic, tp.partition, True) for tp in partitions])

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._note_behind([(tp.topic, tp.partition, False) for tp in partitions])

    def _note_positions(self, consumer: Consumer, read: list[Message]) -> None:
        """Where each raw and dlq partition of the batch stands: at its end (EOF, or its last
        record is the newest the broker has), or still behind."""
        last = {(m.topic() or "", m.partition() or 0): m for m in read}
        found: list[tuple[str | None, int | None, bool]] = []
        for (topic, partition), message in last.items():
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    found.append((topic, partition, False))
                continue
            high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)[1]
            if high >= 0:  # known: the broker's newest offset as of the last fetch (no round trip)
                found.append((topic, partition, (message.offset() or 0) + 1 < high))
        self._note_behind(found)

    def _note_behind(self, found: list[tuple[str | None, int | None, bool]]) -> None:
        for topic, partition, behind in found:
            noted = self._input_marks(topic, partition)
            if noted is not None:
                marks, dataset, number = noted
                note_position(marks, number, behind)
                refresh_watermark(self.state, dataset)

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.code() in UNREACHABLE_CLIENT_ERRORS | {KafkaError._PARTITION_EOF, KafkaError.UNKNOWN_TOPIC_OR_PART}:
            return False
        raise QualityError(f"reading the raw and dlq topics failed: {error.str()}")

    def _observe(self, messages: list[Message]) -> list[tuple[Observation, int] | LetterObservation]:
        """Decode the batch (raises, leaving no trace, while the registry is down)."""
        found: list[tuple[Observation, int] | LetterObservation] = []
        for message in messages:
            topic = message.topic() or ""
            dataset = self.topics.dataset_of(topic)
            if dataset not in self.specs:
                continue
            if topic == self.topics.raw(dataset):
                found.append((self._record(dataset, message), message.partition() or 0))
            else:
                letter = self._letter(message)
                if letter is not None:
                    found.append(letter)
        return found

    def _record(self, dataset: str, message: Message) -> Observation:
        kind, ingest_ms = message.timestamp()
        if kind == TIMESTAMP_NOT_AVAILABLE:  # an old client's record: when the role read it
            ingest_ms = int(time.time() * 1000)
        decoded = self.serde.decode(message.value())
        if isinstance(decoded, Fault):
            return undecodable(self.specs[dataset], ingest_ms)
        return observe_record(self.specs[dataset], decoded.value, ingest_ms, self.key)

    def _letter(self, message: Message) -> LetterObservation | None:
        decoded = self.serde.decode(message.value())
        if isinstance(decoded, Fault):
            self.metrics.records.labels(self.topics.dataset_of(message.topic() or ""), "unreadable").inc()
            return None
        letter = decoded.value
        event_ms = millis(letter["first_seen"])
        if letter.get("original_value") is not None:  # the refused record's own event time, if readable
            original = self.serde.decode(letter["original_value"])
            if not isinstance(original, Fault):
                event_ms = millis((original.value.get("envelope") or {}).get("event_time") or event_ms)
        return observe_letter(letter, message.offset() or 0, event_ms)

    def _fold(self, observed: list[tuple[Observation, int] | LetterObservation]) -> None:
        for item in observed:
            if isinstance(item, tuple):
                taken, dataset = fold_record(self.state, *item), item[0].dataset
                self.summary.records += taken
            else:
                taken, dataset = fold_letter(self.state, item), item.dataset
                self.summary.letters += taken
            self.metrics.records.labels(dataset, "measured" if taken else "too_late").inc()

    def _publish(self, producer: Producer) -> None:
        """Every pending card to quality.scorecards and the owner's feedback topic, acknowledged."""
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failures.append(error)
        for card in self.pending:
            key = card["scorecard_id"].encode()
            for topic in (self.topics.quality_scorecards, self.topics.feedback(card["department"])):
                producer.produce(topic, key=key, value=self.serde.encode(value_subject(topic), card),
                                 on_delivery=delivered)
        left = producer.flush(PUBLISH_TIMEOUT_SECONDS)
        if failures or left:
            error = failures[0] if failures else None
            if error is not None and error.code() not in UNREACHABLE_CLIENT_ERRORS:
                raise QualityError(f"the broker refused a scorecard: {error.str()}")
            raise KafkaException(error or KafkaError(KafkaError._TIMED_OUT))  # an outage: ride_out waits
        for card in self.pending:
            observe_scorecard(self.metrics, card)
        self.summary.scorecards += len(self.pending)
        self.pending = []

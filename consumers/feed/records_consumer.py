"""Reads the topics shared with the emergency-management recipients for the incident view's
triggering records (consumers/feed/records.py), in a thread of its own.

Like the incident reader it joins no consumer group and commits nothing: partitions are assigned
by hand, from ``feed_records_lookback_hours`` ago (``offsets_for_times``), on every start. New
shared topics (an agreement that came into force) are found at the next refresh. A topic the
feed may not read (no agreement in force, ACLs not applied yet) is skipped with one warning:
the incidents stay on the page without their records. Broker and registry outages are waited
out; a record that does not decode is skipped (the feed only displays).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable

from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, Message, TopicPartition

from consumers.feed.records import record_view
from govbus.core.kafka_errors import UNREACHABLE_CLIENT_ERRORS, client_logger
from govbus.core.outage_watch import OutageWatch, Stopped, ride_out
from govbus.core.result import Ok
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
REFRESH_SECONDS = 30.0
FIRST_REFRESH_SECONDS = 2.0   # until a shared topic exists


class RecordsConsumer:
    def __init__(self, settings: GovbusSettings, serde: Serde, on_record: Callable[[dict[str, Any]], object],
                 watch: OutageWatch | None = None) -> None:
        self._settings, self._serde, self._on_record = settings, serde, on_record
        names = topic_names(settings)
        self._prefixes = {names.shared(r, "x")[:-1]: r for r in settings.feed_records_recipients}
        self._watch = watch or OutageWatch("feed records")
        self._assigned: set[str] = set()
        self._refused: set[str] = set()
        self._next_refresh = 0.0

    def recipient_of(self, topic: str) -> str | None:
        return next((r for p, r in self._prefixes.items() if topic.startswith(p)), None)

    def run(self, stop: threading.Event) -> None:
        consumer = Consumer(kafka_config(self._settings, "consumer", **{
            "group.id": f"govbus-feed-records-{os.getpid()}-{id(self):x}",  # never joined or committed
            "logger": client_logger(self._watch)}))
        try:
            while not stop.is_set():
                if time.monotonic() >= self._next_refresh:
                    self._refresh(consumer)
                if not self._assigned:
                    stop.wait(POLL_SECONDS)
                    continue
                message = consumer.poll(POLL_SECONDS)
                if message is not None:
                    self._handle(message, stop)
        except Stopped:
            pass
        finally:
            consumer.close()

    def _refresh(self, consumer: Consumer) -> None:
        """Assign shared topics not read yet; on a broker fault (away, or a topic it will not let
        us read yet) try again shortly rather than stop: the records are a help, not the feed."""
        try:
            self._assign_new(consumer)
            self._next_refresh = time.monotonic() + (REFRESH_SECONDS if self._assigned else FIRST_REFRESH_SECONDS)
        except KafkaException as exc:
            log.warning("feed records: cannot look for shared topics now (%s); trying again", exc)
            self._next_refresh = time.monotonic() + FIRST_REFRESH_SECONDS

    def _assign_new(self, consumer: Consumer) -> None:
        topics = consumer.list_topics(timeout=10).topics
        new = sorted(t for t, meta in topics.items() if self.recipient_of(t) is not None
                     and t not in self._assigned and meta.error is None)
        if not new:
            return
        since = int((time.time() - self._settings.feed_records_lookback_hours * 3600) * 1000)
        starts = consumer.offsets_for_times([TopicPartition(t, p, since) for t in new for p in topics[t].partitions],
                                            timeout=10)
        # Past the last record (-1): start at the end, i.e. with the next one delivered.
        consumer.incremental_assign([TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0
                                                    else OFFSET_END) for tp in starts])
        self._assigned.update(new)
        log.info("feed records: reading %s from %.0f h ago", new, self._settings.feed_records_lookback_hours)

    def _handle(self, message: Message, stop: threading.Event) -> None:
        error = message.error()
        if error is not None:
            if error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED and message.topic() not in self._refused:
                self._refused.add(str(message.topic()))
                log.warning("feed records: not allowed to read %s (apply the ACLs: `govbus acl apply`); "
                            "its records will not be listed", message.topic())
            elif error.code() not in UNREACHABLE_CLIENT_ERRORS and error.code() != KafkaError._PARTITION_EOF:
                log.warning("feed records: %s", error)
            return
        decoded = ride_out(self._watch, lambda: self._serde.decode(message.value()), stop.is_set)
        if not isinstance(decoded, Ok):
            log.warning("feed records: skipped %s[%s]@%s: %s", message.topic(), message.partition(),
                        message.offset(), decoded.message)
            return
        topic = str(message.topic())
        view = record_view(decoded.value, topic, self.recipient_of(topic) or "")
        if view is not None:
            self._on_record(view)

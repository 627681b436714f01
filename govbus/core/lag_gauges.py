"""Writes what ``govbus.core.lag`` measures into ``govbus_consumer_lag_records`` and
``govbus_consumer_lag_seconds`` for one consuming role (every consumer: the processor and
detector through Faust, the pool and audit sinks through confluent-kafka)."""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Iterable, Mapping

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from govbus.core.lag import LagClock, PartitionLag, oldest
from govbus.core.metrics import Metrics, role_label


class LagGauges:
    def __init__(self, metrics: Metrics, role: str, group: str) -> None:
        self._metrics, self._role, self._group = metrics, role_label(role), group
        self.clock = LagClock()
        self._partitions: dict[str, set[int]] = defaultdict(set)  # topic -> partitions with a series

    def publish(self, measured: dict[tuple[str, int], PartitionLag]) -> bool:
        """Set the gauges of every measured partition (and its topic); True when the lag of each
        is known in records (what /readyz asks)."""
        ages: dict[str, list[float | None]] = defaultdict(list)
        known = 0
        for (topic, partition), lag in measured.items():
            ages[topic].append(lag.seconds)
            if lag.records is None:
                continue  # not fetched yet: nothing known, and a guess would be a false alarm
            known += 1
            self._partitions[topic].add(partition)
            self._metrics.consumer_lag.labels(self._role, self._group, topic, str(partition)).set(lag.records)
        for topic, topic_ages in ages.items():
            age = oldest(topic_ages)
            if age is not None:
                self._metrics.consumer_lag_seconds.labels(self._role, self._group, topic).set(age)
        return bool(measured) and known == len(measured)

    def processed(self, messages: Iterable[Message]) -> None:
        """confluent-kafka messages just stored: their partitions' last record timestamps."""
        for msg in messages:
            self.clock.processed(msg.topic() or "", msg.partition() or 0, msg.timestamp()[1] / 1000)

    def report(self, consumer: Consumer, next_offsets: Mapping[tuple[str, int], int | None]) -> bool:
        """Measure and publish the lag of a confluent-kafka consumer's partitions, each from the
        next offset the role will store (None: nothing stored, it reads from the start). The end
        offsets are those the client cached from its last fetch: no broker round trip."""
        measured, now = {}, time.time()
        for (topic, partition), next_offset in next_offsets.items():
            try:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
            except KafkaException:
                low, high = -1, -1
            position = low if next_offset is None else next_offset
            measured[(topic, partition)] = self.clock.measure(topic, partition, position, high, now)
        return self.publish(measured)

    def keep_only(self, owned: set[tuple[str, int]]) -> None:
        """Forget every partition not in ``owned`` (after a rebalance)."""
        for topic, partitions in list(self._partitions.items()):
            for partition in list(partitions):
                if (topic, partition) not in owned:
                    self.forget(topic, partition)

    def forget(self, topic: str, partition: int) -> None:
        """The partition went to another consumer, which reports it now: a stale series would mislead."""
        self.clock.forget(topic, partition)
        owned = self._partitions.get(topic, set())
        if partition in owned:
            owned.discard(partition)
            self._metrics.consumer_lag.remove(self._role, self._group, topic, str(partition))
        if not owned and topic in self._partitions:
            del self._partitions[topic]
            try:
                self._metrics.consumer_lag_seconds.remove(self._role, self._group, topic)
            except KeyError:
                pass

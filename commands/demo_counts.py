"""What the demo observes: topic sizes, the processor's own counters, pool rows."""
from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import column, create_engine, func, inspect, select

from consumers.pool.pools import pool_table_ref
from govbus.core.settings import GovbusSettings, kafka_config

PROCESS_OUTCOMES = ("delivered", "no_agreement", "dead_lettered", "duplicate")
PROCESS_STAGES = ("clean", "route")  # the processor's stages in govbus_records_total
# The counting readers close right after reading; librdkafka then reports the group-coordinator
# connection it was still authenticating (SASL) as a failure on stderr, which says nothing about
# the demo. Their own faults still surface as exceptions and timeouts, so their log is kept quiet.
_READER_LOG = logging.getLogger("govbus.demo.readers")
_READER_LOG.setLevel(logging.CRITICAL)


@dataclass
class DemoCounts:
    """What happened to one dataset's records in one demo run."""

    dataset: str = ""
    key_field: str = ""
    keys: list[str] = field(default_factory=list)  # business keys this run published
    read: int = 0
    rejected_at_adapter: int = 0
    published: int = 0
    processed: dict[str, int] = field(default_factory=dict)  # outcome -> records
    dead_letter_topic: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)  # recipient -> records on its topic
    pool_rows: dict[str, int] = field(default_factory=dict)   # recipient -> rows in its pool table

    distinct_keys: dict[str, int] = field(default_factory=dict)  # recipient -> keys delivered

    @property
    def fates_accounted(self) -> bool:
        """Every record read has exactly one fate, and every dead letter is on the DLQ."""
        fates = self.rejected_at_adapter + sum(self.processed.get(o, 0) for o in PROCESS_OUTCOMES)
        dead = self.rejected_at_adapter + self.processed.get("dead_lettered", 0)
        return self.read > 0 and fates == self.read and self.dead_letter_topic == dead

    @property
    def accounted(self) -> bool:
        """...and every key delivered to a recipient is one row in its pool (a pool keeps the
        latest version per business key: several readings of one indicator series are one row)."""
        return (self.fates_accounted and set(self.deliveries) == set(self.pool_rows)
                and self.distinct_keys == self.pool_rows)


def topic_count(settings: GovbusSettings, topic: str, attempts: int = 5) -> int:
    """Records on ``topic`` (sum of high watermarks; the demo's topics are never compacted).
    Right after a topic is created its leader may not be known yet: ask again."""
    for attempt in range(attempts):
        try:
            return _topic_count(settings, topic)
        except KafkaException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return 0


def _topic_count(settings: GovbusSettings, topic: str) -> int:
    consumer = Consumer(kafka_config(settings, "consumer", logger=_READER_LOG, **{"group.id": "govbus-demo-count"}))
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                   for p in meta.partitions)
    finally:
        consumer.close()


def distinct_keys(settings: GovbusSettings, topic: str) -> int:
    """Distinct message keys on ``topic``, read from the beginning to the current end."""
    consumer = Consumer(kafka_config(settings, "consumer", logger=_READER_LOG, **{"group.id": "govbus-demo-keys"}))
    keys: set[bytes | None] = set()
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        for partition in (meta.partitions if meta is not None and meta.error is None else []):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            consumer.assign([TopicPartition(topic, partition, low)])
            offset = low
            while offset < high:
                message = consumer.poll(5)
                if message is not None and not message.error():
                    keys.add(message.key())
                    offset = message.offset() + 1  # type: ignore[operator]  # error-free: has an offset
    finally:
        consumer.close()
    return len(keys)


def processed_counts(metrics_url: str) -> dict[str, dict[str, int]]:
    """The processor's ``govbus_records_total{stage=~"clean|route"}`` by dataset and outcome, scraped."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=3) as response:  # noqa: S310 - the child's http://127.0.0.1
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return {}
    counts: dict[str, dict[str, int]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "govbus_records_total" and labels.get("stage") in PROCESS_STAGES:
                by_outcome = counts.setdefault(labels["dataset"], {})
                by_outcome[labels["outcome"]] = by_outcome.get(labels["outcome"], 0) + int(sample.value)
    return counts


def pool_rows(settings: GovbusSettings, recipient: str, dataset: str, key: str,
              keys: list[str]) -> int:
    """Rows of this run in the recipient's pool: the pool outlives demo runs, so only the keys
    this run published are counted."""
    engine = create_engine(settings.pool_url)
    ref = pool_table_ref(settings, recipient, dataset)
    try:
        if not inspect(engine).has_table(ref.name, schema=ref.schema):
            return 0
        query = select(func.count()).select_from(ref.clause()).where(column(key).in_(keys))
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()

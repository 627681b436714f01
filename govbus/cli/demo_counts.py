"""What the demo observes: topic sizes, the processor's own counters, pool rows."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import column, create_engine, func, inspect, select, table

from consumers.pool.logic import pool_table_name
from govbus.core.settings import GovbusSettings, kafka_config

PROCESS_OUTCOMES = ("delivered", "no_agreement", "dead_lettered", "duplicate")


@dataclass
class DemoCounts:
    read: int = 0
    rejected_at_adapter: int = 0
    published: int = 0
    processed: dict[str, int] = field(default_factory=dict)  # outcome -> records
    dead_letter_topic: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)  # recipient -> records on its topic
    pool_rows: dict[str, int] = field(default_factory=dict)   # recipient -> rows in its pool table

    @property
    def accounted(self) -> bool:
        """Every record read has exactly one fate, and every delivery reached its pool."""
        fates = self.rejected_at_adapter + sum(self.processed.get(o, 0) for o in PROCESS_OUTCOMES)
        dead = self.rejected_at_adapter + self.processed.get("dead_lettered", 0)
        return (self.read > 0 and fates == self.read and self.dead_letter_topic == dead
                and self.deliveries == self.pool_rows)


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
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "govbus-demo-count"}))
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                   for p in meta.partitions)
    finally:
        consumer.close()


def processed_counts(metrics_url: str, dataset: str) -> dict[str, int]:
    """The processor's ``govbus_records_total{stage="process"}`` by outcome, scraped."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=3) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return {}
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (sample.name == "govbus_records_total" and labels.get("stage") == "process"
                    and labels.get("dataset") == dataset):
                counts[labels["outcome"]] = counts.get(labels["outcome"], 0) + int(sample.value)
    return counts


def pool_rows(settings: GovbusSettings, recipient: str, dataset: str, key: str,
              keys: list[str]) -> int:
    """Rows of this run in the recipient's pool: the pool outlives demo runs, so only the keys
    this run published are counted."""
    engine = create_engine(settings.pool_url)
    name = pool_table_name(recipient, dataset)
    try:
        if not inspect(engine).has_table(name):
            return 0
        query = select(func.count()).select_from(table(name)).where(column(key).in_(keys))
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()

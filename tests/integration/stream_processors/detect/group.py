"""Watching a detector's consumer group from outside: members and their assignments, and
whether everything published so far has been handled (committed offsets at the end offsets)."""
from __future__ import annotations

import time
from typing import Callable

from confluent_kafka import Consumer, ConsumerGroupState, TopicPartition
from confluent_kafka.admin import AdminClient

from govbus.core.settings import GovbusSettings, kafka_config


def assignments(settings: GovbusSettings, group: str) -> list[set[tuple[str, int]]]:
    """The partitions of each member of a stable group; [] while it rebalances."""
    admin = AdminClient(kafka_config(settings, "admin"))
    described = admin.describe_consumer_groups([group])[group].result(timeout=10)
    if described.state != ConsumerGroupState.STABLE:
        return []
    return [{(tp.topic, tp.partition) for tp in m.assignment.topic_partitions} for m in described.members]


def wait_members(settings: GovbusSettings, group: str, count: int, topic: str, alive: Callable[[], None],
                 timeout: float = 120.0) -> list[set[tuple[str, int]]]:
    """Wait until the group is stable with ``count`` members, each holding partitions of ``topic``."""
    deadline = time.monotonic() + timeout
    members: list[set[tuple[str, int]]] = []
    while time.monotonic() < deadline:
        alive()
        members = assignments(settings, group)
        if len(members) == count and all(any(t == topic for t, _ in m) for m in members):
            return members
        time.sleep(1.0)
    raise AssertionError(f"group {group}: wanted {count} members with {topic} partitions, have {members}")


def _behind(consumer: Consumer, topics: list[str]) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) → (committed, end) where the group has not committed the end."""
    wanted = [TopicPartition(t, p) for t in topics
              for p in consumer.list_topics(t, timeout=10).topics[t].partitions]
    committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(wanted, timeout=10)}
    out = {}
    for tp in wanted:
        end = consumer.get_watermark_offsets(tp, timeout=10)[1]
        done = max(committed[(tp.topic, tp.partition)], 0)
        if done < end:
            out[(tp.topic, tp.partition)] = (done, end)
    return out


def wait_drained(settings: GovbusSettings, group: str, stages: list[list[str]], alive: Callable[[], None],
                 timeout: float = 120.0) -> None:
    """Wait until ``group`` has committed every message of each stage's topics, stage after
    stage (raw, then the observations the raw records became). Faust flushes a stage's sends
    before it commits the offsets of the messages that caused them, so a drained stage has
    put all its output on the next stage's topics."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    deadline = time.monotonic() + timeout
    try:
        for topics in stages:
            behind = _behind(consumer, topics)
            while behind:
                alive()
                if time.monotonic() > deadline:
                    raise AssertionError(f"group {group} still behind on {behind}")
                time.sleep(0.5)
                behind = _behind(consumer, topics)
    finally:
        consumer.close()

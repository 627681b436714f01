"""Processor throughput with one and with two `govbus process` workers on six partitions, in one run.

Each round gets fresh topics (the raw and output topics with six partitions, the audit topic with
its one) and starts its workers in one consumer group; records are produced only once the group
has settled with every worker holding partitions, pre-encoded and as fast as librdkafka takes
them. The rate is input records/s between the first and the last output timestamp on the watched
recipient's shared topic (over its six partitions), so start-up and group joins are not counted.
Every record matches three agreements (bench/processor_bench.py), so each makes six outputs.
Rounds alternate one and two workers; medians are reported, and their ratio.

    python -m bench.workers_bench [--records 20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from bench import entry
from bench.groups import group_assignment, settled
from bench.processor_bench import DATASET, WATCHED_RECIPIENT, bench_records
from commands.endpoints import with_endpoints
from consumers.audit.sink import ensure_audit_topic
from govbus.core import identities
from govbus.core.schemas import load_schemas
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from govbus.core.topics import value_subject
from stream_processors.main import build_pipeline, ensure_topics

PARTITIONS = 6


def prepare_round(base: GovbusSettings, records: list[dict]) -> tuple[GovbusSettings, list[tuple[bytes, bytes]]]:
    """Settings of a fresh round (own topics and group), its topics created, the records encoded."""
    prefix = f"bench_{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"topic_prefix": prefix, "processor_group": f"{prefix}-proc"})
    pipeline = build_pipeline(settings)
    topics = topic_names(settings)
    ensure_audit_topic(settings, topics.audit_deliveries)
    ensure_topics(settings, pipeline, [topics.raw(DATASET)]  # PARTITIONS each, by the topic plan
                  + [t for t in pipeline.output_topics() if t != topics.audit_deliveries])
    subject = value_subject(topics.raw(DATASET))
    return settings, [(r["order_no"].encode(), pipeline.serde.encode(subject, r)) for r in records]


def start_workers(settings: GovbusSettings, count: int, state: str) -> list[subprocess.Popen]:
    env = os.environ | {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                        "GOVBUS_PROCESSOR_GROUP": settings.processor_group, "GOVBUS_METRICS_PORT": "-1",
                        "GOVBUS_STATE_DIR": state}
    return [subprocess.Popen([sys.executable, "-m", "commands.main", "process"],
                             env=env | {"GOVBUS_WORKER_INDEX": str(i)}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL) for i in range(count)]


def wait_settled(settings: GovbusSettings, children: list[subprocess.Popen], timeout: float = 300) -> None:
    pids = {c.pid for c in children}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.poll() is not None for c in children):
            raise RuntimeError("a worker exited before the group settled")
        if settled(group_assignment(settings, settings.processor_group), pids):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the group did not settle on {len(pids)} workers")


def produce(settings: GovbusSettings, encoded: list[tuple[bytes, bytes]]) -> None:
    producer = Producer(kafka_config(settings, "producer"))
    topic = topic_names(settings).raw(DATASET)
    for key, value in encoded:
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120) != 0:
        raise RuntimeError("inputs not acknowledged")


def span_rate(settings: GovbusSettings, topic: str, expected: int, timeout: float) -> float:
    """Records/s between the first and the last message timestamp of ``topic`` (all partitions)
    once it holds ``expected`` messages."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"bench-{uuid.uuid4().hex}"}))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            marks = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(PARTITIONS)]
            if sum(high - low for low, high in marks) >= expected:
                firsts = [_timestamp(consumer, topic, p, low) for p, (low, high) in enumerate(marks) if high > low]
                lasts = [_timestamp(consumer, topic, p, high - 1) for p, (low, high) in enumerate(marks) if high > low]
                return (expected - 1) / max((max(lasts) - min(firsts)) / 1000, 1e-3)
            time.sleep(0.5)
    finally:
        consumer.close()
    raise TimeoutError(f"{topic} did not reach {expected} messages")


def _timestamp(consumer: Consumer, topic: str, partition: int, offset: int) -> int:
    consumer.assign([TopicPartition(topic, partition, offset)])
    while True:
        message = consumer.poll(5)
        if message is not None and not message.error():
            return message.timestamp()[1]


def one_round(base: GovbusSettings, records: list[dict], workers: int) -> float:
    settings, encoded = prepare_round(base, records)
    with tempfile.TemporaryDirectory(prefix="govbus-bench-") as state:
        children = start_workers(settings, workers, state)
        try:
            wait_settled(settings, children)
            produce(settings, encoded)
            return span_rate(settings, topic_names(settings).shared(WATCHED_RECIPIENT, DATASET), len(records), 900)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    try:
        records = bench_records(load_schemas(base.schemas_dir)[DATASET], args.records)
    except KafkaException as exc:
        raise SystemExit(f"bench: {exc}") from None
    rates: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            rates[workers].append(one_round(base, records, workers))
        print(f"round: 1 worker {rates[1][-1]:,.0f}/s  2 workers {rates[2][-1]:,.0f}/s  "
              f"(load average {os.getloadavg()[0]:.1f}: other processes share the cores)", flush=True)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"1 worker:  median {one:,.0f} input records/s  {[round(x) for x in rates[1]]}")
    print(f"2 workers: median {two:,.0f} input records/s  {[round(x) for x in rates[2]]}")
    print(f"ratio 2/1 = {two / one:.2f}  ({os.cpu_count()} cores; 6 partitions; 3 agreements a record)")


if __name__ == "__main__":
    entry.run(main)

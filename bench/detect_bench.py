"""Detector throughput: ``govbus detect`` (decode, clean, extract → observations topic → rules over
Faust tables) over pre-produced hotline work orders on a raw topic of 6 partitions.

Work orders from the synthetic generator, spread over Fuzhou's districts, accepted one every 20
seconds of event time (4,320 a day, a live hotline's order give or take the partitions; at one a
second every district and category "spikes" for the first day, because the spike rule has no
24-hour baseline yet, and every record becomes an incident version). Each is offered to the
hotline rules (a category spike rule, three triage rules). The generator makes one order in seven
a gas leak; here one in 700 is (the rest become noise complaints), because what an incident costs
(a version on the topic, a triggering id in the state) belongs to emergencies, not to every call.

The rate counts raw records per second from the first observation the detector writes to the
last changelog write of its tables (state changes happen for every applied observation), both
from the broker's message timestamps, so start-up, group join and table recovery are excluded;
and raw records per CPU-second of the workers' processes (/proc), the figure that holds on a
machine shared with other work.
Medians over ``--repeat`` rounds, each on fresh topics.

    python -m bench.detect_bench [--records 20000] [--repeat 2] [--workers 1]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from bench import entry
from bench.cpu import cpu_seconds
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.kafka_admin import create_missing_topics
from govbus.core.metrics import new_metrics
from govbus.core.records import coerce_record
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from producers.sdk import Publisher, Source, envelope_for
from producers.synthetic.generate import work_orders
from stream_processors.detect.main import detector_id, observations_topic

DATASET = "hotline.work_order"
PARTITIONS = 6
DISTRICTS = ["350102", "350103", "350104", "350105", "350111", "350112", "350121", "350122"]
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
NOISE = "晚上十点后施工噪音很大，影响休息，请尽快处理。"


def produce_inputs(settings: GovbusSettings, count: int) -> None:
    schema = load_schemas(settings.schemas_dir)[DATASET]
    publisher = Publisher(settings, Serde.from_settings(settings), new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    source = Source("hotline", "city", "350100", "bench")
    for n, record in enumerate(work_orders(count, seed=7, dirty=0.0)):
        record = {k: v for k, v in record.items() if not k.startswith("_")}
        if record["category_code"] == "0110" and n % 100:
            record |= {"category_code": "0301", "content": NOISE}
        record |= {"region_code": f"{DISTRICTS[n % len(DISTRICTS)]}001{n % 30 + 1:03d}",
                   "accepted_at": T0 + timedelta(seconds=20 * n)}
        full = coerce_record(schema, record | {"envelope": envelope_for(schema, record, source)}).value
        publisher.publish(schema, full, full["order_no"])
    publisher.flush()


def _partitions(consumer: Consumer, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions]


def _timestamp(consumer: Consumer, tp: TopicPartition, offset: int) -> int:
    consumer.assign([TopicPartition(tp.topic, tp.partition, offset)])
    while True:
        message = consumer.poll(5)
        if message is not None and not message.error():
            return message.timestamp()[1]


def _drained(consumer: Consumer, topics: list[str]) -> bool:
    wanted = [tp for t in topics for tp in _partitions(consumer, t)]
    committed = consumer.committed(wanted, timeout=10)
    return all(max(c.offset, 0) >= consumer.get_watermark_offsets(tp, timeout=10)[1]
               for c, tp in zip(committed, wanted, strict=True))


def _ends(consumer: Consumer, topic: str) -> int:
    return sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in _partitions(consumer, topic))


def _wait_drained(consumer: Consumer, raw: str, observations: str, pids: list[int],
                  timeout: float) -> tuple[float, int]:
    """Wait until the group has handled everything; (CPU seconds of the workers from the first
    observation on, observations written by then)."""
    deadline = time.monotonic() + timeout
    start: tuple[float, int] | None = None
    while True:
        with contextlib.suppress(KafkaException, KeyError):  # its topics are not there yet
            if start is None and (seen := _ends(consumer, observations)):
                start = (sum(cpu_seconds(p) for p in pids), seen)
            if start is not None and _drained(consumer, [raw]) and _drained(consumer, [observations]):
                return sum(cpu_seconds(p) for p in pids) - start[0], start[1]
        if time.monotonic() > deadline:
            raise TimeoutError("the detector did not drain its input")
        time.sleep(1.0)


def measured_rate(settings: GovbusSettings, count: int, pids: list[int], timeout: float) -> dict[str, float]:
    """Raw records/s (wall), records per CPU-second of the workers, observations a record."""
    group = detector_id(settings)
    observations = observations_topic(group)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": group}))
    try:
        cpu, seen_early = _wait_drained(consumer, topic_names(settings).raw(DATASET), observations, pids, timeout)
        firsts, lasts, observed = [], [], 0
        for tp in _partitions(consumer, observations):
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            if high > low:
                firsts.append(_timestamp(consumer, tp, low))
                observed += high - low
        changelogs = [t for t in consumer.list_topics(timeout=10).topics
                      if t.startswith(f"{group}-") and t.endswith("-changelog")]
        for tp in [tp for t in changelogs for tp in _partitions(consumer, t)]:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            if high > low:
                lasts.append(_timestamp(consumer, tp, high - 1))
    finally:
        consumer.close()
    after = count * (1 - seen_early / observed)  # records handled while the CPU was counted
    return {"wall": count / max((max(lasts) - min(firsts)) / 1000, 1e-3), "cpu": after / max(cpu, 1e-3),
            "observations": observed / count}


def one_round(base: GovbusSettings, count: int, workers: int) -> dict[str, float]:
    settings = base.model_copy(update={"topic_prefix": f"bench_{uuid.uuid4().hex[:8]}"})
    raw = NewTopic(topic_names(settings).raw(DATASET), num_partitions=PARTITIONS, replication_factor=-1)
    create_missing_topics(AdminClient(kafka_config(settings, "admin")), [raw])
    produce_inputs(settings, count)
    children = []
    for _ in range(workers):
        env = os.environ | {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                            "GOVBUS_METRICS_PORT": "0", "GOVBUS_STATE_DIR": tempfile.mkdtemp(prefix="detect-bench-")}
        children.append(subprocess.Popen(
            [sys.executable, "-m", "commands.main", "detect", "--partitions", str(PARTITIONS),
             "--idle-clock", "0", "--tick-seconds", "600"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
    try:
        return measured_rate(settings, count, [c.pid for c in children], timeout=900)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    rounds = []
    for _ in range(args.repeat):
        rounds.append(one_round(base, args.records, args.workers))
        r = rounds[-1]
        print(f"round: {r['wall']:,.0f} records/s, {r['cpu']:,.0f} records per CPU-second "
              f"({r['observations']:.2f} observations a record)", flush=True)
    wall, cpu = (statistics.median(r[k] for r in rounds) for k in ("wall", "cpu"))
    print(f"govbus detect, {args.workers} worker(s), {PARTITIONS} partitions: median {wall:,.0f} raw records/s, "
          f"{cpu:,.0f} records per CPU-second (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    entry.run(main)

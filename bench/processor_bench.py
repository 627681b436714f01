"""Processor throughput: (a) a naive Faust decode → re-encode agent against (b) govbus's processor
doing clean + route + mask with 3 matching agreements per record (plus 3 audit events), on the
same broker, same records, in one run. Goal: (b) ≥ 0.8 × (a) in input records/s.

Rates come from the output topic's message timestamps (first to last), so worker start-up and
group joins are not counted. Each side runs ``--repeat`` times, alternating; medians reported.

    python -m bench.processor_bench [--records 30000] [--repeat 3]

``--compare-signing``: instead, govbus's processor with signing on (the default) against signing off
(GOVBUS_SIGN_DELIVERIES=false), alternating in the same minutes; goal: on ≥ 0.85 × off.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, TopicPartition

from bench.cpu import cpu_seconds
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.records import coerce_record
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from producers.sdk import Publisher, Source, envelope_for
from producers.synthetic.generate import work_orders

DATASET = "hotline.work_order"
# The shipped agreements: police (city), urban management (Gulou county), province (upward).
# Records in Gulou with demand type "complaint" match all three.
WATCHED_RECIPIENT = "public_security_350100"


def bench_records(schema: DatasetSchema, count: int) -> list[dict]:
    """Valid work orders in Gulou (350102) with demand type "complaint": all three agreements match."""
    source = Source("hotline", "city", "350100", "bench")
    records = []
    for n, record in enumerate(work_orders(count, seed=5, dirty=0.0)):
        record |= {"region_code": f"350102001{n % 30 + 1:03d}", "demand_type": "complaint"}
        record = {k: v for k, v in record.items() if not k.startswith("_")}
        records.append(coerce_record(schema, record | {"envelope": envelope_for(schema, record, source)}).value)
    return records


def produce_inputs(settings: GovbusSettings, count: int) -> None:
    schema = load_schemas(settings.schemas_dir)[DATASET]
    publisher = Publisher(settings, Serde.from_settings(settings), new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    for record in bench_records(schema, count):
        publisher.publish(schema, record, record["order_no"])
    publisher.flush()


def span_rate(settings: GovbusSettings, topic: str, expected: int, timeout: float) -> float:
    """Records/s between the first and last message timestamps of ``topic`` (all its partitions:
    the catalogue sizes a shared topic like its raw one) once it holds ``expected`` messages."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"bench-{uuid.uuid4().hex}"}))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            marks = _marks(consumer, topic)
            if sum(high - low for low, high in marks.values()) >= expected:
                filled = {p: m for p, m in marks.items() if m[1] > m[0]}
                first = min(_timestamp(consumer, topic, p, low) for p, (low, _high) in filled.items())
                last = max(_timestamp(consumer, topic, p, high - 1) for p, (_low, high) in filled.items())
                return (expected - 1) / max((last - first) / 1000, 1e-3)
            time.sleep(0.5)
    finally:
        consumer.close()
    raise TimeoutError(f"{topic} did not reach {expected} messages")


def _marks(consumer: Consumer, topic: str) -> dict[int, tuple[int, int]]:
    found = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if found is None or found.error is not None:  # the output topic does not exist yet
        return {}
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in found.partitions}
    except KafkaException:
        return {}


def _timestamp(consumer: Consumer, topic: str, partition: int, offset: int) -> int:
    consumer.assign([TopicPartition(topic, partition, offset)])
    while True:
        message = consumer.poll(5)
        if message is not None and not message.error():
            return message.timestamp()[1]


def run_child(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def one_round(base: GovbusSettings, count: int, naive: bool, sign: bool = True,
              cpu: list[float] | None = None) -> float:
    """Input records/s of one fresh run; ``cpu`` gets the child's records per CPU-second (its
    start-up included) once its outputs are all on the broker."""
    settings = base.model_copy(update={"topic_prefix": f"bench_{uuid.uuid4().hex[:8]}"})
    topics = topic_names(settings)
    produce_inputs(settings, count)
    env = os.environ | {**connection_env(settings),
                        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_METRICS_PORT": "-1",
                        "GOVBUS_PROCESSOR_GROUP": f"{settings.topic_prefix}-proc",
                        "GOVBUS_SIGN_DELIVERIES": "true" if sign else "false"}
    if naive:
        out = f"{settings.topic_prefix}.naive.out"
        child = run_child(["-m", "bench.naive_faust", topics.raw(DATASET), out,
                           f"{settings.topic_prefix}-naive"], env)
    else:
        out = topics.shared(WATCHED_RECIPIENT, DATASET)
        child = run_child(["-m", "commands.main", "process"], env)
    try:
        rate = span_rate(settings, out, count, timeout=600)
        if cpu is not None:
            cpu.append(count / cpu_seconds(child.pid))
        return rate
    finally:
        child.terminate()
        child.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare-signing", action="store_true", help="signing on against off")
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    if args.compare_signing:
        compare_signing(base, args.records, args.repeat)
        return
    naive, govbus = [], []
    for _ in range(args.repeat):
        naive.append(one_round(base, args.records, naive=True))
        govbus.append(one_round(base, args.records, naive=False))
        print(f"round: naive {naive[-1]:,.0f}/s  govbus {govbus[-1]:,.0f}/s", flush=True)
    a, b = statistics.median(naive), statistics.median(govbus)
    print(f"(a) naive Faust decode→encode: median {a:,.0f} records/s  {[round(x) for x in naive]}")
    print(f"(b) govbus clean+route+mask, 3 agreements: median {b:,.0f} input records/s  "
          f"{[round(x) for x in govbus]}")
    print(f"ratio (b)/(a) = {b / a:.2f}  (goal ≥ 0.8)")


def compare_signing(base: GovbusSettings, records: int, repeat: int) -> None:
    """The processor's input records/s with every delivery signed and with signing off, rounds
    alternating (which goes first alternates too), medians of ``repeat`` rounds each."""
    on: list[float] = []
    off: list[float] = []
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for n in range(repeat):
        for sign in ((True, False) if n % 2 == 0 else (False, True)):
            (on if sign else off).append(one_round(base, records, naive=False, sign=sign, cpu=cpu[sign]))
        print(f"round: signing on {on[-1]:,.0f}/s ({cpu[True][-1]:,.0f}/CPU-s)  off {off[-1]:,.0f}/s "
              f"({cpu[False][-1]:,.0f}/CPU-s)  load average {os.getloadavg()[0]:.1f}", flush=True)
    for name, figures in (("wall", (on, off)), ("per CPU-second (start-up included)", (cpu[True], cpu[False]))):
        a, b = statistics.median(figures[0]), statistics.median(figures[1])
        print(f"{name}: signing on median {a:,.0f} {[round(x) for x in figures[0]]}, off median {b:,.0f} "
              f"{[round(x) for x in figures[1]]}; ratio on/off {a / b:.2f} (goal ≥ 0.85)")


if __name__ == "__main__":
    main()

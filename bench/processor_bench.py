"""Processor throughput, five sides on the same broker and the same input records, in one run:

  (p) plain loop: confluent-kafka consume → fastavro decode → re-encode → produce (bench/plain_loop.py)
  (q) Quix Streams 3.28 decoding and re-encoding the same Avro records (bench/quix_peer.py, run
      with the python of the ``bench`` extra's venv, ``--quix-python``, default .venv-quix)
  (a) a naive Faust decode → re-encode agent (bench/naive_faust.py)
  (f) the floor of govbus's runtime: `govbus process`'s own Faust app forwarding each input's
      bytes, with no pipeline (bench/faust_floor.py): the most (b) could reach with Faust's consumer
  (b) ``govbus process``: clean + route + mask with 3 matching agreements per record (3 deliveries
      and 3 audit events per input)

Each round writes ``--records`` hotline work orders (one partition) to a fresh raw topic, then
runs the sides one after another (their order turns each round) on that topic, each with its
own group and its own output topic created with message.timestamp.type=LogAppendTime: rates
come from the broker's timestamps on the output records, first to last, so start-up and group
joins are not counted and no producer clock is trusted. CPU µs per input record: the worker
process's CPU (all threads, /proc) from its first output record to its last. Every side connects
with the bus's SASL_SSL identity. Medians of ``--repeat`` rounds; the issue-18 targets are the
ratios govbus/plain ≥ 0.27 and govbus/Quix ≥ 0.35.

    python -m bench.processor_bench [--records 20000] [--repeat 3] [--quix-python PATH] [--govbus-from DIR]

``--govbus-from DIR``: a fifth side, ``govbus process`` from another checkout (its own raw topic
with the same records), for before/after figures in the same rounds.

``--compare-signing``: instead, govbus's processor with signing on (the default) against signing off
(GOVBUS_SIGN_DELIVERIES=false), alternating in the same minutes; goal: on ≥ 0.85 × off.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from bench import entry
from bench.avro_frames import register
from bench.cpu import cpu_seconds
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.kafka_admin import create_missing_topics
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


def output_topic(settings: GovbusSettings, name: str, partitions: int = 1) -> None:
    """Create ``name`` with broker-stamped timestamps (LogAppendTime), unless it exists."""
    admin = AdminClient(kafka_config(settings, "admin"))
    create_missing_topics(admin, [NewTopic(name, num_partitions=partitions, replication_factor=-1,
                                           config={"message.timestamp.type": "LogAppendTime"})])


def input_topic(settings: GovbusSettings, count: int) -> str:
    """A fresh raw topic of one partition holding ``count`` bench records."""
    raw = topic_names(settings).raw(DATASET)
    create_missing_topics(AdminClient(kafka_config(settings, "admin")),
                          [NewTopic(raw, num_partitions=1, replication_factor=-1)])
    produce_inputs(settings, count)
    return raw


def drop_round(settings: GovbusSettings) -> None:
    """Delete the round's topics (its prefix's): a broker left holding every past round's
    partitions (~1,850 after a few sessions) made the broker-heavy sides' rates wander."""
    admin = AdminClient(kafka_config(settings, "admin"))
    names = [name for name in admin.list_topics(timeout=30).topics if name.startswith(f"{settings.topic_prefix}.")]
    for future in admin.delete_topics(names, operation_timeout=30).values() if names else ():
        future.result()


def high_watermark(consumer: Consumer, topic: str) -> int:
    return sum(high - low for low, high in _marks(consumer, topic).values())


def span_rate(settings: GovbusSettings, topic: str, expected: int, timeout: float,
              child: subprocess.Popen | None = None) -> tuple[float, float | None]:
    """Records/s between the first and last message timestamps of ``topic`` (all its partitions)
    once it holds ``expected`` messages; with ``pid``, also that process's CPU µs per record
    from its first output record to its last (start-up excluded)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"bench-{uuid.uuid4().hex}"}))
    deadline = time.monotonic() + timeout
    started: tuple[int, float] | None = None
    pid = child.pid if child is not None else None
    try:
        while time.monotonic() < deadline:
            check_alive(child)
            held = high_watermark(consumer, topic)
            if pid is not None and started is None and held > 0:
                started = (held, cpu_seconds(pid))
            if held >= expected:
                cpu = None
                if pid is not None and started is not None and held > started[0]:
                    cpu = (cpu_seconds(pid) - started[1]) * 1e6 / (held - started[0])
                return _rate(consumer, topic, expected), cpu
            time.sleep(0.05 if started is None else 0.25)
    finally:
        consumer.close()
    raise TimeoutError(f"{topic} did not reach {expected} messages")


def _rate(consumer: Consumer, topic: str, expected: int) -> float:
    filled = {p: m for p, m in _marks(consumer, topic).items() if m[1] > m[0]}
    first = min(_timestamp(consumer, topic, p, low) for p, (low, _high) in filled.items())
    last = max(_timestamp(consumer, topic, p, high - 1) for p, (_low, high) in filled.items())
    return (expected - 1) / max((last - first) / 1000, 1e-3)


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


def run_child(python: str, args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
    """A worker whose stderr goes to a temporary file (its tail is shown if it dies); ``cwd``:
    another checkout (`python -m` puts the working directory first on sys.path)."""
    log = tempfile.TemporaryFile()  # closed in stop_child
    child = subprocess.Popen([python, *args], env=env, stdout=subprocess.DEVNULL, stderr=log,
                             stdin=subprocess.DEVNULL, cwd=cwd)
    child.log = log  # type: ignore[attr-defined]
    return child


def stop_child(child: subprocess.Popen) -> None:
    child.terminate()
    child.wait(30)
    child.log.close()  # type: ignore[attr-defined]


def check_alive(child: subprocess.Popen | None) -> None:
    """Raise with the tail of its stderr when the worker has died."""
    if child is None or child.poll() is None:
        return
    child.log.seek(0)  # type: ignore[attr-defined]
    tail = child.log.read().decode(errors="replace").strip().splitlines()[-3:]  # type: ignore[attr-defined]
    raise SystemExit(f"bench: worker {' '.join(map(str, child.args))} exited {child.returncode}: " + " / ".join(tail))


@dataclass(frozen=True)
class Side:
    key: str
    label: str


BEFORE = "before"  # govbus process from another checkout (--govbus-from), on a raw topic of its own
SIDES = (Side("plain", "plain confluent-kafka loop: decode → re-encode → produce"),
         Side("quix", "Quix Streams 3.28: decode → re-encode"),
         Side("naive", "naive Faust agent (bench/naive_faust.py)"),
         Side("floor", "govbus's Faust app forwarding bytes, no pipeline (bench/faust_floor.py)"),
         Side("govbus", "govbus process, 3 agreements (3 deliveries + 3 audit events)"))


@dataclass
class Figures:
    rates: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # CPU µs per input record


def side_round(settings: GovbusSettings, count: int, side: str, quix_python: str, sign: bool = True,
               figures: Figures | None = None, checkout: Path | None = None) -> float:
    """Input records/s of ``side`` reading the round's raw topic (``settings.topic_prefix``)."""
    topics = topic_names(settings)
    env = os.environ | {**connection_env(settings),
                        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_METRICS_PORT": "-1",
                        "GOVBUS_PROCESSOR_GROUP": f"{settings.topic_prefix}-proc-{uuid.uuid4().hex[:6]}",
                        "GOVBUS_SIGN_DELIVERIES": "true" if sign else "false"}
    out = (topics.shared(WATCHED_RECIPIENT, DATASET) if side in ("govbus", BEFORE)
           else f"{settings.topic_prefix}.bench.{side}")
    output_topic(settings, out)
    group = f"{settings.topic_prefix}-{side}-{uuid.uuid4().hex[:6]}"
    raw = topics.raw(DATASET)
    out_id = str(register(settings, out)) if side in ("plain", "quix") else ""
    child = {"plain": lambda: run_child(sys.executable, ["-m", "bench.plain_loop", raw, out, group, out_id], env),
             "quix": lambda: run_child(quix_python, ["-m", "bench.quix_peer", raw, out, group, out_id], env),
             "naive": lambda: run_child(sys.executable, ["-m", "bench.naive_faust", raw, out, group], env),
             "floor": lambda: run_child(sys.executable, ["-m", "bench.faust_floor", raw, out, group], env),
             "govbus": lambda: run_child(sys.executable, ["-m", "commands.main", "process"], env),
             BEFORE: lambda: run_child(sys.executable, ["-m", "commands.main", "process"], env, checkout)}[side]()
    try:
        rate, cpu = span_rate(settings, out, count, timeout=600, child=child)
        if figures is not None:
            figures.rates.append(rate)
            figures.cpu_us.append(cpu if cpu is not None else float("nan"))
        return rate
    finally:
        stop_child(child)


def fresh_round(base: GovbusSettings, count: int) -> GovbusSettings:
    settings = base.model_copy(update={"topic_prefix": f"bench_{uuid.uuid4().hex[:8]}"})
    input_topic(settings, count)
    return settings


def default_quix_python() -> str:
    """The ``bench`` extra's venv (.venv-quix beside the checkout), else this python if it has
    quixstreams; else one line saying how to install it."""
    venv = Path(__file__).resolve().parent.parent / ".venv-quix" / "bin" / "python"
    if venv.exists():
        return str(venv)
    if importlib.util.find_spec("quixstreams") is not None:
        return sys.executable
    raise SystemExit("bench: Quix Streams is not installed: python3 -m venv .venv-quix && "
                     ".venv-quix/bin/pip install -e '.[bench]' (docs/capacity.md), or give --quix-python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quix-python", help="python of a venv with the bench extra (default .venv-quix)")
    parser.add_argument("--compare-signing", action="store_true", help="signing on against off")
    parser.add_argument("--govbus-from", type=Path, help="also run `govbus process` from this checkout "
                        "(e.g. /work/main: before and after a change, in the same rounds)")
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    if args.compare_signing:
        compare_signing(base, args.records, args.repeat)
        return
    quix_python = args.quix_python or default_quix_python()
    sides = SIDES + ((Side(BEFORE, f"govbus process from {args.govbus_from}"),) if args.govbus_from else ())
    figures = {side.key: Figures() for side in sides}
    for n in range(args.repeat):
        settings = fresh_round(base, args.records)
        # Both govbus sides write the same shared topic name: the other checkout gets its own prefix.
        before = fresh_round(base, args.records) if args.govbus_from else settings
        order = sides[n % len(sides):] + sides[:n % len(sides)]
        try:
            for side in order:
                side_round(before if side.key == BEFORE else settings, args.records, side.key, quix_python,
                           figures=figures[side.key], checkout=args.govbus_from)
        finally:
            drop_round(settings)
            if before is not settings:
                drop_round(before)
        print(f"round {n + 1}: " + "  ".join(f"{side.key} {figures[side.key].rates[-1]:,.0f}/s "
                                            f"({figures[side.key].cpu_us[-1]:,.0f} µs CPU)" for side in order)
              + f"  load average {os.getloadavg()[0]:.1f}", flush=True)
    print_table(figures, args.records, args.repeat, sides)


def print_table(figures: dict[str, Figures], records: int, repeat: int, sides: tuple[Side, ...] = SIDES) -> None:
    print(f"\n{records:,} hotline work orders, one partition, {repeat} rounds, sides alternated, medians "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print("| side | median input rec/s | CPU µs per input | rounds (rec/s) |")
    print("|---|---|---|---|")
    for side in sides:
        f = figures[side.key]
        print(f"| {side.label} | {statistics.median(f.rates):,.0f} | {statistics.median(f.cpu_us):,.0f} | "
              f"{', '.join(f'{r:,.0f}' for r in f.rates)} |")
    for mine in [s.key for s in sides if s.key in ("govbus", BEFORE)]:
        govbus = statistics.median(figures[mine].rates)
        for key, name, target in (("plain", "plain loop", 0.27), ("quix", "Quix Streams", 0.35),
                                  ("naive", "naive Faust", None), ("floor", "govbus's Faust floor", None)):
            ratio = govbus / statistics.median(figures[key].rates)
            cpu = statistics.median(figures[key].cpu_us) / statistics.median(figures[mine].cpu_us)
            goal = f" (target ≥ {target})" if target else ""
            print(f"{mine} / {name}: {ratio:.2f} in rec/s{goal}; {cpu:.2f} in records per CPU-second")
    print_ceiling(figures)


def print_ceiling(figures: dict[str, Figures]) -> None:
    """The floor side's ratios: the most govbus's ratios could be with Faust as its runtime."""
    floor = statistics.median(figures["floor"].rates)
    for key, name in (("plain", "plain loop"), ("quix", "Quix Streams")):
        ratio = floor / statistics.median(figures[key].rates)
        print(f"ceiling with Faust's consumer: floor / {name}: {ratio:.2f} in rec/s")


def compare_signing(base: GovbusSettings, records: int, repeat: int) -> None:
    """The processor's input records/s with every delivery signed and with signing off, rounds
    alternating (which goes first alternates too), medians of ``repeat`` rounds each."""
    figures = {True: Figures(), False: Figures()}
    for n in range(repeat):
        settings = fresh_round(base, records)
        for sign in ((True, False) if n % 2 == 0 else (False, True)):
            side_round(settings, records, "govbus", sys.executable, sign=sign, figures=figures[sign])
        drop_round(settings)
        print(f"round: signing on {figures[True].rates[-1]:,.0f}/s ({figures[True].cpu_us[-1]:,.0f} µs CPU)  "
              f"off {figures[False].rates[-1]:,.0f}/s ({figures[False].cpu_us[-1]:,.0f} µs CPU)  "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for name, pick in (("wall rec/s", lambda f: f.rates), ("CPU µs per input", lambda f: f.cpu_us)):
        a, b = statistics.median(pick(figures[True])), statistics.median(pick(figures[False]))
        print(f"{name}: signing on median {a:,.0f} {[round(x) for x in pick(figures[True])]}, off median {b:,.0f} "
              f"{[round(x) for x in pick(figures[False])]}; ratio on/off {a / b:.2f}")  # wall goal ≥ 0.85


if __name__ == "__main__":
    entry.run(main)

"""End-to-end latency: produce → processor → pool sink → row committed in PostgreSQL.

Starts ``govbus process`` and ``govbus sink --recipient public_security_350100`` (into a fresh
database on ``--postgres-url``, default GOVBUS_TEST_POSTGRES_URL) on a fresh topic prefix,
warms them up, then, for each point, produces hotline work orders (all three agreements match)
at a steady rate for ``--seconds``:

- produce time: the raw topic record's timestamp (set by the producer when the record is sent);
- delivery time (the processor's part, printed beside): the broker's timestamp of the record's
  delivery on the watched shared topic (LogAppendTime);
- commit time: when the sink's stored offset of the shared topic (``govbus_sink_offsets``,
  written in the same transaction as the rows) first passes the record's delivery offset; the
  bench reads that one row every ``--poll-ms`` (the figure is late by up to one poll). It used to
  ask the pool for every key still pending at each poll, a query that grew with the backlog
  (~3,000 keys every 10 ms once the pipeline was 1.5 s behind) on the 2 cores the pipeline runs on.

Points: ``--rate N`` (records/s) and ``--share S`` (S × the processor's peak, measured first in the
same run from a burst of ``--peak-records``, output rate from broker timestamps); by default the
issue-18 points, 200 rec/s and half of the peak. Targets: p99 ≤ 500 ms at 200 rec/s, p99 ≤ 1 s at
half of the peak. ``--sink-from DIR`` runs the sink from another checkout (e.g. main's, for the
figures before a change to the sink); the processor always runs from this one.

    python -m bench.e2e_bench [--rate 200] [--share 0.5] [--seconds 20] [--sink-from /work/main]
"""
from __future__ import annotations

import argparse
import bisect
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from sqlalchemy import make_url

from bench import entry
from bench.databases import fresh_database
from bench.processor_bench import (
    DATASET,
    WATCHED_RECIPIENT,
    _timestamp,
    check_alive,
    input_topic,
    output_topic,
    run_child,
    stop_child,
)
from commands.endpoints import with_endpoints
from consumers.pool.store import OFFSETS_TABLE
from govbus.core import identities
from govbus.core.records import coerce_record
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from govbus.core.topics import value_subject
from producers.sdk import Source, envelope_for
from producers.synthetic.generate import work_orders

DEFAULT_PG = os.environ.get("GOVBUS_TEST_POSTGRES_URL", "postgresql+psycopg://govbus:govbus@127.0.0.1:5432/govbus")


def phase_records(schema: DatasetSchema, count: int, phase: int) -> list[dict[str, Any]]:
    """Valid work orders in Gulou with demand type "complaint" (all three agreements match), with
    order numbers (and so event ids) of their own per phase: no phase is taken for a replay."""
    source = Source("hotline", "city", "350100", "bench")
    out = []
    for n, record in enumerate(work_orders(count, seed=7 + phase, dirty=0.0)):
        record = {k: v for k, v in record.items() if not k.startswith("_")}
        record |= {"region_code": f"350102001{n % 30 + 1:03d}", "demand_type": "complaint",
                   "order_no": f"GD2026{phase + 1:02d}01{n:07d}"}
        out.append(coerce_record(schema, record | {"envelope": envelope_for(schema, record, source)}).value)
    return out


class Feed:
    """Sends records to the raw topic (one partition) and reads back their timestamps."""

    def __init__(self, settings: GovbusSettings) -> None:
        self.schema = load_schemas(settings.schemas_dir)[DATASET]
        self.raw = topic_names(settings).raw(DATASET)
        self.subject = value_subject(self.raw)
        self.serde = Serde.from_settings(settings)
        self.serde.prepare(self.subject, self.schema.schema)
        self.producer = Producer(kafka_config(settings, "producer"))
        self.reader = Consumer(kafka_config(settings, "consumer", **{"group.id": f"e2e-{uuid.uuid4().hex}"}))

    def encoded(self, records: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
        return [(r["order_no"].encode(), self.serde.encode(self.subject, r)) for r in records]

    def send(self, key: bytes, value: bytes) -> None:
        while True:
            try:
                self.producer.produce(self.raw, value, key)
                self.producer.poll(0)
                return
            except BufferError:
                self.producer.poll(0.01)

    def end_offset(self, topic: str | None = None) -> int:
        return self.reader.get_watermark_offsets(TopicPartition(topic or self.raw, 0), timeout=10)[1]

    def timestamps(self, start: int, count: int, topic: str | None = None) -> dict[str, int]:
        """Key → record timestamp (ms) of ``count`` records from offset ``start`` of ``topic``
        (partition 0; default the raw topic)."""
        return {key: at for key, (_offset, at) in self.positions(start, count, topic).items()}

    def positions(self, start: int, count: int, topic: str | None = None) -> dict[str, tuple[int, int]]:
        """Key → (offset, timestamp in ms) of ``count`` records from offset ``start`` of ``topic``."""
        self.reader.assign([TopicPartition(topic or self.raw, 0, start)])
        found: dict[str, tuple[int, int]] = {}
        while len(found) < count:
            for message in self.reader.consume(1000, 5):
                if message.error() is None:
                    found[(message.key() or b"").decode()] = (message.offset(), message.timestamp()[1])
        return found


class Pool:
    """How far the sink has committed a shared topic (its stored next offset, partition 0)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                                    autocommit=True)
        self.table: str | None = None

    def _find_table(self) -> str | None:
        row = self.conn.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = %s LIMIT 1",
                                (OFFSETS_TABLE,)).fetchone()
        return f'"{row[0]}"."{OFFSETS_TABLE}"' if row else None

    def committed(self, topic: str) -> int:
        """The sink's next offset to read on ``topic`` (0 before its first commit)."""
        self.table = self.table or self._find_table()
        if self.table is None:
            return 0
        query = f"SELECT max(next_offset) FROM {self.table} WHERE topic = %s AND partition = 0"  # noqa: S608
        row = self.conn.execute(query, (topic,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


@dataclass
class Progress:
    """(wall time in ms, committed next offset) each time the sink's offset moved."""

    pool: Pool
    topic: str
    moves: list[tuple[float, int]] = field(default_factory=list)

    def poll(self) -> int:
        at, offset = time.time() * 1000, self.pool.committed(self.topic)
        if not self.moves or offset > self.moves[-1][1]:
            self.moves.append((at, offset))
        return offset

    def seen_at(self, offset: int) -> float | None:
        """When the first commit covering ``offset`` was seen."""
        offsets = [moved for _at, moved in self.moves]
        found = bisect.bisect_right(offsets, offset)
        return self.moves[found][0] if found < len(self.moves) else None


def run_point(feed: Feed, pool: Pool, records: list[dict[str, Any]], rate: float, poll_s: float,
              workers: list[subprocess.Popen], shared: str) -> tuple[dict[str, float], dict[str, float]]:
    """Produce ``records`` at ``rate``/s; per record, raw timestamp → its row committed in the
    pool, and raw timestamp → broker timestamp of its delivery on ``shared`` (the processor's
    part), in ms."""
    encoded = feed.encoded(records)
    start_offset, shared_offset = feed.end_offset(), feed.end_offset(shared)
    progress = Progress(pool, shared)
    start = time.monotonic()
    next_poll = start
    for n, (key, value) in enumerate(encoded):
        while (now := time.monotonic()) < start + n / rate:
            if now >= next_poll:
                progress.poll()
                next_poll = time.monotonic() + poll_s
            time.sleep(min(poll_s / 4, max(0.0, start + n / rate - now)))
        feed.send(key, value)
    feed.producer.flush(30)
    _wait_for(progress, shared_offset + len(encoded), poll_s, workers)
    produced = feed.timestamps(start_offset, len(encoded))
    delivered = feed.positions(shared_offset, len(encoded), shared)
    seen = {key: progress.seen_at(offset) for key, (offset, _at) in delivered.items()}
    return ({key: at - produced[key] for key, at in seen.items() if at is not None and key in produced},
            {key: at - produced[key] for key, (_offset, at) in delivered.items() if key in produced})


def _wait_for(progress: Progress, offset: int, poll_s: float, workers: list[subprocess.Popen]) -> None:
    """Until the sink has committed the shared topic up to ``offset`` (at most two minutes)."""
    deadline = time.monotonic() + 120
    while progress.poll() < offset and time.monotonic() < deadline:
        for worker in workers:
            check_alive(worker)
        time.sleep(poll_s)


def peak_rate(settings: GovbusSettings, feed: Feed, pool: Pool, count: int, workers: list[subprocess.Popen]) -> float:
    """The processor's input records/s on a burst of ``count`` (broker timestamps of its output);
    the pool is drained before it returns, polled slowly so as not to slow the processor."""
    out = topic_names(settings).shared(WATCHED_RECIPIENT, DATASET)
    reader = Consumer(kafka_config(settings, "consumer", **{"group.id": f"e2e-{uuid.uuid4().hex}"}))
    before = reader.get_watermark_offsets(TopicPartition(out, 0), timeout=10)[1]
    encoded = feed.encoded(phase_records(feed.schema, count, 1))
    for key, value in encoded:
        feed.send(key, value)
    feed.producer.flush(30)
    while reader.get_watermark_offsets(TopicPartition(out, 0), timeout=10)[1] < before + count:
        for worker in workers:
            check_alive(worker)
        time.sleep(0.5)
    first, last = _timestamp(reader, out, 0, before), _timestamp(reader, out, 0, before + count - 1)
    reader.close()
    _wait_for(Progress(pool, out), before + count, 0.5, workers)
    return (count - 1) / max((last - first) / 1000, 1e-3)


def report(name: str, latencies: tuple[dict[str, float], dict[str, float]], sent: int) -> None:
    total, processor = (sorted(part.values()) for part in latencies)
    if len(total) < 2 or len(processor) < 2:
        print(f"| {name} | {len(total)}/{sent} | – | – | – | – | – |")
        return
    q, p = (statistics.quantiles(values, n=100, method="inclusive") for values in (total, processor))
    print(f"| {name} | {len(total)}/{sent} | {q[49]:,.0f} | {q[94]:,.0f} | {q[98]:,.0f} | {total[-1]:,.0f} "
          f"| {p[49]:,.0f} / {p[98]:,.0f} |", flush=True)


def start_workers(settings: GovbusSettings, pool_url: str, sink_from: Path) -> list[subprocess.Popen]:
    env = os.environ | {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                        "GOVBUS_METRICS_PORT": "-1", "GOVBUS_POOL_URL": pool_url,
                        "GOVBUS_PROCESSOR_GROUP": f"{settings.topic_prefix}-proc",
                        "GOVBUS_SINK_GROUP": f"{settings.topic_prefix}-sink"}
    processor = run_child(sys.executable, ["-m", "commands.main", "process"], env)
    here = os.getcwd()
    try:
        os.chdir(sink_from)  # `python -m` puts the working directory first on sys.path
        sink = run_child(sys.executable, ["-m", "commands.main", "sink", "--recipient", WATCHED_RECIPIENT], env)
    finally:
        os.chdir(here)
    return [processor, sink]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, action="append", help="records/s (repeatable; default 200)")
    parser.add_argument("--share", type=float, action="append", help="share of the peak (repeatable; default 0.5)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--peak-records", type=int, default=10000)
    parser.add_argument("--poll-ms", type=float, default=10.0)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--sink-from", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    rates, shares = args.rate or [], args.share or []
    if not rates and not shares:
        rates, shares = [200.0], [0.5]
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    settings = base.model_copy(update={"topic_prefix": f"e2e_{uuid.uuid4().hex[:8]}"})
    input_topic(settings, 0)
    output_topic(settings, topic_names(settings).shared(WATCHED_RECIPIENT, DATASET))
    poll_s = args.poll_ms / 1000
    with ExitStack() as stack:
        pool_url = stack.enter_context(fresh_database(args.postgres_url, "e2e"))
        workers = start_workers(settings, pool_url, args.sink_from)
        stack.callback(lambda: [stop_child(w) for w in workers])
        feed, pool = Feed(settings), Pool(pool_url)
        stack.callback(pool.conn.close)
        shared = topic_names(settings).shared(WATCHED_RECIPIENT, DATASET)
        run_point(feed, pool, phase_records(feed.schema, 50, 0), 50, poll_s, workers, shared)  # warm-up
        points = [(f"{rate:,.0f} rec/s", rate) for rate in rates]
        if shares:
            peak = peak_rate(settings, feed, pool, args.peak_records, workers)
            print(f"processor peak (burst of {args.peak_records:,}): {peak:,.0f} input rec/s")
            points += [(f"{share:.2f} × peak = {share * peak:,.0f} rec/s", share * peak) for share in shares]
        print(f"sink from {args.sink_from}; {args.seconds:.0f} s per point; poll every {args.poll_ms:.0f} ms; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print("| point | rows seen | p50 ms | p95 ms | p99 ms | max ms | processor's part p50 / p99 ms |\n"
              "|---|---|---|---|---|---|---|")
        for phase, (name, rate) in enumerate(points, start=2):
            count = max(2, int(rate * args.seconds))
            report(name, run_point(feed, pool, phase_records(feed.schema, count, phase), rate, poll_s, workers,
                                   shared), count)


if __name__ == "__main__":
    entry.run(main)

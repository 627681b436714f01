"""Pool sink throughput into PostgreSQL, against bare psycopg writing the same rows, in one run.

Goal (issue 6): the sink stores ≥ 20k rows/s in batches of 500. Pre-produces ``--records``
hotline-shaped shared records (unique keys) to a fresh topic, then per round, alternating, into
a fresh database each:

  (s) the pool sink (``PoolSink.run``: consume, decode, map, upsert rows + offsets per batch);
  (e) bare psycopg ``executemany`` of INSERT … ON CONFLICT DO UPDATE, one transaction per batch;
  (c) bare psycopg COPY into the empty table, one transaction per batch.

(e) and (c) write the very rows the sink writes (decoded and mapped before the clock starts), so
they bound what the database and driver can take. The sink's rate counts rows stored per second
from its first committed batch to its last, so group join, table creation and the first fetch
(start-up) are excluded. Medians over ``--repeat`` rounds.

    python -m bench.sink_bench [--records 100000] [--repeat 3] [--batch 500] [--postgres-url URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from psycopg import sql
from sqlalchemy import MetaData, Table, create_engine, make_url, text

from bench import entry
from bench.databases import fresh_database
from commands.endpoints import with_endpoints
from consumers.pool.logic import OffsetMark, Reject, TablePlan, plan_for, row_for, table_for
from consumers.pool.pools import table_ref
from consumers.pool.sink import PoolSink
from consumers.pool.store import Fences, PoolStore
from govbus.core import identities
from govbus.core.key_topic import publish_now
from govbus.core.metrics import new_metrics
from govbus.core.records import coerce_record
from govbus.core.result import Ok
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, signing_key_pem, topic_names
from govbus.core.signing import SigningKey, load_signing_key, published, signature_headers
from govbus.core.topics import value_subject
from producers.sdk import Source, envelope_for
from producers.synthetic.generate import work_orders

DATASET = "hotline.work_order"
RECIPIENT = "bench_recipient"
CLASSES = {DATASET: "department"}
DEFAULT_PG = "postgresql+psycopg://govbus:govbus@127.0.0.1:5432/govbus"


# --- inputs ---------------------------------------------------------------------------------

def encoded_records(settings: GovbusSettings, serde: Serde, subject: str, count: int) -> list[tuple[bytes, bytes]]:
    """(key, framed value) of ``count`` valid work orders with unique order numbers."""
    schema = load_schemas(settings.schemas_dir)[DATASET]
    serde.prepare(subject, schema.schema)
    source = Source("hotline", "city", "350100", "bench")
    out = []
    for n, record in enumerate(work_orders(count, seed=11, dirty=0.0)):
        record = {k: v for k, v in record.items() if not k.startswith("_")} | {"order_no": f"B{n:08d}"}
        record = coerce_record(schema, record | {"envelope": envelope_for(schema, record, source)}).value
        out.append((record["order_no"].encode(), serde.encode(subject, record)))
    return out


def bench_signer(settings: GovbusSettings) -> SigningKey:
    """The processor's signing key (GOVBUS_SIGNING_KEY_FILE), published on the bench's bus.keys:
    the sink verifies every record as it does what the processor delivers."""
    loaded = load_signing_key(signing_key_pem(settings))
    if not isinstance(loaded, Ok):
        raise SystemExit(f"bench: {loaded.message}")
    publish_now(settings, [published(loaded.value.public_key, datetime.now(timezone.utc))])
    return loaded.value


def produce(settings: GovbusSettings, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> None:
    admin = AdminClient(kafka_config(settings, "admin"))
    for future in admin.create_topics([NewTopic(topic, 3, 1)]).values():
        future.result(30)
    signer = bench_signer(settings)
    producer = Producer(kafka_config(settings, "producer", **{"queue.buffering.max.messages": 1_000_000}))
    for key, value in messages:
        headers = signature_headers(signer, topic, key, value, "bench-agreement", 1)
        producer.produce(topic, value=value, key=key, headers=headers)
        producer.poll(0)
    if producer.flush(120) != 0:
        raise RuntimeError("records not delivered")


def mapped_rows(serde: Serde, messages: Sequence[tuple[bytes, bytes]]) -> tuple[TablePlan, list[dict[str, Any]]]:
    """The rows the sink stores for ``messages``, mapped exactly as it maps them."""
    schema_id = int.from_bytes(messages[0][1][1:5], "big")
    plan = plan_for(serde.writer_schema_json(schema_id)).value
    return plan, [row_for(serde.decode(value).value, plan) for _key, value in messages]


# --- databases ------------------------------------------------------------------------------



def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class TimedStore(PoolStore):
    """A PoolStore noting when each batch committed and how many rows it held."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.marks: list[tuple[float, int]] = []

    def write_batch(self, rows_by_table: Mapping[Table, Sequence[Mapping[str, Any]]],
                    rejects: Iterable[Reject], offsets: Iterable[OffsetMark], fences: Fences | None = None) -> None:
        super().write_batch(rows_by_table, rejects, offsets, fences)
        self.marks.append((time.perf_counter(), sum(len(r) for r in rows_by_table.values())))


def steady_rate(marks: Sequence[tuple[float, int]]) -> float:
    """Rows/s from the first commit to the last: the rows of every batch after the first."""
    if len(marks) < 3:
        raise RuntimeError(f"too few batches to time ({len(marks)}): produce more records")
    return sum(rows for _t, rows in marks[1:]) / (marks[-1][0] - marks[0][0])


# --- the three writers ----------------------------------------------------------------------

def run_sink(settings: GovbusSettings, url: str, batch: int, expected: int) -> float:
    store = TimedStore(url)
    run_settings = settings.model_copy(update={
        "pool_url": url, "sink_group": f"bench-sink-{uuid.uuid4().hex[:8]}", "sink_batch_size": batch,
        "metrics_port": -1})
    try:
        sink = PoolSink(run_settings, RECIPIENT, Serde.from_settings(settings), new_metrics(),
                        store, resource_class_of=CLASSES)
        summary = sink.run(idle_exit_seconds=3)
    finally:
        store.close()
    if summary.rows != expected or summary.rejects:
        raise RuntimeError(f"the sink stored {summary.rows} rows, {summary.rejects} rejects; expected {expected}")
    return steady_rate(store.marks)


def create_table(url: str, plan: TablePlan) -> tuple[sql.Composable, list[str]]:
    """The sink's table for ``plan`` (same DDL), created empty; its SQL name and column names."""
    ref = table_ref("postgresql", CLASSES[DATASET], RECIPIENT, DATASET)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{ref.schema}"'))
        table_for(plan, ref.name, MetaData(), ref.schema).create(engine)
    finally:
        engine.dispose()
    return sql.Identifier(ref.schema, ref.name), [c.name for c in plan.columns]


def upsert_sql(table: sql.Composable, columns: list[str], key: Sequence[str]) -> sql.Composed:
    others = [c for c in columns if c not in key]
    return sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)), sql.SQL(", ").join(map(sql.Identifier, key)),
        sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in others))


def run_bare(url: str, plan: TablePlan, rows: Sequence[Mapping[str, Any]], batch: int, copy: bool) -> float:
    table, columns = create_table(url, plan)
    tuples = [tuple(row[c] for c in columns) for row in rows]
    statement = (sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(map(sql.Identifier, columns)))
                 if copy else upsert_sql(table, columns, plan.key))
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for i in range(0, len(tuples), batch):
            with conn.transaction():
                if copy:
                    with cur.copy(statement) as out:
                        for row in tuples[i:i + batch]:
                            out.write_row(row)
                else:
                    cur.executemany(statement, tuples[i:i + batch])
        return len(tuples) / (time.perf_counter() - started)


# --- main -----------------------------------------------------------------------------------

def measure(settings: GovbusSettings, args: argparse.Namespace, plan: TablePlan,
            rows: Sequence[Mapping[str, Any]], records: int) -> dict[str, list[float]]:
    """Rows/s of each writer per round; the three alternate so that drift hits all alike."""
    rates: dict[str, list[float]] = {"sink": [], "executemany": [], "copy": [], "sink_per_cpu_second": []}
    for n in range(args.repeat):
        with fresh_database(args.postgres_url, "bench") as url:
            cpu = time.process_time()  # this process's CPU, start-up included: on a busy machine
            rates["sink"].append(run_sink(settings, url, args.batch, records))  # the wall rate says little
            rates["sink_per_cpu_second"].append(records / (time.process_time() - cpu))
        for name in ("executemany", "copy"):
            with fresh_database(args.postgres_url, "bench") as url:
                rates[name].append(run_bare(url, plan, rows, args.batch, copy=name == "copy"))
        print(f"round {n + 1}: " + "  ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()), flush=True)
    return rates


def report(name: str, rates: list[float]) -> float:
    median = statistics.median(rates)
    print(f"{name}: median {median:,.0f} rows/s  {[round(r) for r in rates]}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GOVBUS_BENCH_POSTGRES_URL", os.environ.get("GOVBUS_TEST_POSTGRES_URL", DEFAULT_PG)))
    args = parser.parse_args()
    settings = with_endpoints(GovbusSettings(topic_prefix=f"bench{uuid.uuid4().hex[:8]}"),
                              identity=identities.ADMIN, start_stack=True)
    serde = Serde.from_settings(settings)
    topic = topic_names(settings).shared(RECIPIENT, DATASET)
    messages = encoded_records(settings, serde, value_subject(topic), args.records)
    produce(settings, topic, messages)
    plan, rows = mapped_rows(serde, messages)
    print(f"{len(messages):,} records on {topic}; batches of {args.batch}", flush=True)
    try:
        rates = measure(settings, args, plan, rows, len(messages))
    finally:
        AdminClient(kafka_config(settings, "admin")).delete_topics([topic])
    sink = report("(s) pool sink", rates["sink"])
    many = report("(e) psycopg executemany upsert", rates["executemany"])
    copy = report("(c) psycopg COPY", rates["copy"])
    report("(s) pool sink, rows per CPU-second of its process (start-up included)", rates["sink_per_cpu_second"])
    print(f"sink / executemany = {sink / many:.2f}   sink / COPY = {sink / copy:.2f}   "
          f"goal: sink ≥ 20,000 rows/s ({'met' if sink >= 20_000 else 'MISSED'})")


if __name__ == "__main__":
    entry.run(main)

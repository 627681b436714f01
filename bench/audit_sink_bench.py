"""Audit sink throughput: ``govbus audit sink`` appending audit.deliveries to the hash-chained
store in a fresh PostgreSQL database.

The audit events are real: ``--records`` work orders that match three agreements each go
through ``govbus process`` (3 audit events a record) on fresh topics; once the audit topic holds
them all, the processor stops and the audit sink starts. The rate counts chained rows per second
from the first row seen in the store to the last (the table is counted every 0.2 s), so group
join and table creation are excluded. Medians over ``--repeat`` rounds.

    python -m bench.audit_sink_bench [--records 10000] [--repeat 2] [--postgres-url URL]
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
from sqlalchemy import Engine, create_engine, func, select, table

from bench import entry
from bench.cpu import cpu_seconds
from bench.databases import fresh_database
from bench.processor_bench import produce_inputs, span_rate
from commands.endpoints import with_endpoints
from consumers.audit.store import AUDIT_TABLE
from govbus.core import identities
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names

EVENTS_PER_RECORD = 3


def _count(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table(AUDIT_TABLE))).scalar_one())
    except Exception:  # noqa: BLE001 - the sink has not created its table yet
        return 0


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "commands.main", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def _sink_rate(env: dict[str, str], url: str, expected: int, timeout: float) -> tuple[float, float]:
    """(rows/s, rows per CPU-second of the sink) from the first row stored to the last."""
    engine = create_engine(url)
    sink = _child(["audit", "sink"], env | {"GOVBUS_POOL_URL": url})
    first: tuple[float, int, float] | None = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            rows, now, cpu = _count(engine), time.monotonic(), cpu_seconds(sink.pid)
            if rows and first is None:
                first = (now, rows, cpu)
            if rows >= expected and first is not None:
                return (rows - first[1]) / max(now - first[0], 1e-3), (rows - first[1]) / max(cpu - first[2], 1e-3)
            time.sleep(0.2)
        raise TimeoutError(f"the audit sink stored {_count(engine)} of {expected} rows")
    finally:
        sink.terminate()
        sink.wait(60)
        engine.dispose()


def _audit_events(settings: GovbusSettings) -> int:
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"bench-{uuid.uuid4().hex}"}))
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic_names(settings).audit_deliveries, 0),
                                                  timeout=10)[1])
    except KafkaException:  # not created yet
        return 0
    finally:
        consumer.close()


def _processor_cpu_rate(settings: GovbusSettings, pid: int, expected: int, timeout: float) -> float:
    """Input records per CPU-second of the processor, from its first audit event on."""
    first: tuple[int, float] | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events, cpu = _audit_events(settings), cpu_seconds(pid)
        if events and first is None:
            first = (events, cpu)
        if events >= expected and first is not None:
            return (events - first[0]) / EVENTS_PER_RECORD / max(cpu - first[1], 1e-3)
        time.sleep(0.5)
    raise TimeoutError("the processor did not write every audit event")


def one_round(base: GovbusSettings, count: int, postgres_url: str) -> dict[str, float]:
    """Processor and audit sink: wall rates and rates per CPU-second."""
    settings = base.model_copy(update={"topic_prefix": f"bench_{uuid.uuid4().hex[:8]}"})
    produce_inputs(settings, count)
    env = os.environ | {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                        "GOVBUS_METRICS_PORT": "-1", "GOVBUS_PROCESSOR_GROUP": f"{settings.topic_prefix}-proc"}
    processor = _child(["process"], env)
    expected = count * EVENTS_PER_RECORD
    try:
        process_cpu = _processor_cpu_rate(settings, processor.pid, expected, timeout=900)
        process_wall = span_rate(settings, topic_names(settings).audit_deliveries, expected, timeout=60)
    finally:
        processor.terminate()
        processor.wait(60)
    with fresh_database(postgres_url, "auditbench") as url:
        sink_wall, sink_cpu = _sink_rate(env, url, expected, timeout=900)
    return {"process": process_wall / EVENTS_PER_RECORD, "process_cpu": process_cpu,
            "sink": sink_wall, "sink_cpu": sink_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "GOVBUS_TEST_POSTGRES_URL", "postgresql+psycopg://govbus:govbus@127.0.0.1:5432/govbus"))
    args = parser.parse_args()
    base = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=True)
    rounds = []
    for _ in range(args.repeat):
        rounds.append(one_round(base, args.records, args.postgres_url))
        print("round: " + "  ".join(f"{k} {v:,.0f}" for k, v in rounds[-1].items()), flush=True)
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"audit sink (PostgreSQL): median {median['sink']:,.0f} rows/s, {median['sink_cpu']:,.0f} rows per "
          f"CPU-second; processor (3 agreements a record), by its audit output: {median['process']:,.0f} "
          f"records/s, {median['process_cpu']:,.0f} records per CPU-second "
          f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    entry.run(main)

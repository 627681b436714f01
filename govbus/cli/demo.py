"""`govbus demo`: the whole path on the embedded default, with every record accounted for.

Starts the local stack if needed, generates sample work orders (a few invalid), runs the
processor and the sink as child processes, imports the orders, waits until
read = delivered + dead-lettered and the pool holds every delivered key, then prints a summary.
Each run uses its own topic prefix, so earlier runs never blur the count.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import typer
from confluent_kafka import Consumer, TopicPartition
from rich.console import Console
from rich.table import Table

from govbus.cli.endpoints import with_endpoints
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from producers.synthetic.hotline import work_orders

console = Console()
DATASET = "hotline.work_order"
RECIPIENT = "public_security"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


@dataclass
class DemoCounts:
    read: int = 0
    rejected_at_adapter: int = 0
    published: int = 0
    delivered: int = 0
    dead_lettered: int = 0
    pool_rows: int = 0

    @property
    def accounted(self) -> bool:
        return self.read == self.delivered + self.dead_lettered and self.pool_rows == self.delivered


def topic_count(settings: GovbusSettings, topic: str) -> int:
    """Records on ``topic`` (sum of high watermarks; the demo's topics are never compacted)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "govbus-demo-count"}))
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                   for p in meta.partitions)
    finally:
        consumer.close()


def pool_rows(settings: GovbusSettings) -> int:
    from sqlalchemy import create_engine, func, inspect, select, table

    from consumers.pool.logic import pool_table_name

    engine = create_engine(settings.pool_url)
    name = pool_table_name(RECIPIENT, DATASET)
    if not inspect(engine).has_table(name):
        return 0
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table(name))).scalar_one()


def _child_env(settings: GovbusSettings) -> dict[str, str]:
    return os.environ | {"GOVBUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
                         "GOVBUS_REGISTRY_URL": settings.registry_url,
                         "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                         "GOVBUS_POOL_URL": settings.pool_url, "GOVBUS_METRICS_PORT": "0",
                         "GOVBUS_PROCESSOR_GROUP": f"{settings.topic_prefix}-processor",
                         "GOVBUS_SINK_GROUP": f"{settings.topic_prefix}-sink"}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as handle:
        return subprocess.Popen([sys.executable, "-m", "govbus.cli.main", *args], env=env,
                                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _import(settings: GovbusSettings, path: Path, counts: DemoCounts) -> None:
    from govbus.core.deadletter import load_dead_letter_schema
    from govbus.core.metrics import new_metrics
    from govbus.core.schemas import load_schemas
    from govbus.core.serde import Serde
    from producers.jsonl import import_jsonl
    from producers.sdk import Publisher, Source

    schema = load_schemas(settings.schemas_dir)[DATASET]
    publisher = Publisher(settings, Serde.connect(settings.registry_url), new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    summary = import_jsonl(path, schema, Source("hotline", "city", "110100", "producers.jsonl"), publisher)
    counts.read, counts.published, counts.rejected_at_adapter = summary.read, summary.published, summary.rejected


def _wait_accounted(settings: GovbusSettings, counts: DemoCounts, timeout: float,
                    children: list[subprocess.Popen]) -> None:
    topics = topic_names(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts.delivered = topic_count(settings, topics.shared(RECIPIENT, DATASET))
        counts.dead_lettered = topic_count(settings, topics.dlq(DATASET))
        counts.pool_rows = pool_rows(settings)
        if counts.accounted:
            return
        if any(child.poll() is not None for child in children):
            raise RuntimeError("a child process died; see the logs")
        time.sleep(0.5)


def run_demo(settings: GovbusSettings, count: int, seed: int, timeout: float, workdir: Path) -> DemoCounts:
    """Run ``count`` generated work orders through processor and sink child processes.
    Uses ``settings.topic_prefix`` when set, else a fresh one, so runs never mix."""
    if not settings.topic_prefix:
        settings = settings.model_copy(update={"topic_prefix": f"demo_{uuid.uuid4().hex[:8]}"})
    path = workdir / "work_orders.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in work_orders(count, seed)),
                    encoding="utf-8")
    env = _child_env(settings)
    children = [_start(["process"], env, workdir / "process.log"),
                _start(["sink", "--recipient", RECIPIENT], env, workdir / "sink.log")]
    counts = DemoCounts()
    try:
        _import(settings, path, counts)
        _wait_accounted(settings, counts, timeout, children)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
    return counts


def demo_cmd(count: int = typer.Option(1000), seed: int = typer.Option(1),
             timeout: float = typer.Option(180.0, help="Seconds to wait for every record.")) -> None:
    """Run 1,000 sample 12345 work orders through the bus and account for every one."""
    started = time.monotonic()
    settings = with_endpoints(GovbusSettings(), start_stack=True)
    workdir = Path(tempfile.mkdtemp(prefix="govbus-demo-"))
    counts = run_demo(settings, count, seed, timeout, workdir)
    table = Table(title=f"govbus demo ({time.monotonic() - started:.1f}s, pool {settings.pool_url})")
    for name in ("read", "rejected_at_adapter", "published", "delivered", "dead_lettered", "pool_rows"):
        table.add_row(name.replace("_", " "), str(getattr(counts, name)))
    console.print(table)
    if not counts.accounted:
        console.print(f"[red]not every record is accounted for[/red]; logs in {workdir}")
        raise typer.Exit(1)
    console.print(f"every record accounted for: read {counts.read} = delivered {counts.delivered} "
                  f"+ dead-lettered {counts.dead_lettered}; logs in {workdir}")

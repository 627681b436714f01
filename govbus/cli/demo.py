"""`govbus demo`: the whole path on the embedded default, with every record accounted for.

Starts the local stack if needed, generates sample work orders (a few invalid), runs the
processor and the sink as child processes, imports the orders, and waits until every record
read has exactly one fate (rejected by the adapter, delivered under the shipped agreements,
shared with nobody, dead-lettered, or a duplicate) and every delivery is a row in its
recipient's pool; then prints a summary. Each run uses its own topic prefix, so earlier runs
never blur the count.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from govbus.cli.demo_counts import PROCESS_OUTCOMES, DemoCounts, pool_rows, processed_counts, topic_count
from govbus.cli.endpoints import with_endpoints
from govbus.cli.localstack.stack import free_port
from govbus.core.settings import GovbusSettings, topic_names
from producers.synthetic.hotline import work_orders

console = Console()
DATASET = "hotline.work_order"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def _child_env(settings: GovbusSettings, metrics_port: int) -> dict[str, str]:
    return os.environ | {"GOVBUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
                         "GOVBUS_REGISTRY_URL": settings.registry_url,
                         "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                         "GOVBUS_POOL_URL": settings.pool_url, "GOVBUS_METRICS_PORT": str(metrics_port),
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
    summary = import_jsonl(path, schema, Source("hotline", "city", "350100", "producers.jsonl"), publisher)
    counts.read, counts.published, counts.rejected_at_adapter = summary.read, summary.published, summary.rejected


def hotline_recipients(settings: GovbusSettings) -> list[str]:
    """Recipients of the hotline dataset under the shipped agreements."""
    from govbus.core.agreements import load_agreements

    agreements = load_agreements(settings.catalogue_dir).agreements.values()
    return sorted({a.recipient_id for a in agreements if a.dataset == DATASET})


def _observe(settings: GovbusSettings, counts: DemoCounts, metrics_url: str, recipients: list[str],
             keys: list[str]) -> None:
    topics = topic_names(settings)
    counts.processed = processed_counts(metrics_url, DATASET)
    counts.dead_letter_topic = topic_count(settings, topics.dlq(DATASET))
    counts.deliveries = {r: topic_count(settings, topics.shared(r, DATASET)) for r in recipients}
    counts.pool_rows = {r: pool_rows(settings, r, DATASET, "order_no", keys) for r in recipients}


def _wait_accounted(settings: GovbusSettings, counts: DemoCounts, timeout: float, metrics_url: str,
                    children: list[subprocess.Popen], logs: list[Path], keys: list[str]) -> None:
    recipients = hotline_recipients(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _observe(settings, counts, metrics_url, recipients, keys)
        if counts.accounted:
            return
        for child, log in zip(children, logs):
            if child.poll() is not None:
                raise RuntimeError(f"a child process died (exit {child.returncode}); see {log}")
        time.sleep(0.5)


def run_demo(settings: GovbusSettings, count: int, seed: int, timeout: float, workdir: Path) -> DemoCounts:
    """Run ``count`` generated work orders through processor and sink child processes.
    Uses ``settings.topic_prefix`` when set, else a fresh one, so runs never mix."""
    if not settings.topic_prefix:
        settings = settings.model_copy(update={"topic_prefix": f"demo_{uuid.uuid4().hex[:8]}"})
    path = workdir / "work_orders.jsonl"
    orders = list(work_orders(count, seed))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in orders), encoding="utf-8")
    keys = [str(r.get("order_no")) for r in orders]
    metrics_port = free_port()
    logs = [workdir / "process.log", workdir / "sink.log"]
    children = [_start(["process"], _child_env(settings, metrics_port), logs[0]),
                _start(["sink", "--all"], _child_env(settings, -1), logs[1])]
    counts = DemoCounts()
    try:
        _import(settings, path, counts)
        _wait_accounted(settings, counts, timeout, f"http://127.0.0.1:{metrics_port}/metrics", children,
                        logs, keys)
    finally:
        _stop(children)
    return counts


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()


def demo_cmd(count: int = typer.Option(1000), seed: int = typer.Option(1),
             timeout: float = typer.Option(180.0, help="Seconds to wait for every record.")) -> None:
    """Run 1,000 sample 12345 work orders through the bus and account for every one."""
    started = time.monotonic()
    settings = with_endpoints(GovbusSettings(), start_stack=True)
    workdir = Path(tempfile.mkdtemp(prefix="govbus-demo-"))
    if "pool_url" not in settings.model_fields_set:
        # A pool of this run's own, so the summary counts this run's rows only.
        settings = settings.model_copy(update={"pool_url": f"sqlite:///{workdir / 'pool.db'}"})
    counts = run_demo(settings, count, seed, timeout, workdir)
    console.print(summary_table(counts, time.monotonic() - started, settings.pool_url))
    if not counts.accounted:
        console.print(f"[red]not every record is accounted for[/red]; logs in {workdir}")
        raise typer.Exit(1)
    console.print(f"every record accounted for; logs in {workdir}")


def summary_table(counts: DemoCounts, seconds: float, pool_url: str) -> Table:
    table = Table(title=f"govbus demo: {DATASET} ({seconds:.1f}s, pool {pool_url})")
    table.add_column("what")
    table.add_column("records", justify="right")
    table.add_row("read from the file", str(counts.read))
    table.add_row("rejected by the adapter (reject file + DLQ)", str(counts.rejected_at_adapter))
    table.add_row("published to the raw topic", str(counts.published))
    for outcome in PROCESS_OUTCOMES:
        table.add_row(f"processed: {outcome.replace('_', ' ')}", str(counts.processed.get(outcome, 0)))
    table.add_row("on the dead-letter topic", str(counts.dead_letter_topic))
    for recipient, n in sorted(counts.deliveries.items()):
        table.add_row(f"delivered to {recipient} / rows in its pool",
                      f"{n} / {counts.pool_rows.get(recipient, 0)}")
    return table

"""`govbus process | sink | import | generate`: the long-running roles and the adapters."""
from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console

from govbus.cli.endpoints import with_endpoints
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics, serve_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("process")(process_cmd)
    app.command("sink")(sink_cmd)
    app.command("import")(import_cmd)
    app.command("generate")(generate_cmd)


def process_cmd() -> None:
    """Run the stream processor (clean → route → mask) for every dataset in schemas/avro."""
    from stream_processors.main import run_processor

    run_processor(with_endpoints(GovbusSettings()))


def sink_cmd(recipient: str | None = typer.Option(None, help="Recipient whose pool to fill (e.g. public_security_350100)."),
             all_recipients: bool = typer.Option(False, "--all", help="Every recipient's shared topics."),
             idle_exit: float = typer.Option(0.0, help="Exit after this many idle seconds (0: run until stopped).")) -> None:
    """Sink shared topics into the recipients' pools (GOVBUS_POOL_URL; SQLite by default)."""
    if bool(recipient) == all_recipients:
        raise typer.BadParameter("give either --recipient R or --all")
    from consumers.pool.sink import PoolSink

    settings = with_endpoints(GovbusSettings())
    metrics = new_metrics()
    serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sink = PoolSink(settings, recipient, Serde.connect(settings.registry_url), metrics)
    summary = sink.run(stop, idle_exit_seconds=idle_exit or None)
    console.print(f"sink stopped: {summary}")


def import_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False),
               dataset: str = typer.Option(...), department: str = typer.Option(...),
               level: str = typer.Option("city"), region: str = typer.Option("110000")) -> None:
    """Publish a JSON-lines file to raw.<dataset>; bad lines go to a reject file and the DLQ."""
    from producers.jsonl import import_jsonl
    from producers.sdk import Publisher, Source

    settings = with_endpoints(GovbusSettings())
    schema = load_schemas(settings.schemas_dir)[dataset]
    publisher = Publisher(settings, Serde.connect(settings.registry_url), new_metrics())
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    summary = import_jsonl(file, schema, Source(department, level, region, "producers.jsonl"), publisher)
    console.print(f"read {summary.read}  published {summary.published}  rejected {summary.rejected}")
    if summary.rejected:
        console.print(f"rejects: {file.with_name(file.name + '.rejects.jsonl')}")


def generate_cmd(dataset: str = typer.Option("hotline.work_order"), count: int = typer.Option(1000),
                 seed: int = typer.Option(1), dirty: float = typer.Option(0.05),
                 out: Path | None = typer.Option(None, help="Write here instead of stdout.")) -> None:
    """Synthetic records as JSON lines (dirty ones labelled with `_dirty`)."""
    from producers.synthetic.hotline import work_orders

    if dataset != "hotline.work_order":
        raise typer.BadParameter(f"no generator for {dataset} yet", param_hint="--dataset")
    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    for record in work_orders(count, seed, dirty):
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    if out:
        handle.close()

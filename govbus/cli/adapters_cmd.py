"""`govbus poll | serve-ingest`: the SQL-table and HTTP department adapters.

Settings come from GovbusSettings (broker, registry, schemas, catalogue, state_dir); options
that only these adapters have are flags here.
"""
from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from govbus.cli.endpoints import with_endpoints
from govbus.core.catalogue import Provider, load_catalogue
from govbus.core.deadletter import load_dead_letter_schema
from govbus.core.metrics import new_metrics, serve_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings

if TYPE_CHECKING:
    from aiohttp import web

    from producers.sdk import Publisher
    from producers.sql.logic import PollSpec

console = Console(stderr=True)
STATE_FILE = "sql-poll.sqlite"


def register(app: typer.Typer) -> None:
    app.command("poll")(poll_cmd)
    app.command("serve-ingest")(serve_ingest_cmd)


def _provider(settings: GovbusSettings, dataset: str, department: str) -> Provider:
    """The dataset's provider, which must be ``department`` (raw topics are written by their
    owner only)."""
    from producers.sdk import NotProvider, check_provider

    catalogue = load_catalogue(settings.catalogue_dir)
    if dataset not in load_schemas(settings.schemas_dir):
        raise typer.BadParameter(f"unknown dataset {dataset!r}", param_hint="--dataset")
    try:
        check_provider(catalogue, dataset, department)
    except NotProvider as exc:
        raise typer.BadParameter(str(exc), param_hint="--department") from exc
    return catalogue.entries[dataset].provider


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # finish (flush, save) the batch, then exit
    return stop


def poll_cmd(
    url: str = typer.Option(..., help="SQLAlchemy URL of the department's database."),
    table: str = typer.Option(..., help="Table (or schema.table) to poll."),
    watermark: str = typer.Option(..., help="Increasing timestamp or id column."),
    tiebreak: str | None = typer.Option(None, help="Unique column ordering rows with equal "
                                        "watermarks (default: the single-column primary key)."),
    dataset: str = typer.Option(...), department: str = typer.Option(...),
    mapping: Path | None = typer.Option(None, exists=True, dir_okay=False,
                                        help="YAML: columns (column → field), constants."),
    batch: int = typer.Option(1000, min=1), interval: float = typer.Option(5.0, min=0.0),
    once: bool = typer.Option(False, help="Poll until caught up, then exit."),
    state: Path | None = typer.Option(None, help=f"Watermark file (default: "
                                      f"$GOVBUS_STATE_DIR/{STATE_FILE})."),
) -> None:
    """Publish new rows of a table to raw.<dataset>; bad rows go to the DLQ."""
    from producers.sql.logic import PollSpec

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = with_endpoints(GovbusSettings())
    spec = PollSpec(url, table, watermark, dataset, tiebreak, batch)
    _run_poll(settings, spec, department, mapping, state, interval, once)


def _run_poll(settings: GovbusSettings, spec: "PollSpec", department: str,
              mapping: Path | None, state: Path | None, interval: float, once: bool) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from producers.sdk import DeliveryFailed, Publisher, Source
    from producers.sql.logic import PollError, load_mapping, state_key
    from producers.sql.poller import TablePoller, run_polling
    from producers.sql.state import WatermarkStore

    provider = _provider(settings, spec.dataset, department)
    schema = load_schemas(settings.schemas_dir)[spec.dataset]
    metrics = new_metrics()
    serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
    stop = _stop_on_signals()  # before the Publisher: then the loop, not the SDK, owns SIGTERM
    publisher = Publisher(settings, Serde.connect(settings.registry_url), metrics)
    publisher.prepare(schema, load_dead_letter_schema(settings.schemas_dir))
    store = WatermarkStore(state or settings.state_dir / STATE_FILE)
    source = Source(department, provider.level.value, provider.region_code, "producers.sql")
    try:
        poller = TablePoller(create_engine(spec.url), spec, schema, source, publisher, store,
                             state_key(spec.url, spec.table, spec.dataset, settings.topic_prefix),
                             load_mapping(mapping, spec.dataset))
        total = run_polling(poller, interval, stop, once)
    except DeliveryFailed as exc:
        console.print(f"[red]delivery failed, watermark not advanced:[/red] {exc}")
        raise typer.Exit(1) from exc
    except PollError as exc:
        console.print(f"[red]cannot poll:[/red] {exc}")
        raise typer.Exit(2) from exc
    except SQLAlchemyError as exc:  # the department's database: retry later, from the watermark
        console.print(f"[red]database error, watermark not advanced:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        store.close()
    console.print(f"read {total.read}  published {total.published}  rejected {total.rejected}  "
                  f"watermark {total.watermark.key() if total.watermark else None}")


def serve_ingest_cmd(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8088),
    tokens: Path = typer.Option(Path("tokens.yaml"), exists=True, dir_okay=False,
                                help="YAML: bearer token (or sha256:<hex>) → department."),
    max_in_flight: int = typer.Option(100_000, min=0, help="Records awaiting acknowledgement "
                                      "beyond which requests get 429."),
    max_records: int = typer.Option(5000, min=1, help="Records per request."),
) -> None:
    """Serve POST /v1/{dataset}/records, /metrics and /healthz."""
    from aiohttp import web

    from producers.http.logic import TokenFileError, load_tokens

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = with_endpoints(GovbusSettings())
    try:
        token_map = load_tokens(tokens)
    except TokenFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tokens") from exc
    app = build_ingest_app(settings, token_map, max_in_flight, max_records)
    web.run_app(app, host=host, port=port, print=lambda line: console.print(line))


def build_ingest_app(settings: GovbusSettings, token_map: dict[str, str], max_in_flight: int,
                     max_records: int, publisher: "Publisher | None" = None) -> "web.Application":
    """The aiohttp application, wired to a real Publisher unless one is given (tests)."""
    from producers.http.app import Ingest, IngestConfig, create_app
    from producers.http.delivery import Delivery
    from producers.sdk import Publisher

    catalogue = load_catalogue(settings.catalogue_dir)
    providers = {dataset: entry.provider for dataset, entry in catalogue.entries.items()}
    unknown = set(token_map.values()) - {p.department for p in providers.values()}
    if unknown:  # allowed (a department may get datasets later), but worth a line in the log
        console.print(f"tokens for departments that provide no dataset: {sorted(unknown)}")
    publisher = publisher or Publisher(settings, Serde.connect(settings.registry_url),
                                       new_metrics())
    delivery = Delivery(publisher, load_dead_letter_schema(settings.schemas_dir), max_in_flight)
    config = IngestConfig(load_schemas(settings.schemas_dir), providers, token_map, max_records)
    return create_app(Ingest(config, delivery, publisher.metrics))  # one registry: /metrics

"""`govbus poll | serve-ingest`: the SQL-table and HTTP department adapters.

Settings come from GovbusSettings (broker, registry, schemas, catalogue, state_dir); options
that only these adapters have are flags here.
"""
from __future__ import annotations

import logging
import socket
from pathlib import Path

import typer
from rich.console import Console

from commands import exits
from commands.endpoints import with_endpoints
from commands.exits import Failure
from commands.refusals import refusal_hint
from commands.role_failures import log_with_time
from commands.roles import publisher_identity
from govbus.core import identities
from govbus.core.settings import GovbusSettings

# The identity each command connects as (docs/security.md#which-identity-each-command-uses);
# the ACLs compiled from the catalogue and agreements say what it may do.
# `poll` publishes as the department's adapter, dept.<department> (commands/roles.py).
INGEST_IDENTITY = identities.Service.INGEST.value

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("poll")(poll_cmd)
    app.command("serve-ingest")(serve_ingest_cmd)
    token_app = typer.Typer(help="Bearer tokens of HTTP ingest (stored hashed).", no_args_is_help=True)
    token_app.command("new")(new_token_cmd)
    app.add_typer(token_app, name="ingest-token")


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
    state: Path | None = typer.Option(None, help="Watermark file (default: "
                                      "$GOVBUS_STATE_DIR/sql-poll.sqlite)."),
) -> None:
    """Publish new rows of a table to raw.<dataset>; bad rows go to the DLQ."""
    from sqlalchemy.exc import SQLAlchemyError

    from govbus.core.metrics_endpoint import MetricsPortInUse
    from govbus.core.schemas import load_schemas
    from producers.sdk import DeliveryFailed
    from producers.sql.logic import PollError, PollSpec
    from producers.sql.main import PollRefused, run_poll

    log_with_time("sql-producer", logging.INFO)
    settings = GovbusSettings()
    try:
        identity = publisher_identity(settings, dataset, department)
    except ValueError as exc:  # the same refusal run_poll gives: said before connecting
        hint = "--dataset" if dataset not in load_schemas(settings.schemas_dir) else "--department"
        raise typer.BadParameter(str(exc), param_hint=hint) from exc
    settings = with_endpoints(settings, identity=identity)
    spec = PollSpec(url, table, watermark, dataset, tiebreak, batch)
    try:
        total = run_poll(settings, spec, department, mapping, state, interval, once)
    except PollRefused as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from exc
    except DeliveryFailed as exc:
        console.print(f"[red]delivery failed, watermark not advanced:[/red] {exc}{refusal_hint(str(exc))}")
        raise typer.Exit(1) from exc
    except PollError as exc:
        console.print(f"[red]cannot poll:[/red] {exc}")
        raise typer.Exit(2) from exc
    except MetricsPortInUse as exc:
        raise Failure(exits.UNAVAILABLE, f"poll stopped: {exc}") from None
    except SQLAlchemyError as exc:  # the department's database: retry later, from the watermark
        console.print(f"[red]database error, watermark not advanced:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"read {total.read}  published {total.published}  rejected {total.rejected}  "
                  f"watermark {total.watermark.key() if total.watermark else None}")


def serve_ingest_cmd(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8088),
    tokens: Path = typer.Option(Path("tokens.yaml"), exists=True, dir_okay=False,
                                help="YAML: sha256:<hex> of each bearer token → department "
                                "(`govbus ingest-token new` writes it)."),
    max_in_flight: int = typer.Option(100_000, min=0, help="Records awaiting acknowledgement "
                                      "beyond which requests get 429."),
    max_records: int = typer.Option(5000, min=1, help="Records per request."),
) -> None:
    """Serve POST /v1/{dataset}/records, /metrics and /healthz."""
    from aiohttp import web

    from producers.http.logic import TokenFileError, load_tokens

    log_with_time("ingest", logging.INFO)
    settings = with_endpoints(GovbusSettings(), identity=INGEST_IDENTITY, check=False)
    _check_broker(settings)
    try:
        token_map = load_tokens(tokens)
    except TokenFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tokens") from exc
    from govbus.core.metrics_endpoint import announce, publish_target
    from producers.http.main import build_ingest_app

    app = build_ingest_app(settings, token_map, max_in_flight, max_records)
    try:  # bound here, so that the scrape target names the real port (also when 0 was asked)
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:  # bind failed: the port is taken, or the address is not this host's
        raise Failure(exits.UNAVAILABLE, f"serve-ingest cannot listen on {host}:{port}: "
                      f"{exc.strerror or exc}: stop what uses it or pick another --port") from None
    bound = sock.getsockname()[1]
    announce("ingest", host, bound)  # /metrics is on the ingest's own port
    publish_target(settings, "ingest", host, bound)
    web.run_app(app, sock=sock, print=lambda line: console.print(line))


def _check_broker(settings: GovbusSettings) -> None:
    """A refused identity or certificate stops the command (one line, exit 2): waiting cannot fix
    it. A broker that does not answer does not: the server starts and answers 503 until it is
    back (roles ride out outages, docs/adapters.md#http-govbus-serve-ingest)."""
    from govbus.core.kafka_access import BrokerUnreachable, check_access
    from govbus.core.settings import kafka_config

    try:
        check_access(kafka_config(settings, "admin"))
    except BrokerUnreachable as exc:
        logging.getLogger("producers.http").warning("%s; serving anyway: requests are answered "
                                                    "503 until the broker answers", exc)


def new_token_cmd(
    department: str = typer.Option(..., help="The department the token authenticates."),
    tokens: Path = typer.Option(Path("tokens.yaml"), dir_okay=False,
                                help="The tokens file (created with mode 0600 if absent)."),
) -> None:
    """Make a bearer token for a department: its digest goes into the tokens file, the token
    itself is printed once, here, and kept nowhere."""
    from producers.http.logic import TokenFileError
    from producers.http.tokens import add_token

    try:
        token = add_token(tokens, department)
    except (TokenFileError, OSError) as exc:
        console.print(f"[red]no token made:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"token for {department} (shown once; its digest is in {tokens}):")
    print(token)

"""`govbus process | sink | import | generate`: the long-running roles and the adapters."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from commands import exits
from commands.endpoints import with_endpoints
from commands.import_failures import import_failures
from commands.names import known_recipient
from commands.refusals import refusal_hint
from commands.role_failures import log_with_time, role_failures
from commands.roles import publisher_identity
from govbus.core import identities
from govbus.core.settings import GovbusSettings

# The identity each command connects as (docs/security.md#which-identity-each-command-uses);
# the ACLs compiled from the catalogue and agreements say what it may do.
PROCESSOR_IDENTITY = identities.Service.PROCESSOR.value
SINK_IDENTITY = identities.Service.SINK.value
# `import` and `generate --publish` publish as the department's adapter, dept.<department>
# (commands/roles.py: publisher_identity).

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("process")(process_cmd)
    app.command("sink")(sink_cmd)
    app.command("import")(import_cmd)
    app.command("generate")(generate_cmd)


def process_cmd() -> None:
    """Run the stream processor (clean → route → mask) for every dataset in schemas/avro."""
    from stream_processors.main import run_processor

    # No access check here: the role waits for an unreachable broker itself (docs/operations.md).
    with role_failures("process"):
        run_processor(with_endpoints(GovbusSettings(), identity=PROCESSOR_IDENTITY, check=False))


def sink_cmd(
        recipient: str | None = typer.Option(None, help="Recipient whose pool to fill (e.g. public_security_350100)."),
        all_recipients: bool = typer.Option(False, "--all", help="Every recipient's shared topics."),
        idle_exit: float = typer.Option(0.0, help="Exit after this many idle seconds (0: run until stopped)."),
) -> None:
    """Sink shared topics into the recipients' pools (GOVBUS_POOL_URL; SQLite by default)."""
    if bool(recipient) == all_recipients:
        raise typer.BadParameter("give either --recipient R or --all")
    from consumers.pool.main import run_pool_sink

    settings = GovbusSettings()
    if recipient:
        known_recipient(settings, recipient)
    log_with_time("sink")
    with role_failures("sink"):
        summary = run_pool_sink(with_endpoints(settings, identity=SINK_IDENTITY, check=False),
                                recipient, idle_exit or None)
    console.print(f"sink stopped: {summary}")


def import_cmd(file: Path = typer.Argument(..., help="The .csv, .jsonl/.json or .xlsx file."),
               dataset: str = typer.Option(...), department: str = typer.Option(...),
               mapping: Path | None = typer.Option(None, exists=True, dir_okay=False,
                                                   help="YAML: columns/values/constants."),
               encoding: str | None = typer.Option(None, help="CSV encoding (default: detect)."),
               level: str | None = typer.Option(None, help="Default: the provider's level."),
               region: str | None = typer.Option(None, help="Default: the provider's region."),
               sheet: str | None = typer.Option(None, help="xlsx sheet (default: the first)."),
               from_line: int = typer.Option(1, min=1, help="Skip rows before this line (the "
                                             "header is still read): the line a stopped import "
                                             "printed. Physical file lines; sheet rows for "
                                             ".xlsx.")) -> None:
    """Publish a .csv, .jsonl/.json or .xlsx file to raw.<dataset>; refused rows go to a reject
    file beside it and to the DLQ. Exit 1 when rows were rejected; 5 when it stopped part-way
    (the output says what was published and the --from-line to resume with)."""
    from producers.files.main import ImportRequest, import_file
    from producers.sdk.bulk import reject_file_note

    request = ImportRequest(file, dataset, department, mapping, encoding, level, region, sheet,
                            from_line=from_line)
    with import_failures():
        settings = GovbusSettings()
        identity = publisher_identity(settings, dataset, department)
        summary = import_file(with_endpoints(settings, identity=identity), request)
    skipped = f"  (rows before line {from_line} skipped)" if from_line > 1 else ""
    console.print(f"read {summary.read}  published {summary.published}  "
                  f"rejected {summary.rejected}{skipped}", highlight=False)
    if summary.rejected and summary.reject_path is not None:
        console.print(reject_file_note(summary.reject_path), highlight=False, soft_wrap=True)
        raise typer.Exit(exits.FINDINGS)


def generate_cmd(dataset: str = typer.Option("hotline.work_order"), count: int = typer.Option(1000),
                 seed: int = typer.Option(1), dirty: float = typer.Option(0.05),
                 rate: float | None = typer.Option(None, help="Records per second (default: no limit)."),
                 out: Path | None = typer.Option(None, help="Write here (.csv or JSON lines) instead of stdout."),
                 publish: bool = typer.Option(False, "--publish", help="Send through the SDK as the provider."),
                 department: str | None = typer.Option(None, help="With --publish (default: the provider).")) -> None:
    """Synthetic records (dirty ones labelled `_dirty`, odd-but-valid ones `_normalised`)."""
    from producers.sdk import DeliveryFailed
    from producers.sdk.bulk import ImportStopped, reject_file_note
    from producers.synthetic.main import publish_generated, write_generated

    if out and publish:
        raise typer.BadParameter("give --out or --publish, not both", param_hint="--out")
    try:
        if publish:
            settings = GovbusSettings()
            settings = with_endpoints(settings, identity=publisher_identity(settings, dataset, department))
            summary = publish_generated(settings, dataset, count, seed, dirty, rate, department)
            console.print(f"generated {summary.read}  published {summary.published}  "
                          f"rejected {summary.rejected}")
            if summary.rejected and summary.reject_path is not None:
                console.print(reject_file_note(summary.reject_path), highlight=False, soft_wrap=True)
        else:
            write_generated(dataset, count, seed, dirty, rate, out)
    except ValueError as exc:  # unknown dataset, bad --dirty, department not the provider
        console.print(f"[red]generate refused:[/red] {exc}")
        raise typer.Exit(2) from exc
    except DeliveryFailed as exc:
        console.print(f"[red]generate failed:[/red] {exc}{refusal_hint(str(exc))}", markup=False)
        raise typer.Exit(1) from exc
    except ImportStopped as stop:  # the broker went silent or refused records, or Ctrl-C
        raise exits.Failure(exits.STOPPED_PART_WAY, f"generate stopped part-way: {stop.why}; "
                            f"published {stop.published} (acknowledged by the broker), rejected "
                            f"{stop.rejected}") from None

"""``govbus audit sink | verify | who-received``: the tamper-evident audit trail.

The audit store's database is ``audit_url`` (GOVBUS_AUDIT_URL, else the pool database).
``--id-no`` needs the routing stage's audit pseudonym key, which is why this command layer, and
not the consumer, imports stream_processors.
"""
from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from govbus.core import identities
from govbus.core.settings import GovbusSettings

# The identity each command connects as (docs/security.md#which-identity-each-command-uses);
# the ACLs compiled from the catalogue and agreements say what it may do.
AUDIT_SINK_IDENTITY = identities.Service.AUDIT.value

audit_app = typer.Typer(help="The audit trail: sink audit.deliveries, verify the hash chain, "
                             "ask who received a record or a person's records.",
                        no_args_is_help=True)


def _console(stderr: bool = False) -> Console:
    # No markup or highlighting: ids, hashes and purposes are data.
    return Console(stderr=stderr, highlight=False)


def _say(text: str, stderr: bool = False) -> None:
    _console(stderr).print(text, markup=False, soft_wrap=True)


def _store(settings: GovbusSettings) -> Any:
    from consumers.audit.main import open_audit_store

    return open_audit_store(settings)


def _terms(settings: GovbusSettings) -> dict[str, Any]:
    """Version, purpose and legal basis of each agreement in the catalogue (empty if unreadable:
    the report still lists what the chain holds)."""
    from consumers.audit.actions_report import AgreementTerms
    from govbus.core.agreements import load_agreements
    from govbus.core.catalogue import CatalogueError

    try:
        found = load_agreements(settings.catalogue_dir).agreements
    except CatalogueError:
        return {}
    return {i: AgreementTerms(a.version, a.purpose, a.legal_basis) for i, a in found.items()}


@audit_app.command("sink")
def sink_cmd(
        idle_exit: float = typer.Option(0.0, help="Exit after this many idle seconds (0: run until stopped)."),
) -> None:
    """Append audit.deliveries to the hash-chained audit store (one writer; see consumers/audit/sink.py)."""
    from commands.endpoints import with_endpoints
    from commands.role_failures import log_with_time, role_failures
    from consumers.audit.main import run_audit_sink

    log_with_time("audit-sink")
    with role_failures("audit sink"):
        summary = run_audit_sink(with_endpoints(GovbusSettings(), identity=AUDIT_SINK_IDENTITY, check=False),
                                 idle_exit or None)
    _say(f"audit sink stopped: {summary}", stderr=True)


@audit_app.command("verify")
def verify_cmd() -> None:
    """Recompute the hash chain and check it against the signed checkpoints on audit.checkpoints;
    exit 1 naming the first broken link or divergence, or a missing anchor (commands/audit_verify.py)."""
    from confluent_kafka import KafkaException

    from commands.audit_verify import verify
    from commands.endpoints import with_endpoints
    from commands.exits import UNAVAILABLE, Failure

    settings = with_endpoints(GovbusSettings(), identity=AUDIT_SINK_IDENTITY, check=False)
    store = _store(settings)
    try:
        lines = verify(settings, store)
    except KafkaException as exc:
        raise Failure(UNAVAILABLE, f"audit verify: the broker did not answer ({exc.args[0] if exc.args else exc}): "
                                   "the checkpoints cannot be read; try again when it is back") from None
    finally:
        store.close()
    for line in lines:
        _say(line)


def _subject_of_id(settings: GovbusSettings, id_no: str) -> str:
    """The audit pseudonym the routing stage writes for a resident ID (never stored raw)."""
    from govbus.core.settings import pseudonym_master_key
    from stream_processors.route import masking
    from stream_processors.route.logic import audit_key

    return masking.pseudonym(audit_key(pseudonym_master_key(settings)), "GB11643", id_no)


def deliveries_table(entries: list[dict[str, Any]], title: str, with_event: bool) -> Table:
    """The deliveries of a who-received report (consumers/audit/actions_report.py)."""
    table = Table(title=title, title_justify="left")
    # Ids and times stay whole (they are copied into other queries); free text folds.
    for name in ("when", *(("event", "dataset") if with_event else ()), "recipient", "agreement"):
        table.add_column(name, no_wrap=True)
    for name in ("purpose", "fields", "legal basis"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(e["when"], *((e["event_id"], e["dataset"]) if with_event else ()), e["who"], e["agreement"],
                      e["purpose"], ", ".join(e["fields"]), e["legal_basis"])
    return table


def actions_table(entries: list[dict[str, Any]], title: str) -> Table:
    """The operators' re-drives and views of the records, with their notes."""
    table = Table(title=title, title_justify="left")
    for name in ("when", "action", "operator"):
        table.add_column(name, no_wrap=True)
    for name in ("what", "event", "note (purpose)"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(e["when"], e["kind"], e["who"], e["what"], e["event_id"], e["purpose"])
    return table


def _unique_actions(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({a["seq"]: a for a in found}.values())


@audit_app.command("who-received")
def who_received_cmd(
        event: str | None = typer.Option(None, "--event", help="Envelope event id of one record."),
        subject: str | None = typer.Option(None, "--subject", help="Audit pseudonym of a person (v1:…)."),
        id_no: str | None = typer.Option(None, "--id-no", help="A resident ID; its audit pseudonym is computed here."),
        output: str = typer.Option("table", "--format", help="table, or json for other systems."),
) -> None:
    """Who received a record (--event), or a person's records (--subject / --id-no), when and under which
    agreement, purpose and legal basis; and which operators re-drove or viewed them, with their notes."""
    import json

    from consumers.audit.actions_report import who_received
    from consumers.audit.main import open_audit_stores

    if sum(v is not None for v in (event, subject, id_no)) != 1:
        raise typer.BadParameter("give exactly one of --event, --subject, --id-no")
    if output not in ("table", "json"):
        raise typer.BadParameter("table or json", param_hint="--format")
    settings = GovbusSettings()
    store, actions = open_audit_stores(settings)
    try:
        if event is not None:
            query = {"event": event}
            found, done = store.by_event(event), actions.by_event(event)
        else:
            pseudonym = subject if subject is not None else _subject_of_id(settings, id_no)  # type: ignore[arg-type]  # exactly one was given
            query = {"subject": pseudonym}
            found = store.by_subject(pseudonym)
            # Views that name no person (pool rows hold agreement pseudonyms) name the record.
            done = _unique_actions(actions.by_subject(pseudonym) + actions.by_events(e["event_id"] for e in found))
    finally:
        store.close()
    entries = who_received(found, done, _terms(settings))
    if output == "json":
        _say(json.dumps({"query": query, "entries": entries}, ensure_ascii=False, indent=2))
        return
    _print_report(entries, f"of event {event}" if event is not None else f"of records about {query['subject']}",
                  with_event=event is None)


def _print_report(entries: list[dict[str, Any]], title: str, with_event: bool) -> None:
    if not entries:
        _say(f"no deliveries recorded (deliveries {title})")
        return
    delivered = [e for e in entries if e["kind"] == "delivery"]
    acted = [e for e in entries if e["kind"] != "delivery"]
    if delivered:
        _console().print(deliveries_table(delivered, f"deliveries {title}", with_event=with_event))
    if acted:
        _console().print(actions_table(acted, f"operator actions on the records {title}"))

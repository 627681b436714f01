"""``govbus agreements validate | list | show <id>``: the sharing agreements as code.

Agreements live in ``<catalogue_dir>/agreements/<id>.yaml`` and are checked against the
catalogue and the Avro schemas. Settings are read inside each command (never at import), so
``GOVBUS_CATALOGUE_DIR`` and ``GOVBUS_SCHEMAS_DIR`` point a command at another tree.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from commands.catalogue_cmd import _add_row, _console, _load, _say, type_name
from govbus.core.agreement_checks import agreement_problems, is_upward, validate_agreements
from govbus.core.agreements import AGREEMENTS_DIR, Agreement, AgreementSet, FieldOp, load_agreement
from govbus.core.catalogue import Catalogue, CatalogueError, Problem
from govbus.core.schemas import DatasetSchema
from govbus.core.settings import GovbusSettings, topic_names
from stream_processors.route.plan import compile_plan

agreements_app = typer.Typer(
    help="Sharing agreements: validate them against the catalogue, list them, show one.",
    no_args_is_help=True,
)

# `show` compiles a plan only to read its operators and projected schema; no value is ever
# pseudonymised, so it needs no real key (and a display command should not read the secret).
_DISPLAY_KEY = b"govbus-agreements-show"


def _load_agreements(catalogue_dir: Path) -> tuple[AgreementSet, list[Problem]]:
    """Every agreement file that loads, and one Problem per refusal of those that do not
    (``load_agreements`` stops at the first bad file; validate must report them all)."""
    folder = catalogue_dir / AGREEMENTS_DIR
    agreements: dict[str, Agreement] = {}
    paths: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            agreement = load_agreement(path)
        except CatalogueError as exc:
            problems += [Problem(path, where or "<file>", msg) for where, msg in exc.errors]
            continue
        if agreement.id in agreements:  # unreachable while ids must match file names
            problems.append(Problem(path, "id", f"duplicate agreement id {agreement.id!r}"))
            continue
        agreements[agreement.id], paths[agreement.id] = agreement, path
    return AgreementSet(agreements, paths), problems


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _upward(agreement: Agreement, catalogue: Catalogue) -> bool | None:
    """None when the dataset is not in the catalogue (the provider's level is unknown)."""
    entry = catalogue.entries.get(agreement.dataset)
    return None if entry is None else is_upward(agreement, entry.provider.level.value)


def _yes_no(flag: bool | None) -> str:
    return "?" if flag is None else ("yes" if flag else "no")


def _recipient(agreement: Agreement) -> str:
    r = agreement.recipient
    return f"{r.department} {r.region_code} ({r.level.value})"


def _window(agreement: Agreement) -> str:
    return f"{agreement.valid_from.isoformat()} → {agreement.valid_to.isoformat()}"


def _op_text(spec: FieldOp | None) -> str:
    if spec is None:
        return "(not named)"
    if spec.op == "mask":
        return f"mask({spec.keep_first},{spec.keep_last})"
    return spec.op


@agreements_app.command()
def validate() -> None:
    """Check every agreement against the catalogue and the schemas; exit 1 on any problem.

    Refused: unknown dataset, provider or field; an L4 field in clear; a not-shareable resource;
    an operator that does not fit the field's type; the business key not delivered; an upward
    flow without allow_upward; keep on free text (or a free_text_purpose) in an upward flow;
    two agreements on one recipient topic; bad YAML or values."""
    settings = GovbusSettings()
    catalogue, schemas = _load()
    agreements, problems = _load_agreements(settings.catalogue_dir)
    problems += validate_agreements(agreements, catalogue, schemas)
    for problem in problems:
        _say(str(problem))
    if problems:
        _say(f"{len(problems)} problem(s) in the agreements", stderr=True)
        raise typer.Exit(1)
    now = _now()
    loaded = agreements.agreements.values()
    in_force = sum(a.in_force(now) for a in loaded)
    upward = sum(bool(_upward(a, catalogue)) for a in loaded)
    datasets = len({a.dataset for a in loaded})
    _say(f"OK: {len(agreements.agreements)} agreements ({in_force} in force now, {upward} upward) "
         f"over {datasets} datasets")


@agreements_app.command("list")
def list_agreements() -> None:
    """One line per agreement that loads (files that do not load are reported on stderr)."""
    settings = GovbusSettings()
    catalogue, _ = _load()
    agreements, problems = _load_agreements(settings.catalogue_dir)
    for problem in problems:
        _say(f"not loaded: {problem}", stderr=True)
    now = _now()
    table = Table(title="Sharing agreements")
    for column in ("id", "version", "status", "provider → recipient", "dataset", "valid",
                   "in force now", "upward"):
        table.add_column(column)
    for agreement_id, a in sorted(agreements.agreements.items()):
        _add_row(table, agreement_id, a.version, a.status.value, f"{a.provider} → {_recipient(a)}",
                 a.dataset, _window(a), _yes_no(a.in_force(now)), _yes_no(_upward(a, catalogue)))
    _console().print(table)


@agreements_app.command()
def show(agreement_id: str = typer.Argument(..., help="Agreement id, e.g. hotline-to-public-security-fz")) -> None:
    """An agreement's metadata and its fields: operator as written, effective operator (after
    upward de-identification) and the type the recipient receives."""
    settings = GovbusSettings()
    catalogue, schemas = _load()
    agreements, load_problems = _load_agreements(settings.catalogue_dir)
    agreement = agreements.agreements.get(agreement_id)
    if agreement is None:
        for problem in (p for p in load_problems if p.file.stem == agreement_id):
            _say(str(problem), stderr=True)
        known = ", ".join(sorted(agreements.agreements)) or "none"
        _say(f"no agreement {agreement_id!r} could be loaded; known: {known}", stderr=True)
        raise typer.Exit(1)
    console = _console()
    upward = _upward(agreement, catalogue)
    topic = topic_names(settings).shared(agreement.recipient_id, agreement.dataset)
    console.print(_metadata_table(agreement, agreements.paths[agreement_id], upward, topic))
    problems = agreement_problems(agreement, catalogue, schemas)
    if problems:
        for where, message in problems:
            _say(f"{agreements.paths[agreement_id]}: {where}: {message}", stderr=True)
        _say("the agreement is refused: no field table (it would not be delivered)", stderr=True)
        raise typer.Exit(1)
    console.print(_field_table(agreement, schemas[agreement.dataset],
                               catalogue.entries[agreement.dataset].provider.level.value))


def _metadata_table(agreement: Agreement, path: Path, upward: bool | None, topic: str) -> Table:
    table = Table(title=f"{agreement.id} v{agreement.version}", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    row_filter = agreement.row_filter
    rows: dict[str, Any] = {
        "file": path, "status": agreement.status.value, "provider": agreement.provider,
        "dataset": agreement.dataset, "recipient": _recipient(agreement), "topic": topic,
        "purpose": agreement.purpose, "legal basis": agreement.legal_basis,
        "valid": _window(agreement), "in force now": _yes_no(agreement.in_force(_now())),
        "upward": _yes_no(upward), "allow upward": _yes_no(agreement.allow_upward),
        "upward identified": _yes_no(agreement.upward_identified),
        "free text purpose": agreement.free_text_purpose or "(none: free text scrubbed at its strictest)",
        "row filter": json.dumps(row_filter.model_dump(by_alias=True, exclude_none=True),
                                 ensure_ascii=False, default=str) if row_filter else "(all rows)",
    }
    for key, value in rows.items():
        _add_row(table, key, value)
    return table


def _field_table(agreement: Agreement, schema: DatasetSchema, provider_level: str) -> Table:
    """Every schema field: named ones with their operators, the others shown as dropped."""
    plan = compile_plan(agreement, schema, provider_level, _DISPLAY_KEY)
    delivered = {f["name"]: f for f in plan.shared_schema["fields"]}
    table = Table(title=f"fields (delivered level {plan.classification}, profile {plan.profile_hash})")
    for column in ("field", "level", "pii", "operator", "effective", "delivered as"):
        table.add_column(column)
    for name, tag in schema.tags.items():
        written = agreement.fields.get(name)
        out = delivered.get(name)
        effective = plan.profile.get(name, "drop")
        if effective == "mask" and written is not None:
            effective = _op_text(written)
        _add_row(table, name, tag.level, tag.pii or "", _op_text(written), effective,
                 type_name(out["type"]) if out else "(not delivered)")
    return table

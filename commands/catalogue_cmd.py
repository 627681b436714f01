"""``govbus catalogue validate | list | show <dataset>``: the resource catalogue (GB/T 21063).

Settings are read inside each command (never at import), so ``GOVBUS_SCHEMAS_DIR`` and
``GOVBUS_CATALOGUE_DIR`` point a command at another tree.
"""
from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from govbus.core.catalogue import (
    Catalogue,
    CatalogueEntry,
    CatalogueError,
    Problem,
    load_catalogue,
    validate_catalogue,
)
from govbus.core.rule_lists import load_rule_lists
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.settings import GovbusSettings

catalogue_app = typer.Typer(
    help="The resource catalogue: validate it against the Avro schemas, list entries, show one.",
    no_args_is_help=True,
)


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def _say(text: str, stderr: bool = False) -> None:
    """A plain message: no markup (paths like ``lineage[0]`` are data), no re-wrapping."""
    _console(stderr).print(text, markup=False, soft_wrap=True)


def _load() -> tuple[Catalogue, dict[str, DatasetSchema]]:
    """Catalogue and schemas from the settings; exits 1 with the loader's message on failure."""
    settings = GovbusSettings()
    try:
        catalogue = load_catalogue(settings.catalogue_dir)
    except CatalogueError as exc:
        _say(str(exc), stderr=True)
        raise typer.Exit(1) from exc
    try:
        schemas = load_schemas(settings.schemas_dir)
    except (OSError, ValueError, KeyError) as exc:
        _say(f"{settings.schemas_dir}: cannot load schemas: {exc}", stderr=True)
        raise typer.Exit(1) from exc
    return catalogue, schemas


@catalogue_app.command()
def validate() -> None:
    """Check the catalogue against the schemas; exit 1 on any problem.

    Every schema has an entry and every entry a schema; every field is classified alike in
    both; field levels agree with the sharing type and open attribute; every entry of a rule
    list (catalogue/lists: the USCC allow-list) is what its list holds, with a reason and who
    approved it."""
    catalogue, schemas = _load()
    problems = validate_catalogue(catalogue, schemas) + _rule_list_problems()
    for problem in problems:
        _say(str(problem))
    if problems:
        _say(f"{len(problems)} problem(s) in the catalogue", stderr=True)
        raise typer.Exit(1)
    fields = sum(len(e.fields) for e in catalogue.entries.values())
    _say(f"OK: {len(catalogue.entries)} catalogue entries, {len(schemas)} schemas, "
         f"{fields} fields classified")


def _rule_list_problems() -> list[Problem]:
    """The rule lists (catalogue/lists: the USCC allow-list) entry by entry."""
    try:
        load_rule_lists(GovbusSettings().catalogue_dir)
    except CatalogueError as exc:
        return [Problem(exc.file, where, problem) for where, problem in exc.errors]
    return []


@catalogue_app.command("list")
def list_entries() -> None:
    """One line per catalogue entry."""
    catalogue, _ = _load()
    table = Table(title="Resource catalogue")
    for column in ("dataset", "name", "provider", "sharing", "class", "frequency", "max level"):
        table.add_column(column)
    for dataset, entry in sorted(catalogue.entries.items()):
        _add_row(table, dataset, entry.name.zh, entry.provider.department, entry.sharing_type,
                 entry.resource_class, entry.update_frequency, entry.max_level)
    _console().print(table)


@catalogue_app.command()
def show(dataset: str = typer.Argument(..., help="Dataset code, e.g. hotline.work_order")) -> None:
    """An entry's metadata and its fields (type from the schema, level and PII kind)."""
    catalogue, schemas = _load()
    entry = catalogue.entries.get(dataset)
    if entry is None:
        known = ", ".join(sorted(catalogue.entries)) or "none"
        _say(f"no catalogue entry {dataset!r}; known: {known}", stderr=True)
        raise typer.Exit(1)
    console = _console()
    console.print(_metadata_table(entry, str(catalogue.path_of(dataset))))
    console.print(_field_table(entry, schemas.get(dataset)))


def _add_row(table: Table, *cells: Any) -> None:
    """Cells as plain text: values such as ``[hotline, city]`` are data, not rich markup."""
    table.add_row(*(Text(str(c)) for c in cells))


def _metadata_table(entry: CatalogueEntry, path: str) -> Table:
    table = Table(title=f"{entry.dataset}: {entry.name.zh} ({entry.name.en})", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    provider = entry.provider
    rows = {
        "file": path, "code": entry.code, "summary": entry.summary,
        "provider": f"{provider.name} [{provider.department}, {provider.level}, "
                    f"{provider.region_code}, {provider.code}]",
        "schema subject": entry.schema_subject, "resource class": entry.resource_class,
        "sharing type": entry.sharing_type, "sharing condition": entry.sharing_condition,
        "legal basis": entry.legal_basis, "sharing method": entry.sharing_method,
        "open attribute": entry.open_attribute, "update frequency": entry.update_frequency,
        "compatibility": entry.compatibility, "published on": entry.published_on,
        "max level": entry.max_level,
    }
    for key, value in rows.items():
        if value is not None:
            _add_row(table, key, value)
    return table


def _field_table(entry: CatalogueEntry, schema: DatasetSchema | None) -> Table:
    table = Table(title="fields")
    for column in ("field", "type", "level", "pii", "doc"):
        table.add_column(column)
    avro_fields = {f["name"]: f for f in schema.schema["fields"]} if schema else {}
    names = [n for n in avro_fields if n != "envelope"] or list(entry.fields)
    names += [n for n in entry.fields if n not in names]
    for name in names:
        classified = entry.fields.get(name)
        avro = avro_fields.get(name, {})
        _add_row(table, name, type_name(avro["type"]) if avro else "(not in schema)",
                 classified.level if classified else "(unclassified)",
                 (classified.pii or "") if classified else "", avro.get("doc", ""))
    return table


def type_name(avro_type: Any) -> str:
    """A short readable rendering of an Avro type: ``string?``, ``enum Channel``,
    ``timestamp-millis``, ``array<string>``."""
    if isinstance(avro_type, str):
        return avro_type.rsplit(".", 1)[-1]
    if isinstance(avro_type, list):
        others = [type_name(t) for t in avro_type if t != "null"]
        text = " | ".join(others)
        return f"{text}?" if "null" in avro_type else text
    kind = avro_type.get("type")
    if "logicalType" in avro_type:
        return avro_type["logicalType"]
    if kind in ("enum", "record", "fixed"):
        return f"{kind} {type_name(avro_type['name'])}"
    if kind == "array":
        return f"array<{type_name(avro_type['items'])}>"
    if kind == "map":
        return f"map<{type_name(avro_type['values'])}>"
    return json.dumps(avro_type) if not isinstance(kind, str) else type_name(kind)

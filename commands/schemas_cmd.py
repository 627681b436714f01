"""``govbus schemas register | check``: schema governance against the real registry.

``register`` puts every dataset schema under its raw topic's value subject, with the subject's
compatibility taken from the catalogue (idempotent). ``check`` tests each working-tree schema
against what the registry holds and exits 1 when any is incompatible, naming subject, field and
rule. Settings are read inside each command (never at import): ``GOVBUS_REGISTRY_URL`` (else the
local stack), ``GOVBUS_TOPIC_PREFIX``, ``GOVBUS_SCHEMAS_DIR`` and ``GOVBUS_CATALOGUE_DIR`` point a
command at another registry, bus or tree. Both commands authenticate as the governance identity
(``GOVBUS_REGISTRY_IDENTITY_FILE``, else the local stack's): the registry lets only it register,
change a subject's compatibility, or test a schema against all versions.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import typer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import OAuthTokenError, SchemaRegistryError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.endpoints import NoStackError, with_endpoints
from govbus.core import identities
from govbus.core.catalogue import Catalogue, CatalogueError, load_catalogue
from govbus.core.governance import (
    CheckResult,
    GovernanceError,
    Registration,
    RegistrationRefused,
    check_all,
    register_all,
)
from govbus.core.registry_auth import RegistryIdentityError
from govbus.core.schemas import DatasetSchema, load_schemas
from govbus.core.serde import registry_client, settings_identity
from govbus.core.settings import GovbusSettings, topic_names

# The identity each command connects as: bus-admin for now; each becomes its own identity
# (the comment names which) once the ACLs compiled from the agreements are in place.
SCHEMAS_IDENTITY = identities.ADMIN  # stays bus-admin: schema governance is an administrator's task

schemas_app = typer.Typer(
    help="Schema governance: register the Avro schemas in the registry, check changes against it.",
    no_args_is_help=True,
)

T = TypeVar("T")
_STYLE = {"ok": "green", "new": "cyan", "INCOMPATIBLE": "bold red"}


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def _say(text: str, stderr: bool = False) -> None:
    """A plain message: no markup (subjects and types like ``[null, string]`` are data)."""
    _console(stderr).print(text, markup=False, soft_wrap=True)


def _settings() -> GovbusSettings:
    try:
        return with_endpoints(GovbusSettings(), identity=SCHEMAS_IDENTITY)
    except NoStackError as exc:
        _say(str(exc), stderr=True)
        raise typer.Exit(1) from exc


def _schemas(settings: GovbusSettings) -> dict[str, DatasetSchema]:
    try:
        schemas = load_schemas(settings.schemas_dir)
    except (OSError, ValueError, KeyError) as exc:
        _say(f"{settings.schemas_dir}: cannot load schemas: {exc}", stderr=True)
        raise typer.Exit(1) from exc
    if not schemas:
        _say(f"{settings.schemas_dir}: no dataset schemas (*.avsc) found", stderr=True)
        raise typer.Exit(1)
    return schemas


def _catalogue(settings: GovbusSettings) -> Catalogue:
    try:
        return load_catalogue(settings.catalogue_dir)
    except CatalogueError as exc:
        _say(str(exc), stderr=True)
        raise typer.Exit(1) from exc


def _client(settings: GovbusSettings) -> SchemaRegistryClient:
    try:
        return registry_client(settings.registry_url, settings_identity(settings))
    except RegistryIdentityError as exc:
        _say(str(exc), stderr=True)
        raise typer.Exit(1) from exc


_UNAUTHORISED = {401: "it does not know this identity (set GOVBUS_REGISTRY_IDENTITY_FILE to the "
                      "governance identity's file)",
                 403: "this identity may not write (the governance identity has role sr-developer)"}


def _with_registry(url: str, action: Callable[[], T]) -> T:
    """Run ``action``; a registry (or identity provider) that refuses or does not answer exits 1
    with one line saying what failed and what to do."""
    try:
        return action()
    except SchemaRegistryError as exc:
        why = _UNAUTHORISED.get(exc.http_status_code, f"{exc.error_message}")
        _say(f"registry {url} refused: HTTP {exc.http_status_code} ({exc.error_code}): {why}",
             stderr=True)
        raise typer.Exit(1) from exc
    except OAuthTokenError as exc:
        _say(f"no registry token from the identity provider: {exc} (is it up, `govbus stack "
             "status`? is the client secret in the identity file current?)", stderr=True)
        raise typer.Exit(1) from exc
    except GovernanceError:
        raise
    except Exception as exc:
        _say(f"registry {url} unreachable: {type(exc).__name__}: {exc}", stderr=True)
        raise typer.Exit(1) from exc


def _add_row(table: Table, *cells: Any, style: str | None = None) -> None:
    table.add_row(*(Text(str(c), style=style or "") for c in cells))


def _registration_table(registrations: list[Registration], title: str) -> Table:
    table = Table(title=title)
    for column in ("subject", "id", "version", "compatibility"):
        table.add_column(column)
    for r in registrations:
        _add_row(table, r.subject, r.schema_id, "" if r.version is None else r.version,
                 r.compatibility)
    return table


@schemas_app.command()
def register() -> None:
    """Register every dataset schema (one subject per raw topic), setting each subject's
    compatibility from the catalogue first. Idempotent; exit 1 if the registry refuses any."""
    settings = _settings()
    schemas, catalogue = _schemas(settings), _catalogue(settings)
    client = _client(settings)
    try:
        registrations = _with_registry(settings.registry_url, lambda: register_all(
            client, schemas, catalogue, topic_names(settings)))
    except RegistrationRefused as exc:
        if exc.registered:
            _console().print(_registration_table(exc.registered, "Registered"))
        for reason in str(exc).splitlines():
            _say(reason)
        _say(f"{len(exc.refused)} subject(s) refused their schema as incompatible", stderr=True)
        raise typer.Exit(1) from exc
    except GovernanceError as exc:
        _say(str(exc), stderr=True)
        raise typer.Exit(1) from exc
    _console().print(_registration_table(registrations, f"Registered at {settings.registry_url}"))
    _say(f"OK: {len(registrations)} subject(s) registered")


def _status(result: CheckResult) -> str:
    return "INCOMPATIBLE" if result.status == "incompatible" else result.status


@schemas_app.command()
def check() -> None:
    """Test each working-tree schema against the registry's latest version of its subject
    (all versions for a *_TRANSITIVE level): ok, new (not registered yet) or INCOMPATIBLE with
    the field and the rule it breaks. Exit 1 if any is incompatible."""
    settings = _settings()
    schemas = _schemas(settings)
    client = _client(settings)
    results = _with_registry(settings.registry_url,
                             lambda: check_all(client, schemas, topic_names(settings)))
    table = Table(title=f"Schemas against {settings.registry_url}")
    for column in ("subject", "status", "compatibility", "latest", "detail"):
        table.add_column(column)
    for r in results:
        status = _status(r)
        table.add_row(Text(r.subject), Text(status, style=_STYLE[status]),
                      Text(r.compatibility or ""),
                      Text("" if r.latest_version is None else str(r.latest_version)),
                      Text(r.detail))
    _console().print(table)
    bad = [r for r in results if not r.ok]
    for r in bad:
        for reason in r.reasons:
            _say(f"INCOMPATIBLE {reason}")
    if bad:
        _say(f"{len(bad)} of {len(results)} schema(s) incompatible with the registry", stderr=True)
        raise typer.Exit(1)
    new = sum(r.status == "new" for r in results)
    _say(f"OK: {len(results)} schema(s) checked, {new} new")

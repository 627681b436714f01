"""`govbus identities create | list | rotate | disable NAME`: the local stack's SCRAM identities.

Connected as bus-admin (its file in the stack folder). A new password is shown once, or with
``--file`` only written to the identity's file (0600); it is never logged (docs/security.md).
"""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from commands.localstack import StackState
from commands.localstack.identities import StackIdentities
from govbus.core import identities, scram
from govbus.core.credentials import CredentialsError, IdentityFile
from govbus.core.kafka_access import check_access
from govbus.core.settings import GovbusSettings

identities_app = typer.Typer(help="Bus identities (SCRAM users) of the local stack.", no_args_is_help=True)
console = Console()
SHOW = typer.Option(False, "--show", help="Print the new password once (else only its file has it).")


def _store() -> StackIdentities:
    """The stack's identities, once bus-admin is known to be accepted by its broker."""
    settings = GovbusSettings()
    state = StackState.load(settings.stack_dir)
    if state is None:
        raise CredentialsError(f"no local stack in {settings.stack_dir}: run `govbus stack up`")
    store = state.identity_store
    check_access({"bootstrap.servers": state.bootstrap, **state.admin_security()})
    return store


def _name(name: str) -> str:
    try:
        identities.kind_of(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from exc
    return name


def _handed_out(store: StackIdentities, made: IdentityFile, show: bool) -> None:
    console.print(f"{made.user}: credential set ({made.mechanism}); file {store.path(made.user)} (0600)")
    if show:
        # The one place a password is printed: on request, right after it was made.
        console.print(f"password  {made.password}", highlight=False)


@identities_app.command("create")
def create_cmd(name: str, show: bool = SHOW) -> None:
    """Create an identity: a SCRAM credential and its file. Refuses one that exists."""
    store = _store()
    if store.path(_name(name)).exists():
        console.print(f"{name} exists ({store.path(name)}): use `govbus identities rotate {name}`")
        raise typer.Exit(1)
    _handed_out(store, store.create(store.admin_client(), name), show)


@identities_app.command("rotate")
def rotate_cmd(name: str, show: bool = SHOW) -> None:
    """Set a new password (also re-enables a disabled identity) and rewrite its file. Clients
    already connected stay connected; the old password is refused from the next login."""
    store = _store()
    _handed_out(store, store.create(store.admin_client(), _name(name)), show)
    if name == identities.ADMIN:
        console.print("the broker's own login uses the new password from its next start")


@identities_app.command("disable")
def disable_cmd(name: str) -> None:
    """Delete the identity's credential; its file stays, marked disabled."""
    store = _store()
    if _name(name) == identities.ADMIN:
        console.print("bus-admin cannot be disabled: the broker and every identity command log in as it")
        raise typer.Exit(1)
    deleted = store.disable(store.admin_client(), name)
    console.print(f"{name}: {'credential deleted' if deleted else 'had no credential'}; "
                  f"new logins are refused")


@identities_app.command("list")
def list_cmd() -> None:
    """Every identity with a file or a credential, and whether the broker would accept it."""
    store = _store()
    on_broker = scram.users(store.admin_client())
    files = store.files()
    table = Table("identity", "kind", "state", "file")
    for name in sorted(set(files) | on_broker):
        table.add_row(name, _kind(name), _state(files.get(name), name in on_broker),
                      str(store.path(name)) if name in files else "-")
    console.print(table)


def _kind(name: str) -> str:
    try:
        return identities.kind_of(name)
    except ValueError:
        return "other"


def _state(file: IdentityFile | None, on_broker: bool) -> str:
    if file is not None and file.disabled:
        return "disabled" + (" (credential still on the broker!)" if on_broker else "")
    if on_broker:
        return "active" if file is not None else "active, no file here"
    return "no credential"

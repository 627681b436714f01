"""`govbus identities create | list | rotate | disable NAME`: the local stack's SCRAM identities.

Connected as bus-admin (its file in the stack folder). A new password is shown once, or with
``--file`` only written to the identity's file (0600); it is never logged (docs/security.md).
Each creation, rotation and disabling, with its required ``--note``, is an action of bus-admin
on the audit chain; an operator's (``op.<name>``) ACLs are granted with its credential and
withdrawn with it (commands/acl_cmd.py sync_identity).
"""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from commands.localstack import StackState
from commands.localstack.identities import StackIdentities
from commands.operator_actions import NOTE, checked_note, open_log, publish
from govbus.core import identities, scram
from govbus.core.actions import ActionLog
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
def create_cmd(name: str, show: bool = SHOW, note: str = NOTE) -> None:
    """Create an identity: a SCRAM credential and its file (an operator, op.<name>, also gets its
    ACLs). Refuses one that exists."""
    note, store = checked_note(note), _store()
    if store.path(_name(name)).exists():
        console.print(f"{name} exists ({store.path(name)}): use `govbus identities rotate {name}`")
        raise typer.Exit(1)
    settings, log = _action_log()
    _handed_out(store, store.create(store.admin_client(), name), show)
    _recorded(settings, log, "identity.create", name, note)


@identities_app.command("rotate")
def rotate_cmd(name: str, show: bool = SHOW, note: str = NOTE) -> None:
    """Set a new password (also re-enables a disabled identity) and rewrite its file. Clients
    already connected stay connected; the old password is refused from the next login."""
    note, store = checked_note(note), _store()
    settings, log = _action_log()
    _handed_out(store, store.create(store.admin_client(), _name(name)), show)
    _recorded(settings, log, "identity.rotate", name, note)
    if name == identities.ADMIN:
        console.print("the broker's own login uses the new password from its next start")


@identities_app.command("disable")
def disable_cmd(name: str, note: str = NOTE) -> None:
    """Delete the identity's credential; its file stays, marked disabled."""
    note, store = checked_note(note), _store()
    if _name(name) == identities.ADMIN:
        console.print("bus-admin cannot be disabled: the broker and every identity command log in as it")
        raise typer.Exit(1)
    settings, log = _action_log()
    deleted = store.disable(store.admin_client(), name)
    console.print(f"{name}: {'credential deleted' if deleted else 'had no credential'}; "
                  f"new logins are refused")
    _recorded(settings, log, "identity.disable", name, note)


def _action_log() -> tuple[GovbusSettings, ActionLog]:
    """bus-admin's settings and action log, opened before the change (a refusal stops here)."""
    from commands.endpoints import with_endpoints

    # bus-admin whatever GOVBUS_KAFKA_USER says: the credential is changed as bus-admin (the stack's).
    settings = with_endpoints(GovbusSettings(kafka_user="", kafka_password_file=None), identity=identities.ADMIN)
    return settings, open_log(settings)


def _recorded(settings: GovbusSettings, log: ActionLog, act: str, name: str, note: str) -> None:
    """The action on the chain; an operator's ACLs follow its credential (granted, withdrawn)."""
    from datetime import datetime, timezone

    from commands.acl_cmd import sync_identity
    from govbus.core.actions import Act, action_record

    publish(log, [action_record(Act(act), note, name, datetime.now(timezone.utc))])
    if _kind(name) == "operator":
        changed, problem = sync_identity(settings, name, note)
        console.print(f"{name}: {changed} ACL changes" + (f"; {problem}" if problem else ""))


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

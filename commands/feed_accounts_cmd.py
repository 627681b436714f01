"""`govbus feed accounts add | list | remove`: the feed page's operator and viewer accounts.

The administrator keeps them (consumers/feed/accounts.py): a password is asked at a hidden prompt
(twice) or read from standard input with ``--password-stdin`` (one line, for scripts), and only
its scrypt hash is stored, in a file of mode 0600. A running feed sees a change at the account's
next request: a removed account is signed out, a viewer can no longer act.
"""
from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from commands.exits import DAMAGED_INPUT, REFUSED, Failure
from consumers.feed.accounts import (
    ROLES,
    Account,
    AccountsError,
    accounts_path,
    hash_password,
    load_accounts,
    name_problem,
    password_problem,
    save_accounts,
)
from govbus.core.settings import GovbusSettings

feed_app = typer.Typer(help="The feed page (`govbus serve-feed`): its accounts.", no_args_is_help=True)
accounts_app = typer.Typer(help="Operator and viewer accounts of the feed page (scrypt hashes, file mode 0600).",
                           no_args_is_help=True)
feed_app.add_typer(accounts_app, name="accounts")
console = Console()


def _load(settings: GovbusSettings) -> dict[str, Account]:
    try:
        return load_accounts(accounts_path(settings))
    except AccountsError as exc:
        raise Failure(DAMAGED_INPUT, f"{exc}; fix or remove the file") from exc


def _save(settings: GovbusSettings, accounts: dict[str, Account]) -> None:
    try:
        save_accounts(accounts_path(settings), accounts)
    except AccountsError as exc:
        raise Failure(REFUSED, f"could not write the accounts: {exc}") from exc


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem is not None:
        raise Failure(REFUSED, f"{problem}; nothing was changed")
    return password


@accounts_app.command("add")
def add_cmd(name: str = typer.Argument(..., help="Account name (2-32 of a-z 0-9 . _ -)."),
            role: str = typer.Option("operator", help="operator (acts on incidents) or viewer (reads only)."),
            password_stdin: bool = typer.Option(False, "--password-stdin",
                                                help="Read the password from standard input (one line)."),
            replace: bool = typer.Option(False, "--replace", help="Change an existing account's password and role.")
            ) -> None:
    """Add an account (or with --replace change its password and role)."""
    problem = name_problem(name)
    if problem is not None:
        raise Failure(REFUSED, problem)
    if role not in ROLES:
        raise Failure(REFUSED, f"--role must be one of {list(ROLES)}")
    settings = GovbusSettings()
    accounts = _load(settings)
    if name in accounts and not replace:
        raise Failure(REFUSED, f"{name} exists; give --replace to change its password and role")
    accounts[name] = Account(name, role, hash_password(_password(password_stdin)))
    _save(settings, accounts)
    console.print(f"{name}: {role} ({accounts_path(settings)})")


@accounts_app.command("remove")
def remove_cmd(name: str) -> None:
    """Remove an account; its sessions end at their next request."""
    settings = GovbusSettings()
    accounts = _load(settings)
    if accounts.pop(name, None) is None:
        raise Failure(REFUSED, f"no account {name}")
    _save(settings, accounts)
    console.print(f"{name} removed")


@accounts_app.command("list")
def list_cmd() -> None:
    """The accounts and their roles (never their hashes)."""
    settings = GovbusSettings()
    table = Table("account", "role", title=str(accounts_path(settings)), title_justify="left")
    for account in sorted(_load(settings).values(), key=lambda a: a.name):
        table.add_row(account.name, account.role)
    console.print(table)

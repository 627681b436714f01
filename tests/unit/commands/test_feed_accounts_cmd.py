"""``govbus feed accounts add | list | remove`` (commands/feed_accounts_cmd.py) and the operator
options of ``govbus incident`` (commands/detect_cmd.py)."""
from __future__ import annotations

from functools import partial

import pytest
from typer.testing import CliRunner

from commands import feed_accounts_cmd

from commands.exits import REFUSED, Failure
from commands.main import app
from consumers.feed.accounts import hash_password, load_accounts, verify_password


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """The command's hashing at a cost of a millisecond (the default cost: test_accounts.py)."""
    monkeypatch.setattr(feed_accounts_cmd, "hash_password", partial(hash_password, cost=(2 ** 8, 8, 1)))


def _run(path, *args: str, input: str | None = None):
    return CliRunner().invoke(app, ["feed", "accounts", *args], input=input,
                              env={"GOVBUS_FEED_ACCOUNTS_FILE": str(path)})


def test_the_administrator_adds_lists_and_removes_accounts(tmp_path):
    path = tmp_path / "config" / "feed-accounts.json"
    assert _run(path, "add", "alice", "--password-stdin", input="correct horse battery\n").exit_code == 0
    assert _run(path, "add", "bob", "--role", "viewer", input="viewer password!\nviewer password!\n").exit_code == 0
    accounts = load_accounts(path)
    assert {a.name: a.role for a in accounts.values()} == {"alice": "operator", "bob": "viewer"}
    assert verify_password("correct horse battery", accounts["alice"].password_hash)
    assert "correct horse" not in path.read_text() and path.stat().st_mode & 0o777 == 0o600
    listed = _run(path, "list")
    assert "alice" in listed.output and "viewer" in listed.output and "scrypt" not in listed.output
    assert _run(path, "remove", "bob").exit_code == 0 and set(load_accounts(path)) == {"alice"}


def test_what_the_command_refuses_changes_nothing(tmp_path):
    path = tmp_path / "feed-accounts.json"
    _run(path, "add", "alice", "--password-stdin", input="correct horse battery\n")
    before = path.read_bytes()
    for args, stdin in ((("add", "alice", "--password-stdin"), "another long password\n"),   # exists
                        (("add", "carol", "--password-stdin"), "short\n"),
                        (("add", "Carol", "--password-stdin"), "correct horse battery\n"),
                        (("add", "carol", "--role", "admin", "--password-stdin"), "correct horse battery\n"),
                        (("remove", "nobody"), None)):
        result = _run(path, *args, input=stdin)   # main() prints the Failure's line and exits with its code
        assert isinstance(result.exception, Failure) and result.exception.code == REFUSED, (args, result.output)
    assert path.read_bytes() == before


def test_incident_actions_take_the_operator_and_note_exists():
    for command in ("ack", "resolve", "escalate", "note"):
        result = CliRunner().invoke(app, ["incident", command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "--operator" in result.output and "--note" in result.output, command
    assert "--grade" in CliRunner().invoke(app, ["incident", "escalate", "--help"], env={"COLUMNS": "200"}).output

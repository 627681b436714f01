"""The feed's accounts (consumers/feed/accounts.py): scrypt hashes, names, the file and its mode."""
from __future__ import annotations

import base64
import os

import pytest

from consumers.feed.accounts import (
    Account,
    AccountBook,
    AccountsError,
    hash_password,
    load_accounts,
    name_problem,
    parse_accounts,
    password_problem,
    render_accounts,
    save_accounts,
    verify_password,
)
from govbus.core.result import Fault, Ok

CHEAP = (2 ** 8, 8, 1)   # each hash here costs a millisecond, not a quarter second
STORED = hash_password("correct horse battery", salt=b"0123456789abcdef", cost=CHEAP)


def test_a_hash_verifies_its_password_only_and_never_holds_it():
    assert STORED.startswith("scrypt$256$8$1$") and "correct" not in STORED
    assert verify_password("correct horse battery", STORED)
    assert not verify_password("correct horse batterY", STORED)
    assert hash_password("correct horse battery", cost=CHEAP) != STORED  # a random salt


def test_the_default_cost_is_owasps_scrypt_choice():
    stored = hash_password("correct horse battery").split("$")
    assert stored[:4] == ["scrypt", "16384", "8", "5"] and len(base64.b64decode(stored[5])) == 32


@pytest.mark.parametrize("stored", [
    "", "plain text", "bcrypt$x", "scrypt$16384$8$5$AAAA", "scrypt$x$8$5$AAAA$AAAA",
    "scrypt$4194304$8$5$AAAA$AAAA",   # a cost that would exhaust memory: refused, not computed
    "scrypt$16384$8$5$!!!$AAAA",
])
def test_a_hash_of_another_form_verifies_nothing(stored):
    assert not verify_password("anything at all", stored)


@pytest.mark.parametrize(("name", "ok"), [
    ("alice", True), ("op.zhang-san_2", True), ("a", False), ("Alice", False), ("1abc", False),
    ("a b", False), ("张三", False), ("x" * 33, False),
])
def test_account_names(name, ok):
    assert (name_problem(name) is None) == ok


def test_passwords_are_long_enough():
    assert password_problem("short") and password_problem("x" * 11)
    assert password_problem("x" * 12) is None


@pytest.mark.parametrize(("text", "ok"), [
    ("", True), ('{"accounts": {}}', True),
    ('{"accounts": {"alice": {"role": "operator", "password": "h"}}}', True),
    ('{"accounts": {"alice": {"role": "admin", "password": "h"}}}', False),
    ('{"accounts": {"Bad Name": {"role": "viewer", "password": "h"}}}', False),
    ('{"accounts": {"alice": {"role": "viewer"}}}', False), ("[1, 2]", False), ("{", False),
])
def test_parse_accounts(text, ok):
    assert isinstance(parse_accounts(text), Ok if ok else Fault)


def test_the_file_is_written_whole_with_mode_0600_and_read_back(tmp_path):
    path = tmp_path / "config" / "feed-accounts.json"
    accounts = {"alice": Account("alice", "operator", STORED), "bob": Account("bob", "viewer", STORED)}
    old = os.umask(0)   # even a permissive umask leaves the hashes unreadable to others
    try:
        save_accounts(path, accounts)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_accounts(path) == accounts and render_accounts(accounts) == path.read_text()
    assert load_accounts(tmp_path / "none.json") == {}
    path.write_text("{")
    with pytest.raises(AccountsError, match="not a feed accounts file"):
        load_accounts(path)


def test_the_book_sees_a_removed_or_demoted_account_at_once(tmp_path):
    path = tmp_path / "accounts.json"
    book = AccountBook(path)
    assert book.get("alice") is None
    save_accounts(path, {"alice": Account("alice", "operator", STORED)})
    assert book.get("alice").can_act
    save_accounts(path, {"alice": Account("alice", "viewer", STORED)})
    assert not book.get("alice").can_act
    save_accounts(path, {})
    assert book.get("alice") is None

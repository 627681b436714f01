"""The feed's operator accounts: names, roles and password hashes, configured by the administrator.

Accounts live in one JSON file (``feed_accounts_file``; <stack dir>/config/feed-accounts.json by
default), written with mode 0600 by `govbus feed accounts add | remove`. Passwords are kept as
scrypt hashes (hashlib, RFC 7914) with a random salt and their cost parameters, never in plain
text; a hash made with older parameters still verifies. Roles: an ``operator`` acts on
incidents, a ``viewer`` only reads.

The hashing and the file's form are pure; ``load_accounts`` / ``save_accounts`` are the I/O.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govbus.core.result import Fault, Ok
from govbus.core.settings import GovbusSettings

ROLES = ("operator", "viewer")
# OWASP's scrypt choice of equal strength to N=2^17, r=8, p=1 with 16 MiB a hash instead of 128:
# sign-in stays quick on a small host and a stolen file stays costly to guess.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 5
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD_CHARS = 12
_NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


class AccountsError(RuntimeError):
    """The accounts file could not be read or written (what and why in the message)."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password_hash: str

    @property
    def can_act(self) -> bool:
        return self.role == "operator"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=256 * n * r * p + (1 << 20))


def hash_password(password: str, salt: bytes | None = None,
                  cost: tuple[int, int, int] = (SCRYPT_N, SCRYPT_R, SCRYPT_P)) -> str:
    """``scrypt$N$r$p$<salt b64>$<key b64>``: the parameters travel with the hash (``cost``
    other than the default only in tests, where each hash would otherwise take a quarter second)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    n, r, p = cost
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; False for a hash of another form (never raises)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
        if not (1 < n <= 2 ** 20 and 0 < r <= 32 and 0 < p <= 16):  # a hostile file cannot exhaust memory
            return False
        return hmac.compare_digest(_scrypt(password, salt, n, r, p), key)
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        return False


def name_problem(name: str) -> str | None:
    if not _NAME.match(name):
        return "an account name is 2-32 of a-z 0-9 . _ -, starting with a letter"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    return None


def parse_accounts(text: str) -> Ok[dict[str, Account]] | Fault:
    """The accounts of the file's text, or why it is not an accounts file."""
    try:
        body = json.loads(text) if text.strip() else {"accounts": {}}
        entries = body["accounts"]
        accounts = {name: Account(name, e["role"], e["password"]) for name, e in entries.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Fault("bad_accounts_file", "feed.accounts", f"not a feed accounts file: {exc}")
    bad = [a.name for a in accounts.values() if a.role not in ROLES or name_problem(a.name)]
    if bad:
        return Fault("bad_accounts_file", "feed.accounts", f"accounts with a bad name or role: {bad}")
    return Ok(accounts)


def render_accounts(accounts: dict[str, Account]) -> str:
    entries = {a.name: {"role": a.role, "password": a.password_hash} for a in sorted(accounts.values(),
                                                                                    key=lambda a: a.name)}
    return json.dumps({"version": 1, "accounts": entries}, ensure_ascii=False, indent=2) + "\n"


def accounts_path(settings: GovbusSettings) -> Path:
    return settings.feed_accounts_file or settings.stack_dir / "config" / "feed-accounts.json"


def load_accounts(path: Path) -> dict[str, Account]:
    """The accounts in ``path`` (none when it does not exist); AccountsError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise AccountsError(f"{path}: {exc.strerror}") from exc
    parsed = parse_accounts(text)
    if not isinstance(parsed, Ok):
        raise AccountsError(f"{path}: {parsed.message}")
    return parsed.value


def save_accounts(path: Path, accounts: dict[str, Account]) -> None:
    """Write the file whole, mode 0600 from the start (the hashes are never world-readable),
    and move it into place so that a reader never sees half of it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(render_accounts(accounts))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise AccountsError(f"{path}: {exc.strerror}") from exc


class AccountBook:
    """The accounts as the feed sees them: re-read when the file changes, so that an account the
    administrator removes or demotes loses its rights at its next request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: Any = None
        self._accounts: dict[str, Account] = {}

    def get(self, name: str) -> Account | None:
        try:
            stat = self.path.stat()
            stamp: Any = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._accounts = load_accounts(self.path) if stamp is not None else {}
            self._stamp = stamp
        return self._accounts.get(name)

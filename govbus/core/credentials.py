"""What a client needs to connect to the bus as an identity: SASL_SSL with SCRAM, the bus's CA.

An identity file (``<stack dir>/identities/<name>.json``, mode 0600) holds the user, password,
mechanism, CA file and bootstrap servers. A password file given in the settings may be such a
file or a file holding the password alone. Passwords are read when a client's configuration is
built and never put in a repr or a log line (docs/security.md).
"""
from __future__ import annotations

import json
import os
import ssl
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MECHANISM = "SCRAM-SHA-512"
PRIVATE = 0o600


class CredentialsError(RuntimeError):
    """A client's identity cannot be used (file missing, unreadable, disabled); the message says
    what failed and what to do, in one line."""


@dataclass(frozen=True)
class ClientIdentity:
    """The identity part of the settings: no password in it, only where to read it."""

    user: str
    password_file: Path
    ca_file: Path | None
    mechanism: str = DEFAULT_MECHANISM


@dataclass(frozen=True)
class IdentityFile:
    """The JSON a local-stack identity is handed out as (one per identity, mode 0600)."""

    user: str
    password: str = field(repr=False)
    mechanism: str
    ca_file: str
    bootstrap: str
    disabled: bool = False

    def write(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> "IdentityFile":
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise CredentialsError(f"identity file {path} does not exist: create the identity with "
                                   f"`govbus identities create`, or point GOVBUS_KAFKA_PASSWORD_FILE at "
                                   f"its file") from exc
        except (OSError, ValueError) as exc:
            raise CredentialsError(f"identity file {path} is unreadable ({exc.__class__.__name__}): "
                                   f"rewrite it with `govbus identities rotate`") from exc
        return cls(**{k: data[k] for k in ("user", "password", "mechanism", "ca_file", "bootstrap")},
                   disabled=bool(data.get("disabled", False)))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read, created so from the start (no window in
    which it is world-readable), replacing any previous file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, PRIVATE)  # O_CREAT's mode does not apply to a file that already existed
    os.replace(tmp, path)


def read_password(path: Path) -> str:
    """The password in ``path``: an identity file's ``password``, else the file's whole text."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError as exc:
        raise CredentialsError(f"password file {path} does not exist: set GOVBUS_KAFKA_PASSWORD_FILE "
                               f"to the identity's file (<stack dir>/identities/<name>.json)") from exc
    except OSError as exc:
        raise CredentialsError(f"password file {path} cannot be read ({exc.strerror}): check its "
                               f"owner and mode (0600, readable by this user)") from exc
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "password" in data:
            if data.get("disabled"):
                raise CredentialsError(f"identity {data.get('user')!r} in {path} is disabled: "
                                       f"`govbus identities rotate {data.get('user')}` enables it again")
            return str(data["password"])
    if not text:
        raise CredentialsError(f"password file {path} is empty: rotate the identity's password")
    return text


def _check_ca(ca_file: Path) -> str:
    if not ca_file.is_file():
        raise CredentialsError(f"CA file {ca_file} does not exist: set GOVBUS_KAFKA_CA_FILE to the bus's CA "
                               f"certificate (the local stack's is <stack dir>/tls/ca.pem)")
    return str(ca_file)


def librdkafka_security(identity: ClientIdentity) -> dict[str, Any]:
    """confluent-kafka (librdkafka) settings for SASL_SSL as ``identity``. Host names are
    verified against the broker's certificate (librdkafka's default)."""
    config: dict[str, Any] = {"security.protocol": "SASL_SSL", "sasl.mechanisms": identity.mechanism,
                              "sasl.username": identity.user,
                              "sasl.password": read_password(identity.password_file)}
    if identity.ca_file is not None:
        config["ssl.ca.location"] = _check_ca(identity.ca_file)
    return config


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """A client TLS context trusting ``ca_file`` (else the system's CAs), host names checked."""
    try:
        return ssl.create_default_context(cafile=_check_ca(ca_file) if ca_file else None)
    except ssl.SSLError as exc:
        raise CredentialsError(f"CA file {ca_file} is not a PEM certificate ({exc.reason}): point "
                               f"GOVBUS_KAFKA_CA_FILE at the bus's ca.pem") from exc


MIN_SECRET_BYTES = 16


def read_secret_file(path: Path | None, variable: str, what: str) -> bytes:
    """The stripped content of a secret file that only its owner may read; CredentialsError (one
    line naming ``variable`` and what to do) when it is not set, unreadable, open to others or
    shorter than ``MIN_SECRET_BYTES``. The secret itself is never part of a message."""
    if path is None:
        raise CredentialsError(f"{variable} is not set: point it at {what}")
    try:
        mode, secret = path.stat().st_mode, path.read_bytes().strip()
    except OSError as exc:
        raise CredentialsError(f"{variable}={path}: cannot read it ({exc.strerror}); point it at {what}") from None
    if mode & 0o077:
        raise CredentialsError(f"{variable}={path} is readable by others (mode {mode & 0o777:o}): chmod 600 it")
    if len(secret) < MIN_SECRET_BYTES:
        raise CredentialsError(f"{variable}={path} holds fewer than {MIN_SECRET_BYTES} bytes: use a random key, "
                               f"e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))'`")
    return secret

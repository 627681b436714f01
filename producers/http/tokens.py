"""The ingest tokens file: digests only, made by ``govbus ingest-token new``.

A new token is random (256 bits), shown to the operator once, and only its digest is written.
The file is created with mode 0600: the digests do not let anyone call the API, but which
departments have tokens is still nobody else's business.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

from producers.http.logic import TokenFileError, hashed_token, load_tokens


def add_token(path: Path, department: str) -> str:
    """Make a token for ``department``, append its digest to ``path`` and return the token."""
    if not department:
        raise TokenFileError("the department must be a non-empty string")
    entries: dict[str, str] = {}
    if path.exists():
        load_tokens(path)  # refuse to append to a damaged or clear-text file
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = dict(loaded.get("tokens", loaded))
    token = secrets.token_urlsafe(32)
    entries[hashed_token(token)] = department
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        yaml.safe_dump({"tokens": entries}, out, allow_unicode=True)
    return token

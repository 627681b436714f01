"""Secrets the local stack makes for itself (``<stack>/secrets/``, 0600): the pseudonym master key,
the processor's delivery signing key and the audit sink's checkpoint signing key (its public half
beside it).

A deployment brings its own from a secret store (GOVBUS_PSEUDONYM_KEY_FILE); the local stack
makes a random one on first start, so that no key is ever a default anyone can read in the source.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from govbus.core.signing import new_private_key_pem


def pseudonym_key_path(stack_dir: Path) -> Path:
    return stack_dir / "secrets" / "pseudonym.key"


def ensure_pseudonym_key(stack_dir: Path) -> Path:
    """The stack's pseudonym master key file, made (32 random bytes as hex, mode 0600) if absent.
    It is kept across restarts: a new key would change every pseudonym in the pools."""
    path = pseudonym_key_path(stack_dir)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
    return path


def signing_key_path(stack_dir: Path) -> Path:
    return stack_dir / "secrets" / "signing.key"


def write_secret(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file of mode 0600 (never over an existing one)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)


def ensure_signing_key(stack_dir: Path) -> Path:
    """The processor's Ed25519 signing key (PKCS#8 PEM, 0600), made if absent and kept across
    restarts (`govbus keys rotate` replaces it; the old public key stays published)."""
    path = signing_key_path(stack_dir)
    if not path.exists():
        write_secret(path, new_private_key_pem())
    return path


def audit_signing_key_path(stack_dir: Path) -> Path:
    return stack_dir / "secrets" / "audit-signing.key"


def ensure_audit_signing_key(stack_dir: Path) -> Path:
    """The audit sink's Ed25519 key (PKCS#8 PEM, 0600) and its ``.pub``, made if absent. Kept
    across restarts: verifiers trust the public key (consumers/audit/checkpoint.py)."""
    from consumers.audit.checkpoint import create_key_files

    path = audit_signing_key_path(stack_dir)
    if not path.exists():
        create_key_files(path)
    return path

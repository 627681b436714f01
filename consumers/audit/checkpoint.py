"""Signed checkpoints of the audit chain: an anchor kept outside the audit database (pure).

Whoever can write the audit database can change a row and recompute every later hash and the
head: the chain alone then still verifies. So every N events or T seconds the audit sink signs
the head (chain name, sequence, head hash, time) with its own Ed25519 key and writes it to the
compacted ``audit.checkpoints`` topic (key: the chain name, value: the JSON below), and
``govbus audit verify`` recomputes the chain from the database and checks it against the
checkpoints: a rewritten row changes the hash at every checkpoint after it.

Record value (UTF-8 JSON), verifiable with the ``cryptography`` package alone:

    {"chain": "audit.deliveries", "seq": 1200, "head_hash": "<64 hex>",
     "time": "2026-12-03T05:40:00.000000+00:00", "key_id": "<16 hex>",
     "public_key": "<64 hex: raw Ed25519 public key>", "signature": "<128 hex>"}

The signature is Ed25519 over ``signed_bytes``: the JSON of chain, seq, head_hash, time and
key_id, keys sorted, no whitespace. ``key_id`` is the first 16 hex digits of SHA-256 of the raw
public key. The public key in the record is a convenience: a verifier trusts only the one it
was given (``<signing key file>.pub``, or GOVBUS_AUDIT_PUBLIC_KEY_FILE) and refuses records
whose key id differs from it.

Key files: the private key is PKCS#8 PEM (mode 0600, the local stack makes it); the public key
file is SubjectPublicKeyInfo PEM.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from consumers.audit.logic import Head
from govbus.core.result import Fault, Ok
from govbus.core.signing import key_id, raw_public_key  # one key id for delivery and checkpoint keys

_SIGNED_FIELDS = ("chain", "seq", "head_hash", "time", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    head_hash: str
    time: str          # UTC ISO 8601 with microseconds
    key_id: str
    public_key: str    # raw Ed25519 public key, hex
    signature: str     # Ed25519 signature of signed_bytes, hex


def signed_bytes(chain: str, seq: int, head_hash: str, time: str, key: str) -> bytes:
    body = {"chain": chain, "seq": seq, "head_hash": head_hash, "time": time, "key_id": key}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_checkpoint(private: Ed25519PrivateKey, chain: str, head: Head, now: datetime) -> Checkpoint:
    public = private.public_key()
    when = now.astimezone(timezone.utc).isoformat(timespec="microseconds")
    kid = key_id(public)
    signature = private.sign(signed_bytes(chain, head.seq, head.hash, when, kid))
    return Checkpoint(chain, head.seq, head.hash, when, kid, raw_public_key(public).hex(), signature.hex())


def encode(checkpoint: Checkpoint) -> bytes:
    return json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":")).encode("utf-8")


def decode(value: bytes | None) -> Ok[Checkpoint] | Fault:
    """A checkpoint record's value, or why it is not one."""
    try:
        body = json.loads(value or b"")
        found = Checkpoint(chain=str(body["chain"]), seq=int(body["seq"]), head_hash=str(body["head_hash"]),
                           time=str(body["time"]), key_id=str(body["key_id"]),
                           public_key=str(body["public_key"]), signature=str(body["signature"]))
    except (ValueError, TypeError, KeyError) as exc:
        return Fault("bad_checkpoint", "checkpoint.format", f"not a checkpoint record: {exc}")
    return Ok(found)


def check_signature(checkpoint: Checkpoint, trusted: Ed25519PublicKey) -> Fault | None:
    """None when ``trusted`` signed ``checkpoint``; else why not (unknown key or bad signature)."""
    if checkpoint.key_id != key_id(trusted):
        return Fault("unknown_key", "checkpoint.key_id", f"checkpoint seq {checkpoint.seq} is signed by key "
                     f"{checkpoint.key_id}, not the trusted audit key {key_id(trusted)}")
    try:
        trusted.verify(bytes.fromhex(checkpoint.signature),
                       signed_bytes(checkpoint.chain, checkpoint.seq, checkpoint.head_hash,
                                    checkpoint.time, checkpoint.key_id))
    except (InvalidSignature, ValueError):
        return Fault("bad_signature", "checkpoint.signature",
                     f"checkpoint seq {checkpoint.seq}: the signature does not match its content")
    return None


def due(head: Head, last: Head, last_time: float, now: float, every_events: int, every_seconds: float) -> bool:
    """Whether the sink should write a checkpoint now: the chain moved since the last one and
    either ``every_events`` rows were appended or ``every_seconds`` passed (monotonic seconds)."""
    if head.seq <= last.seq:
        return False
    return head.seq - last.seq >= every_events or now - last_time >= every_seconds


@dataclass(frozen=True)
class Divergence:
    """Where the database's chain and a signed checkpoint disagree."""

    seq: int
    message: str


def first_divergence(checkpoints: Iterable[Checkpoint], hashes: Mapping[int, str],
                     stored_seq: int) -> Divergence | None:
    """The lowest-sequence checkpoint the recomputed chain does not match, and the span of rows
    the change lies in (after the last checkpoint that matched). ``hashes``: the recomputed
    hash at each checkpoint's seq (absent when the database has no such row); ``stored_seq``:
    the last seq the database holds."""
    matched = 0
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        found = hashes.get(cp.seq)
        if found is None:
            return Divergence(cp.seq, f"the checkpoint signed {cp.time} anchors seq {cp.seq} but the "
                              f"database's chain ends at seq {stored_seq}: rows {stored_seq + 1}..{cp.seq} "
                              "were deleted")
        if found != cp.head_hash:
            return Divergence(cp.seq, f"the database's hash at seq {cp.seq} is {found}, the checkpoint "
                              f"signed {cp.time} says {cp.head_hash}: a row in seq {matched + 1}..{cp.seq} "
                              "was changed and the chain recomputed")
        matched = cp.seq
    return None


def usable_checkpoints(records: Iterable[Ok[Checkpoint] | Fault], trusted: Ed25519PublicKey,
                       chain: str) -> Ok[list[Checkpoint]] | Fault:
    """The checkpoints of ``chain`` on the topic, every one signed by ``trusted``; a Fault
    naming the first record that is not (a forged or damaged anchor is a finding, never
    skipped), or ``anchor_missing`` when there is none."""
    found: list[Checkpoint] = []
    for record in records:
        if isinstance(record, Fault):
            return record
        if record.value.chain != chain:
            continue
        refused = check_signature(record.value, trusted)
        if refused is not None:
            return refused
        found.append(record.value)
    if not found:
        return Fault("anchor_missing", "checkpoint.topic", f"no checkpoint of {chain} on the checkpoint topic")
    return Ok(found)


# --- key files (small I/O helpers; the sink and verify read, the local stack creates) ---------

def public_key_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def create_key_files(private_path: Path) -> None:
    """A new Ed25519 key: the private key (PKCS#8 PEM, 0600) and ``<name>.pub`` beside it."""
    private = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public_key_path(private_path).write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def load_private(path: Path) -> Ok[Ed25519PrivateKey] | Fault:
    try:
        key: Any = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        return Fault("no_signing_key", "checkpoint.key", f"cannot read the audit signing key {path}: {exc}")
    if not isinstance(key, Ed25519PrivateKey):
        return Fault("no_signing_key", "checkpoint.key", f"{path} is not an Ed25519 private key")
    return Ok(key)


def load_public(path: Path) -> Ok[Ed25519PublicKey] | Fault:
    try:
        key: Any = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        return Fault("no_public_key", "checkpoint.key", f"cannot read the audit public key {path}: {exc}")
    if not isinstance(key, Ed25519PublicKey):
        return Fault("no_public_key", "checkpoint.key", f"{path} is not an Ed25519 public key")
    return Ok(key)

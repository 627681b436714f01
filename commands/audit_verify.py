"""``govbus audit verify``: recompute the hash chain and check it against the signed checkpoints.

The database alone cannot prove its own history (whoever writes it can recompute every hash),
so the verdict needs the anchor on ``audit.checkpoints`` (consumers/audit/checkpoint.py):
- the chain is recomputed row by row; a row that does not match is named (``BROKEN at seq``);
- every checkpoint on the topic must be signed by the trusted audit key (the ``.pub`` beside
  GOVBUS_AUDIT_SIGNING_KEY_FILE, or GOVBUS_AUDIT_PUBLIC_KEY_FILE), and the recomputed hash at
  its seq must be the one it signed: the first that is not is named (``DIVERGES at seq``);
- no checkpoint topic, or none on it: ``ANCHOR MISSING``, never OK.
Every finding is one line and exit 1; a broker or database that does not answer is exit 3.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from commands.exits import FINDINGS, REFUSED, Failure
from govbus.core.result import Fault
from govbus.core.settings import GovbusSettings


def trusted_key_path(settings: GovbusSettings) -> Path:
    from consumers.audit.checkpoint import public_key_path

    if settings.audit_public_key_file is not None:
        return settings.audit_public_key_file
    if settings.audit_signing_key_file is not None:
        return public_key_path(settings.audit_signing_key_file)
    raise Failure(REFUSED, "no trusted audit key: set GOVBUS_AUDIT_PUBLIC_KEY_FILE (or GOVBUS_AUDIT_SIGNING_KEY_FILE, "
                           "whose .pub is used); the local stack has <stack dir>/secrets/audit-signing.key.pub")


def verify(settings: GovbusSettings, store: Any) -> list[str]:
    """The lines of an intact, anchored chain; raises Failure(FINDINGS) naming what is not."""
    from consumers.audit.anchor import read_checkpoints
    from consumers.audit.checkpoint import first_divergence, load_public, usable_checkpoints
    from consumers.audit.store import CHAIN

    trusted = load_public(trusted_key_path(settings))
    if isinstance(trusted, Fault):
        raise Failure(REFUSED, trusted.message)
    records = read_checkpoints(settings)
    checkpoints = usable_checkpoints(records.value, trusted.value, CHAIN) if not isinstance(records, Fault) else records
    if isinstance(checkpoints, Fault):
        verdict = "ANCHOR MISSING" if checkpoints.reason == "anchor_missing" else "ANCHOR REFUSED"
        raise Failure(FINDINGS, f"{verdict}: {checkpoints.message}; the chain cannot be checked against "
                                "anything outside its database")
    result, hashes = store.verify_at({cp.seq for cp in checkpoints.value})
    if not result.ok:
        broken = result.broken
        raise Failure(FINDINGS, f"BROKEN at seq {broken.seq} ({broken.kind}): {broken.message}; "
                                f"{result.rows} rows before it are intact")
    divergence = first_divergence(checkpoints.value, hashes, result.head.seq)
    if divergence is not None:
        raise Failure(FINDINGS, f"DIVERGES at seq {divergence.seq}: {divergence.message}")
    latest = max(checkpoints.value, key=lambda cp: cp.seq)
    return [f"OK: {result.rows} audit rows, chain intact; head seq {result.head.seq} hash {result.head.hash}",
            f"anchored: {len(checkpoints.value)} signed checkpoint(s) match, the latest at seq {latest.seq} "
            f"(signed {latest.time}, key {latest.key_id}); {result.head.seq - latest.seq} row(s) after it "
            "await the next checkpoint"]

"""Table-driven tests for consumers.audit.checkpoint: signing and checking a checkpoint, when one
is due, and naming the first divergence between the database's chain and the signed anchors."""
from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.audit.checkpoint import (Checkpoint, check_signature, create_key_files, decode, due, encode,
                                        first_divergence, key_id, load_private, load_public, public_key_path,
                                        sign_checkpoint, signed_bytes, usable_checkpoints)
from consumers.audit.logic import Head
from govbus.core.result import Fault, Ok

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
NOW = datetime(2026, 12, 3, 5, 40, tzinfo=timezone.utc)
H = {seq: f"{seq:064x}" for seq in range(1, 20)}


def cp(seq: int, digest: str | None = None, key: Ed25519PrivateKey = KEY,
       chain: str = "audit.deliveries") -> Checkpoint:
    return sign_checkpoint(key, chain, Head(seq, digest or H[seq]), NOW)


def test_a_signed_checkpoint_round_trips_and_verifies_with_the_public_key_alone():
    signed = cp(7)
    back = decode(encode(signed))
    assert back == Ok(signed)
    assert check_signature(back.value, KEY.public_key()) is None
    body = json.loads(encode(signed))
    assert body["time"] == "2026-12-03T05:40:00.000000+00:00" and body["key_id"] == key_id(KEY.public_key())
    # What a verifier with only `cryptography` does: the signed bytes are the JSON of five fields.
    KEY.public_key().verify(bytes.fromhex(body["signature"]),
                            signed_bytes(body["chain"], body["seq"], body["head_hash"], body["time"], body["key_id"]))


@pytest.mark.parametrize("change, reason", [
    ({"seq": 8}, "bad_signature"),
    ({"head_hash": H[3]}, "bad_signature"),
    ({"time": "2026-12-03T06:00:00.000000+00:00"}, "bad_signature"),
    ({"signature": "zz"}, "bad_signature"),
    ({"key_id": "0" * 16}, "unknown_key"),
])
def test_a_changed_checkpoint_is_refused(change, reason):
    refused = check_signature(replace(cp(7), **change), KEY.public_key())
    assert isinstance(refused, Fault) and refused.reason == reason


def test_a_checkpoint_signed_by_another_key_is_refused_even_with_its_key_inside():
    refused = check_signature(cp(7, key=OTHER), KEY.public_key())
    assert isinstance(refused, Fault) and refused.reason == "unknown_key"


@pytest.mark.parametrize("value", [b"", b"not json", b'{"chain": "x"}', b"[]", None])
def test_undecodable_values_are_faults(value):
    assert isinstance(decode(value), Fault)


@pytest.mark.parametrize("head, last, elapsed, expected", [
    (Head(0), Head(0), 999.0, False),      # nothing chained
    (Head(5), Head(5), 999.0, False),      # nothing new since the last checkpoint
    (Head(9), Head(5), 1.0, False),        # 4 new events, 1 s
    (Head(15), Head(5), 1.0, True),        # 10 new events
    (Head(6), Head(5), 30.0, True),        # T seconds
])
def test_due(head, last, elapsed, expected):
    assert due(head, last, 100.0, 100.0 + elapsed, every_events=10, every_seconds=30.0) is expected


@pytest.mark.parametrize("checkpoints, hashes, stored, expected", [
    ([cp(3), cp(9)], {3: H[3], 9: H[9]}, 12, None),
    ([cp(3), cp(9)], {3: H[3], 9: "f" * 64}, 12, (9, "seq 4..9 was changed")),
    ([cp(9), cp(3)], {3: "e" * 64, 9: "f" * 64}, 12, (3, "seq 1..3 was changed")),
    ([cp(3), cp(9)], {3: H[3]}, 5, (9, "rows 6..9 were deleted")),
])
def test_first_divergence(checkpoints, hashes, stored, expected):
    found = first_divergence(checkpoints, hashes, stored)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.seq == expected[0] and expected[1] in found.message


def test_usable_checkpoints_refuse_a_forged_record_and_report_none_as_the_anchor_missing():
    trusted = KEY.public_key()
    assert usable_checkpoints([Ok(cp(3)), Ok(cp(4, chain="audit.other"))], trusted, "audit.deliveries") == Ok([cp(3)])
    forged = usable_checkpoints([Ok(cp(3)), Ok(cp(4, key=OTHER))], trusted, "audit.deliveries")
    assert isinstance(forged, Fault) and forged.reason == "unknown_key"
    damaged = usable_checkpoints([decode(b"x")], trusted, "audit.deliveries")
    assert isinstance(damaged, Fault) and damaged.reason == "bad_checkpoint"
    for records in ([], [Ok(cp(4, chain="audit.other"))]):
        missing = usable_checkpoints(records, trusted, "audit.deliveries")
        assert isinstance(missing, Fault) and missing.reason == "anchor_missing"


def test_key_files_private_0600_public_beside_it(tmp_path):
    path = tmp_path / "secrets" / "audit-signing.key"
    create_key_files(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private, public = load_private(path), load_public(public_key_path(path))
    assert isinstance(private, Ok) and isinstance(public, Ok)
    assert key_id(private.value.public_key()) == key_id(public.value)
    assert isinstance(load_private(tmp_path / "absent.key"), Fault)
    assert isinstance(load_public(path), Fault)  # a private key is not a public key file

"""Signing and verifying deliveries (govbus/core/signing.py): what a signature covers, and every
way a record fails, as tables of cases; the bus.keys record format; the key file."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govbus.core.result import Fault, Ok
from govbus.core.signing import (
    AGREEMENT_ID_HEADER,
    AGREEMENT_VERSION_HEADER,
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SigningKey,
    key_id,
    key_record,
    load_signing_key,
    new_private_key_pem,
    parse_key_record,
    published,
    signature_headers,
    signed_bytes,
    verify_delivery,
)

BUS = SigningKey.of(Ed25519PrivateKey.generate())
OTHER = SigningKey.of(Ed25519PrivateKey.generate())
TOPIC, KEY, VALUE = "shared.public_security_350100.hotline.work_order", b"WO-1", b"\x00\x00\x00\x00\x07avro body"
AGREEMENT, VERSION = "agr-hotline-police", 3
T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def signed(signer: SigningKey = BUS) -> list[tuple[str, bytes]]:
    return signature_headers(signer, TOPIC, KEY, VALUE, AGREEMENT, VERSION)


def replaced(headers: list[tuple[str, bytes]], name: str, value: bytes | None) -> list[tuple[str, bytes]]:
    """``headers`` with ``name`` set to ``value`` (None: removed)."""
    kept = [(n, v) for n, v in headers if n != name]
    return kept if value is None else [*kept, (name, value)]


@dataclass(frozen=True)
class Case:
    id: str
    topic: str = TOPIC
    key: bytes | None = KEY
    value: bytes = VALUE
    headers: list = field(default_factory=signed)
    keys: tuple[SigningKey, ...] = (BUS,)
    rule: str | None = None   # None: verifies
    header: str = ""


CASES = [
    Case("good"),
    Case("good-with-a-retired-key-still-published", headers=signed(OTHER), keys=(BUS, OTHER)),
    Case("tampered-value", value=VALUE + b"!", rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("tampered-key", key=b"WO-2", rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("null-key-for-a-keyed-record", key=None, rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("other-topic", topic="shared.urban_350102.hotline.work_order", rule="signature.invalid",
         header=SIGNATURE_HEADER),
    Case("other-agreement-version", headers=replaced(signed(), AGREEMENT_VERSION_HEADER, b"4"),
         rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("other-agreement", headers=replaced(signed(), AGREEMENT_ID_HEADER, b"agr-other"),
         rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("unknown-key-id", headers=replaced(signed(), KEY_ID_HEADER, b"0123456789abcdef"),
         rule="signature.unknown_key", header=KEY_ID_HEADER),
    Case("signed-with-an-unpublished-key", headers=signed(OTHER), rule="signature.unknown_key", header=KEY_ID_HEADER),
    Case("wrong-key-behind-a-known-id", headers=replaced(signed(OTHER), KEY_ID_HEADER, BUS.key_id.encode()),
         rule="signature.invalid", header=SIGNATURE_HEADER),
    Case("unsigned", headers=[], rule="signature.missing", header=SIGNATURE_HEADER),
    Case("no-key-id", headers=replaced(signed(), KEY_ID_HEADER, None), rule="signature.missing", header=KEY_ID_HEADER),
    Case("no-agreement-version", headers=replaced(signed(), AGREEMENT_VERSION_HEADER, None),
         rule="signature.missing", header=AGREEMENT_VERSION_HEADER),
    Case("empty-signature", headers=replaced(signed(), SIGNATURE_HEADER, b""), rule="signature.missing",
         header=SIGNATURE_HEADER),
    Case("short-signature", headers=replaced(signed(), SIGNATURE_HEADER, b"x" * 10), rule="signature.malformed",
         header=SIGNATURE_HEADER),
    Case("no-keys-published", keys=(), rule="signature.unknown_key", header=KEY_ID_HEADER),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verify_delivery(case: Case) -> None:
    keys = {k.key_id: k.public_key for k in case.keys}
    verdict = verify_delivery(keys, case.topic, case.key, case.value, case.headers)
    if case.rule is None:
        assert isinstance(verdict, Ok) and verdict.value in keys
    else:
        assert isinstance(verdict, Fault)
        assert (verdict.reason, verdict.rule, verdict.field) == ("bad_signature", case.rule, f"headers.{case.header}")


def test_headers_as_a_dict_or_str_values_verify_alike() -> None:
    keys = {BUS.key_id: BUS.public_key}
    as_dict = {name: value for name, value in signed()}
    as_dict[KEY_ID_HEADER] = BUS.key_id  # type: ignore[assignment]  # a str, as some clients give
    assert isinstance(verify_delivery(keys, TOPIC, KEY, VALUE, as_dict), Ok)


@pytest.mark.parametrize(("a", "b"), [
    (("t", b"ab", b"c", "agr", 1), ("t", b"a", b"bc", "agr", 1)),        # a byte moved from key to value
    (("t.a", b"", b"x", "agr", 1), ("t", b".a", b"x", "agr", 1)),        # from topic to key
    (("t", b"k", b"x", "agr", 11), ("t", b"k", b"x", "agr1", 1)),        # from version to id
    (("t", b"k", b"x1", "agr", 1), ("t", b"k", b"x", "1agr", 1)),        # from value to id
])
def test_the_encoding_is_unambiguous(a: tuple, b: tuple) -> None:
    assert signed_bytes(*a) != signed_bytes(*b)


def test_signed_bytes_are_length_prefixed_parts_after_a_domain_tag() -> None:
    assert signed_bytes("t", b"k", b"vv", "a", 2) == (b"govbus-delivery-v1" + b"\0\0\0\x01t" + b"\0\0\0\x01k"
                                                      + b"\0\0\0\x02vv" + b"\0\0\0\x01a" + b"\0\0\0\x012")


def test_key_id_is_the_first_16_hex_of_the_public_keys_sha256() -> None:
    import hashlib

    from govbus.core.signing import raw_public_key

    assert key_id(BUS.public_key) == hashlib.sha256(raw_public_key(BUS.public_key)).hexdigest()[:16]
    assert BUS.key_id != OTHER.key_id


@pytest.mark.parametrize(("pem", "ok"), [
    (new_private_key_pem(), True),
    (b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", False),
    (b"32 random bytes of a pseudonym key, not a PEM", False),
])
def test_load_signing_key(pem: bytes, ok: bool) -> None:
    loaded = load_signing_key(pem)
    assert isinstance(loaded, Ok) is ok
    if not ok:
        assert isinstance(loaded, Fault) and loaded.reason == "bad_signing_key"


def test_an_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    loaded = load_signing_key(pem)
    assert isinstance(loaded, Fault) and "not an Ed25519 key" in loaded.message


def test_key_record_round_trip_keeps_retirement() -> None:
    key = published(BUS.public_key, T0, retired=datetime(2026, 12, 2, tzinfo=timezone.utc))
    record_key, value = key_record(key)
    assert record_key == BUS.key_id.encode()
    back = parse_key_record(record_key, value)
    assert isinstance(back, Ok)
    assert (back.value.key_id, back.value.created, back.value.retired) == (BUS.key_id, T0.isoformat(),
                                                                           "2026-12-02T00:00:00+00:00")
    assert "BEGIN PUBLIC KEY" in back.value.pem()


@pytest.mark.parametrize(("record_key", "value", "rule"), [
    (b"x", b"not json", "keys.value"),
    (b"x", None, "keys.value"),  # a tombstone
    (b"x", b'{"algorithm": "RSA"}', "keys.algorithm"),
    (b"x", b'{"algorithm": "Ed25519", "public_key": "!!", "created": "t"}', "keys.value"),
    (b"0123456789abcdef", key_record(published(BUS.public_key, T0))[1], "keys.key_id"),  # renamed key
])
def test_records_that_are_no_key_are_refused(record_key: bytes, value: bytes | None, rule: str) -> None:
    parsed = parse_key_record(record_key, value)
    assert isinstance(parsed, Fault) and (parsed.reason, parsed.rule) == ("bad_key_record", rule)


def test_the_readme_snippet_verifies_a_signed_record_and_refuses_a_tampered_one(tmp_path, monkeypatch) -> None:
    """The README's recipient snippet, run as written, with `cryptography` alone."""
    import json
    import re
    from pathlib import Path

    from cryptography.exceptions import InvalidSignature

    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"\*\*Is it the bus's\?\*\*.*?```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "keys.json").write_text(json.dumps([published(BUS.public_key, T0).as_json()]))
    monkeypatch.chdir(tmp_path)

    class Message:
        def __init__(self, value: bytes) -> None:
            self._value = value

        def headers(self):
            return signed()

        def topic(self):
            return TOPIC

        def key(self):
            return KEY

        def value(self):
            return self._value

    exec(snippet, {"json": json, "message": Message(VALUE)})  # noqa: S102 - the documented code itself
    with pytest.raises(InvalidSignature):
        exec(snippet, {"json": json, "message": Message(VALUE + b"!")})  # noqa: S102


# --- batches: one signature a topic over a Merkle tree ------------------------------------------

def batch(n: int, topics: tuple[str, ...] = (TOPIC,)) -> list:
    from govbus.core.signing import Signable

    return [Signable(topics[i % len(topics)], f"WO-{i}".encode(), VALUE + bytes([i]), AGREEMENT, VERSION)
            for i in range(n)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 33])
def test_every_record_of_a_batch_verifies_alone(size: int) -> None:
    from govbus.core.signing import sign_deliveries

    items = batch(size, (TOPIC, "shared.urban_350102.hotline.work_order"))
    keys = {BUS.key_id: BUS.public_key}
    for item, headers in zip(items, sign_deliveries(BUS, items), strict=True):
        assert isinstance(verify_delivery(keys, item.topic, item.key, item.value, headers), Ok)


@pytest.mark.parametrize(("change", "rule"), [
    ("value", "signature.invalid"),             # another record's bytes with this one's proof
    ("leaf", "signature.invalid"),              # the right proof, another position
    ("proof-byte", "signature.invalid"),        # a sibling hash altered
    ("proof-short", "signature.malformed"),     # not a whole number of hashes
    ("leaf-text", "signature.malformed"),
    ("leaf-beyond", "signature.malformed"),     # an index the tree cannot hold
    ("no-proof", "signature.missing"),
    ("other-topic", "signature.invalid"),       # moved to another recipient's topic
])
def test_a_record_cannot_borrow_another_s_place_in_the_tree(change: str, rule: str) -> None:
    from govbus.core.signing import LEAF_HEADER, PROOF_HEADER, sign_deliveries

    items = batch(6)
    signed = sign_deliveries(BUS, items)
    item, headers = items[2], dict(signed[2])
    topic, value = item.topic, item.value
    if change == "value":
        value = items[3].value
    elif change == "leaf":
        headers[LEAF_HEADER] = b"3"
    elif change == "proof-byte":
        headers[PROOF_HEADER] = bytes([headers[PROOF_HEADER][0] ^ 1]) + headers[PROOF_HEADER][1:]
    elif change == "proof-short":
        headers[PROOF_HEADER] = headers[PROOF_HEADER][:-1]
    elif change == "leaf-text":
        headers[LEAF_HEADER] = b"two"
    elif change == "leaf-beyond":
        headers[LEAF_HEADER] = b"10"
    elif change == "no-proof":
        del headers[PROOF_HEADER]
    elif change == "other-topic":
        topic = "shared.urban_350102.hotline.work_order"
    verdict = verify_delivery({BUS.key_id: BUS.public_key}, topic, item.key, value, headers)
    assert isinstance(verdict, Fault) and verdict.rule == rule


def test_a_verified_tree_is_not_verified_again() -> None:
    from govbus.core.signing import sign_deliveries

    items = batch(4)
    cache: set = set()
    keys = {BUS.key_id: BUS.public_key}
    for item, headers in zip(items, sign_deliveries(BUS, items), strict=True):
        assert isinstance(verify_delivery(keys, item.topic, item.key, item.value, headers, cache), Ok)
    assert len(cache) == 1
    forged = dict(sign_deliveries(OTHER, items[:1])[0]) | {KEY_ID_HEADER: BUS.key_id.encode()}
    assert isinstance(verify_delivery(keys, items[0].topic, items[0].key, items[0].value, forged, cache), Fault)


# --- the compiled signer (native/src/merkle.rs) against the Python reference ---------------------

def mixed_batch(n: int) -> list:
    """Deliveries over three topics and two agreements: keys null and not, versions int and str,
    values of every length class (empty, short, > 64 KiB)."""
    topics = (TOPIC, "shared.urban_350102.hotline.work_order", "shared.健康_350100.health.visit")
    values = (b"", VALUE, bytes(range(256)) * 300)
    return [(topics[i % 3], None if i % 4 == 0 else f"WO-{i}".encode(), values[i % 3] + bytes([i % 256]),
             (AGREEMENT, "agr-协议")[i % 2], (VERSION, "12")[i % 2]) for i in range(n)]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 33, 500])
def test_the_compiled_signer_writes_the_reference_s_headers_byte_for_byte(size: int) -> None:
    import govbus_native

    from govbus.core.signing import sign_deliveries, sign_deliveries_python

    assert govbus_native.sign_deliveries  # CI builds the extension: the compiled path is tested
    items = mixed_batch(size)
    # Ed25519 signatures are deterministic: equal trees give equal headers.
    assert sign_deliveries(BUS, items) == sign_deliveries_python(BUS, items)


def test_a_bytes_like_key_the_compiled_signer_does_not_take_goes_to_the_reference() -> None:
    from govbus.core.signing import sign_deliveries, sign_deliveries_python

    items = [(TOPIC, bytearray(KEY), VALUE, AGREEMENT, VERSION)]
    assert sign_deliveries(BUS, items) == sign_deliveries_python(BUS, [(TOPIC, KEY, VALUE, AGREEMENT, VERSION)])

"""Signed deliveries: Ed25519 over what the bus delivered, verifiable by anyone with the public key.

The processor signs every record it writes to ``shared.<recipient>.<dataset>``. What a record's
signature covers is ``signed_bytes``: a canonical encoding of the topic name, the key bytes, the
value bytes, the agreement id and the agreement version, each part as a 4-byte big-endian length
followed by its bytes, after a fixed domain tag, so that no two different deliveries encode alike
(a byte moved from the key to the value changes both lengths). A null key signs as an empty one.

Signing is batched (``sign_deliveries``): one Ed25519 signature per topic per processor batch,
over the root of a Merkle tree (SHA-256) whose leaves are the records' ``signed_bytes``; each
record carries the signature, its leaf index and the sibling hashes up to the root, so it
verifies alone. One signature a record cost about a quarter of the processor's throughput
(docs/capacity.md); a tree costs a few hashes a record. Leaves, inner nodes and padding are
hashed with distinct prefixes (0, 1, 2), so no inner node passes for a leaf; a tree spans one
topic only, so the sibling hashes a recipient sees are of its own records.

Headers of a signed record: ``govbus-signature`` (64 raw bytes, over ``govbus-batch-v1`` + root),
``govbus-key-id`` (``key_id``: the first 16 hex digits of the SHA-256 of the raw 32-byte public
key), ``govbus-agreement-id``, ``govbus-agreement-version``, ``govbus-leaf`` (the leaf index,
decimal) and ``govbus-proof`` (the sibling hashes, 32 bytes each, leaf level first; empty for a
tree of one). The public keys are published on the compacted ``bus.keys`` topic (``key_record``;
key = key id), old ones with their retirement time, so a record signed before a rotation still
verifies.

Everything here is pure: keys in, bytes or Ok/Fault out (``verify_delivery`` never raises).
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govbus.core.result import Fault, Ok

try:  # the compiled signer (native/src/merkle.rs); without it, the Python reference below
    import govbus_native
except ImportError:  # pragma: no cover - a checkout without the native extension built
    govbus_native = None

DOMAIN = b"govbus-delivery-v1"
ALGORITHM = "Ed25519"
SIGNATURE_HEADER = "govbus-signature"
KEY_ID_HEADER = "govbus-key-id"
AGREEMENT_ID_HEADER = "govbus-agreement-id"
AGREEMENT_VERSION_HEADER = "govbus-agreement-version"
LEAF_HEADER = "govbus-leaf"
PROOF_HEADER = "govbus-proof"
BATCH_DOMAIN = b"govbus-batch-v1"
HASH_BYTES = 32
# Most verified (key id, root, signature) a cache keeps: one per topic per processor batch.
VERIFIED_CACHE_LIMIT = 100_000
REASON = "bad_signature"
# Headers as confluent-kafka gives them (a list of pairs; a dict where a client built one).
Headers = Iterable[tuple[str, Any]] | Mapping[str, Any] | None
SIGNATURE_BYTES = 64


def _part(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def signed_bytes(topic: str, key: bytes | None, value: bytes | None, agreement_id: str,
                 agreement_version: int | str) -> bytes:
    """What a delivery's signature covers (see the module's docstring)."""
    return DOMAIN + b"".join(_part(p) for p in (topic.encode(), key or b"", value or b"",
                                                  agreement_id.encode(), str(agreement_version).encode()))


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's name on the bus: derived from the key itself, so nobody chooses it."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    """The processor's private key and its id (computed once: the hot path signs with it)."""

    private_key: Ed25519PrivateKey
    key_id: str

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        return cls(private_key, key_id(private_key.public_key()))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def new_private_key_pem() -> bytes:
    """A fresh Ed25519 private key as unencrypted PKCS#8 PEM (the file is the secret: mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def load_signing_key(pem: bytes) -> Ok[SigningKey] | Fault:
    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        return Fault("bad_signing_key", "signing.key_file", f"not a PEM private key: {exc}")
    if not isinstance(private_key, Ed25519PrivateKey):
        return Fault("bad_signing_key", "signing.key_file", f"not an Ed25519 key ({type(private_key).__name__})")
    return Ok(SigningKey.of(private_key))


class Signable(NamedTuple):
    """One delivery as the processor signs it (a tuple: the hot path makes one per delivery)."""

    topic: str
    key: bytes | None
    value: bytes
    agreement_id: str
    agreement_version: int | str

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.topic, self.key, self.value, self.agreement_id, self.agreement_version)


# What ``sign_deliveries`` reads of each delivery, in Signable's order: a Signable, or the plain
# tuple the processor builds (a third of a Signable's cost, three a record).
DeliveryParts = tuple[str, bytes | None, bytes, str, int | str]
_EMPTY = hashlib.sha256(b"\x02").digest()


def leaf_hash(signed: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + signed).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree over ``leaves`` (padded to a power of two), leaves first, root last."""
    size = 1
    while size < len(leaves):
        size *= 2
    level = leaves + [_EMPTY] * (size - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def all_proofs(levels: list[list[bytes]]) -> list[bytes]:
    """The proof of every leaf (sibling hashes, leaf level first), built from the root down so
    that each node's proof is its sibling plus its parent's: two concatenations a node."""
    proofs = [b""]
    for level in reversed(levels[:-1]):
        proofs = [level[i ^ 1] + proofs[i >> 1] for i in range(len(level))]
    return proofs


def root_of(leaf: bytes, index: int, proof: bytes) -> bytes | None:
    """The root ``proof`` leads to from ``leaf`` at ``index``; None for a proof of no tree."""
    if len(proof) % HASH_BYTES or index < 0:
        return None
    node = leaf
    for start in range(0, len(proof), HASH_BYTES):
        sibling = proof[start:start + HASH_BYTES]
        node = _node(sibling, node) if index & 1 else _node(node, sibling)
        index >>= 1
    return node if index == 0 else None


def _agreement_parts(item: DeliveryParts, cache: dict) -> tuple[bytes, tuple[str, bytes], tuple[str, bytes]]:
    """(encoded suffix of the signed bytes, agreement id header, version header), once an agreement."""
    agreement = item[3:]
    found = cache.get(agreement)
    if found is None:
        aid, version = agreement[0].encode(), str(agreement[1]).encode()
        found = cache[agreement] = (_part(aid) + _part(version), (AGREEMENT_ID_HEADER, aid),
                                    (AGREEMENT_VERSION_HEADER, version))
    return found


def _leaves(items: Sequence[DeliveryParts], positions: list[int], suffixes: list[bytes]) -> list[bytes]:
    """``leaf_hash(signed_bytes)`` of each item at ``positions`` (all of one topic), hashing the
    parts in place: the topic's prefix is hashed once, each agreement's ``suffixes`` encoded once."""
    prefix = hashlib.sha256(b"\x00" + DOMAIN + _part(items[positions[0]][0].encode()))
    leaves = []
    for n, suffix in zip(positions, suffixes, strict=True):
        _topic, key, value, _aid, _version = items[n]
        key, value = key or b"", value or b""
        digest = prefix.copy()
        digest.update(b"".join((len(key).to_bytes(4, "big"), key, len(value).to_bytes(4, "big"), value, suffix)))
        leaves.append(digest.digest())
    return leaves


def _by_topic(items: Sequence[DeliveryParts]) -> list[list[int]]:
    """The positions of ``items`` on each topic, in order."""
    by_topic: dict[str, list[int]] = {}
    for n, item in enumerate(items):
        positions = by_topic.get(item[0])  # the topic
        if positions is None:
            positions = by_topic[item[0]] = []
        positions.append(n)
    return list(by_topic.values())


def sign_deliveries(signing_key: SigningKey, items: Sequence[DeliveryParts]) -> list[list[tuple[str, bytes]]]:
    """The signature headers of each of ``items`` (Signables or their plain tuples), in order:
    one signature per topic. Compiled (``govbus_native``, the same bytes: half the cost of a
    batch) where it is installed and the items are of the plain types, else the reference."""
    if govbus_native is not None:
        try:
            return govbus_native.sign_deliveries(items, signing_key.private_key.sign, signing_key.key_id.encode(),
                                                 DOMAIN, BATCH_DOMAIN, _HEADER_NAMES)
        except TypeError:  # a key or value of another bytes-like type: the reference takes it
            pass
    return sign_deliveries_python(signing_key, items)


# The order of a signed delivery's headers (the compiled signer is handed the names).
_HEADER_NAMES = (SIGNATURE_HEADER, KEY_ID_HEADER, AGREEMENT_ID_HEADER, AGREEMENT_VERSION_HEADER, LEAF_HEADER,
                 PROOF_HEADER)


def sign_deliveries_python(signing_key: SigningKey, items: Sequence[DeliveryParts]) -> list[list[tuple[str, bytes]]]:
    """``sign_deliveries`` in Python: the reference the compiled signer is tested against."""
    headers: list[list[tuple[str, bytes]]] = [[] for _ in items]
    kid = (KEY_ID_HEADER, signing_key.key_id.encode())
    cache: dict = {}
    for positions in _by_topic(items):
        parts = [_agreement_parts(items[n], cache) for n in positions]
        levels = merkle_levels(_leaves(items, positions, [suffix for suffix, _aid, _version in parts]))
        signature = (SIGNATURE_HEADER, signing_key.private_key.sign(BATCH_DOMAIN + levels[-1][0]))
        proofs = all_proofs(levels)
        for index, (n, (_suffix, aid, version)) in enumerate(zip(positions, parts, strict=True)):
            headers[n] = [signature, kid, aid, version, (LEAF_HEADER, str(index).encode()),
                          (PROOF_HEADER, proofs[index])]
    return headers


def signature_headers(signing_key: SigningKey, topic: str, key: bytes | None, value: bytes,
                      agreement_id: str, agreement_version: int | str) -> list[tuple[str, bytes]]:
    """The headers of one delivery signed alone (a tree of one leaf: an empty proof)."""
    return sign_deliveries(signing_key, [Signable(topic, key, value, agreement_id, agreement_version)])[0]


def header_value(headers: Headers, name: str) -> bytes | None:
    """The last ``name`` header's value (None when absent)."""
    return _header_map(headers).get(name)


def _header_map(headers: Headers) -> dict[str, bytes]:
    """The last value of each header, as bytes (confluent-kafka gives bytes or None; tests str)."""
    found: dict[str, bytes] = {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in pairs:
        found[name] = value.encode() if isinstance(value, str) else (value or b"")
    return found


def _bad(rule: str, message: str, header: str) -> Fault:
    return Fault(REASON, rule, message, f"headers.{header}")


def verify_delivery(keys: Mapping[str, Ed25519PublicKey], topic: str, key: bytes | None, value: bytes | None,
                    headers: Headers, verified: set[tuple[str, bytes, bytes]] | None = None) -> Ok[str] | Fault:
    """Ok(key id) when the record's signature is the bus's over exactly these bytes, else a
    ``bad_signature`` fault naming the rule (missing, malformed, unknown key, invalid) and the
    header it is about. ``verified``: (key id, root, signature) already checked, so that the
    records of one tree cost one Ed25519 verification between them (the caller bounds it)."""
    found = _header_map(headers)
    for name in (SIGNATURE_HEADER, KEY_ID_HEADER, AGREEMENT_ID_HEADER, AGREEMENT_VERSION_HEADER, LEAF_HEADER):
        if not found.get(name):
            return _bad("signature.missing", f"the record has no {name} header: the bus did not sign it", name)
    if PROOF_HEADER not in found:
        return _bad("signature.missing", f"the record has no {PROOF_HEADER} header", PROOF_HEADER)
    signature, kid = found[SIGNATURE_HEADER], found[KEY_ID_HEADER].decode(errors="replace")
    if len(signature) != SIGNATURE_BYTES:
        return _bad("signature.malformed", f"{SIGNATURE_HEADER} holds {len(signature)} bytes, not 64",
                    SIGNATURE_HEADER)
    public_key = keys.get(kid)
    if public_key is None:
        return _bad("signature.unknown_key", f"key id {kid!r} is not published on bus.keys", KEY_ID_HEADER)
    try:
        leaf = leaf_hash(signed_bytes(topic, key, value, found[AGREEMENT_ID_HEADER].decode(),
                                      found[AGREEMENT_VERSION_HEADER].decode()))
        root = root_of(leaf, int(found[LEAF_HEADER]), found[PROOF_HEADER])
    except (UnicodeDecodeError, ValueError):
        root = None
    if root is None:
        return _bad("signature.malformed", f"{LEAF_HEADER}/{PROOF_HEADER} are not a Merkle path", PROOF_HEADER)
    if verified is not None and (kid, root, signature) in verified:
        return Ok(kid)
    try:
        public_key.verify(signature, BATCH_DOMAIN + root)
    except InvalidSignature:
        return _bad("signature.invalid", f"the signature does not match the record's topic, key, value and "
                    f"agreement (key {kid})", SIGNATURE_HEADER)
    if verified is not None:
        if len(verified) >= VERIFIED_CACHE_LIMIT:
            verified.clear()
        verified.add((kid, root, signature))
    return Ok(kid)


# --- bus.keys ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedKey:
    """One record of ``bus.keys``: a public key, when it was made and when (if) it was retired.
    A retired key signs nothing new but still verifies what it signed."""

    key_id: str
    public_key: Ed25519PublicKey
    created: str
    retired: str | None = None

    def pem(self) -> str:
        return self.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def as_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "algorithm": ALGORITHM,
                "public_key": base64.b64encode(raw_public_key(self.public_key)).decode(),
                "public_key_pem": self.pem(), "created": self.created, "retired": self.retired}


def published(public_key: Ed25519PublicKey, created: datetime, retired: datetime | None = None) -> PublishedKey:
    return PublishedKey(key_id(public_key), public_key, created.isoformat(),
                        retired.isoformat() if retired is not None else None)


def key_record(key: PublishedKey) -> tuple[bytes, bytes]:
    """(Kafka key, value) of ``key``'s record on ``bus.keys``."""
    return key.key_id.encode(), json.dumps(key.as_json(), sort_keys=True).encode()


def parse_key_record(record_key: bytes | None, value: bytes | None) -> Ok[PublishedKey] | Fault:
    """A ``bus.keys`` record read back; a fault for anything that is not one (its key id must be
    the one derived from its public key: a record cannot rename a key)."""
    try:
        body = json.loads(value or b"")
        if body.get("algorithm") != ALGORITHM:
            return Fault("bad_key_record", "keys.algorithm", f"algorithm {body.get('algorithm')!r} is not {ALGORITHM}")
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"], validate=True))
        created, retired = str(body["created"]), body.get("retired")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return Fault("bad_key_record", "keys.value", f"not a bus.keys record: {exc}")
    kid = key_id(public_key)
    if (record_key or b"").decode(errors="replace") != kid or body.get("key_id") != kid:
        return Fault("bad_key_record", "keys.key_id", f"record names key {body.get('key_id')!r}, its key is {kid}")
    return Ok(PublishedKey(kid, public_key, created, str(retired) if retired else None))

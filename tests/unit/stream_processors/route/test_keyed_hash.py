"""The compiled HMAC-SHA256 of the pseudonyms (native/src/keyed_hash.rs) is RFC 2104's: the same
hex digest as Python's hmac for keys shorter than, as long as and longer than a block."""
from __future__ import annotations

import hashlib
import hmac
import random

import govbus_native

from stream_processors.route import masking


def test_the_compiled_hmac_is_pythons() -> None:
    rng = random.Random(18)  # noqa: S311 - test data, not a secret
    for key_length in (*range(1, 70), 127, 128, 129, 1000):
        key = rng.randbytes(key_length)
        keyed = govbus_native.KeyedSha256(key)
        for message in (b"", b"v1|GB11643|350104195811237380", rng.randbytes(55), rng.randbytes(64), rng.randbytes(300)):
            assert keyed.hexdigest(message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_pseudonyms_take_the_compiled_hmac() -> None:
    masking._keyed_hexdigest.cache_clear()
    hexdigest = masking._keyed_hexdigest(b"k" * 32)
    assert getattr(hexdigest, "__self__", None).__class__ is govbus_native.KeyedSha256
    assert masking.pseudonym(b"k" * 32, "GB11643", "350104195811237380") == \
        "v1:" + hmac.new(b"k" * 32, b"v1|GB11643|350104195811237380", hashlib.sha256).hexdigest()

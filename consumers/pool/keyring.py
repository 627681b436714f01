"""What the pool sink knows of the bus's signing keys, and the dead letter of a record that fails.

The sink verifies every record before storing it (govbus.core.signing): a record the bus did not
sign, or whose bytes changed after signing, becomes a ``bad_signature`` sink letter on
``dlq.<dataset>`` with its original bytes, and the sink goes on. The keys come from ``bus.keys``:
read when a batch names a key id the ring does not hold (at most once a batch, before any of its
records is verified, so that the batch's order is kept), which also covers the first batch and a
rotation. A key id nobody published stays unknown: that record is refused.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govbus import __version__
from govbus.core.deadletter import Origin, dead_letter_record
from govbus.core.result import Fault, Ok
from govbus.core.signing import KEY_ID_HEADER, Headers, PublishedKey, header_value, verify_delivery

COMPONENT = "consumers.pool.sink"
STAGE = "sink"


class KeyRing:
    """Public keys by key id, re-read from ``load`` (bus.keys) when a batch names a new one."""

    def __init__(self, load: Callable[[], Mapping[str, PublishedKey]]) -> None:
        self._load = load
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.loads = 0
        # Trees already verified: the records of one processor batch cost one Ed25519 check.
        self.verified: set[tuple[str, bytes, bytes]] = set()

    @classmethod
    def of(cls, keys: Iterable[PublishedKey]) -> KeyRing:
        """A ring that knows ``keys`` and reads nothing (tests, a recipient's own copy)."""
        fixed = {k.key_id: k for k in keys}
        ring = cls(lambda: fixed)
        ring.refresh()
        return ring

    def refresh(self) -> None:
        self.keys = {kid: key.public_key for kid, key in self._load().items()}
        self.loads += 1

    def learn(self, headers_of_batch: Iterable[Headers]) -> None:
        """Re-read the keys once if any record of the batch names a key id not known yet."""
        for headers in headers_of_batch:
            named = header_value(headers, KEY_ID_HEADER)
            if named and named.decode(errors="replace") not in self.keys:
                self.refresh()
                return

    def verify(self, topic: str, key: bytes | None, value: bytes | None,
               headers: Headers) -> Ok[str] | Fault:
        return verify_delivery(self.keys, topic, key, value, headers, self.verified)


def signature_letter(fault: Fault, origin: Origin, dataset: str, recipient: str, now: datetime) -> dict[str, Any]:
    """The ``govbus.bus.DeadLetter`` of a record whose signature failed. The owner is the
    dataset's department by its name, not what the record claims: an unsigned record's
    envelope is exactly what cannot be trusted."""
    letter = dead_letter_record(fault, dataset=dataset, owner=dataset.split(".")[0], origin=origin,
                                processor=COMPONENT, version=__version__, now=now, stage=STAGE)
    return letter | {"recipient": recipient}

"""Safe retries for HTTP ingest: pure parts (no I/O).

How a retry is deduplicated (docs/adapters.md#http-govbus-serve-ingest):
1. Every record's event id is deterministic. A record with a natural key (``order_no`` …) gets
   UUIDv5(dataset, department, key + content digest) already (``versioned_record``); a record
   without one gets UUIDv5(dataset, department, ``Idempotency-Key`` + its index + its content
   digest) when the request carries the header (else a random id: a retry is a new event).
   The processor drops an event id it has seen within ``GOVBUS_DEDUP_HORIZON_SECONDS``
   (stream_processors/clean/dedup.py), so a retry that is published again reaches no pool twice.
2. ``RecentAnswers`` remembers the 202 answers of the last ``capacity`` keys: a retry of an
   acknowledged request gets the same answer and publishes nothing. The same key with another
   body is refused (422): it would otherwise be answered for records it did not send.
Only 202 is remembered: after a 503 or 207 a retry must try again (its records, or some, were
not published); what it publishes twice is dropped by rule 1.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from govbus.core.schemas import DatasetSchema
from producers.sdk.envelope import event_id_for, jsonable, versioned_key

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


def check_key(value: str | None) -> str | None:
    """None when the header is usable (or absent), else why not."""
    if value is None:
        return None
    if not value or len(value) > MAX_KEY_LENGTH or not _PRINTABLE.match(value):
        return f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces"
    return None


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def with_idempotent_id(schema: DatasetSchema, record: dict[str, Any], key: str,
                       index: int) -> dict[str, Any]:
    """``record`` (coerced, envelope included) with an event id derived from the request's
    Idempotency-Key, its index in the request and its content, when it has no natural key."""
    if schema.key_field and record.get(schema.key_field) not in (None, ""):
        return record  # its natural key already makes its id deterministic
    body = {k: v for k, v in record.items() if k != "envelope"}
    content = json.dumps(body, sort_keys=True, ensure_ascii=False, default=jsonable)
    envelope = record["envelope"]
    natural = versioned_key(f"idempotency:{key}#{index}", content.encode("utf-8"), 32)
    event_id = event_id_for(schema.dataset, envelope["source_department"], natural)
    return record | {"envelope": envelope | {"event_id": event_id}}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class KeyReused(ValueError):
    """The key was used for another body."""


class RecentAnswers:
    """The 202 answers of the most recent keys, per (department, dataset, key); bounded."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str, str], tuple[str, Answer]] = OrderedDict()

    def lookup(self, scope: tuple[str, str, str], digest: str) -> Answer | None:
        """The remembered answer; raises KeyReused when the key came with another body."""
        hit = self._answers.get(scope)
        if hit is None:
            return None
        self._answers.move_to_end(scope)
        if hit[0] != digest:
            raise KeyReused(f"{HEADER} {scope[2]!r} was used for another body")
        return hit[1]

    def remember(self, scope: tuple[str, str, str], digest: str, answer: Answer) -> None:
        if answer.status != 202 or self.capacity <= 0:
            return
        self._answers[scope] = (digest, answer)
        self._answers.move_to_end(scope)
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)

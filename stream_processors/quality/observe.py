"""A raw record or a dead letter as the few facts a scorecard needs (pure).

The quality role never keeps a record: ``observe_record`` reduces it to its event id and time,
which required fields it fills, a hash of its business key, and the reference keys it looks up
or offers (IDs only as keyed pseudonyms, stream_processors/route/masking.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govbus.core.deadletter import stage_of
from stream_processors.quality.spec import DatasetQuality, RefKey
from stream_processors.route.masking import pseudonym


@dataclass(frozen=True)
class Observation:
    """One record of a raw topic. ``present``: per required field; ``lookups``: per check, the
    reference key its field holds (None: empty, not checked); ``offers``: keys it provides."""

    dataset: str
    event_id: Any  # hashable: the UUID as fastavro reads it, or its text (compared, never shown)
    event_ms: int
    ingest_ms: int
    present: tuple[bool, ...]
    business_key: Any  # hashable: the key field's value, or a tuple of several
    lookups: tuple[str | None, ...] = ()
    offers: tuple[tuple[RefKey, str], ...] = ()
    decoded: bool = True


@dataclass(frozen=True)
class LetterObservation:
    """One dead letter of a dlq topic: where it was refused and why."""

    dataset: str
    event_ms: int
    stage: str
    reason: str
    rule: str
    field_path: str
    offset: int


def millis(value: Any) -> int:
    """Epoch millis of a timestamp-millis value as fastavro reads it (datetime) or as an int."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(value)


def filled(value: Any) -> bool:
    """Present for sharing: not null, not an empty or blank string, not an empty list."""
    if value is None:
        return False
    if type(value) is str:
        return bool(value) and not value.isspace()
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def reference_key(ref: RefKey, value: Any, key: bytes) -> str | None:
    """The key a value is indexed and looked up by: its keyed pseudonym, or the value itself."""
    if not filled(value):
        return None
    text = str(value)
    return pseudonym(key, ref.domain, text) if ref.pseudonym else text.strip().upper()


def observe_record(quality: DatasetQuality, record: dict[str, Any], ingest_ms: int,
                   pseudonym_key: bytes) -> Observation:
    """The hot path of the role (bench/quality_bench.py): no string building per record."""
    envelope = record.get("envelope") or {}
    event_time = envelope.get("event_time")
    keys = quality.business_key
    return Observation(
        quality.dataset, envelope.get("event_id") or "",
        millis(event_time) if event_time is not None else ingest_ms, ingest_ms,
        tuple([filled(record.get(name)) for name in quality.required]),
        record.get(keys[0]) if len(keys) == 1 else tuple([record.get(name) for name in keys]),
        tuple([reference_key(c.ref, record.get(c.field), pseudonym_key) for c in quality.checks]),
        tuple([(ref, k) for ref in quality.offers
               if (k := reference_key(ref, record.get(ref.field), pseudonym_key)) is not None]))


def undecodable(quality: DatasetQuality, ingest_ms: int) -> Observation:
    """A raw record the role cannot read: counted at its ingest time, nothing present."""
    return Observation(quality.dataset, "", ingest_ms, ingest_ms, (False,) * len(quality.required), None,
                       (None,) * len(quality.checks), decoded=False)


def observe_letter(letter: dict[str, Any], offset: int, event_ms: int) -> LetterObservation:
    """``event_ms``: the refused record's event time where the caller could read it, else when
    the letter was first seen."""
    return LetterObservation(str(letter.get("dataset") or ""), event_ms, stage_of(letter),
                             str(letter.get("reason") or ""), str(letter.get("rule") or ""),
                             str(letter.get("field_path") or ""), offset)

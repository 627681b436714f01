"""Dead-letter records: the original bytes and headers plus why they were refused.

Built here for every role (adapters, processors, sinks), so that a department reads one format
on its ``dlq.<dataset>`` topic. The value is a ``govbus.bus.DeadLetter`` Avro record; the same
facts also travel as ``govbus.*`` headers so that a plain consumer can filter without decoding.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from govbus.core.result import Fault


def load_bus_schema(schemas_dir: Path, full_name: str) -> dict[str, Any]:
    """A bus-owned schema (``schemas/avro/bus/<full.name>.avsc``)."""
    return json.loads((schemas_dir / "bus" / f"{full_name}.avsc").read_text(encoding="utf-8"))


def load_dead_letter_schema(schemas_dir: Path) -> dict[str, Any]:
    return load_bus_schema(schemas_dir, "govbus.bus.DeadLetter")


@dataclass(frozen=True)
class Origin:
    """Where a refused record came from, byte for byte."""

    topic: str
    partition: int = -1
    offset: int = -1
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class PoolPlace:
    """Where a pool refused a record (sink letters only)."""

    recipient: str
    table: str
    column: str = ""


def dead_letter_record(fault: Fault, *, dataset: str, owner: str, origin: Origin, processor: str,
                       version: str, event_id: str | None = None,
                       now: datetime | None = None, stage: str | None = None,
                       pool: PoolPlace | None = None) -> dict[str, Any]:
    """``stage``: adapter, process or sink; ``pool``: the recipient, table and column of a
    record a pool refused."""
    return {
        "dataset": dataset, "owner_department": owner, "reason": fault.reason, "rule": fault.rule,
        "field_path": fault.field, "message": fault.message, "event_id": event_id,
        "source_topic": origin.topic, "source_partition": origin.partition,
        "source_offset": origin.offset, "original_key": origin.key, "original_value": origin.value,
        "original_headers": {k: v or b"" for k, v in origin.headers},
        "processor": processor, "processor_version": version,
        "first_seen": now or datetime.now(timezone.utc), "redrive_count": 0, "stage": stage,
        "recipient": pool.recipient if pool else None, "pool_table": pool.table if pool else None,
        "pool_column": pool.column if pool else None,
    }


def stage_of(letter: dict[str, Any]) -> str:
    """Where a letter was written: its ``stage``, else (older letters) told by its component."""
    if letter.get("stage"):
        return str(letter["stage"])
    component = str(letter.get("processor") or "")
    return {"stream_processors": "process", "producers": "adapter", "consumers": "sink"}.get(
        component.split(".")[0], component)


def dead_letter_headers(fault: Fault, dataset: str, owner: str) -> list[tuple[str, bytes]]:
    return [("govbus.reason", fault.reason.encode()), ("govbus.rule", fault.rule.encode()),
            ("govbus.field", fault.field.encode()), ("govbus.message", fault.message.encode()),
            ("govbus.dataset", dataset.encode()), ("govbus.owner", owner.encode())]


def redrive_headers(letter: dict[str, Any], dlq_offset: int) -> list[tuple[str, bytes]]:
    """The original headers plus a mark of the re-drive (the processor treats it as new input
    and re-applies the rules and agreements in force now)."""
    count = int(letter.get("redrive_count") or 0) + 1
    marks = [("govbus.redrive.count", str(count).encode()),
             ("govbus.redrive.dlq_offset", str(dlq_offset).encode())]
    original = [(k, v) for k, v in (letter.get("original_headers") or {}).items()
                if not k.startswith("govbus.redrive.")]
    return original + marks


def redrivable(letter: dict[str, Any], raw_topic: str) -> Fault | None:
    """Why a letter cannot be re-driven as it is, or None. Only records refused on the raw topic
    carry Avro bytes the processor can read again; rows an adapter refused (source is a file or
    an HTTP request) must be fixed at the source and re-imported."""
    if letter.get("original_value") is None:
        return Fault("no_value", "redrive.value", "the letter holds no original value")
    if stage_of(letter) == "sink":
        return Fault("not_from_raw", "redrive.source",
                     f"refused by the pool of {letter.get('recipient')} (source {letter.get('source_topic')}): "
                     "fix the record at its source and publish it again")
    if letter.get("source_topic") != raw_topic:
        return Fault("not_from_raw", "redrive.source",
                     f"refused by an adapter (source {letter.get('source_topic')}): fix and re-import it")
    return None


def letter_identity(letter: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two letters one: the same stage refused the same input (its topic, partition
    and offset, or for an adapter its source and bytes) for the same recipient and reason.

    Roles write letters at least once: a processor killed before committing reprocesses its
    input and writes the letters of that input again; a sink whose batch transaction did not
    happen after its letters went out does too. Those copies differ only in ``first_seen``, so
    `govbus dlq list | redrive` take each letter once, at its first offset. A re-driven record
    refused again is a new letter (it comes from another offset of the raw topic)."""
    value = letter.get("original_value")
    digest = hashlib.sha256(value).hexdigest() if isinstance(value, bytes) else None
    return (stage_of(letter), letter.get("source_topic"), letter.get("source_partition"),
            letter.get("source_offset"), letter.get("recipient"), letter.get("reason"),
            letter.get("rule"), letter.get("field_path"), letter.get("event_id"), digest)


@dataclass
class DistinctLetters:
    """Letters by their first offset, each once; ``repeats`` counts the copies passed over."""

    repeats: int = 0

    def of(self, letters: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[tuple[int, dict[str, Any]]]:
        seen: set[tuple[Any, ...]] = set()
        for offset, letter in letters:
            identity = letter_identity(letter)
            if "source_topic" not in letter:  # not a letter it could read: shown, never merged
                identity = ("offset", offset)
            if identity in seen:
                self.repeats += 1
                continue
            seen.add(identity)
            yield offset, letter

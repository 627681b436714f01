"""Dead-letter records: the original bytes and headers plus why they were refused.

Built here for every role (adapters, processors, sinks), so that a department reads one format
on its ``dlq.<dataset>`` topic. The value is a ``govbus.bus.DeadLetter`` Avro record; the same
facts also travel as ``govbus.*`` headers so that a plain consumer can filter without decoding.
"""
from __future__ import annotations

import json
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


def dead_letter_record(fault: Fault, *, dataset: str, owner: str, origin: Origin, processor: str,
                       version: str, event_id: str | None = None,
                       now: datetime | None = None) -> dict[str, Any]:
    return {
        "dataset": dataset, "owner_department": owner, "reason": fault.reason, "rule": fault.rule,
        "field_path": fault.field, "message": fault.message, "event_id": event_id,
        "source_topic": origin.topic, "source_partition": origin.partition,
        "source_offset": origin.offset, "original_key": origin.key, "original_value": origin.value,
        "original_headers": {k: v or b"" for k, v in origin.headers},
        "processor": processor, "processor_version": version,
        "first_seen": now or datetime.now(timezone.utc), "redrive_count": 0,
    }


def dead_letter_headers(fault: Fault, dataset: str, owner: str) -> list[tuple[str, bytes]]:
    return [("govbus.reason", fault.reason.encode()), ("govbus.rule", fault.rule.encode()),
            ("govbus.field", fault.field.encode()), ("govbus.message", fault.message.encode()),
            ("govbus.dataset", dataset.encode()), ("govbus.owner", owner.encode())]

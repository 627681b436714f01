"""JSON-lines adapter: one record per line → ``raw.<dataset>``.

A line that is not JSON, or does not fit the dataset's schema, is written with its line number,
field and reason to a reject file beside the input and sent to ``dlq.<dataset>``; the summary
always satisfies read = published + rejected. Keys starting with ``_`` are annotations
(e.g. the generator's ``_dirty`` label) and are not published.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from govbus.core.deadletter import Origin
from govbus.core.records import coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from producers.sdk import Publisher, Source, envelope_for


@dataclass
class ImportSummary:
    read: int = 0
    published: int = 0
    rejected: int = 0


def parse_line(schema: DatasetSchema, line: str, source: Source) -> Ok[dict[str, Any]] | Fault:
    """One JSON line → a record with its envelope, or the fault that stops it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Fault("bad_json", "jsonl.parse", f"not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return Fault("bad_json", "jsonl.parse", "a line must hold one JSON object")
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    # The envelope goes in before coercion, so that its event time (taken from a record field,
    # maybe an ISO string) is coerced and checked with the rest.
    return coerce_record(schema, data | {"envelope": envelope_for(schema, data, source)})


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8-sig") as handle:  # streamed: memory flat in the file's size
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line.rstrip("\n")


def import_jsonl(path: Path, schema: DatasetSchema, source: Source, publisher: Publisher,
                 reject_path: Path | None = None) -> ImportSummary:
    summary = ImportSummary()
    reject_path = reject_path or path.with_name(path.name + ".rejects.jsonl")
    with reject_path.open("w", encoding="utf-8") as rejects:
        for number, line in _lines(path):
            summary.read += 1
            parsed = parse_line(schema, line, source)
            if isinstance(parsed, Fault):
                _reject(rejects, publisher, schema, source, path, number, line, parsed)
                summary.rejected += 1
                continue
            publisher.publish(schema, parsed.value, str(parsed.value.get(schema.key_field, "")))
            summary.published += 1
    publisher.flush()
    return summary


def _reject(rejects: Any, publisher: Publisher, schema: DatasetSchema, source: Source, path: Path,
            number: int, line: str, fault: Fault) -> None:
    rejects.write(json.dumps({"line": number, "field": fault.field, "reason": fault.reason,
                              "rule": fault.rule, "message": fault.message, "raw": line},
                             ensure_ascii=False) + "\n")
    origin = Origin(topic=str(path), offset=number, value=line.encode("utf-8"))
    publisher.publish_reject(schema, fault, origin, source.department)

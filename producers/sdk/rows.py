"""Row conversion, the reference path: records of one dataset from one source → framed
(key, value) pairs for ``raw.<dataset>``, or the Fault that stops them.

This is the bus's own judgement: ``coerce_record`` on the dataset's fields, then the envelope
(``envelope.envelope_for``), then the serde's Avro writer. Every adapter that publishes in bulk
converts through it; faster paths (``producers.files.fast``) are checked against it.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone, tzinfo
from typing import Any

from govbus.core.records import CHINA_STANDARD_TIME, coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import AvroBody
from producers.sdk.envelope import Source, envelope_for

Encoded = tuple[bytes, bytes]


def body_schema(schema: DatasetSchema) -> DatasetSchema:
    """The dataset's own fields without the envelope, which the adapter writes, not the source.
    Named distinctly: compiled coercers are cached by dataset name."""
    body = copy.deepcopy(schema.schema)
    body["fields"] = [f for f in body["fields"] if f["name"] != "envelope"]
    return DatasetSchema(f"{schema.dataset}#body", schema.key_field, body, schema.path)


class RowEncoder:
    """Converts records for one (dataset, source); ``refresh()`` once per batch sets the time of
    the ingest hop (and the event time of datasets that name no event-time field)."""

    def __init__(self, schema: DatasetSchema, source: Source, schema_id: int,
                 naive_tz: tzinfo = CHINA_STANDARD_TIME) -> None:
        self.schema, self.source, self.tz = schema, source, naive_tz
        self.body = body_schema(schema)
        self.body_writer = AvroBody(self.body.parsed)
        self.writer = AvroBody(schema.parsed, schema_id)
        self.frame = self.writer.header
        self.now = datetime.now(timezone.utc)

    def refresh(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(timezone.utc)

    def from_record(self, data: dict[str, Any]) -> Encoded | Fault:
        """The reference path for one record of JSON-ish values (no envelope)."""
        try:
            coerced = coerce_record(self.body, data, naive_tz=self.tz)
        except (OverflowError, ValueError, TypeError, RecursionError) as exc:
            # A value the checks do not expect (a 10**30 time stamp): the row's fault, not ours.
            return Fault("out_of_range", "record.coerce", f"a value cannot be read as its field's "
                                                          f"type ({type(exc).__name__})")
        if isinstance(coerced, Fault):
            return coerced
        body = coerced.value
        try:
            envelope = envelope_for(self.schema, body, self.source, self.now,
                                    body=self.body_writer.write(body))
            value = self.writer.framed({"envelope": envelope, **body})
        except (ValueError, TypeError, OverflowError) as exc:  # a value the checks let through
            return Fault("unencodable", "avro.write", f"record cannot be written as Avro "
                                                      f"({type(exc).__name__})")
        return str(body.get(self.schema.key_field, "")).encode(), value

    def from_json_line(self, line: str) -> Encoded | Fault:
        parsed = parse_json_record(line)
        return parsed if isinstance(parsed, Fault) else self.from_record(parsed.value)


def parse_json_record(line: str) -> Ok[dict[str, Any]] | Fault:
    """One JSON line → the record's fields. Keys starting with ``_`` are annotations (e.g. the
    generator's ``_dirty`` label) and an ``envelope`` is the adapter's to write: both dropped."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Fault("bad_json", "jsonl.parse", f"not valid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:  # the parser recurses per level of nesting
        return Fault("bad_json", "jsonl.depth", "JSON nested too deeply to read")
    if not isinstance(data, dict):
        return Fault("bad_json", "jsonl.parse", "a line must hold one JSON object")
    return Ok(strip_annotations(data))


def strip_annotations(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_") and k != "envelope"}

"""Rows of one dataset from one source → framed (key, value) pairs for ``raw.<dataset>``, or the
Fault that stops them.

The reference path is the bus's own judgement: ``coerce_record`` on the dataset's fields, then
the envelope (``producers.sdk.envelope_for``), then fastavro. Text rows take the fast path
(``textpath.FastTextPath``) where it applies; the first ``CROSS_CHECK_ROWS`` rows of every
import are written both ways and compared, and any difference turns the fast path off for the
rest of that import (with a warning), so a fast-path bug costs speed, never correctness.
"""
from __future__ import annotations

import copy
import io
import json
import logging
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable

import fastavro

from govbus.core.records import CHINA_STANDARD_TIME, coerce_record
from govbus.core.result import Fault, Ok
from govbus.core.schemas import DatasetSchema
from govbus.core.serde import frame
from producers.files.fastpath import Unsupported
from producers.files.textpath import FastTextPath, TextRows
from producers.sdk import Source, envelope_for

log = logging.getLogger(__name__)
CROSS_CHECK_ROWS = 200
Encoded = tuple[bytes, bytes]


def body_schema(schema: DatasetSchema) -> DatasetSchema:
    """The dataset's own fields without the envelope, which the adapter writes, not the source.
    Named distinctly: compiled coercers are cached by dataset name."""
    body = copy.deepcopy(schema.schema)
    body["fields"] = [f for f in body["fields"] if f["name"] != "envelope"]
    return DatasetSchema(f"{schema.dataset}#body", schema.key_field, body, schema.path)


class Pipeline:
    """Converts rows for one (dataset, source); ``refresh()`` once per batch sets the time of
    the ingest hop (and the event time of datasets that name no event-time field)."""

    def __init__(self, schema: DatasetSchema, source: Source, schema_id: int,
                 naive_tz: tzinfo = CHINA_STANDARD_TIME) -> None:
        self.schema, self.source, self.tz = schema, source, naive_tz
        self.body = body_schema(schema)
        self.frame = frame(schema_id, b"")
        self.now = datetime.now(timezone.utc)
        self._fast: list[FastTextPath] = []

    def refresh(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(timezone.utc)
        for fast in self._fast:
            fast.envelope.refresh(self.now)

    def from_record(self, data: dict[str, Any]) -> Encoded | Fault:
        """The reference path for one record of JSON-ish values (no envelope)."""
        coerced = coerce_record(self.body, data, naive_tz=self.tz)
        if isinstance(coerced, Fault):
            return coerced
        body = coerced.value
        out = io.BytesIO()
        try:
            fastavro.schemaless_writer(out, self.body.parsed, body)
            record = {"envelope": envelope_for(self.schema, body, self.source, self.now,
                                               body=out.getvalue()), **body}
            out = io.BytesIO()
            fastavro.schemaless_writer(out, self.schema.parsed, record)
        except (ValueError, TypeError, OverflowError) as exc:  # a value the checks let through
            return Fault("unencodable", "avro.write", f"record cannot be written as Avro "
                                                      f"({type(exc).__name__})")
        return str(body.get(self.schema.key_field, "")).encode(), self.frame + out.getvalue()

    def from_json_line(self, line: str) -> Encoded | Fault:
        parsed = parse_json_record(line)
        return parsed if isinstance(parsed, Fault) else self.from_record(parsed.value)

    def text_converter(self, rows: TextRows) -> Callable[[list[Any]], Encoded | Fault]:
        """The function that converts one text row (a list of cells) of this file."""
        return self.converter(rows).convert

    def converter(self, rows: TextRows) -> "TextConverter":
        return TextConverter(self, rows, self._fast_path(rows))

    def _fast_path(self, rows: TextRows) -> FastTextPath | None:
        try:
            fast = FastTextPath(self.schema, rows, self.source, self.frame, self.tz)
            fast.envelope.self_check(self.now)
        except Unsupported as why:
            log.info("%s: rows take the reference path (%s)", self.schema.dataset, why)
            return None
        fast.envelope.refresh(self.now)
        self._fast.append(fast)
        return fast


class TextConverter:
    def __init__(self, pipeline: Pipeline, rows: TextRows, fast: FastTextPath | None) -> None:
        self.pipeline, self.rows, self.fast = pipeline, rows, fast
        self.width, self.checks_left = rows.plan.width, CROSS_CHECK_ROWS

    def convert(self, row: list[Any]) -> Encoded | Fault:
        if len(row) != self.width:
            return Fault("bad_row", "file.columns", f"row has {len(row)} cells but the header "
                                                    f"has {self.width}")
        out = self.fast.encode(row) if self.fast is not None else None
        if out is None:
            return self.pipeline.from_record(self.rows.record(row))
        if self.checks_left:
            self.checks_left -= 1
            reference = self.pipeline.from_record(self.rows.record(row))
            if reference != out:
                log.warning("%s: fast path differs from the reference path; turned off",
                            self.pipeline.schema.dataset)
                self.fast = None
                return reference
        return out


def parse_json_record(line: str) -> Ok[dict[str, Any]] | Fault:
    """One JSON line → the record's fields. Keys starting with ``_`` are annotations (e.g. the
    generator's ``_dirty`` label) and an ``envelope`` is the adapter's to write: both dropped."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Fault("bad_json", "jsonl.parse", f"not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(data, dict):
        return Fault("bad_json", "jsonl.parse", "a line must hold one JSON object")
    return Ok(strip_annotations(data))


def strip_annotations(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_") and k != "envelope"}

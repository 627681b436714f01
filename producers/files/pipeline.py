"""Rows of one file → framed (key, value) pairs for ``raw.<dataset>``, or the Fault that stops
them: the kit's reference path (``producers.sdk.rows.RowEncoder``) with the fast paths of
``producers.files.fast`` in front of it.

Text rows take the fast path (``fast.text.FastTextPath``) where it applies; the first
``CROSS_CHECK_ROWS`` rows of every import are written both ways and compared, and any
difference turns the fast path off for the rest of that import (with a warning), so a fast-path
bug costs speed, never correctness.
"""
from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any, Callable

from govbus.core.records import CHINA_STANDARD_TIME
from govbus.core.result import Fault
from govbus.core.schemas import DatasetSchema
from producers.files.fast.cells import Unsupported
from producers.files.fast.text import FastTextPath, TextRows
from producers.sdk.envelope import Source
from producers.sdk.rows import Encoded, RowEncoder

log = logging.getLogger(__name__)
CROSS_CHECK_ROWS = 200


class ImportPipeline(RowEncoder):
    """The reference path of one (dataset, source), and a converter per text file that tries
    the fast path first; ``refresh()`` once per batch moves the fast paths' time along too."""

    def __init__(self, schema: DatasetSchema, source: Source, schema_id: int,
                 naive_tz: tzinfo = CHINA_STANDARD_TIME) -> None:
        super().__init__(schema, source, schema_id, naive_tz)
        self._fast: list[FastTextPath] = []

    def refresh(self, now: datetime | None = None) -> None:
        super().refresh(now)
        for fast in self._fast:
            fast.envelope.refresh(self.now)

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
    def __init__(self, pipeline: ImportPipeline, rows: TextRows,
                 fast: FastTextPath | None) -> None:
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

"""A CSV import through the compiled reader (``native``): the same summary, reject file, dead
letters and cross-check as ``producers.sdk.bulk.run_import``, with rows arriving in batches already
encoded, and the declined ones as cells for ``TextConverter`` to judge.
"""
from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any, Callable

from govbus.core.result import Fault
from producers.files.encoding import EncodingError
from producers.files.fast.cells import Unsupported
from producers.files.fast.envelope import EnvelopeTemplate
from producers.files.fast.gbtable import gb18030_tables
from producers.files.fast.native import govbus_native, row_plan
from producers.files.pipeline import CROSS_CHECK_ROWS, ImportPipeline, TextConverter
from producers.files.readers import FileFormatError
from producers.sdk import Publisher
from producers.sdk.bulk import BATCH, ImportSummary, Rejects

log = logging.getLogger(__name__)
Row = tuple[int, int, list[str]]  # (position in the batch, line number, cells)


def read_error(path: Path, codec: str, exc: Exception) -> Exception:
    """The extension's read error as the Python reader's (EncodingError, FileFormatError)."""
    if isinstance(exc, govbus_native.FieldLimitError):
        return FileFormatError(f"{path.name} line {exc.args[0]}: a cell longer than "
                               f"{csv.field_size_limit():,} characters (an unclosed quote?)")
    line, reason = exc.args
    return EncodingError(f"{path.name} is not valid {codec} at line {line} ({reason}); name "
                         "the right one with --encoding")


def open_reader(path: Path, codec: str) -> Any:
    """The extension's reader of ``path``, its header record read."""
    tables = gb18030_tables() if codec == "gb18030" else (None, None)
    try:
        reader = govbus_native.CsvImport(str(path), codec, *tables)
    except (govbus_native.DecodeError, govbus_native.FieldLimitError) as exc:
        raise read_error(path, codec, exc) from exc
    if not reader.headers:
        raise FileFormatError(f"{path.name}: empty file, expected a header line")
    return reader


class NativeRun:
    """Batches from the reader → the broker, for one file."""

    def __init__(self, reader: Any, path: Path, codec: str, pipeline: ImportPipeline,
                 publisher: Publisher) -> None:
        self.reader, self.path, self.codec = reader, path, codec
        self.pipeline, self.publisher = pipeline, publisher
        self.compiled = False
        self.envelope: EnvelopeTemplate | None = None

    def compile(self, converter: TextConverter) -> None:
        """Hand the reader the plan of ``converter``'s fast path, if it has one."""
        if converter.fast is None:
            return
        try:
            self.reader.set_plan(row_plan(converter.fast, converter.rows, self.pipeline.tz))
            self.compiled, self.envelope = True, converter.fast.envelope
        except (Unsupported, TypeError, ValueError) as why:
            log.info("%s: rows take the Python path (%s)", self.pipeline.schema.dataset, why)

    def __call__(self, converter: TextConverter, rejects: Rejects,
                 advance: Callable[[int], None]) -> ImportSummary:
        self.compile(converter)
        summary, size, checks = ImportSummary(), CROSS_CHECK_ROWS, CROSS_CHECK_ROWS
        schema, department = self.pipeline.schema, self.pipeline.source.department
        while (batch := self._next(size, checks if self.compiled else 0)) is not None:
            pairs, declined, checked = batch
            kept = self._settle(pairs, declined, checked, converter, rejects)
            summary.read += len(pairs)
            summary.rejected += len(pairs) - len(kept)
            summary.published += self.publisher.publish_encoded(schema, department, kept)
            advance(len(pairs))
            size, checks = BATCH, 0  # the first batch is all cross-checked rows
        self.publisher.flush()
        if summary.read != summary.published + summary.rejected:  # a bug here, not in the data
            raise RuntimeError(f"import lost count: {summary}")
        return summary

    def _next(self, size: int, checks: int) -> tuple[list, list[Row], list[Row]] | None:
        self.pipeline.refresh()
        envelope = self.envelope
        lineage, now = (envelope.lineage, envelope.now_bytes) if envelope else (b"", b"")
        try:
            return self.reader.next_batch(size, lineage, now, checks)
        except (govbus_native.DecodeError, govbus_native.FieldLimitError) as exc:
            raise read_error(self.path, self.codec, exc) from exc

    def _settle(self, pairs: list, declined: list[Row], checked: list[Row],
                converter: TextConverter, rejects: Rejects) -> list:
        """The batch's publishable pairs, in file order: cross-checked rows compared with the
        reference path, declined rows converted (or rejected) by Python."""
        for pos, line, cells in checked:
            if pairs[pos] is not None:
                self._cross_check(pairs, pos, line, cells, converter, rejects)
        for pos, line, cells in declined:
            out = converter.convert(cells)
            if type(out) is tuple:
                pairs[pos] = out
            else:
                assert isinstance(out, Fault)  # convert returns a pair or a Fault
                rejects(line, cells, out)
        if not declined and not checked:
            return pairs
        return [pair for pair in pairs if pair is not None]

    def _cross_check(self, pairs: list, pos: int, line: int, cells: list[str],
                     converter: TextConverter, rejects: Rejects) -> None:
        reference = self.pipeline.from_record(converter.rows.record(cells))
        if reference == pairs[pos]:
            return
        if self.compiled:
            log.warning("%s line %d: compiled path differs from the reference path; turned "
                        "off", self.pipeline.schema.dataset, line)
            self.reader.clear_plan()
            self.compiled = False
        if isinstance(reference, Fault):
            pairs[pos] = None
            rejects(line, cells, reference)
        else:
            pairs[pos] = reference

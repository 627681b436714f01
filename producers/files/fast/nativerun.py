"""A CSV import through the compiled reader (``native``): the same loop (``producers.sdk.bulk.
BulkLoop``: summary, reject file, dead letters, stops and resume line) and cross-check as the
Python reader, with rows arriving in batches already encoded, and the declined ones as cells
for ``TextConverter`` to judge.

Long lines: the compiled reader declines a line longer than its cap (``LineCapError``), or a
cell over its field limit (``FieldLimitError``: 131,072 characters, Python's default), and
everything after it; the Python reader, which rejects an over-long line, allows cells up to the
line cap and reads on, takes over from the line after the last record the compiled reader
handed over. The compiled cap is the least of the import's line cap, the field limit (so that
a cell on one line never meets that limit here) and half the largest record the broker takes
(so that what it encodes itself always fits: a cell's Avro bytes are at most 1.5 times its
GB18030 bytes).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterator

from govbus.core.result import Fault
from producers.files.fast.cells import Unsupported
from producers.files.fast.envelope import EnvelopeTemplate
from producers.files.fast.gbtable import gb18030_tables
from producers.files.fast.native import govbus_native, row_plan
from producers.files.pipeline import CROSS_CHECK_ROWS, ImportPipeline, TextConverter
from producers.files.readers import DamagedFile, Reading, ReadOptions, codec_name, csv_rows
from producers.sdk import Publisher
from producers.sdk.bulk import BATCH, BulkLoop, ImportSummary, Limits, ReadStopped, Rejects

log = logging.getLogger(__name__)
Row = tuple[int, int, list[str]]  # (position in the batch, line number, cells)


# The compiled reader's field limit (native/src/textsource.rs FIELD_LIMIT).
NATIVE_FIELD_LIMIT = 131_072


def read_error(path: Path, codec: str, exc: Exception) -> ReadStopped:
    """The extension's decoding error as the Python reader's."""
    line, reason = exc.args
    return ReadStopped(line, f"{path.name} line {line} is not valid {codec_name(codec)} ({reason}); name "
                             "the right encoding with --encoding, or mend that line")


def native_cap(options: ReadOptions, limits: Limits) -> int:
    return min(options.max_line_bytes, NATIVE_FIELD_LIMIT, limits.max_record_bytes // 2)


class NativeDeclined(Exception):
    """The compiled reader declines the file from its header on: the Python reader reads it."""


def open_reader(path: Path, codec: str, max_line: int = 2**63 - 1) -> Any:
    """The extension's reader of ``path``, its header record read (NativeDeclined for a header
    over its limits)."""
    tables = gb18030_tables() if codec == "gb18030" else (None, None)
    try:
        reader = govbus_native.CsvImport(str(path), codec, *tables, max_line)
    except (govbus_native.LineCapError, govbus_native.FieldLimitError):
        raise NativeDeclined(path.name) from None
    except govbus_native.DecodeError as exc:
        raise DamagedFile(f"{read_error(path, codec, exc).message} (the header)") from None
    if not reader.headers:
        raise DamagedFile(f"{path.name}: empty file, expected a header line")
    return reader


class NativeRun:
    """Batches from the reader → the broker, for one file."""

    def __init__(self, reader: Any, path: Path, codec: str, pipeline: ImportPipeline,
                 publisher: Publisher, reading: Reading = Reading()) -> None:
        self.reader, self.path, self.codec = reader, path, codec
        self.pipeline, self.publisher, self.reading = pipeline, publisher, reading
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
        loop = BulkLoop(self.publisher, self.pipeline.schema, self.pipeline.source.department,
                        rejects, advance, self.reading.limits,
                        self.reading.first_line(self.reader.last_line))
        return loop.guarded(self._batches(converter, rejects, loop))

    def _batches(self, converter: TextConverter, rejects: Rejects,
                 loop: BulkLoop) -> Iterator[None]:
        size, checks = CROSS_CHECK_ROWS, CROSS_CHECK_ROWS
        while True:
            try:
                batch = self._next(size, checks if self.compiled else 0)
            except (govbus_native.LineCapError, govbus_native.FieldLimitError):
                yield from self._python_from_here(converter, loop)
                return
            if batch is None:
                return
            pairs, declined, checked = batch
            kept = self._settle(pairs, declined, checked, converter, rejects)
            loop.send(self.reader.last_line, len(pairs), kept, len(pairs) - len(kept))
            yield
            size, checks = BATCH, 0  # the first batch is all cross-checked rows

    def _python_from_here(self, converter: TextConverter, loop: BulkLoop) -> Iterator[None]:
        """The rest of the file through the Python reader, from the line after the last
        record this reader handed over."""
        options = ReadOptions(self.reading.options.max_line_bytes, self.reader.last_line + 1)
        log.info("%s: a line or cell over %s bytes; the Python reader goes on from line %d",
                 self.path.name, f"{native_cap(self.reading.options, self.reading.limits):,}",
                 options.from_line)
        with csv_rows(self.path, self.codec, options) as source:
            yield from loop.batches(source.rows, converter.convert, self.pipeline.refresh)

    def _next(self, size: int, checks: int) -> tuple[list, list[Row], list[Row]] | None:
        self.pipeline.refresh()
        envelope = self.envelope
        lineage, now = (envelope.lineage, envelope.now_bytes) if envelope else (b"", b"")
        try:
            return self.reader.next_batch(size, lineage, now, checks)
        except govbus_native.DecodeError as exc:
            raise read_error(self.path, self.codec, exc) from None

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

"""One import function per format, each: open streamed → plan → run the shared loop."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from producers.files.encoding import detect_encoding
from producers.files.fast import native
from producers.files.fast.nativerun import NativeDeclined, NativeRun, native_cap, open_reader
from producers.files.fast.text import TextRows
from producers.files.pipeline import ImportPipeline, TextConverter
from producers.files.readers import DamagedFile, Reading, RowSource, csv_rows, jsonl_lines, open_input, xlsx_rows
from producers.sdk import Publisher
from producers.sdk.bulk import (
    BulkLoop,
    ImportStopped,
    ImportSummary,
    Rejects,
    progress_bar,
    reject_file,
    reject_path_for,
)
from producers.sdk.mapping import Mapping, MappingError, plan_columns

Run = Callable[[TextConverter, Rejects, Callable[[int], None]], ImportSummary]


def _plan(pipeline: ImportPipeline, mapping: Mapping, file_headers: list[str],
          path: Path) -> TextRows:
    try:
        plan = plan_columns(pipeline.schema, mapping, file_headers)
    except MappingError as exc:
        raise DamagedFile(f"{path.name}: its header does not fit {pipeline.schema.dataset}: "
                          f"{'; '.join(exc.problems)} (a --mapping names other headers)") from None
    return TextRows(pipeline.schema, plan, mapping)


def _import_text(path: Path, file_headers: list[str], pipeline: ImportPipeline,
                 publisher: Publisher, mapping: Mapping, headers: tuple[tuple[str, bytes], ...],
                 progress: bool, run: Run, reading: Reading) -> ImportSummary:
    """Plan the columns, open the reject file and progress bar, and ``run`` the loop (Python or
    compiled) with this file's converter."""
    rows = _plan(pipeline, mapping, file_headers, path)
    columns = rows.plan.headers

    def describe(row: list[Any]) -> dict[str, Any]:  # the row as its header names it
        return dict(zip(columns, row, strict=True)) if len(row) == len(columns) else {"cells": row}

    converter = pipeline.converter(rows)
    out = reject_path_for(path)
    with reject_file(out, append=reading.resuming) as handle, \
            progress_bar(path.name, progress) as advance:
        rejects = Rejects(handle, publisher, pipeline.schema, pipeline.source.department,
                          str(path), describe, headers, reading.limits)
        with _naming_rejects(out):
            summary = run(converter, rejects, advance)
    summary.reject_path = out
    return summary


@contextmanager
def _naming_rejects(path: Path) -> Iterator[None]:
    """An import that stops part-way says where its rejects are too."""
    try:
        yield
    except ImportStopped as stop:
        stop.summary.reject_path = path
        raise


def _python_loop(source: RowSource, pipeline: ImportPipeline, publisher: Publisher,
                 reading: Reading) -> Run:
    def run(converter: TextConverter, rejects: Rejects,
            advance: Callable[[int], None]) -> ImportSummary:
        loop = BulkLoop(publisher, pipeline.schema, pipeline.source.department, rejects,
                        advance, reading.limits, reading.first_line(source.header_lines))
        return loop.run(source.rows, converter.convert, pipeline.refresh)
    return run


def import_csv(path: Path, pipeline: ImportPipeline, publisher: Publisher,
               mapping: Mapping | None = None, encoding: str | None = None,
               progress: bool = True, compiled: bool = True,
               reading: Reading = Reading()) -> ImportSummary:
    """A CSV file in UTF-8 or GBK/GB18030 (detected unless ``encoding`` is given), read by the
    compiled reader where it is installed, unless ``compiled`` is False or the import resumes
    (``--from-line``: the Python reader skips to the line)."""
    with open_input(path):  # the one-line reasons for a missing or unreadable file
        pass
    codec = detect_encoding(path, encoding)
    headers = (("govbus.source.encoding", codec.encode()),)
    if compiled and native.available(codec) and not reading.resuming:
        try:
            reader = open_reader(path, codec, native_cap(reading.options, reading.limits))
        except NativeDeclined:
            reader = None
        if reader is not None:
            native_run = NativeRun(reader, path, codec, pipeline, publisher, reading)
            return _import_text(path, reader.headers, pipeline, publisher, mapping or Mapping(),
                                headers, progress, native_run, reading)
    with csv_rows(path, codec, reading.options) as source:
        return _import_text(path, source.headers, pipeline, publisher, mapping or Mapping(),
                            headers, progress,
                            _python_loop(source, pipeline, publisher, reading), reading)


def import_xlsx(path: Path, pipeline: ImportPipeline, publisher: Publisher,
                mapping: Mapping | None = None, sheet: str | None = None,
                progress: bool = True, reading: Reading = Reading()) -> ImportSummary:
    """The first sheet (or ``sheet``) of an .xlsx workbook, read in openpyxl's streaming mode."""
    with xlsx_rows(path, sheet, reading.options) as source:
        return _import_text(path, source.headers, pipeline, publisher, mapping or Mapping(),
                            (), progress, _python_loop(source, pipeline, publisher, reading),
                            reading)


def import_json_lines(path: Path, pipeline: ImportPipeline, publisher: Publisher,
                      progress: bool = True, reject_path: Path | None = None,
                      reading: Reading = Reading()) -> ImportSummary:
    """One JSON object per line, field names as in the schema."""
    out = reject_path or reject_path_for(path)
    with jsonl_lines(path, reading.options) as source, \
            reject_file(out, append=reading.resuming) as handle, \
            progress_bar(path.name, progress) as advance:
        rejects = Rejects(handle, publisher, pipeline.schema, pipeline.source.department,
                          str(path), lambda line: line, limits=reading.limits)
        loop = BulkLoop(publisher, pipeline.schema, pipeline.source.department, rejects,
                        advance, reading.limits, reading.first_line(0))
        with _naming_rejects(out):
            summary = loop.run(source.rows, pipeline.from_json_line, pipeline.refresh)
    summary.reject_path = out
    return summary

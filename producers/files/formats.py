"""One import function per format, each: open streamed → plan → run the shared loop."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from producers.files.encoding import detect_encoding
from producers.files.fast import native
from producers.files.fast.nativerun import NativeRun, open_reader
from producers.files.fast.text import TextRows
from producers.files.pipeline import ImportPipeline, TextConverter
from producers.files.readers import csv_rows, jsonl_lines, xlsx_rows
from producers.sdk import Publisher
from producers.sdk.bulk import ImportSummary, Rejects, progress_bar, reject_file, reject_path_for, run_import
from producers.sdk.mapping import Mapping, plan_columns

Run = Callable[[TextConverter, Rejects, Callable[[int], None]], ImportSummary]


def _import_text(path: Path, file_headers: list[str], pipeline: ImportPipeline,
                 publisher: Publisher, mapping: Mapping, headers: tuple[tuple[str, bytes], ...],
                 progress: bool, run: Run) -> ImportSummary:
    """Plan the columns, open the reject file and progress bar, and ``run`` the loop (Python or
    compiled) with this file's converter."""
    rows = TextRows(pipeline.schema, plan_columns(pipeline.schema, mapping, file_headers),
                    mapping)
    columns = rows.plan.headers

    def describe(row: list[Any]) -> dict[str, Any]:  # the row as its header names it
        return dict(zip(columns, row, strict=True)) if len(row) == len(columns) else {"cells": row}

    converter = pipeline.converter(rows)
    out = reject_path_for(path)
    with reject_file(out) as handle, progress_bar(path.name, progress) as advance:
        rejects = Rejects(handle, publisher, pipeline.schema, pipeline.source.department,
                          str(path), describe, headers)
        summary = run(converter, rejects, advance)
    summary.reject_path = out
    return summary


def _python_loop(rows: Iterable[tuple[int, Any]], pipeline: ImportPipeline,
                 publisher: Publisher) -> Run:
    return lambda converter, rejects, advance: run_import(
        rows, converter.convert, pipeline.refresh, publisher, pipeline.schema,
        pipeline.source.department, rejects, advance)


def import_csv(path: Path, pipeline: ImportPipeline, publisher: Publisher,
               mapping: Mapping | None = None, encoding: str | None = None,
               progress: bool = True, compiled: bool = True) -> ImportSummary:
    """A CSV file in UTF-8 or GBK/GB18030 (detected unless ``encoding`` is given), read by the
    compiled reader where it is installed, unless ``compiled`` is False."""
    codec = detect_encoding(path, encoding)
    headers = (("govbus.source.encoding", codec.encode()),)
    if compiled and native.available(codec):
        native_run = NativeRun(open_reader(path, codec), path, codec, pipeline, publisher)
        return _import_text(path, native_run.reader.headers, pipeline, publisher,
                            mapping or Mapping(), headers, progress, native_run)
    with csv_rows(path, codec) as source:
        return _import_text(path, source.headers, pipeline, publisher, mapping or Mapping(),
                            headers, progress, _python_loop(source.rows, pipeline, publisher))


def import_xlsx(path: Path, pipeline: ImportPipeline, publisher: Publisher,
                mapping: Mapping | None = None, sheet: str | None = None,
                progress: bool = True) -> ImportSummary:
    """The first sheet (or ``sheet``) of an .xlsx workbook, read in openpyxl's streaming mode."""
    with xlsx_rows(path, sheet) as source:
        return _import_text(path, source.headers, pipeline, publisher, mapping or Mapping(),
                            (), progress, _python_loop(source.rows, pipeline, publisher))


def import_json_lines(path: Path, pipeline: ImportPipeline, publisher: Publisher,
                      progress: bool = True, reject_path: Path | None = None) -> ImportSummary:
    """One JSON object per line, field names as in the schema."""
    out = reject_path or reject_path_for(path)
    with jsonl_lines(path) as source, reject_file(out) as handle, \
            progress_bar(path.name, progress) as advance:
        rejects = Rejects(handle, publisher, pipeline.schema, pipeline.source.department,
                          str(path), lambda line: line)
        summary = run_import(source.rows, pipeline.from_json_line, pipeline.refresh, publisher,
                             pipeline.schema, pipeline.source.department, rejects, advance)
    summary.reject_path = out
    return summary

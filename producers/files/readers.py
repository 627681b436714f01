"""Streamed readers: each yields (row number, row) one at a time, so memory stays flat in the
file's size. Row numbers are what a person opening the file sees: the CSV line (the header is
line 1), the spreadsheet row, the JSON line.
"""
from __future__ import annotations

import csv
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, Iterator

from producers.files.encoding import EncodingError
from producers.sdk.mapping import to_text

SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".xlsx": "xlsx"}


class FileFormatError(ValueError):
    """A file the importer cannot read at all (unknown suffix, no header, not JSON lines)."""


def file_kind(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        what = path.suffix or "files without a suffix"
        raise FileFormatError(f"{path.name}: cannot import {what}; use one of "
                              f"{', '.join(sorted(SUFFIXES))}")
    return kind


@dataclass
class RowSource:
    headers: list[str]
    rows: Iterator[tuple[int, Any]]


def _decoding_guard(rows: Iterator[tuple[int, Any]], path: Path,
                    encoding: str) -> Iterator[tuple[int, Any]]:
    """Turn a decoding failure deep in the file into an error naming the file, the place and
    the remedy (rows before it are already published; a re-run deduplicates them)."""
    number = 0
    try:
        for number, row in rows:
            yield number, row
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{path.name} is not valid {encoding} after line {number} "
                            f"({exc.reason}); name the right one with --encoding") from exc


def _csv_records(reader: Any, path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row: one generator, as this runs per row."""
    try:
        for row in reader:
            if row:  # blank lines are not rows: skipping them cannot lose data
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise EncodingError(f"{path.name} is not valid {encoding} after line "
                            f"{reader.line_num} ({exc.reason}); name the right one with "
                            "--encoding") from exc
    except csv.Error as exc:  # the only one the default dialect raises: the field size limit
        raise FileFormatError(f"{path.name} line {reader.line_num}: a cell longer than "
                              f"{csv.field_size_limit():,} characters (an unclosed quote?)") \
            from exc


@contextmanager
def csv_rows(path: Path, encoding: str) -> Iterator[RowSource]:
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            headers = next(reader, None)
        except UnicodeDecodeError as exc:
            raise EncodingError(f"{path.name} is not valid {encoding} ({exc.reason}); name "
                                "the right one with --encoding") from exc
        if not headers:
            raise FileFormatError(f"{path.name}: empty file, expected a header line")
        yield RowSource(headers, _csv_records(reader, path, encoding))


@contextmanager
def jsonl_lines(path: Path) -> Iterator[RowSource]:
    with path.open(encoding="utf-8-sig") as handle:
        numbered = ((n, line.rstrip("\r\n")) for n, line in enumerate(handle, start=1)
                    if line.strip())
        first = next(numbered, None)
        if first is not None and first[1].lstrip().startswith("["):
            raise FileFormatError(f"{path.name} holds a JSON array; give one JSON object per "
                                  "line (JSON lines), which streams")

        def rows() -> Iterator[tuple[int, str]]:
            if first is not None:
                yield first
            yield from numbered
        yield RowSource([], _decoding_guard(rows(), path, "utf-8"))


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 3.0 was typed as 3
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()  # a date cell; reads the same for timestamp fields
    return to_text(value)


@contextmanager
def xlsx_rows(path: Path, sheet: str | None = None) -> Iterator[RowSource]:
    import openpyxl  # noqa: PLC0415 - deliberate: only .xlsx imports pay for loading it

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        values = ws.iter_rows(values_only=True)
        headers = [cell_text(h) or "" for h in next(values, ())]
        if not any(headers):
            raise FileFormatError(f"{path.name}: the first row of the sheet must hold headers")
        yield RowSource(headers, _sheet_rows(values, len(headers)))
    finally:
        book.close()


def _sheet_rows(values: Iterator[tuple[Any, ...]], width: int) -> Iterator[tuple[int, list]]:
    for number, raw in enumerate(values, start=2):
        cells = [cell_text(v) for v in raw]
        if not any(cells):
            continue  # an empty row
        # Sheets often report trailing empty columns; empty cells beyond the header are noise.
        while len(cells) > width and not cells[-1]:
            cells.pop()
        yield number, cells + [None] * (width - len(cells))

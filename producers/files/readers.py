"""Streamed readers: each yields (row number, row) one at a time, so memory stays flat in the
file's size and in its lines' length (``lines.CappedLines``: a line over the cap becomes an
``Unreadable`` row, a reject naming the line, and is never held whole).

Row numbers are what a person opening the file sees: for CSV the physical line (the header is
line 1; a record spanning several lines is numbered by its last), for JSON lines the physical
line, for a spreadsheet the sheet row. ``ReadOptions.from_line`` skips the rows numbered below
it (the header is still read): an import that stopped part-way resumes there.

A file that cannot be read at all is a ``DamagedFile`` (one line, naming the file and what is
wrong); a read that cannot go on past some line is ``ReadStopped`` (the rows before it stand).
"""
from __future__ import annotations

import csv
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, BinaryIO, Iterator
from xml.etree import ElementTree

from govbus.core.result import Fault
from producers.files.lines import (
    PREFIX_BYTES,
    CappedLines,
    Line,
    Oversized,
    ascii_compatible,
    file_chunks,
    recoded_chunks,
)
from producers.sdk.bulk import Limits, ReadStopped, Unreadable
from producers.sdk.mapping import to_text

SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".xlsx": "xlsx"}
# GovbusSettings.import_max_line_bytes's default: librdkafka's message.max.bytes.
MAX_LINE_BYTES = 1_000_000


class FileFormatError(ValueError):
    """A request the importer refuses before reading (unknown suffix, no such file or sheet)."""


class DamagedFile(Exception):
    """A file that cannot be read at all (truncated, garbage, unreadable, undecodable header,
    empty, not the format its name says): one line naming the file and what is wrong."""


@dataclass(frozen=True)
class ReadOptions:
    max_line_bytes: int = MAX_LINE_BYTES
    from_line: int = 1


@dataclass(frozen=True)
class Reading:
    """How one import reads and sends: the line cap and first line, and the loop's limits."""

    options: ReadOptions = field(default_factory=ReadOptions)
    limits: Limits = field(default_factory=Limits)

    @property
    def resuming(self) -> bool:
        return self.options.from_line > 1

    def first_line(self, header_lines: int) -> int:
        """The first line whose rows this run may read: after the header, from --from-line."""
        return max(self.options.from_line, header_lines + 1)


def file_kind(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        what = path.suffix or "files without a suffix"
        raise FileFormatError(f"{path.name}: cannot import {what}; use one of "
                              f"{', '.join(sorted(SUFFIXES))}")
    return kind


def open_input(path: Path) -> BinaryIO:
    """The file opened for reading, or the one-line reason it cannot be."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path} is a directory; give a file") from None
    except PermissionError:
        raise DamagedFile(f"{path}: permission denied (cannot read it)") from None
    except OSError as exc:
        raise DamagedFile(f"{path}: cannot read it ({exc.strerror or exc})") from None


@dataclass
class RowSource:
    headers: list[str]
    rows: Iterator[tuple[int, Any]]
    header_lines: int = 0  # the line (or sheet row) the header ends on; 0: no header


def too_long(line: Oversized, cap: int) -> Unreadable:
    fault = Fault("line_too_long", "import.max_line_bytes",
                  f"line {line.number} is {line.length:,} bytes; an import reads lines of at "
                  f"most {cap:,} bytes (GOVBUS_IMPORT_MAX_LINE_BYTES)")
    return Unreadable(fault, {"length": line.length,
                              "prefix": line.prefix.decode("utf-8", "replace")})


class DecodedLines:
    """A file's lines as text for ``csv.reader`` (one string per physical line, so that its
    ``line_num`` is the physical line); an over-long line is read as a blank line and kept in
    ``oversized`` for the caller to reject. Lines before ``skip_before`` (``--from-line``) are
    read as blank lines without being decoded: a resumed import gets past the line it stopped
    at. (A resume line is where a record starts, so no record is cut.)"""

    def __init__(self, handle: BinaryIO, path: Path, codec: str, cap: int,
                 skip_before: int = 1, reject_undecodable: bool = False) -> None:
        self.path, self.codec, self.cap, self.skip_before = path, codec, cap, skip_before
        # JSON lines are UTF-8 by definition, so a line that is not is one damaged record (a
        # reject); a CSV file in another encoding than it was read as stops (--encoding).
        self.reject_undecodable = reject_undecodable
        self.undecodable_lines: list[tuple[Line, UnicodeDecodeError]] = []
        chunks = file_chunks(handle)
        if ascii_compatible(codec):
            self.lines, self.later = CappedLines(chunks, cap), _without_bom(codec)
        else:  # UTF-16/32: recoded to UTF-8 first, so that lines split on ASCII line breaks
            self.lines, self.later = CappedLines(recoded_chunks(chunks, codec), cap), "utf-8"
        self.oversized: list[Oversized] = []
        self.last = 0  # the last physical line handed over

    def __iter__(self) -> Iterator[str]:
        first = self.codec if ascii_compatible(self.codec) else "utf-8"
        items = iter(self.lines)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise self.undecodable(self.lines.number, exc) from None
            except OSError as exc:
                raise ReadStopped(self.lines.number, f"{self.path.name}: read error "
                                                     f"({exc.strerror or exc})") from None
            self.last = item.number
            yield self._text(item, first if item.number == 1 else self.later)

    def _text(self, item: Line | Oversized, codec: str) -> str:
        if 1 < item.number < self.skip_before:
            return "\n"
        if isinstance(item, Oversized):
            self.oversized.append(item)
            return "\n"
        try:
            return item.data.decode(codec)
        except UnicodeDecodeError as exc:
            if not self.reject_undecodable or item.number == 1:
                raise self.undecodable(item.number, exc) from None
            self.undecodable_lines.append((item, exc))
            return "\n"

    def undecodable(self, line: int, exc: UnicodeDecodeError) -> ReadStopped:
        return ReadStopped(line, f"{self.path.name} line {line} is not valid {codec_name(self.codec)} "
                                 f"({exc.reason}); name the right encoding with --encoding, "
                                 f"or mend that line")


def codec_name(codec: str) -> str:
    """The encoding as a person names it (``utf-8-sig`` is UTF-8 that may open with a BOM)."""
    return _without_bom(codec)


def _without_bom(codec: str) -> str:
    """The codec for lines after the first (a BOM can only open a file)."""
    return {"utf-8-sig": "utf-8"}.get(codec, codec)


def _csv_records(reader: Any, lines: DecodedLines, options: ReadOptions,
                 path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, cells) of each non-blank row; over-long lines as Unreadable rows."""
    while True:
        try:
            row = next(reader, None)
        except csv.Error:  # the only one the default dialect raises: the field size limit
            raise ReadStopped(lines.last, f"{path.name} line {lines.last}: a cell longer than "
                                          f"{csv.field_size_limit():,} characters (an unclosed "
                                          "quote?)") from None
        while lines.oversized:
            line = lines.oversized.pop(0)
            if line.number >= options.from_line:
                yield line.number, too_long(line, options.max_line_bytes)
        if row is None:
            return
        if row and reader.line_num >= options.from_line:  # a blank line is not a row
            yield reader.line_num, row


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """Cells as long as a line may be (csv's limit is process-wide: restored after)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, limit))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


@contextmanager
def csv_rows(path: Path, encoding: str, options: ReadOptions = ReadOptions()) -> Iterator[RowSource]:
    """The rows of a CSV file; a cell may be as long as a line (a longer one is a quoted cell
    running over many lines: ReadStopped, an unclosed quote)."""
    with open_input(path) as handle, _field_limit(options.max_line_bytes):
        lines = DecodedLines(handle, path, encoding, options.max_line_bytes, options.from_line)
        reader = csv.reader(lines)
        try:
            headers = next(reader, None)
        except ReadStopped as stop:
            raise DamagedFile(f"{stop.message} (the header)") from None
        except csv.Error:
            raise DamagedFile(f"{path.name}: the header holds a cell longer than "
                              f"{csv.field_size_limit():,} characters") from None
        if lines.oversized:
            raise DamagedFile(f"{path.name}: the header line is longer than "
                              f"{options.max_line_bytes:,} bytes")
        if not headers:
            raise DamagedFile(f"{path.name}: empty file, expected a header line")
        yield RowSource(headers, _csv_records(reader, lines, options, path), reader.line_num)


def not_utf8(line: Line, exc: UnicodeDecodeError) -> Unreadable:
    fault = Fault("bad_encoding", "jsonl.utf8", f"line {line.number} is not valid UTF-8 "
                                                f"({exc.reason} at byte {exc.start + 1})")
    return Unreadable(fault, {"length": len(line.data),
                              "prefix": line.data[:PREFIX_BYTES].decode("utf-8", "replace")})


def _json_records(lines: DecodedLines, options: ReadOptions) -> Iterator[tuple[int, Any]]:
    for text in lines:
        while lines.oversized:
            line = lines.oversized.pop(0)
            if line.number >= options.from_line:
                yield line.number, too_long(line, options.max_line_bytes)
        while lines.undecodable_lines:
            bad, exc = lines.undecodable_lines.pop(0)
            yield bad.number, not_utf8(bad, exc)
        if text.strip() and lines.last >= options.from_line:
            yield lines.last, text.rstrip("\r\n")


@contextmanager
def jsonl_lines(path: Path, options: ReadOptions = ReadOptions()) -> Iterator[RowSource]:
    with open_input(path) as handle:
        numbered = _json_records(DecodedLines(handle, path, "utf-8-sig", options.max_line_bytes,
                                              options.from_line, reject_undecodable=True), options)
        first, stopped = _first(numbered)
        if stopped is not None and stopped.line <= 1:
            raise DamagedFile(stopped.message)
        if first is None and stopped is None and options.from_line <= 1:
            raise DamagedFile(f"{path.name}: empty file, expected one JSON object per line")
        if first is not None and isinstance(first[1], str) and first[1].lstrip().startswith("["):
            raise DamagedFile(f"{path.name} holds a JSON array; give one JSON object per line "
                              "(JSON lines), which streams")

        def rows() -> Iterator[tuple[int, Any]]:
            if first is not None:
                yield first
            if stopped is not None:
                raise stopped
            yield from numbered
        yield RowSource([], rows())


def _first(rows: Iterator[tuple[int, Any]]) -> tuple[tuple[int, Any] | None, ReadStopped | None]:
    try:
        return next(rows, None), None
    except ReadStopped as stop:
        return None, stop


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 3.0 was typed as 3
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()  # a date cell; reads the same for timestamp fields
    return to_text(value)


# What openpyxl and the zip and XML layers under it raise for a file that is not a whole
# workbook: truncated, garbage, a zip of something else, a damaged part.
WORKBOOK_DAMAGE = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, ValueError, TypeError,
                   IndexError, ElementTree.ParseError, OSError)


def _open_workbook(path: Path) -> Any:
    import openpyxl  # noqa: PLC0415 - deliberate: only .xlsx imports pay for loading it
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    with open_input(path):  # the one-line reasons for a missing or unreadable file
        pass
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (*WORKBOOK_DAMAGE, InvalidFileException) as exc:
        raise DamagedFile(f"{path.name} is not a readable .xlsx workbook (truncated, damaged or "
                          f"another kind of file: {type(exc).__name__})") from None


@contextmanager
def xlsx_rows(path: Path, sheet: str | None = None,
              options: ReadOptions = ReadOptions()) -> Iterator[RowSource]:
    book = _open_workbook(path)
    try:
        if sheet and sheet not in book.sheetnames:
            raise FileFormatError(f"{path.name} has no sheet {sheet!r}; its sheets: "
                                  f"{', '.join(book.sheetnames)}")
        if not book.worksheets:
            raise DamagedFile(f"{path.name} holds no worksheet")
        values = (book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True)
        try:
            headers = [cell_text(h) or "" for h in next(values, ())]
        except WORKBOOK_DAMAGE as exc:
            raise DamagedFile(f"{path.name}: the sheet cannot be read ({type(exc).__name__})") \
                from None
        if not any(headers):
            raise DamagedFile(f"{path.name}: the first row of the sheet must hold headers")
        yield RowSource(headers, _sheet_rows(values, len(headers), path, options), 1)
    finally:
        book.close()


def _sheet_rows(values: Iterator[tuple[Any, ...]], width: int, path: Path,
                options: ReadOptions) -> Iterator[tuple[int, list]]:
    number = 1
    try:
        for number, raw in enumerate(values, start=2):
            if number < options.from_line:
                continue
            cells = [cell_text(v) for v in raw]
            if not any(cells):
                continue  # an empty row
            # Sheets often report trailing empty columns; empty cells beyond the header are noise.
            while len(cells) > width and not cells[-1]:
                cells.pop()
            yield number, cells + [None] * (width - len(cells))
    except WORKBOOK_DAMAGE as exc:
        raise ReadStopped(number + 1, f"{path.name}: the sheet cannot be read past row "
                                      f"{number} ({type(exc).__name__})") from None

"""The capped line reader: physical lines as Python's universal newlines split them, an over-long
line as its number, length and a bounded prefix, whatever the chunk size; memory bounded."""
from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
import random
import tracemalloc

import pytest

from producers.files.lines import (CHUNK_BYTES, PREFIX_BYTES, CappedLines, Line, Oversized, ascii_compatible,
                                   file_chunks, recoded_chunks)


def read(data: bytes, cap: int, chunk: int) -> list:
    return list(CappedLines(file_chunks(io.BytesIO(data), chunk), cap))


@pytest.mark.parametrize(("data", "cap", "expected"), [
    (b"", 5, []),
    (b"a\nbb\r\ncc\rdd", 5, [Line(1, b"a\n"), Line(2, b"bb\r\n"), Line(3, b"cc\r"), Line(4, b"dd")]),
    (b"12345\n123456\n1\n", 5, [Line(1, b"12345\n"), Oversized(2, 6, b"123456\n"), Line(3, b"1\n")]),
    (b"a\n" + b"x" * 50 + b"\r\nok\n", 10, [Line(1, b"a\n"), Oversized(2, 50, b"x" * 50 + b"\r\n"),
                                            Line(3, b"ok\n")]),
    (b"x" * 50 + b"\rok", 10, [Oversized(1, 50, b"x" * 50 + b"\r"), Line(2, b"ok")]),
    (b"\n\n", 0, [Line(1, b"\n"), Line(2, b"\n")]),  # an empty line is never over a cap
    (b"x" * 50, 10, [Oversized(1, 50, b"x" * 50)]),  # the last line, without a line break
])
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_lines_and_oversized_lines(data, cap, expected, chunk):
    got = read(data, cap, chunk)
    # A prefix is kept only up to where the reader noticed the length: compare its start.
    assert [(type(g), g.number, getattr(g, "data", None) or g.length) for g in got] == \
        [(type(e), e.number, getattr(e, "data", None) or e.length) for e in expected]
    for g, e in zip(got, expected):
        if isinstance(g, Oversized):
            assert e.prefix.startswith(g.prefix) and len(g.prefix) <= PREFIX_BYTES


def test_any_chunking_gives_what_splitlines_gives():
    rng = random.Random(13)
    for _ in range(2000):
        data = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randint(0, 40)))
        cap, chunk = rng.randint(0, 6), rng.randint(1, 7)
        expected = []
        for number, line in enumerate(data.splitlines(keepends=True), start=1):
            length = len(line) - (2 if line.endswith(b"\r\n") else line.endswith((b"\r", b"\n")))
            expected.append((number, length) if length > cap else (number, line))
        got = [(x.number, x.length) if isinstance(x, Oversized) else (x.number, x.data)
               for x in read(data, cap, chunk)]
        assert got == expected, (data, cap, chunk)


def _thirty_mb_line():  # a 30 MB line, read as a file is: chunk by chunk
    yield b"a\n"
    for _ in range(120):
        yield b"x" * CHUNK_BYTES
    yield b"\nb\n"


def _read_traced() -> tuple[list, int]:
    """What the reader gives for the 30 MB line, and the peak traced memory (in a child process)."""
    tracemalloc.start()
    got = list(CappedLines(_thirty_mb_line(), 1000))
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return got, peak


def test_an_over_long_line_is_never_held_whole():
    # In a fresh process: tracemalloc beside other threads of the session (leftover probers in
    # zlib, GIL released) crashed the whole session once (CPython 3.11).
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        got, peak = child.submit(_read_traced).result()
    assert [type(x) for x in got] == [Line, Oversized, Line]
    assert got[1].length == 120 * CHUNK_BYTES and got[2] == Line(3, b"b\n")
    assert peak < 4 * CHUNK_BYTES, peak  # a few chunks, never the line


@pytest.mark.parametrize(("codec", "expected"), [
    ("utf-8-sig", True), ("utf-8", True), ("gb18030", True), ("latin-1", True),
    ("utf-16", False), ("utf-32", False), ("no-such-codec", False)])
def test_ascii_compatible(codec, expected):
    assert ascii_compatible(codec) is expected


def test_utf16_is_recoded_and_a_bad_sequence_is_found_on_its_line():
    data = "第一行\n第二行\n".encode("utf-16") + b"\x00\xd8\x41\x00"  # a lone high surrogate
    lines = CappedLines(recoded_chunks(file_chunks(io.BytesIO(data), 5), "utf-16"), 100)
    got = []
    with pytest.raises(UnicodeDecodeError):
        got.extend(lines)
    assert [x.data.decode() for x in got] == ["第一行\n", "第二行\n"] and lines.number == 3

"""Physical lines of a file, read in chunks with a cap on their length, so that memory stays
bounded whatever the file holds (a 1 GB line costs a chunk and the cap, not 1 GB).

A line ends after "\\n", "\\r" or "\\r\\n" (Python's universal newlines, as ``open(newline="")``
and ``csv`` see them). A line longer than the cap (terminator not counted) comes out as
``Oversized``: its number, its length and a bounded prefix; the rest of it is skipped without
being kept. Every other line comes out as ``Line`` with its terminator. Numbers are physical line
numbers from 1, so they are what a person opening the file in an editor sees.

Files in an encoding whose line breaks are not the ASCII bytes (UTF-16, UTF-32) are recoded to
UTF-8 chunk by chunk first (``recoded_chunks``); their cap counts UTF-8 bytes.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import BinaryIO, Generator, Iterable, Iterator

CHUNK_BYTES = 256 * 1024
# What a reject keeps of an over-long line: enough to recognise it, never the line.
PREFIX_BYTES = 200


@dataclass(frozen=True)
class Line:
    number: int
    data: bytes  # with its terminator


@dataclass(frozen=True)
class Oversized:
    number: int
    length: int  # bytes, terminator not counted
    prefix: bytes  # the first PREFIX_BYTES of it


def terminator_length(line: bytes) -> int:
    if line.endswith(b"\r\n"):
        return 2
    return 1 if line.endswith((b"\n", b"\r")) else 0


def file_chunks(handle: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def ascii_compatible(codec: str) -> bool:
    """Whether ``codec`` writes line breaks, commas and quotes as their ASCII bytes (UTF-8,
    GB18030, Latin-1 … but not UTF-16/32), so lines can be split before decoding."""
    try:
        return b'\r\n,"A'.decode(codec) == '\r\n,"A'
    except (UnicodeError, LookupError):
        return False


def recoded_chunks(chunks: Iterable[bytes], codec: str) -> Iterator[bytes]:
    """``chunks`` decoded from ``codec`` and encoded as UTF-8. UnicodeDecodeError is raised
    after the valid part before the bad bytes has been yielded, so a line counter is exact."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    for chunk in chunks:
        try:
            yield decoder.decode(chunk).encode("utf-8")
        except UnicodeDecodeError as exc:
            # The incremental decoder keeps no partial state on error: decode the good part.
            good = codecs.getincrementaldecoder(codec)("strict")
            yield good.decode(exc.object[:exc.start]).encode("utf-8")
            raise
    yield decoder.decode(b"", final=True).encode("utf-8")


class CappedLines:
    """The lines of ``chunks``, each at most ``cap`` bytes or else an ``Oversized``.

    ``number`` is the line being read: after an exception from ``chunks`` (an I/O or decoding
    error), the line it happened on. Holds at most one chunk plus ``cap`` bytes.
    """

    def __init__(self, chunks: Iterable[bytes], cap: int) -> None:
        self.chunks, self.cap, self.number = iter(chunks), cap, 1
        self._carry = b""            # the start of a line not yet ended
        self._skipped: int | None = None  # bytes of an over-long line seen so far
        self._prefix = b""
        self._after_cr = False       # an over-long line ended with "\r" at a chunk's end

    def __iter__(self) -> Iterator[Line | Oversized]:
        for chunk in self.chunks:
            if self._after_cr and chunk.startswith(b"\n"):
                chunk = chunk[1:]  # the "\n" of that line's "\r\n"
            self._after_cr = False
            yield from self._split(chunk)
        if self._skipped is not None:
            yield self._oversized()
        elif self._carry:
            yield self._judged(self._carry)

    def _split(self, chunk: bytes) -> Iterator[Line | Oversized]:
        if self._skipped is not None:
            chunk = yield from self._skip(chunk)
            if not chunk:
                return
        data = self._carry + chunk if self._carry else chunk
        lines = data.splitlines(keepends=True)
        last = lines.pop() if lines else b""
        if last.endswith(b"\r") or not last.endswith((b"\n", b"\r")):
            self._carry = last  # unfinished, or a "\r" whose "\n" may be in the next chunk
        else:
            lines.append(last)
            self._carry = b""
        for line in lines:
            yield self._judged(line)
        if len(self._carry) > self.cap + 1:  # + 1: a "\r" held back is a terminator
            if self._carry.endswith(b"\r"):  # the line has ended; its "\n" may follow
                self._after_cr = True
                yield self._judged(self._carry)
            else:
                self._skipped, self._prefix = len(self._carry), self._carry[:PREFIX_BYTES]
            self._carry = b""

    def _skip(self, chunk: bytes) -> Generator[Line | Oversized, None, bytes]:
        """Drop the over-long line's bytes up to its end; the rest of ``chunk`` is returned."""
        ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
        if not ends:
            assert self._skipped is not None
            self._skipped += len(chunk)
            return b""
        end = min(ends)
        assert self._skipped is not None
        self._skipped += end
        rest = chunk[end + 1:]
        if chunk[end:end + 2] == b"\r\n":
            rest = chunk[end + 2:]
        elif chunk[end] == 13 and end == len(chunk) - 1:
            self._after_cr = True
        yield self._oversized()
        return rest

    def _oversized(self) -> Oversized:
        assert self._skipped is not None
        out = Oversized(self.number, self._skipped, self._prefix)
        self._skipped, self._prefix, self.number = None, b"", self.number + 1
        return out

    def _judged(self, line: bytes) -> Line | Oversized:
        length = len(line) - terminator_length(line)
        out: Line | Oversized = Oversized(self.number, length, line[:PREFIX_BYTES]) \
            if length > self.cap else Line(self.number, line)
        self.number += 1
        return out

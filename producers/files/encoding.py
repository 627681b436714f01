"""Which text encoding a department's CSV export is in.

Chinese government spreadsheets are exported in GBK about as often as in UTF-8, and nobody
says which. A BOM settles it; otherwise a strict UTF-8 decode of the first 64 KiB: GBK text of
any length almost never decodes as UTF-8, while UTF-8 always does. GBK is read as GB18030, its
superset, so the rare characters of names outside GBK (e.g. 𠮷) do not stop an import.
"""
from __future__ import annotations

import codecs
from pathlib import Path

SNIFF_BYTES = 64 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"), (b"\x84\x31\x95\x33", "gb18030"))
# Encodings that GB18030 decodes identically (it is a superset of both).
_GB_SUBSETS = {"gbk", "gb2312"}  # codecs.lookup names; cp936 and euc-cn map here


class EncodingError(ValueError):
    """The named encoding does not exist, or the file is not in the encoding it was read as."""


def normalise_encoding(name: str) -> str:
    """The codec to read a file declared as ``name`` with (``gbk`` → ``gb18030``; a UTF-8 name
    → ``utf-8-sig``, so a BOM is not taken for part of the first header)."""
    try:
        codec = codecs.lookup(name).name
    except LookupError as exc:
        raise EncodingError(f"unknown encoding {name!r}") from exc
    if codec in _GB_SUBSETS or codec == "gb18030":
        return "gb18030"
    return "utf-8-sig" if codec == "utf-8" else codec


def sniff_encoding(head: bytes, complete: bool) -> str:
    """The encoding of a file that starts with ``head`` (``complete``: head is the whole file)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        # Incremental, so a multi-byte character cut at the 64 KiB mark is not an error.
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=complete)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def detect_encoding(path: Path, given: str | None = None) -> str:
    """``given`` (normalised) when the user named one, else what the file's start says."""
    if given:
        return normalise_encoding(given)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES + 1)
    return sniff_encoding(head[:SNIFF_BYTES], complete=len(head) <= SNIFF_BYTES)

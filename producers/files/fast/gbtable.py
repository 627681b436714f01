"""GB18030 decoding tables for the native reader, computed by Python's own "gb18030" codec.

The native CSV reader (native/src/gb18030.rs) must decode exactly as Python does, including
the codec's quirks (e.g. 0xA3A0 -> U+E5E5, 0xA8BF -> U+01F9). Rather than ship a table that
could drift from CPython's, we ask the codec itself for every two-byte pair and every
four-byte BMP sequence; the Rust side only adds the linear supplementary-plane range
(0x90308130.. -> U+10000..), which a test checks against this codec.
"""
from __future__ import annotations

import codecs
import struct
from functools import cache

LEADS = range(0x81, 0xFF)        # two- and four-byte lead bytes
TRAILS = range(0x40, 0xFF)       # two-byte trail bytes (0x30..0x39 start a four-byte sequence)
FOUR_BMP = 39420                 # linear four-byte indexes 0x81308130..0x8431A439 (the BMP)
_HANDLER = "govbus-gbtable"


def _mark_invalid(exc: UnicodeError) -> tuple[str, int]:
    """Decode an invalid unit as U+0000 (no multi-byte unit decodes to it) and skip the whole
    unit, so one bulk decode stays aligned on the fixed-width units we fed it."""
    if not isinstance(exc, UnicodeDecodeError):  # registered for decoding only
        raise exc
    width = 2 if exc.object[exc.start + 1] >= 0x40 else 4
    return "\0", exc.start - (exc.start % width) + width


codecs.register_error(_HANDLER, _mark_invalid)


def _codes(units: bytes, count: int) -> bytes:
    """Little-endian u32 code point of each unit, 0 where Python refuses it."""
    text = units.decode("gb18030", _HANDLER)
    if len(text) != count:  # each unit must decode to exactly one character (or none)
        raise AssertionError(f"gb18030 decoded {count} units to {len(text)} characters")
    return struct.pack(f"<{count}I", *map(ord, text))


def four_byte(index: int) -> bytes:
    """The four-byte GB18030 sequence at linear index ``index`` from 0x81308130."""
    b4, rest = index % 10, index // 10
    b3, rest = rest % 126, rest // 126
    b2, b1 = rest % 10, rest // 10
    return bytes((0x81 + b1, 0x30 + b2, 0x81 + b3, 0x30 + b4))


@cache
def gb18030_tables() -> tuple[bytes, bytes]:
    """(two, four): the tables `Gb18030Table::from_tables` takes (126*191 and 39420 u32s)."""
    two = b"".join(bytes((lead, trail)) for lead in LEADS for trail in TRAILS)
    four = b"".join(four_byte(i) for i in range(FOUR_BMP))
    return _codes(two, len(LEADS) * len(TRAILS)), _codes(four, FOUR_BMP)

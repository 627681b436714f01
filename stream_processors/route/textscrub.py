"""Find and mask personal identifiers inside free text (12345 hotline content, replies, notes).

The ``scrub_text`` and ``scrub_text_strict`` operators now mask with the free-text detector in
stream_processors/route/pii.py (issue 16; which one applies: route/pii_policy.py). The
functions below are the first scrubber (IDs, mobiles and cards in their usual forms), kept as
``scrub_identifiers_v1`` for the benchmark's comparison; the description that follows is theirs.

Callers type IDs, phone numbers and card numbers into free text; a field-level mask cannot
reach them. A regex finds candidates, then the identifier's own rule confirms them (check
character, Luhn, mobile prefix), so ordinary numbers such as order numbers, amounts and dates
stay readable: false positives cost readability, misses cost privacy, and the checks keep
both low.

Boundaries, and why:
- a candidate may not touch another digit, so no substring of a longer number is taken;
- a candidate may not touch a decimal point followed/preceded by a digit (amounts);
- for IDs and cards (which carry a check) letters may touch the number ("身份证号sfz…");
  for mobiles and 15-digit old IDs (no check character) they may not, so that order numbers
  like ``GD13800138000`` stay readable.
Full-width digits count as digits; the matched text keeps its own characters, only the
masked positions change, so offsets in the findings are offsets into the original text.
"""
from __future__ import annotations

import re
from datetime import date

from govbus.core.identifiers import check_resident_id, luhn_ok, normalise_text
from govbus.core.result import Fault

_D = "0-9０-９"              # ASCII and full-width digits
_L = "A-Za-zＡ-Ｚａ-ｚ"        # ASCII and full-width letters
_NO_DIGIT_BEFORE = rf"(?<![{_D}])(?<![{_D}][.．])"
_NO_DIGIT_AFTER = rf"(?![{_D}])(?![.．][{_D}])"
_NO_WORD_BEFORE = rf"{_NO_DIGIT_BEFORE}(?<![{_L}])"
_NO_WORD_AFTER = rf"{_NO_DIGIT_AFTER}(?![{_L}])"

# A trailing X already ends the run, so only a final digit needs the no-digit-after boundary.
_ID18 = re.compile(rf"{_NO_DIGIT_BEFORE}[{_D}]{{17}}(?:[XxＸｘ]|[{_D}]{_NO_DIGIT_AFTER})")
_ID15 = re.compile(rf"{_NO_WORD_BEFORE}[{_D}]{{15}}{_NO_WORD_AFTER}")
# A mobile, bare or grouped 3-4-4 with one consistent separator, optionally after +86/0086.
_MOBILE = re.compile(
    rf"{_NO_WORD_BEFORE}(?P<prefix>(?:[+＋]|[0０]{{2}})[8８][6６][ -]?)?"
    rf"(?P<num>[1１][3-9３-９][{_D}](?:[{_D}]{{8}}|(?P<sep>[ -])[{_D}]{{4}}(?P=sep)[{_D}]{{4}}))"
    rf"{_NO_WORD_AFTER}"
)
# A card, bare (16-19 digits) or printed in groups of 4 with a space or dash, last group 1-4.
_CARD = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:[{_D}]{{16,19}}"
    rf"|[{_D}]{{4}}(?:[ -][{_D}]{{4}}){{3}}(?:[ -][{_D}]{{1,3}})?)"
    rf"{_NO_DIGIT_AFTER}"
)
_CARD_SEPARATORS = re.compile(r"[ -]")
# Issuer prefixes no payment card uses. Numbers starting 20/21 are mostly date-stamped order
# and serial numbers (2024…), and 0, 1, 7, 8 are not card networks; the Luhn check alone
# would still pass one such number in ten.
_NOT_CARD_PREFIXES = ("0", "1", "7", "8", "20", "21")

# When candidates overlap (an 18-digit ID can also pass Luhn), the kind listed first wins.
KINDS = ("resident_id", "mobile", "bank_card")


def _mask_chars(s: str, keep_first: int, keep_last: int) -> str:
    """Mask the digit/letter characters of ``s`` except the first and last ones kept.

    Separators (spaces, dashes) stay where they are, so "6222 0202 …" keeps its grouping.
    """
    positions = [i for i, ch in enumerate(s) if ch.isalnum()]
    hidden = set(positions[keep_first:len(positions) - keep_last])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(s))


def _resident_ids(text: str) -> list[tuple[str, int, int]]:
    """Spans of 18- and 15-character resident IDs that pass prefix, date and check rules."""
    found = []
    for pattern in (_ID18, _ID15):
        for m in pattern.finditer(text):
            # date.max as "today": a future birth date is a cleaning fault, not a reason to
            # leave an ID readable in free text.
            if not isinstance(check_resident_id(m.group(), today=date.max), Fault):
                found.append(("resident_id", m.start(), m.end()))
    return found


def _mobiles(text: str) -> list[tuple[str, int, int]]:
    """Spans of mobile numbers (the +86 prefix is part of the span, and stays visible)."""
    return [("mobile", m.start(), m.end()) for m in _MOBILE.finditer(text)]


def _bank_cards(text: str) -> list[tuple[str, int, int]]:
    """Spans of Luhn-valid card numbers whose issuer prefix is a card network's."""
    found = []
    for m in _CARD.finditer(text):
        digits = _CARD_SEPARATORS.sub("", normalise_text(m.group()))
        if not digits.startswith(_NOT_CARD_PREFIXES) and luhn_ok(digits):
            found.append(("bank_card", m.start(), m.end()))
    return found


def _blank(text: str, spans: list[tuple[str, int, int]]) -> str:
    """``text`` with the spans overwritten by NULs: same offsets, and no digit or letter there.

    Searching mobiles and cards in this text means an ID's trailing X (a letter) does not
    hide a phone number typed right after it ("…002X13800138000").
    """
    chars = list(text)
    for _, start, end in spans:
        chars[start:end] = "\0" * (end - start)
    return "".join(chars)


def scrub_findings(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every identifier scrub_text masks, in text order, no overlaps."""
    ids = _resident_ids(text)
    blanked = _blank(text, ids)
    candidates = ids + _mobiles(blanked) + _bank_cards(blanked)
    candidates.sort(key=lambda f: (f[1], KINDS.index(f[0])))
    findings: list[tuple[str, int, int]] = []
    for kind, start, end in candidates:
        if findings and start < findings[-1][2]:
            continue
        findings.append((kind, start, end))
    return findings


def _masked(kind: str, span: str) -> str:
    """The display form of one finding: ID 6…4 (15-digit 6…3), mobile 3-4-4, card 6…4."""
    if kind == "resident_id":
        # An old 15-digit ID's last 4 would include a birth-date digit; its last 3 are the
        # sequence number, the same part the 18-digit display shows before the check char.
        return _mask_chars(span, 6, 4 if len(span) == 18 else 3)
    if kind == "mobile":
        m = _MOBILE.fullmatch(span)
        assert m is not None  # the span came from _MOBILE
        prefix = m.group("prefix") or ""
        return prefix + _mask_chars(m.group("num"), 3, 4)
    return _mask_chars(span, 6, 4)


def scrub_identifiers_v1(text: str) -> str:
    """The first scrubber: ``text`` with every resident ID, mobile number and bank card number
    masked, nothing else. Kept for bench.scrub_bench's comparison (and its tests)."""
    if not text:
        return text
    parts: list[str] = []
    cursor = 0
    for kind, start, end in scrub_findings(text):
        parts.append(text[cursor:start])
        parts.append(_masked(kind, text[start:end]))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


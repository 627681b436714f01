"""Rule-checked identifiers in Chinese free text: the kinds that have a format or a check.

Every finder takes the *folded* text (``fold``: full-width ASCII mapped to ASCII, one character
for one, so offsets stay offsets into the original) and returns (start, end, kind) triples.

Numbers are read as *chunks*: digit groups joined by single spaces or dashes, as people type
them ("350104 19581123 7380", "151-6338-3683", "0591 8765 4321"). Inside a chunk, runs of whole
groups are tried from the left, longest first, against each kind's rule (GB 11643 check
character and birth date, mobile prefix, area code, Luhn plus issuer prefix), so a space
between a mobile and an ID does not hide either, and no part of a longer number is taken.

Letters may touch a mobile ("A15163383683B" is how numbers get glued into usernames) and an
ID or card (which carry a check); they may not touch a 15-digit old ID or a landline, which
have no check and would otherwise eat the digits of order numbers.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Protocol

from govbus.core.identifiers import PROVINCE_BITS, check_resident_id, luhn_ok
from govbus.core.result import Fault

try:  # the compiled fold and hint (native/src/textfold.rs, texthint.rs); without them, Python's
    from govbus_native import fold as _native_fold
    from govbus_native import may_hold_identifier as _native_hint
except ImportError:  # pragma: no cover - CI builds the extension
    _native_fold = None
    _native_hint = None
try:  # the compiled number finder (native/src/numbers.rs); without it, number_findings_python
    from govbus_native import NumberFinder as _NativeNumbers
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeNumbers = None
try:  # the compiled format finder (native/src/formats.rs); without it, format_findings_python
    from govbus_native import FormatFinder as _NativeFormats
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeFormats = None

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space: one character for one. A list
# indexed by code point (every character up to U+FF5E, most mapped to themselves), not a dict:
# str.translate raises and clears a KeyError for each character missing from a dict, which made
# folding Chinese text twice as slow. Characters past the list's end are left as they are.
_FOLD = list(range(0xFF5F))
for _cp in range(0xFF01, 0xFF5F):
    _FOLD[_cp] = _cp - 0xFEE0
_FOLD[0x3000] = 0x20


_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def fold_python(text: str) -> str:
    """``fold`` in Python: the reference, and the path without the native module."""
    return text.translate(_FOLD) if _FULL_WIDTH.search(text) else text


@lru_cache(maxsize=1)
def bmp_alnum_bits() -> bytes:
    """``str.isalnum`` of every basic-plane code point, one bit each (bit ``cp & 7`` of byte
    ``cp >> 3``): the compiled finders and masks (native/) ask Python's answer, not Rust's, whose
    Unicode properties differ at the edges (combining marks)."""
    bits = bytearray(0x10000 // 8)
    for cp in range(0x10000):
        if chr(cp).isalnum():
            bits[cp >> 3] |= 1 << (cp & 7)
    return bytes(bits)


def fold(text: str) -> str:
    """``text`` with full-width digits, letters and punctuation as ASCII; same length.

    Chinese text nearly always holds full-width punctuation, so nearly every text is translated:
    natively (native/src/textfold.rs, a third of the time), or in Python when the module is
    absent or declines (a lone surrogate is no UTF-8)."""
    if _native_fold is not None:
        folded = _native_fold(text)
        if folded is not None:
            return folded
    return fold_python(text)


# Groups joined by one or two spaces, a dash (long ones too), a dot or a line break ("an ID split
# across a line", "139.1234.5678": a dot only before 3 or more digits, amounts have fewer). A
# dotted run is never a landline: dates and versions are written so. The first digit comes
# before the look-behinds (no digit, nor a digit and a dot, before it): a pattern that starts
# with a character class lets re skip ahead to the next digit instead of trying every position.
_CHUNK = re.compile(
    r"[0-9](?<![0-9]{2})(?<![0-9]\.[0-9])[0-9]*(?:(?: {1,2}|[\-\n—–]|\.(?=[0-9]{3}))[0-9]+)*"
    r"(?:[Xx](?![A-Za-z]))?(?![0-9])(?!\.[0-9])")
_GROUP = re.compile(r"[0-9]+[Xx]?")
_AREA_CODE = re.compile(r"0(?:10|2[0-9]|[3-9][0-9]{2})")
_LANDLINE_LOCAL = re.compile(r"[2-9][0-9]{6,7}")
# A landline needs an area code, or one of these words before it in the same clause (a second
# number after the first: "电话135 1545 5661/26727988").
# The words are handed to the compiled finder too (native/src/numbers.rs): no regex metacharacters.
_PHONE_CUE_WORDS = ("电话", "座机", "固话", "号码", "致电", "拨打", "打", "来电", "回电", "电联",
                    "联系", "找我", "家里", "家中", "宅电", "办公室", "手机", "tel", "Tel", "TEL", "dh", "DH")
_PHONE_CUE = re.compile(
    "(?:" + "|".join(_PHONE_CUE_WORDS) + ")"
    r"(?:[^0-9]{0,6}|[^。，,；;！!？?\n]{0,24}[/、或和 ])$")
# An account, order or invoice number right after its label is no phone, whatever its digits
# (宽带账号0592 + 8 digits, 电费户号, 发票号码).
_ACCOUNT_CUE_WORDS = ("账号", "户号", "账户", "单号", "编号", "发票号码", "发票号", "订单号", "订单", "合同号",
                      "工号", "学号")
_ACCOUNT_CUE = re.compile("(?:" + "|".join(_ACCOUNT_CUE_WORDS) + r")[^0-9]{0,4}$")
_NOT_CARD_PREFIXES = ("0", "1", "7", "8", "20", "21")  # see textscrub: order numbers, not networks
_BRACKETED_LANDLINE = re.compile(
    r"\(0(?:10|2[0-9]|[3-9][0-9]{2})\) ?[2-9][0-9]{2,3}[ \-]?[0-9]{4}(?:-[0-9]{1,4})?(?![0-9])")


def _id_card(digits: str, letter_touching: bool) -> bool:
    if len(digits) == 15 and letter_touching:
        return False
    if len(digits) not in (15, 18):
        return False
    # date.max as "today": a future birth date is a cleaning fault, not a reason to leave an ID
    # readable in free text.
    return not isinstance(check_resident_id(digits, today=date.max), Fault)


def _mobile(digits: str) -> bool:
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789" and digits.isdigit()


def _landline(digits: str, cue: bool) -> bool:
    area = _AREA_CODE.match(digits)
    if area and _LANDLINE_LOCAL.fullmatch(digits, area.end()):
        return True
    # Without an area code a 7-8 digit number (8765-4321 too) is a phone only when the text says so.
    return cue and _LANDLINE_LOCAL.fullmatch(digits) is not None


def _bank_card(digits: str) -> bool:
    return (16 <= len(digits) <= 19 and digits.isdigit() and not digits.startswith(_NOT_CARD_PREFIXES)
            and luhn_ok(digits))


# Two or more capitals glued before a number and nothing after it: an order or case number
# ("GD13800138000"), not a mobile typed into a username ("A15163383683B", "abc15163383683")
# nor one after a phone abbreviation ("TEL19832194293", "dh0871-65123478").
_ORDER_PREFIX = re.compile(r"[A-Z]{2,}$")
_PHONE_LETTER_WORDS = ("tel", "TEL", "Tel", "dh", "DH", "sj", "SJ", "Mob", "MOB", "mob", "phone", "PHONE")
_PHONE_LETTERS = re.compile("(?:" + "|".join(_PHONE_LETTER_WORDS) + ")$")


def _classify(digits: str, letter_touching: bool, cue: Callable[[], bool]) -> str | None:
    """The kind whose rule ``digits`` (separators removed) passes, in order of specificity.
    ``cue`` (whether a phone word comes shortly before) is asked only for a bare 7-8 digit run."""
    length = len(digits)
    if length < 7 or length > 19:  # most digit runs (amounts, dates, counts): nothing to check
        return None
    if length in (15, 18) and _id_card(digits.upper(), letter_touching):
        return "id_card"
    if not digits.isdigit():
        return None
    if _mobile(digits):
        return "mobile"
    if length >= 16 and _bank_card(digits):
        return "bank_card"
    # Letters may touch a landline only where a phone word says it is one ("座机01037654618mail").
    if length <= 12 and (not letter_touching or cue()) and _landline(digits, length > 8 or cue()):
        return "landline"
    return None


def _groups(m: re.Match[str]) -> tuple[list[tuple[int, int]], str, list[int]]:
    """(start, end) in the text of each digit group of the chunk ``m``; the groups' digits run
    together, and where each group starts in that run (so the digits of groups i..j are one
    slice of it, not a join per (i, j) tried)."""
    chunk, offset = m.group(), m.start()
    if chunk.isalnum():  # no separator (most chunks): one group, no regex pass to split it
        return [(offset, m.end())], chunk, [0, len(chunk)]
    groups = [(g.start() + offset, g.end() + offset) for g in _GROUP.finditer(chunk)]
    at = [0]
    for a, b in groups:
        at.append(at[-1] + b - a)
    return groups, "".join(chunk[a - offset:b - offset] for a, b in groups), at


def _chunk_findings(folded: str, m: re.Match[str]) -> list[tuple[int, int, str]]:
    groups, run, at = _groups(m)
    found = []
    i = 0
    while i < len(groups):
        start = groups[i][0]
        before = folded[start - 1] if start else ""
        letter_before = before.isascii() and before.isalpha()

        def cue(start: int = start) -> bool:
            return _PHONE_CUE.search(folded, max(0, start - 32), start) is not None

        for j in range(len(groups) - 1, i - 1, -1):
            if not 7 <= at[j + 1] - at[i] <= 20:  # no rule passes, even without a trailing x: skip the checks
                continue
            end = groups[j][1]
            after = folded[end] if end < len(folded) else ""
            touching = letter_before or after.isascii() and after.isalpha()
            digits = run[at[i]:at[j + 1]]
            kind = _classify(digits, touching, cue)
            if kind is None and digits[-1] in "Xx":  # Tel15150394924x: the x is no check character
                end -= 1
                kind = _classify(digits[:-1], True, cue)
            if kind == "landline" and (letter_before and not _PHONE_LETTERS.search(
                                           folded, max(0, start - 3), start)  # G73764763: a passport's digits
                                       or "." in folded[start:end]
                                       or _ACCOUNT_CUE.search(folded, max(0, start - 8), start)):
                kind = None
            if kind == "mobile" and not (after.isascii() and after.isalnum()) \
                    and _ORDER_PREFIX.search(folded, max(0, start - 8), start) \
                    and not _PHONE_LETTERS.search(folded, max(0, start - 5), start):
                kind = None
            if kind:
                # +86 …: the plus sign is part of the mobile
                found.append((start - (kind == "mobile" and before == "+"), end, kind))
                i = j + 1
                break
        else:
            i += 1
    return found


def number_findings(folded: str) -> list[tuple[int, int, str]]:
    """IDs, mobiles, bank cards and landlines written as digit groups: natively
    (native/src/numbers.rs, issue 18), or in Python when the module is absent or declines (a
    lone surrogate)."""
    return found_natively(_native_numbers(), folded, number_findings_python)


Spans = list[tuple[int, int, str]]


class Finder(Protocol):
    """A compiled finder: its spans of a folded text, or None where Python must look."""
    def find(self, folded: str) -> Spans | None: ...


def found_natively(finder: Finder | None, folded: str, python: Callable[[str], Spans]) -> Spans:
    """``finder``'s spans of ``folded``; ``python``'s (the reference) without a compiled finder
    or where it declines (a lone surrogate, a character it leaves to Python)."""
    if finder is not None:
        found = finder.find(folded)
        if found is not None:
            return found
    return python(folded)


@lru_cache(maxsize=1)
def _native_numbers() -> Finder | None:
    """The compiled number finder, given this module's word lists; built on first use."""
    if _NativeNumbers is None:
        return None
    return _NativeNumbers(list(_PHONE_CUE_WORDS), list(_ACCOUNT_CUE_WORDS), list(_PHONE_LETTER_WORDS),
                          list(_NOT_CARD_PREFIXES), PROVINCE_BITS)


def number_findings_python(folded: str) -> list[tuple[int, int, str]]:
    """``number_findings`` in Python: the reference, and the path without the native module."""
    found = [(m.start(), m.end(), "landline") for m in _BRACKETED_LANDLINE.finditer(folded)] if "(" in folded else []
    for m in _CHUNK.finditer(folded):
        # Fewer than 7 characters hold fewer than 7 digits, which no kind's rule passes (see
        # _classify): most chunks (amounts, dates, counts) end here.
        if m.end() - m.start() >= 7:
            found.extend(_chunk_findings(folded, m))
    return found


_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PL = "A-HJ-NP-Za-hj-np-z"  # GA 36-2018 leaves out I and O
# GA 36-2018: province, city letter, then 5 characters (ordinary; trailer 挂, coach 学, police 警,
# Hong Kong/Macau 港澳, consulate 领, emergency 应急) or 6 (new energy: D/F first or last). People
# put a space, dot, dash or middle dot after the province or the city letter.
_SEP = "[·•・ .\\-]"
_PLATE_BODY = (rf"[{_PLATE_PROVINCES}] ?[{_PL}]{_SEP}?"
               rf"(?:[DFdf]{_SEP}?[{_PL}0-9][0-9]{{4}}|[0-9]{{5}}[DFdf]|[{_PL}0-9]{{4}}(?:[{_PL}0-9挂学警港澳领]|应急))")
# A plate ends where no letter or digit follows, or where a label glued after it starts.
_PLATE = re.compile(_PLATE_BODY + r"(?![0-9])(?:(?![A-Za-z])|(?=QQ|qq|[Ee]-?mail|mail|[Tt]el|TEL|[VvWw][Xx]))")
# After the word 车牌 the plate may have any letters glued after it ("车牌：闽C03344mail").
_PLATE_CUED = re.compile(rf"车牌(?:号码?)?[ :：是为]{{0,2}}({_PLATE_BODY})(?![0-9])")
# (E, G, then 8 digits, or E, a letter, 7 digits; the letter first, as in _CHUNK, for speed)
_PASSPORT = re.compile(r"[EeGg](?<![A-Za-z0-9][EeGg])(?:[0-9]{8}|(?<=[Ee])[A-HJ-NP-Za-hj-np-z][0-9]{7})(?![A-Za-z0-9])")
# Other passport forms (old P/S/D series, foreign ones) only after the word 护照.
_PASSPORT_CUED = re.compile(r"护照(?:号码?)?[^A-Za-z0-9]{0,4}([A-Za-z]{1,2}[0-9]{6,9})(?![A-Za-z0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_QQ = re.compile(r"(?:QQ|qq|Qq|扣扣)(?:号码|号)?[ :：是为]*([1-9][0-9]{4,10})(?![0-9])")
_LABELS = re.compile(r"[Qq][Qq]|扣扣|微信|[VvWw][Xx]|[Ww]echat|[Ww]eixin")
_LABEL_FIRST = re.compile("[QqVvWw扣微]")  # a label starts with one of these: a much cheaper search
_WECHAT = re.compile(
    r"(?:微信号?|[Vv][Xx]|[Ww][Xx]|[Ww]echat|[Ww]eixin)(?:号|ID|id)?[ :：是为]*"
    r"([A-Za-z][A-Za-z0-9_\-]{5,19}|[0-9]{5,11})(?![A-Za-z0-9_\-])")


def _plate_ok(plate: str) -> bool:
    serial = re.sub(r"[·•・ .\-]", "", plate)[2:]
    return sum(ch.isdigit() for ch in serial) >= 3  # ordinary serials carry at most 2 letters


# What every rule-checked identifier needs: 6 ASCII digits (a passport after 护照; phones, IDs,
# cards and bare passports have 7 or more), an @, or a plate's start.
FEWEST_DIGITS = 6
_DIGIT = re.compile("[0-9]")
_PLATE_START = re.compile(f"[{_PLATE_PROVINCES}] ?[A-Za-z]")


def may_hold_identifier_python(folded: str) -> bool:
    """``may_hold_identifier`` in Python: the reference, and the path without the native module."""
    return "@" in folded or _PLATE_START.search(folded) is not None or len(_DIGIT.findall(folded)) >= FEWEST_DIGITS


def may_hold_identifier(folded: str) -> bool:
    """False when ``number_findings`` and ``format_findings`` can find nothing in ``folded``: too few
    digits, no @, no plate's start. True says only that they must look. Most field values and two
    in three work orders hold no identifier; one compiled pass spares them the finders' regular
    expressions (native/src/texthint.rs, issue 18)."""
    if _native_hint is not None:
        answer = _native_hint(folded, _PLATE_PROVINCES)
        if answer is not None:
            return bool(answer)
    return may_hold_identifier_python(folded)


def format_findings(folded: str) -> list[tuple[int, int, str]]:
    """Plates, passports and e-mail addresses: fixed formats, no check character. Natively
    (native/src/formats.rs, issue 18), or in Python when the module is absent or declines (a
    lone surrogate)."""
    return found_natively(_native_formats(), folded, format_findings_python)


@lru_cache(maxsize=1)
def _native_formats() -> Finder | None:
    """The compiled format finder, given the plate provinces; built on first use."""
    return None if _NativeFormats is None else _NativeFormats(_PLATE_PROVINCES)


def format_findings_python(folded: str) -> list[tuple[int, int, str]]:
    """``format_findings`` in Python: the reference, and the path without the native module."""
    found = [(m.start(), m.end(), "plate") for m in _PLATE.finditer(folded) if _plate_ok(m.group())]
    if "车牌" in folded:
        found += [(m.start(1), m.end(1), "plate") for m in _PLATE_CUED.finditer(folded) if _plate_ok(m.group(1))]
    found += [(m.start(), m.end(), "passport") for m in _PASSPORT.finditer(folded)]
    if "护照" in folded:
        found += [(m.start(1), m.end(1), "passport") for m in _PASSPORT_CUED.finditer(folded)]
    if "@" in folded:
        found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(folded)]
    return found


def labelled_findings(folded: str) -> list[tuple[int, int, str]]:
    """QQ and WeChat ids: only where the text labels them (a bare 8-digit run is not a QQ)."""
    if not (_LABEL_FIRST.search(folded) and _LABELS.search(folded)):
        return []
    found = [(m.start(1), m.end(1), "qq") for m in _QQ.finditer(folded)]
    found += [(m.start(1), m.end(1), "wechat") for m in _WECHAT.finditer(folded)]
    return found

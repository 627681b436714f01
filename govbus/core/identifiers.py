"""Validators and normalisers for the identifiers govbus meets in department data.

Each ``check_*`` function takes the raw string a department sent and returns ``Ok(normalised)``
or a ``Fault`` with a reason code a data steward can act on. They normalise before they judge
(NFKC, trimming, case) because departments type the same ID in full-width digits, with a lower
``x`` or in the old 15-digit form: those are spellings, not errors, and rejecting them would flood
the dead-letter queue with records that are fine.

Pure functions, stdlib only. The rules are described in docs/domain.md#identifiers.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from operator import mul

from govbus.core.result import Fault, Ok

try:  # the compiled check of a canonical ID (native/src/resident_id.rs); without it, Python's
    from govbus_native import resident_id_valid as _native_id_valid
except ImportError:  # pragma: no cover - CI builds the extension
    _native_id_valid = None

# Province-level prefixes of GB/T 2260. Retired county codes stay valid inside old ID numbers,
# so only this prefix is ever checked against a list.
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)] + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)] + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)] + [str(n) for n in range(61, 66)] + ["71", "81", "82"]
)

# Bit n set for each province prefix n: the list as the compiled check takes it.
PROVINCE_BITS = sum(1 << int(prefix) for prefix in PROVINCE_PREFIXES)

# ISO 7064 MOD 11-2 as GB 11643 applies it: weight i is 2^(17-i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# The ASCII code of a digit d is 48 + d: summing weight × code over the encoded digits, less this,
# is the weighted digit sum without an int() per digit.
_ID_ASCII_OFFSET = 48 * sum(_ID_WEIGHTS)
# [0-9] rather than \d: \d also matches Arabic-Indic and other digits that NFKC leaves alone.
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")

# GB 32100: 31 symbols, I O Z S V left out because they read like 1 0 2 5 U.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC = re.compile(f"[{USCC_CHARSET}]{{18}}")

# Separators people type inside phone numbers and card numbers (after NFKC, which already maps
# the full-width space and hyphen to ASCII ones).
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]")

_REGION = re.compile(r"[0-9]{6}(?:[0-9]{6})?")
REGION_LEVELS = ("province", "city", "county", "township", "village")

PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "A-HJ-NP-Z"  # GA 36-2018 leaves out I and O (they read like 1 and 0).
_PLATE = re.compile(
    f"[{PLATE_PROVINCES}][{_PLATE_LETTER}]"
    f"(?:[{_PLATE_LETTER}0-9]{{5}}"          # ordinary plate: 5 serial characters
    f"|[DF][{_PLATE_LETTER}0-9][0-9]{{4}}"   # small new-energy: D/F, letter or digit, 4 digits
    f"|[0-9]{{5}}[DF])"                      # large new-energy: 5 digits, then D/F
)
# Middle dots and spaces are how plates are printed ("京A·12345"), not part of the number.
_PLATE_SEPARATORS = re.compile(r"[\s·•\-\u30fb]")

_DATE_FORMATS = (
    re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"),
    re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
)


def normalise_text(s: str) -> str:
    """NFKC (full-width digits and letters become ASCII) and trim surrounding whitespace."""
    return unicodedata.normalize("NFKC", s).strip()


def _real_date(year: int, month: int, day: int) -> date | None:
    """The calendar date, or None for 29 Feb in a common year, month 13 and the like."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- resident ID (GB 11643-1999) -------------------------------------------------------------

def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    if not (len(first17) == 17 and first17.isascii() and first17.isdigit()):
        raise ValueError("resident_id_check_char needs exactly 17 ASCII digits")
    total = sum(map(mul, first17.encode("ascii"), _ID_WEIGHTS)) - _ID_ASCII_OFFSET
    return _ID_CHECK_CHARS[total % 11]


def normalise_resident_id(raw: str) -> str:
    """The canonical spelling of an ID without judging it: NFKC, trim, ``x`` → ``X``, 15 → 18.

    Shared by check_resident_id and by pseudonymisation, so every spelling of one person's ID
    is validated, masked and pseudonymised as the same string.
    """
    if type(raw) is str and _ID18.fullmatch(raw):
        return raw  # the common case: already canonical (ASCII, trimmed, upper-case X, 18 long)
    s = normalise_text(raw).replace("x", "X")
    if _ID15.fullmatch(s):
        # Old numbers carry a 2-digit year that was always 19xx; they had no check character.
        first17 = s[:6] + "19" + s[6:]
        return first17 + resident_id_check_char(first17)
    return s


def check_resident_id(raw: str, today: date | None = None) -> Ok[str] | Fault:
    """Validate a resident ID number; Ok carries the normalised 18-character form.

    ``today`` is injectable so tests do not depend on the clock; None means date.today().
    Checks run cheapest-to-explain first, so the reason names the first thing to fix.
    An ID already canonical and valid (nearly every one) is passed natively: 2.5 µs in Python,
    per record and per ID-shaped number in free text (issue 18).
    """
    if _native_id_valid is not None and type(raw) is str \
            and _native_id_valid(raw, (today or date.today()).toordinal(), PROVINCE_BITS):
        return Ok(raw)
    return check_resident_id_python(raw, today)


def check_resident_id_python(raw: str, today: date | None = None) -> Ok[str] | Fault:
    """``check_resident_id`` in Python: the reference of the compiled check, and every fault."""
    s = normalise_resident_id(raw)
    if not _ID18.fullmatch(s):
        return Fault("bad_format", "GB11643.format",
                     "resident ID must be 18 characters (17 digits + digit or X) or 15 digits")
    if s[:2] not in PROVINCE_PREFIXES:
        return Fault("bad_region_prefix", "GB11643.region",
                     f"resident ID starts with {s[:2]!r}, which is no province code")
    born = _real_date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    if born is None:
        return Fault("bad_birth_date", "GB11643.birth_date",
                     f"resident ID birth date {s[6:14]} is not a calendar date")
    if born > (today or date.today()):
        return Fault("future_birth_date", "GB11643.birth_date",
                     f"resident ID birth date {born.isoformat()} lies in the future")
    expected = resident_id_check_char(s[:17])
    if s[17] != expected:
        return Fault("bad_check_char", "GB11643.check",
                     f"resident ID check character is {s[17]!r}, expected {expected!r}")
    return Ok(s)


# --- unified social credit code (GB 32100-2015) ---------------------------------------------

def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(ch not in _USCC_VALUES for ch in first17):
        raise ValueError("uscc_check_char needs 17 characters from the GB 32100 charset")
    total = sum(_USCC_VALUES[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(raw: str, allow_list: frozenset[str] = frozenset(),
               allow_file: str = "catalogue/lists/uscc-allow.yaml") -> Ok[str] | Fault:
    """Validate a unified social credit code; Ok carries the upper-cased 18-character form.

    Some genuine early-pilot codes fail the check character. The allow-list (normalised codes,
    ``allow_file`` in the catalogue: govbus/core/rule_lists.py) lets a department vouch for them
    instead of losing the record; it excuses only the check character, never the format.
    """
    s = normalise_text(raw).upper()
    if not _USCC.fullmatch(s):
        return Fault("bad_format", "GB32100.format",
                     "credit code must be 18 characters from 0-9 and A-Z without I, O, Z, S, V")
    expected = uscc_check_char(s[:17])
    if s[17] != expected and s not in allow_list:
        return Fault("bad_check_char", "GB32100.check",
                     f"credit code check character is {s[17]!r}, expected {expected!r}; "
                     f"if the code is genuine, add it to {allow_file} with the reason and who approved it")
    return Ok(s)


# --- mobile numbers ---------------------------------------------------------------------------

def is_bare_mobile(s: str) -> bool:
    """``s`` is exactly a mainland mobile's 11 ASCII digits, 13-19 first (``1[3-9][0-9]{9}``),
    told without a regex: every phone field is asked once in cleaning and once per masked
    delivery (a compiled regex match and its match object cost ~0.3 µs; this ~0.05)."""
    return len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1" and "3" <= s[1] <= "9"


def check_mobile(raw: str) -> Ok[str] | Fault:
    """Validate a mainland mobile number; Ok carries the bare 11 digits."""
    if type(raw) is str and is_bare_mobile(raw):
        return Ok(raw)  # the common case: already bare ASCII digits, nothing to normalise
    s = _SEPARATORS.sub("", normalise_text(raw))
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):]
            break
    if not is_bare_mobile(s):
        return Fault("bad_format", "mobile.format",
                     "mobile number must be 11 digits starting 13-19, optionally after +86")
    return Ok(s)


# --- region codes (GB/T 2260 and statistical codes) -----------------------------------------

def check_region_code(raw: str) -> Ok[str] | Fault:
    """Validate a 6-digit GB/T 2260 code or a 12-digit statistical code; Ok carries the digits.

    Only the province prefix is checked against a list: prefecture and county codes are
    retired and reissued too often for a static list to be right.
    """
    s = normalise_text(raw)
    if not _REGION.fullmatch(s):
        return Fault("bad_format", "GB2260.format",
                     "region code must be 6 digits (GB/T 2260) or 12 digits (statistical code)")
    if s[:2] not in PROVINCE_PREFIXES:
        return Fault("bad_region_prefix", "GB2260.province",
                     f"region code starts with {s[:2]!r}, which is no province code")
    return Ok(s)


# Region codes are public administrative codes (a few thousand), not personal data: the cleaner
# (record and envelope) and every agreement's generalisation judge each one once. Personal
# identifiers are never cached: they would pile up in the worker's memory.
cached_region_code = lru_cache(maxsize=8192)(check_region_code)


def _valid_region(code: str) -> str:
    """The normalised code, or ValueError: the helpers below take codes that were cleaned."""
    result = check_region_code(code)
    if isinstance(result, Fault):
        raise ValueError(f"not a region code: {code!r} ({result.message})")
    return result.value


def region_level(code: str) -> str:
    """The govbus level of a region code: province, city, county, township or village.

    Choice: a 12-digit code whose last six digits are zero names the county (or city/province)
    itself, as the statistical tables write it, so it gets the level of its first six digits;
    other 12-digit codes are 'township' when the village part (digits 10-12) is 000, else
    'village'.
    """
    c = _valid_region(code)
    if len(c) == 12 and c[6:] != "000000":
        return "township" if c[9:] == "000" else "village"
    if c[2:6] == "0000":
        return "province"
    if c[4:6] == "00":
        return "city"
    return "county"


def region_parent(code: str, level: str) -> str:
    """The code of ``code``'s ancestor (or itself) at ``level``.

    Province and city ancestors are 6-digit, township ancestors 12-digit (``c[:9] + "000"``).
    ``xx90xx`` county-level units sit directly under the province, so their city is the
    province. Asking for a level finer than the code's own is a ValueError.
    """
    c = _valid_region(code)
    if level not in REGION_LEVELS:
        raise ValueError(f"unknown region level {level!r}")
    if REGION_LEVELS.index(level) > REGION_LEVELS.index(region_level(c)):
        raise ValueError(f"{c} is coarser than level {level!r}")
    if level == "province":
        return c[:2] + "0000"
    if level == "city":
        return c[:2] + "0000" if c[2:4] == "90" else c[:4] + "00"
    if level == "county":
        return c[:6]
    if level == "township":
        return c[:9] + "000"
    return c


def region_within(code: str, jurisdiction_code: str) -> bool:
    """Whether ``code`` lies inside the jurisdiction (a region is inside itself).

    A code coarser than the jurisdiction is not inside it (a province-level record is not
    inside a county). Invalid codes are inside nothing, so they never widen a delivery.
    """
    if isinstance(check_region_code(code), Fault):
        return False
    if isinstance(check_region_code(jurisdiction_code), Fault):
        return False
    level = region_level(jurisdiction_code)
    if REGION_LEVELS.index(region_level(code)) < REGION_LEVELS.index(level):
        return False
    return region_parent(code, level) == region_parent(jurisdiction_code, level)


# --- vehicle plates (GA 36-2018) -------------------------------------------------------------

def check_plate(raw: str) -> Ok[str] | Fault:
    """Validate a civil vehicle plate; Ok carries it upper-cased without separators.

    Ordinary plates: province character, letter, 5 serial characters. New-energy plates have 6:
    small vehicles D/F, then a letter or digit, then 4 digits; large vehicles 5 digits, then
    D/F. Special plates (学, 警, 挂, 使, 领 …) are out of scope and refused as bad_format.
    """
    s = _PLATE_SEPARATORS.sub("", normalise_text(raw)).upper()
    if not s or s[0] not in PLATE_PROVINCES:
        return Fault("bad_province", "GA36.province",
                     "plate must start with a province character such as 京 or 粤")
    if not _PLATE.fullmatch(s):
        return Fault("bad_format", "GA36.format",
                     "plate must be province + letter + 5 characters (6 for new-energy), no I/O")
    return Ok(s)


# --- bank cards -------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of ASCII digits; anything else is False."""
    if not (digits and digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_bank_card(raw: str) -> Ok[str] | Fault:
    """Validate a bank card number; Ok carries the bare 16-19 digits."""
    s = _SEPARATORS.sub("", normalise_text(raw))
    if not (16 <= len(s) <= 19 and s.isascii() and s.isdigit()):
        return Fault("bad_format", "card.format", "bank card number must be 16-19 digits")
    if not luhn_ok(s):
        return Fault("bad_check_char", "card.luhn",
                     "bank card number fails the Luhn check (a digit is mistyped)")
    return Ok(s)


# --- calendar dates ---------------------------------------------------------------------------

def check_calendar_date(raw: str, today: date | None = None) -> Ok[str] | Fault:
    """Validate a past-or-present date in YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD; Ok carries ISO.

    ``today`` is injectable so tests do not depend on the clock; None means date.today().
    """
    s = normalise_text(raw)
    match = next((m for m in (p.fullmatch(s) for p in _DATE_FORMATS) if m), None)
    if match is None:
        return Fault("bad_format", "date.format",
                     "date must be YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD")
    day = _real_date(*(int(g) for g in match.groups()))
    if day is None:
        return Fault("bad_date", "date.calendar", f"{s} is not a calendar date")
    if day > (today or date.today()):
        return Fault("future_date", "date.future", f"{day.isoformat()} lies in the future")
    return Ok(day.isoformat())

"""Masking operators applied per recipient before a record leaves on ``shared.<recipient>.*``.

Each operator is a pure function of one field value. None passes through as None (a missing
value stays missing; masking must not invent one). A value an operator cannot generalise
(``year_only`` of a non-date, ``to_county`` of a non-region) raises ValueError rather than
passing the raw value on: the edge turns that into a dead letter, never into a leak.

Display conventions follow GB/T 35273-2020 / GB/T 37964-2019 as summarised in docs/domain.md#de-identification.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, overload

from govbus.core.identifiers import (
    cached_region_code,
    check_calendar_date,
    check_mobile,
    check_region_code,
    check_resident_id,
    is_bare_mobile,
    normalise_resident_id,
    normalise_text,
)
from govbus.core.result import Fault

try:  # the compiled HMAC (native/src/keyed_hash.rs); without it, Python's hmac
    from govbus_native import KeyedSha256 as _NativeKeyed
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeKeyed = None

# Two-character surnames: keeping only the first character would show half a surname and
# mask a given-name character the convention says to hide, so these keep both.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐".split()
)

_YEAR_PREFIX = re.compile(r"([0-9]{4})(?:[-/]?[0-9]{2}[-/]?[0-9]{2})?(?:[T ].*)?")
_EPOCH_MILLIS = re.compile(r"-?[0-9]{9,}")
_AGE_BAND_WIDTH = 10
# China Standard Time has been a fixed UTC+8 (no DST) since 1991. Departments store dates as
# local midnight; read in UTC, a 1 January birth date stored that way would fall in the year before.
_CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
_AGE_BAND_TOP = 80  # everyone from 80 on shares one band: the tail is small enough to single out


def keep(v: Any) -> Any:
    """The value unchanged: the agreement says the recipient may see it in clear."""
    return v


def mask(v: object, keep_first: int, keep_last: int, char: str = "*") -> str | None:
    """Replace all but the first ``keep_first`` and last ``keep_last`` characters of ``str(v)``
    with ``char``.

    A value too short to keep both ends is masked whole: showing every character of a short
    value because the kept ends overlap would defeat the mask.
    """
    if v is None:
        return None
    if keep_first < 0 or keep_last < 0:
        raise ValueError("keep_first and keep_last must not be negative")
    s = str(v)
    if len(s) <= keep_first + keep_last:
        return char * len(s)
    tail = s[len(s) - keep_last:] if keep_last else ""
    return s[:keep_first] + char * (len(s) - keep_first - keep_last) + tail


def mask_name(v: str | None) -> str | None:
    """Surname plus one ``*`` per remaining character: 张三 → 张*, 欧阳娜娜 → 欧阳**.

    A two-character name starting with a compound-surname pair is read as surname + given
    name (欧阳 alone is more likely 欧 + 阳), so it keeps one character.
    """
    if v is None:
        return None
    s = normalise_text(v)
    surname_len = 2 if len(s) > 2 and s[:2] in COMPOUND_SURNAMES else 1
    return s[:surname_len] + "*" * max(len(s) - surname_len, 0)


def mask_phone(v: str | None) -> str | None:
    """3-4-4 for a mobile (13800138000 → 138****8000); otherwise all but the last 4."""
    if v is None:
        return None
    if type(v) is str and is_bare_mobile(v):  # what cleaning leaves in a phone field
        return v[:3] + "****" + v[7:]
    result = check_mobile(v)
    if isinstance(result, Fault):
        return mask(normalise_text(v), 0, 4)
    digits = result.value
    return digits[:3] + "****" + digits[7:]


def mask_resident_id(v: str | None) -> str | None:
    """First 6 and last 4 of the normalised ID: 110105********002X.

    Normalising first means a 15-digit or lower-x spelling is masked as the same display form.
    """
    if v is None:
        return None
    return mask(normalise_resident_id(v), 6, 4)


def _epoch_millis_to_date(ms: int | float) -> date:
    """The China Standard Time date of an epoch-millis timestamp (Avro timestamp-millis)."""
    return datetime.fromtimestamp(ms / 1000, tz=_CHINA_STANDARD_TIME).date()


def year_only(v: date | datetime | str | int | float | None) -> str | None:
    """The year of a date, datetime, ISO-like date string or epoch-millis value, as "YYYY"."""
    if v is None:
        return None
    if isinstance(v, (date, datetime)):
        return f"{v.year:04d}"
    if isinstance(v, bool):
        raise ValueError("year_only got a boolean, not a date")
    if isinstance(v, (int, float)):
        return f"{_epoch_millis_to_date(v).year:04d}"
    s = normalise_text(str(v))
    if _EPOCH_MILLIS.fullmatch(s) and len(s) != 8:
        return f"{_epoch_millis_to_date(int(s)).year:04d}"
    match = _YEAR_PREFIX.fullmatch(s)
    if match is None:
        raise ValueError(f"year_only cannot read a date from {v!r}")
    return match.group(1)


def to_county(region_code: str | None) -> str | None:
    """Generalise a 12-digit statistical code (or a 6-digit code) to its 6-digit county code."""
    if region_code is None:
        return None
    # A str is judged once (identifiers.cached_region_code); anything else as it comes.
    result = cached_region_code(region_code) if isinstance(region_code, str) else check_region_code(region_code)
    if isinstance(result, Fault):
        raise ValueError(f"to_county: {result.message}")
    return result.value[:6]


def _birth_date(v: date | datetime | str) -> date:
    """The birth date carried by a date, a date string or a resident ID number."""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = normalise_text(str(v))
    # date.max as "today": a band is computed for any date the ID carries; the future check
    # belongs to cleaning, and the age computation below refuses negative ages anyway.
    as_id = check_resident_id(s, today=date.max)
    if not isinstance(as_id, Fault):
        return date.fromisoformat(f"{as_id.value[6:10]}-{as_id.value[10:12]}-{as_id.value[12:14]}")
    as_date = check_calendar_date(s, today=date.max)
    if not isinstance(as_date, Fault):
        return date.fromisoformat(as_date.value)
    raise ValueError(f"age_band cannot read a birth date from {v!r}")


def age_band(birth_date_or_resident_id: date | datetime | str | None,
             today: date | None = None) -> str | None:
    """Ten-year age band ("30-39", …, "80+") from a birth date or a resident ID number.

    ``today`` is injectable so tests do not depend on the clock; None means date.today().
    """
    if birth_date_or_resident_id is None:
        return None
    born = _birth_date(birth_date_or_resident_id)
    today = today or date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 0:
        raise ValueError(f"age_band: birth date {born.isoformat()} lies after {today.isoformat()}")
    if age >= _AGE_BAND_TOP:
        return f"{_AGE_BAND_TOP}+"
    low = age - age % _AGE_BAND_WIDTH
    return f"{low}-{low + _AGE_BAND_WIDTH - 1}"


def _pseudonym_input(domain: str, value: str) -> str:
    """The normalised value a pseudonym is computed over: one string per real-world identity."""
    if domain == "GB11643":
        return normalise_resident_id(value)
    return unicodedata.normalize("NFKC", value).strip().upper()


@overload
def pseudonym(key: bytes, domain: str, value: str, version: str = "v1") -> str: ...
@overload
def pseudonym(key: bytes, domain: str, value: str | None, version: str = "v1") -> str | None: ...
def pseudonym(key: bytes, domain: str, value: str | None, version: str = "v1") -> str | None:
    """Keyed pseudonym ``version:hex(HMAC-SHA256(key, "version|domain|normalised value"))``.

    Keyed, because an unkeyed hash of an ID is reversible by enumeration (≈2^37 candidates).
    The domain tag keeps an ID and, say, a phone with the same digits apart; the version tag in
    both the message and the output lets keys rotate without mixing old and new pseudonyms.
    """
    if value is None:
        return None
    if not key:
        raise ValueError("pseudonym needs a non-empty key: unkeyed hashes of IDs are forbidden")
    message = f"{version}|{domain}|{_pseudonym_input(domain, value)}".encode("utf-8")
    return version + ":" + _keyed_hexdigest(key)(message)


@lru_cache(maxsize=256)
def _keyed_hexdigest(key: bytes) -> Callable[[bytes], str]:
    """HMAC-SHA256 under ``key`` as a hex-digest function, its key pads hashed once a key (an
    agreement's): natively (native/src/keyed_hash.rs: Python's HMAC copies and finishes in
    Python code, ~1 µs a pseudonym, two or three a record), else a copy of a keyed ``hmac``."""
    if _NativeKeyed is not None:
        native: Callable[[bytes], str] = _NativeKeyed(key).hexdigest
        return native
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def hexdigest(message: bytes) -> str:
        copy = keyed.copy()
        copy.update(message)
        return copy.hexdigest()
    return hexdigest


_ADDRESS_TO_COUNTY = re.compile(
    r"^(?:.{1,7}?(?:省|自治区))?(?:.{1,9}?(?:市|自治州|地区|盟))?(?:.{1,9}?(?:区|县|市|旗))?")


def generalise_address(v: str | None) -> str | None:
    """An address cut after its county/district: 北京市朝阳区建外街道人民路1号 → 北京市朝阳区.

    When no administrative unit can be recognised, nothing of the address is kept ("*").
    """
    if v is None:
        return None
    match = _ADDRESS_TO_COUNTY.match(v.strip())
    head = match.group(0) if match else ""
    return head or "*"

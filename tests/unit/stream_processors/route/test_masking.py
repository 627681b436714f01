"""Table-driven tests for the masking operators in stream_processors.route.masking."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govbus.core.identifiers import PROVINCE_PREFIXES, resident_id_check_char
from stream_processors.route.masking import (
    age_band,
    keep,
    mask,
    mask_name,
    mask_phone,
    mask_resident_id,
    pseudonym,
    to_county,
    year_only,
)

TODAY = date(2025, 6, 1)
KEY = b"agreement-0001-key"


@pytest.mark.parametrize("operator", [
    keep, mask_name, mask_phone, mask_resident_id, year_only, to_county,
    lambda v: mask(v, 3, 4), lambda v: age_band(v, TODAY), lambda v: pseudonym(KEY, "GB11643", v),
])
def test_none_passes_through_every_operator(operator):
    assert operator(None) is None


@pytest.mark.parametrize("value", ["abc", 42, 3.5, {"a": 1}, "", date(2020, 1, 1)])
def test_keep(value):
    assert keep(value) is value


@pytest.mark.parametrize(("value", "first", "last", "char", "expected"), [
    ("6222020200001234562", 6, 4, "*", "622202*********4562"),
    ("abcdef", 1, 1, "*", "a****f"),
    ("abcdef", 0, 0, "#", "######"),
    ("abcdef", 0, 2, "*", "****ef"),
    ("abcdef", 2, 0, "*", "ab****"),
    ("abc", 2, 2, "*", "***"),          # too short to keep both ends: masked whole
    ("abcd", 2, 2, "*", "****"),
    ("", 1, 1, "*", ""),
    (12345678, 2, 2, "*", "12****78"),
])
def test_mask(value, first, last, char, expected):
    assert mask(value, first, last, char) == expected


def test_mask_refuses_negative_counts():
    with pytest.raises(ValueError):
        mask("abc", -1, 0)


@pytest.mark.parametrize(("name", "expected"), [
    ("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧阳**"), ("司马懿", "司马*"),
    ("诸葛亮", "诸葛*"), ("上官婉儿", "上官**"), ("令狐冲", "令狐*"), ("慕容复", "慕容*"),
    ("欧阳", "欧*"),                    # two characters: surname 欧 + given name 阳
    ("王", "王"), ("", ""), (" 李四 ", "李*"), ("Ｌｉ", "L*"),
])
def test_mask_name(name, expected):
    assert mask_name(name) == expected


@pytest.mark.parametrize(("phone", "expected"), [
    ("13800138000", "138****8000"), ("+86 138-0013-8000", "138****8000"),
    ("１３８００１３８０００", "138****8000"),
    ("010-12345678", "********5678"),   # not a mobile: all but the last 4
    ("12345", "*2345"), ("123", "***"),
])
def test_mask_phone(phone, expected):
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(("rid", "expected"), [
    ("11010519491231002X", "110105********002X"),
    ("11010519491231002x", "110105********002X"),
    ("110105491231002", "110105********002X"),
    ("１１０１０５１９４９１２３１００２Ｘ", "110105********002X"),
    ("110105194912310021", "110105********0021"),   # invalid IDs are masked all the same
    ("12345", "*****"),
])
def test_mask_resident_id(rid, expected):
    assert mask_resident_id(rid) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (date(1949, 12, 31), "1949"), (datetime(2024, 5, 1, 10, 30), "2024"),
    ("1949-12-31", "1949"), ("19491231", "1949"), ("1949/12/31", "1949"),
    ("2024-05-01T10:30:00+08:00", "2024"), ("2024-05-01 10:30", "2024"), ("1880", "1880"),
    (0, "1970"), (1714521600000, "2024"), ("1714521600000", "2024"), (-86400000, "1969"),
    (1714521600000.0, "2024"), ("２０２４－０５－０１", "2024"),
])
def test_year_only(value, expected):
    assert year_only(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "24-05-01", True, "2024-05"])
def test_year_only_refuses(value):
    with pytest.raises(ValueError):
        year_only(value)


@pytest.mark.parametrize(("code", "expected"), [
    ("110105001002", "110105"), ("110105", "110105"), ("429004123000", "429004"),
    ("110000", "110000"), ("１１０１０５００１００２", "110105"),
])
def test_to_county(code, expected):
    assert to_county(code) == expected


@pytest.mark.parametrize("code", ["990105", "1101", "abcdef"])
def test_to_county_refuses(code):
    with pytest.raises(ValueError):
        to_county(code)


@pytest.mark.parametrize(("value", "today", "expected"), [
    (date(1990, 6, 1), TODAY, "30-39"),        # 35th birthday today
    (date(1990, 6, 2), date(2020, 6, 1), "20-29"),  # one day short of 30
    (date(1990, 6, 1), date(2020, 6, 1), "30-39"),
    (date(2025, 6, 1), TODAY, "0-9"),
    (date(1945, 6, 1), TODAY, "80+"), (date(1880, 1, 1), TODAY, "80+"),
    (date(1945, 6, 2), TODAY, "70-79"),
    (datetime(2000, 1, 1, 12, 0), TODAY, "20-29"),
    ("1995-03-04", TODAY, "30-39"), ("19950304", TODAY, "30-39"),
    ("11010519491231002X", TODAY, "70-79"), ("110105491231002", TODAY, "70-79"),
    ("440524188001010014", TODAY, "80+"),
])
def test_age_band(value, today, expected):
    assert age_band(value, today) == expected


@pytest.mark.parametrize("value", ["2030-01-01", "not a date", "110105194912310021"])
def test_age_band_refuses(value):
    with pytest.raises(ValueError):
        age_band(value, TODAY)


def test_age_band_default_today_is_clock():
    assert age_band(date(1880, 1, 1)) == "80+"


# --- pseudonym -------------------------------------------------------------------------------

def expected_pseudonym(key: bytes, message: str, version: str = "v1") -> str:
    return version + ":" + hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("domain", "value", "version", "message"), [
    ("GB11643", "11010519491231002X", "v1", "v1|GB11643|11010519491231002X"),
    ("GB11643", "11010519491231002x", "v1", "v1|GB11643|11010519491231002X"),
    ("GB11643", "110105491231002", "v1", "v1|GB11643|11010519491231002X"),
    ("GB11643", " １１０１０５１９４９１２３１００２ｘ ", "v1", "v1|GB11643|11010519491231002X"),
    ("GB11643", "11010519491231002X", "v2", "v2|GB11643|11010519491231002X"),
    ("GB32100", "91350100m000100y43", "v1", "v1|GB32100|91350100M000100Y43"),
    ("mobile", " 13800138000 ", "v1", "v1|mobile|13800138000"),
])
def test_pseudonym_matches_spec(domain, value, version, message):
    assert pseudonym(KEY, domain, value, version) == expected_pseudonym(KEY, message, version)


@pytest.mark.parametrize(("a", "b"), [
    ((KEY, "GB11643", "11010519491231002X", "v1"), (b"other-key", "GB11643", "11010519491231002X", "v1")),
    ((KEY, "GB11643", "11010519491231002X", "v1"), (KEY, "GB11643", "11010519491231002X", "v2")),
    ((KEY, "GB11643", "13800138000", "v1"), (KEY, "mobile", "13800138000", "v1")),
])
def test_pseudonym_separates(a, b):
    assert pseudonym(*a) != pseudonym(*b)


def test_pseudonym_refuses_empty_key():
    with pytest.raises(ValueError):
        pseudonym(b"", "GB11643", "11010519491231002X")


def test_pseudonym_is_not_the_unkeyed_hash():
    unkeyed = hashlib.sha256(b"v1|GB11643|11010519491231002X").hexdigest()
    assert unkeyed not in pseudonym(KEY, "GB11643", "11010519491231002X")


@st.composite
def resident_ids(draw):
    """A valid 18-character ID of someone born 1900-1999 (so it also has a 15-digit form)."""
    prefix = draw(st.sampled_from(sorted(PROVINCE_PREFIXES)))
    rest = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)))
    seq = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = prefix + rest + born.strftime("%Y%m%d") + seq
    return first17 + resident_id_check_char(first17)


_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@settings(max_examples=100, deadline=None)
@given(resident_ids(), st.binary(min_size=1, max_size=32), st.binary(min_size=1, max_size=32))
def test_pseudonym_one_per_person_and_one_per_key(rid, key_a, key_b):
    spellings = {rid, rid.lower(), rid.translate(_FULL_WIDTH), rid.lower().translate(_FULL_WIDTH),
                 f"  {rid} ", rid[:6] + rid[8:17]}
    assert len({pseudonym(key_a, "GB11643", s) for s in spellings}) == 1
    if key_a != key_b:
        assert pseudonym(key_a, "GB11643", rid) != pseudonym(key_b, "GB11643", rid)


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2024, 12, 31, 23, 0, tzinfo=timezone.utc), "2025"),  # already 2025 in Beijing
    (datetime(1990, 1, 1, tzinfo=timezone(timedelta(hours=8))), "1990"),  # local midnight
    (datetime(2024, 12, 31, 15, 59, tzinfo=timezone.utc), "2024"),
])
def test_epoch_millis_read_in_china_standard_time(instant, expected):
    assert year_only(int(instant.timestamp() * 1000)) == expected

"""Table-driven tests for govbus.core.identifiers, with the vectors of docs/domain.md#identifiers."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govbus.core.result import Fault, Ok
from govbus.core.identifiers import (
    PROVINCE_PREFIXES,
    check_bank_card,
    check_calendar_date,
    check_mobile,
    check_plate,
    check_region_code,
    check_resident_id,
    check_uscc,
    luhn_ok,
    normalise_resident_id,
    normalise_text,
    region_level,
    region_parent,
    region_within,
    resident_id_check_char,
    uscc_check_char,
)

TODAY = date(2025, 6, 1)


def reason(result: Ok | Fault) -> str:
    """'ok' or the fault's reason code, so one table column covers both outcomes."""
    return "ok" if isinstance(result, Ok) else result.reason


@pytest.mark.parametrize(("raw", "expected"), [
    ("１２３ＡＢＣ", "123ABC"),
    ("  110105 \t", "110105"),
    ("\u3000京Ａ１２３４５\u3000", "京A12345"),
    ("", ""),
])
def test_normalise_text(raw, expected):
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("11010519491231002X", Ok("11010519491231002X")),       # the standard's example
    ("440524188001010014", Ok("440524188001010014")),       # born 1880: no century limit
    ("11010519491231002x", Ok("11010519491231002X")),       # lower x normalised
    ("１１０１０５１９４９１２３１００２Ｘ", Ok("11010519491231002X")),  # full-width
    (" 11010519491231002X\n", Ok("11010519491231002X")),
    ("110105491231002", Ok("11010519491231002X")),          # 15 → 18
])
def test_resident_id_valid(raw, expected):
    assert check_resident_id(raw, today=TODAY) == expected


@pytest.mark.parametrize(("raw", "reason_code", "rule"), [
    ("110105194912310021", "bad_check_char", "GB11643.check"),
    ("11010519490229002X", "bad_birth_date", "GB11643.birth_date"),   # no 29 Feb 1949
    ("110105194913310021", "bad_birth_date", "GB11643.birth_date"),   # month 13
    ("110105194912320012", "bad_birth_date", "GB11643.birth_date"),   # day 32
    ("110105203001010013", "future_birth_date", "GB11643.birth_date"),
    ("99010519491231002X", "bad_region_prefix", "GB11643.region"),
    ("160105194912310020", "bad_region_prefix", "GB11643.region"),
    ("1101051949123100", "bad_format", "GB11643.format"),              # 16 chars
    ("1101051949123100XX", "bad_format", "GB11643.format"),
    ("X10105194912310021", "bad_format", "GB11643.format"),
    ("11010519491231002Y", "bad_format", "GB11643.format"),
    ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "bad_format", "GB11643.format"),           # Arabic-Indic digits
    ("", "bad_format", "GB11643.format"),
])
def test_resident_id_invalid(raw, reason_code, rule):
    result = check_resident_id(raw, today=TODAY)
    assert isinstance(result, Fault)
    assert (result.reason, result.rule) == (reason_code, rule)
    assert result.message


@pytest.mark.parametrize(("born", "today", "expected"), [
    ("20250601", date(2025, 6, 1), "ok"),                   # born today is not the future
    ("20250602", date(2025, 6, 1), "future_birth_date"),
])
def test_resident_id_future_boundary(born, today, expected):
    first17 = "110105" + born + "001"
    assert reason(check_resident_id(first17 + resident_id_check_char(first17), today)) == expected


@pytest.mark.parametrize(("first17", "expected"), [
    ("11010519491231002", "X"),
    ("44052418800101001", "4"),
    ("11010519490101001", resident_id_check_char("11010519490101001")),
])
def test_resident_id_check_char(first17, expected):
    assert resident_id_check_char(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100X", "１１０１０５１９４９１２３１００２"])
def test_resident_id_check_char_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        resident_id_check_char(bad)


@pytest.mark.parametrize(("raw", "expected"), [
    ("110105491231002", "11010519491231002X"),
    ("11010519491231002x", "11010519491231002X"),
    ("garbage", "garbage"),                  # normalises, does not judge
])
def test_normalise_resident_id(raw, expected):
    assert normalise_resident_id(raw) == expected


# --- hypothesis: any well-formed ID is accepted, and its 15-digit form upgrades to it ---------

@st.composite
def resident_ids(draw, earliest=date(1800, 1, 1)):
    """A valid 18-character ID: valid prefix, real date not after TODAY, computed check char."""
    prefix = draw(st.sampled_from(sorted(PROVINCE_PREFIXES)))
    rest_of_address = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    born = draw(st.dates(min_value=earliest, max_value=TODAY))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = prefix + rest_of_address + born.strftime("%Y%m%d") + sequence
    return first17 + resident_id_check_char(first17)


@settings(max_examples=200, deadline=None)
@given(resident_ids())
def test_any_generated_resident_id_is_accepted(rid):
    assert check_resident_id(rid, today=TODAY) == Ok(rid)
    assert check_resident_id(rid.lower(), today=TODAY) == Ok(rid)


@settings(max_examples=200, deadline=None)
@given(resident_ids(earliest=date(1900, 1, 1)).filter(lambda rid: rid[6:8] == "19"))
def test_fifteen_digit_form_upgrades(rid):
    old = rid[:6] + rid[8:17]
    assert check_resident_id(old, today=TODAY) == Ok(rid)


@settings(max_examples=200, deadline=None)
@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_single_digit_change_is_caught(rid, position, delta):
    """MOD 11-2 detects every single-digit substitution, whatever rule catches it first."""
    changed = str((int(rid[position]) + delta) % 10)
    mutated = rid[:position] + changed + rid[position + 1:]
    assert isinstance(check_resident_id(mutated, today=TODAY), Fault)


# --- USCC -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "allow", "expected"), [
    ("91350100M000100Y43", frozenset(), "ok"),
    ("91350100m000100y43", frozenset(), "ok"),                       # lower case normalised
    ("９１３５０１００Ｍ０００１００Ｙ４３", frozenset(), "ok"),         # full-width
    ("91350211M00013FA1N", frozenset(), "bad_check_char"),            # genuine pilot code
    ("91350211M00013FA1N", frozenset({"91350211M00013FA1N"}), "ok"),  # … allow-listed
    ("91350100M000100Y44", frozenset(), "bad_check_char"),
    ("91350100M000100Y4", frozenset(), "bad_format"),
    ("91350100I000100Y43", frozenset(), "bad_format"),                # I not in the charset
    ("91350100S000100Y43", frozenset(), "bad_format"),
    ("91350100M000100Y4Z", frozenset({"91350100M000100Y4Z"}), "bad_format"),
])
def test_check_uscc(raw, allow, expected):
    assert reason(check_uscc(raw, allow)) == expected


def test_uscc_fault_rule_and_value():
    fault = check_uscc("91350211M00013FA1N")
    assert isinstance(fault, Fault) and fault.rule == "GB32100.check"
    assert check_uscc("91350100m000100y43") == Ok("91350100M000100Y43")


@pytest.mark.parametrize(("first17", "expected"), [
    ("91350100M000100Y4", "3"),
    ("91350211M00013FA1", "3"),
])
def test_uscc_check_char(first17, expected):
    assert uscc_check_char(first17) == expected


def test_uscc_check_char_rejects_bad_charset():
    with pytest.raises(ValueError):
        uscc_check_char("91350100O000100Y4")


# --- mobiles ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("＋８６－１３８００１３８０００", "13800138000"),
    ("19912345678", "19912345678"),
])
def test_mobile_valid(raw, expected):
    assert check_mobile(raw) == Ok(expected)


@pytest.mark.parametrize("raw", [
    "12800138000", "1380013800", "138001380001", "23800138000", "8613800138000x",
    "010-12345678", "", "+1 13800138000",
])
def test_mobile_invalid(raw):
    assert reason(check_mobile(raw)) == "bad_format"


# --- region codes ----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("110105", "ok"), ("429004", "ok"), ("820000", "ok"), ("110105001001", "ok"),
    ("１１０１０５", "ok"), ("990000", "bad_region_prefix"), ("160105", "bad_region_prefix"),
    ("11010", "bad_format"), ("1101050010", "bad_format"), ("11A105", "bad_format"), ("", "bad_format"),
])
def test_check_region_code(raw, expected):
    assert reason(check_region_code(raw)) == expected


@pytest.mark.parametrize(("code", "level"), [
    ("110000", "province"), ("110100", "city"), ("110105", "county"), ("429004", "county"),
    ("110105001000", "township"), ("110105001002", "village"),
    ("110105000000", "county"),   # statistical spelling of the county itself
])
def test_region_level(code, level):
    assert region_level(code) == level


@pytest.mark.parametrize(("code", "level", "parent"), [
    ("110105", "province", "110000"), ("110105", "city", "110100"), ("110105", "county", "110105"),
    ("429004", "city", "420000"),           # xx90xx sits directly under the province
    ("429004", "province", "420000"),
    ("110105001002", "township", "110105001000"), ("110105001002", "county", "110105"),
    ("110105001002", "city", "110100"), ("110105001002", "village", "110105001002"),
])
def test_region_parent(code, level, parent):
    assert region_parent(code, level) == parent


@pytest.mark.parametrize(("code", "level"), [
    ("110000", "county"), ("110105", "township"), ("110105", "planet"), ("990000", "province"),
])
def test_region_parent_refuses(code, level):
    with pytest.raises(ValueError):
        region_parent(code, level)


@pytest.mark.parametrize(("code", "jurisdiction", "inside"), [
    ("110105", "110000", True), ("110105", "110100", True), ("110105", "110105", True),
    ("110105001002", "110105", True), ("110105001002", "110105001000", True),
    ("110105002002", "110105001000", False), ("110106", "110105", False),
    ("120105", "110000", False), ("110000", "110105", False),   # coarser is not inside
    ("429004", "420000", True), ("429004", "420100", False),
    ("110105001002", "110105000000", True),
    ("bad", "110000", False), ("110105", "bad", False),
])
def test_region_within(code, jurisdiction, inside):
    assert region_within(code, jurisdiction) is inside


# --- plates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("京A12345", Ok("京A12345")), ("京a·12345", Ok("京A12345")), ("粤B 8X3K2", Ok("粤B8X3K2")),
    ("粤BD12345", Ok("粤BD12345")), ("沪AFA1234", Ok("沪AFA1234")), ("川A12345D", Ok("川A12345D")),
    ("京Ａ１２３４５", Ok("京A12345")),
])
def test_plate_valid(raw, expected):
    assert check_plate(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("京I12345", "bad_format"), ("京A1234O", "bad_format"), ("京A1234", "bad_format"),
    ("京A1234567", "bad_format"), ("京AD1234A", "bad_format"), ("沪AF0A123", "bad_format"), ("京A1234AD", "bad_format"),
    ("A12345", "bad_province"), ("台A12345", "bad_province"), ("", "bad_province"),
    ("京112345", "bad_format"),
])
def test_plate_invalid(raw, expected):
    assert reason(check_plate(raw)) == expected


# --- bank cards ------------------------------------------------------------------------------

@pytest.mark.parametrize(("digits", "ok"), [
    ("4111111111111111", True), ("79927398713", True), ("0", True),
    ("4111111111111112", False), ("", False), ("4111-1111", False), ("４１１１", False),
])
def test_luhn_ok(digits, ok):
    assert luhn_ok(digits) is ok


@pytest.mark.parametrize(("raw", "expected"), [
    ("4111111111111111", "ok"), ("4111 1111 1111 1111", "ok"), ("4111-1111-1111-1111", "ok"),
    ("6212345678901232", "ok"), ("6222020200001234562", "ok"), ("6222 0202 0000 1234 562", "ok"),
    ("4111111111111112", "bad_check_char"), ("411111111111111", "bad_format"),
    ("41111111111111111111", "bad_format"), ("4111a11111111111", "bad_format"),
])
def test_check_bank_card(raw, expected):
    assert reason(check_bank_card(raw)) == expected


# --- dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-02-29", Ok("2024-02-29")), ("20240229", Ok("2024-02-29")),
    ("2024/02/29", Ok("2024-02-29")), ("２０２４－０２－２９", Ok("2024-02-29")),
    ("2025-06-01", Ok("2025-06-01")),
])
def test_calendar_date_valid(raw, expected):
    assert check_calendar_date(raw, today=TODAY) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023-02-29", "bad_date"), ("2024-13-01", "bad_date"), ("2024-00-10", "bad_date"),
    ("2025-06-02", "future_date"), ("2024-2-29", "bad_format"), ("2024.02.29", "bad_format"),
    ("2024-02/29", "bad_format"), ("", "bad_format"), ("0000-01-01", "bad_date"),
])
def test_calendar_date_invalid(raw, expected):
    assert reason(check_calendar_date(raw, today=TODAY)) == expected

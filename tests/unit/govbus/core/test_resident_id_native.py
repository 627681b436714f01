"""The compiled check of a canonical resident ID (native/src/resident_id.rs) says yes exactly
where the Python check gives Ok(the text unchanged), for valid IDs, every kind of fault, other
spellings, and birth dates on both sides of "today" (which also holds its date ordinals to
Python's)."""
from __future__ import annotations

import random
from datetime import date, timedelta

import govbus_native

from govbus.core.identifiers import (
    PROVINCE_BITS,
    PROVINCE_PREFIXES,
    check_resident_id,
    check_resident_id_python,
    resident_id_check_char,
)
from govbus.core.result import Ok

TODAY = date(2026, 12, 5)


def _native(raw: str, today: date) -> bool:
    return govbus_native.resident_id_valid(raw, today.toordinal(), PROVINCE_BITS)


def _python_says_unchanged(raw: str, today: date) -> bool:
    return check_resident_id_python(raw, today) == Ok(raw)


def _id(prefix: str, born: str, serial: str = "123") -> str:
    first17 = f"{prefix}0104{born}{serial}"
    return first17 + resident_id_check_char(first17)


def _disagreements(cases: list[tuple[str, date]]) -> list[tuple[str, date]]:
    return [(raw, today) for raw, today in cases if _native(raw, today) != _python_says_unchanged(raw, today)]


def _mutations(valid: str) -> list[str]:
    """Every fault and other spelling a canonical ID can turn into."""
    wrong_check = "0" if valid[-1] != "0" else "1"
    return [valid, valid[:-1] + wrong_check, valid[:-1] + "x", valid.lower(), " " + valid, valid[:17],
            valid + "1", "99" + valid[2:], valid[:10] + "13" + valid[12:], valid[:12] + "00" + valid[14:],
            valid[:6] + "0000" + valid[10:], valid.replace("1", "１", 1), valid[:5] + "\udcff" + valid[6:], valid[:15]]


def test_native_says_yes_exactly_where_python_gives_the_text_back() -> None:
    rng = random.Random(18)  # noqa: S311 - test data, not a secret
    prefixes = sorted(PROVINCE_PREFIXES) + ["10", "16", "99", "00"]
    cases = []
    for _ in range(20_000):
        born = date.fromordinal(rng.randint(date(1, 1, 1).toordinal(), date(9999, 12, 31).toordinal()))
        valid = _id(rng.choice(prefixes), f"{born.year:04d}{born.month:02d}{born.day:02d}", f"{rng.randint(0, 999):03d}")
        cases += [(raw, TODAY) for raw in _mutations(valid)]
        cases += [(valid, born), (valid, born - timedelta(days=1)) if born.toordinal() > 1 else (valid, born)]
    assert _disagreements(cases) == []
    assert sum(_native(raw, today) for raw, today in cases) > 10_000  # yes is said, and checked


def test_calendar_edges() -> None:
    cases = [(_id("35", born), TODAY) for born in
             ("19000229", "20000229", "20240229", "20230229", "19991231", "20000101", "00010101", "99991231",
              "20261205", "20261206", "19581123", "19580431", "19581232", "19581300", "19580001")]
    assert _disagreements(cases) == []
    assert check_resident_id(_id("35", "20261205"), today=TODAY) == Ok(_id("35", "20261205"))
    assert check_resident_id(_id("35", "20261206"), today=TODAY).reason == "future_birth_date"

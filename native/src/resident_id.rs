//! `resident_id_valid`: the whole of `govbus/core/identifiers.py:check_resident_id` for an ID
//! already written canonically (17 ASCII digits and a digit or `X`), the form nearly every
//! record carries. True only where the Python check gives `Ok(text)`; anything else (another
//! spelling, a fault to explain) goes the Python way, which stays the reference. The processor
//! checks an ID per record and per ID-shaped number in free text: 2.5 µs in Python (issue 18).
use pyo3::prelude::*;
use pyo3::types::PyString;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Python's `date(year, month, day).toordinal()`, or None where `date` raises ValueError.
fn ordinal(year: u32, month: u32, day: u32) -> Option<i64> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let before = i64::from(year - 1);
    let days_before_year = before * 365 + before / 4 - before / 100 + before / 400;
    let days_before_month: u32 = (1..month).map(|m| days_in_month(year, m)).sum();
    Some(days_before_year + i64::from(days_before_month) + i64::from(day))
}

/// True when `text` is a canonical 18-character resident ID that passes every check of
/// GB 11643: a province prefix (bit n of `provinces` for prefix n), a calendar birth date no
/// later than `today` (an ordinal, as `date.toordinal()` gives), and the check character.
#[pyfunction]
fn resident_id_valid(text: &Bound<'_, PyString>, today: i64, provinces: u128) -> bool {
    // a lone surrogate is no UTF-8, and no canonical ID either
    let Ok(text) = text.to_str() else { return false };
    canonical_valid(text.as_bytes(), today, provinces)
}

/// `resident_id_valid` over bytes: also the free-text ID rule's check (numbers.rs).
pub(crate) fn canonical_valid(b: &[u8], today: i64, provinces: u128) -> bool {
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return false;
    }
    if provinces >> number(&b[..2]) & 1 == 0 {
        return false;
    }
    match ordinal(number(&b[6..10]), number(&b[10..12]), number(&b[12..14])) {
        Some(born) if born <= today => {}
        _ => return false,
    }
    check_char(&b[..17]) == b[17]
}

/// The GB 11643 check character of 17 ASCII digits.
pub(crate) fn check_char(first17: &[u8]) -> u8 {
    let total: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK_CHARS[(total % 11) as usize]
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resident_id_valid, m)?)
}

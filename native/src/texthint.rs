//! `may_hold_identifier`: whether a folded text could hold any rule-checked identifier at all
//! (`stream_processors/route/pii_rules.py:may_hold_identifier_python` is the reference). Most
//! field values and two in three work orders hold none, and the finders' regular expressions
//! cost a running processor several times what they cost alone (issue 18): one pass here
//! spares them. It may say yes wrongly, never no.
use pyo3::prelude::*;
use pyo3::types::PyString;

/// Digits any identifier needs at least: a passport after 护照 has 6; a phone, an ID, a card
/// or a bare passport 7 or more.
const FEWEST_DIGITS: usize = 6;

/// True when `folded` has 6 or more ASCII digits, an `@`, or a plate's start (one of
/// `provinces`, perhaps a space, then a letter).
#[pyfunction]
fn may_hold_identifier(folded: &Bound<'_, PyString>, provinces: &str) -> Option<bool> {
    let chars: Vec<char> = folded.to_str().ok()?.chars().collect();
    let letter = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let mut digits = 0;
    for (i, &ch) in chars.iter().enumerate() {
        digits += usize::from(ch.is_ascii_digit());
        let plate = !ch.is_ascii() && provinces.contains(ch) && (letter(i + 1) || chars.get(i + 1) == Some(&' ') && letter(i + 2));
        if digits >= FEWEST_DIGITS || ch == '@' || plate {
            return Some(true);
        }
    }
    Some(false)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(may_hold_identifier, m)?)
}

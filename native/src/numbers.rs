//! `NumberFinder`: `stream_processors/route/pii_rules.py:number_findings_python` compiled, the
//! free-text detector's IDs, mobiles, bank cards and landlines written as digit groups. Python
//! stays the reference and hands over its word lists; the regular expressions' structure
//! (`_CHUNK`, `_BRACKETED_LANDLINE`, `_AREA_CODE`, `_LANDLINE_LOCAL`, the tails of `_PHONE_CUE`,
//! `_ACCOUNT_CUE`, `_ORDER_PREFIX`) is written here by hand, with `re`'s backtracking worked out
//! where it can change a match. Offsets are char indices: Python's `str` indices.
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::resident_id::{canonical_valid, check_char};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    IdCard,
    Mobile,
    BankCard,
    Landline,
}

fn digit_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

/// The end of the run of ASCII digits starting at `i`.
fn run_end(chars: &[char], mut i: usize) -> usize {
    while digit_at(chars, i) {
        i += 1;
    }
    i
}

/// Where `$` matches in a search cut at `end`: at `end`, and before a final `\n`.
fn dollar_ends(chars: &[char], end: usize) -> impl Iterator<Item = usize> {
    let before_newline = (end > 0 && chars[end - 1] == '\n').then(|| end - 1);
    std::iter::once(end).chain(before_newline)
}

/// Whether one of `words` ends at `at` and starts at or after `lo`.
fn word_ends_at(chars: &[char], lo: usize, at: usize, words: &[Vec<char>]) -> bool {
    words.iter().any(|w| at >= lo + w.len() && chars[at - w.len()..at] == w[..])
}

/// `(?:words)$` searched in `chars[lo..end]` (`_PHONE_LETTERS`).
fn suffix_word(chars: &[char], lo: usize, end: usize, words: &[Vec<char>]) -> bool {
    dollar_ends(chars, end).any(|e| word_ends_at(chars, lo, e, words))
}

/// `_ORDER_PREFIX` (`[A-Z]{2,}$`) searched in `chars[lo..end]`.
fn order_prefix(chars: &[char], lo: usize, end: usize) -> bool {
    dollar_ends(chars, end).any(|e| e >= lo + 2 && chars[e - 2..e].iter().all(char::is_ascii_uppercase))
}

/// `_CHUNK` matched at `p`, a digit with no digit (nor digit and dot) before it: its end, or
/// None. Greedy groups can only give back whole groups (a digit given back meets `(?![0-9])`),
/// and the optional x only itself, so the tail look-aheads decide between those ends.
fn chunk_end(chars: &[char], p: usize) -> Option<usize> {
    let mut ends = vec![run_end(chars, p)];
    loop {
        let q = *ends.last()?;
        let next = match chars.get(q).copied() {
            Some(' ') if digit_at(chars, q + 1) => q + 1,
            Some(' ') if chars.get(q + 1) == Some(&' ') && digit_at(chars, q + 2) => q + 2,
            Some('-' | '\n' | '—' | '–') if digit_at(chars, q + 1) => q + 1,
            Some('.') if (1..=3).all(|k| digit_at(chars, q + k)) => q + 1,
            _ => break,
        };
        ends.push(run_end(chars, next));
    }
    let dot_digit = |i: usize| chars.get(i) == Some(&'.') && digit_at(chars, i + 1);
    let q = *ends.last()?;
    if matches!(chars.get(q).copied(), Some('X' | 'x'))
        && !chars.get(q + 1).is_some_and(char::is_ascii_alphabetic)
        && !digit_at(chars, q + 1)
        && !dot_digit(q + 1)
    {
        return Some(q + 1);
    }
    ends.into_iter().rev().find(|&e| !dot_digit(e))
}

/// `(?:-[0-9]{1,4})?(?![0-9])` of `_BRACKETED_LANDLINE` at `t`.
fn extension_end(chars: &[char], t: usize) -> Option<usize> {
    if chars.get(t) == Some(&'-') {
        let digits = run_end(chars, t + 1) - (t + 1);
        if (1..=4).contains(&digits) {
            return Some(t + 1 + digits);
        }
    }
    (!digit_at(chars, t)).then_some(t)
}

/// `_BRACKETED_LANDLINE` matched at `p`: `\(0(?:10|2[0-9]|[3-9][0-9]{2})\) ?[2-9][0-9]{2,3}
/// [ \-]?[0-9]{4}(?:-[0-9]{1,4})?(?![0-9])`; the area alternatives start with different digits
/// and ` ?` before `[2-9]` cannot give its space back, so only the middle backtracks.
fn bracketed_end(chars: &[char], p: usize) -> Option<usize> {
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    if at(p) != '(' || at(p + 1) != '0' {
        return None;
    }
    let mut q = p + 2;
    q += match at(q) {
        '1' if at(q + 1) == '0' => 2,
        '2' if digit_at(chars, q + 1) => 2,
        '3'..='9' if digit_at(chars, q + 1) && digit_at(chars, q + 2) => 3,
        _ => return None,
    };
    if at(q) != ')' {
        return None;
    }
    q += 1 + usize::from(at(q + 1) == ' ');
    if !('2'..='9').contains(&at(q)) {
        return None;
    }
    let run = run_end(chars, q + 1) - (q + 1);
    for middle in [3, 2].into_iter().filter(|&k| run >= k) {
        let r = q + 1 + middle;
        for sep in [true, false] {
            if sep && !matches!(at(r), ' ' | '-') {
                continue;
            }
            let s = r + usize::from(sep);
            if (0..4).all(|k| digit_at(chars, s + k)) {
                if let Some(e) = extension_end(chars, s + 4) {
                    return Some(e);
                }
            }
        }
    }
    None
}

/// `_mobile` over ASCII digits.
fn mobile(digits: &[u8]) -> bool {
    let d = if digits.starts_with(b"0086") {
        &digits[4..]
    } else if digits.starts_with(b"86") && digits.len() == 13 {
        &digits[2..]
    } else {
        digits
    };
    d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1])
}

/// `_LANDLINE_LOCAL.fullmatch`: `[2-9][0-9]{6,7}` over ASCII digits.
fn landline_local(d: &[u8]) -> bool {
    (7..=8).contains(&d.len()) && (b'2'..=b'9').contains(&d[0])
}

/// `_landline` over ASCII digits (7 or more): `_AREA_CODE.match`'s alternatives start with
/// different digits, so at most one area length fits.
fn landline(d: &[u8], cue: bool) -> bool {
    let area = match (d[0], d[1], d[2]) {
        (b'0', b'1', b'0') | (b'0', b'2', _) => Some(3),
        (b'0', b'3'..=b'9', _) => Some(4),
        _ => None,
    };
    area.is_some_and(|a| landline_local(&d[a..])) || cue && landline_local(d)
}

fn luhn_ok(digits: &[u8]) -> bool {
    let total: u32 = digits.iter().rev().enumerate().map(|(i, &c)| {
        let d = u32::from(c - b'0');
        if i % 2 == 1 { if d > 4 { d * 2 - 9 } else { d * 2 } } else { d }
    }).sum();
    total % 10 == 0
}

#[pyclass(frozen)]
pub struct NumberFinder {
    phone_cues: Vec<Vec<char>>,
    account_cues: Vec<Vec<char>>,
    phone_letters: Vec<Vec<char>>,
    not_card_prefixes: Vec<Vec<u8>>,
    provinces: u128,
}

impl NumberFinder {
    /// `_id_card(digits.upper(), touching)`: `check_resident_id` with `today=date.max`, which
    /// passes a 15-digit ID whose province and 19yy birth date are right (its check character is
    /// computed) and an 18-character one (x read as X) that passes every check.
    fn id_card(&self, digits: &[u8], touching: bool) -> bool {
        let mut id = [0u8; 18];
        match digits.len() {
            15 if !touching && digits.iter().all(u8::is_ascii_digit) => {
                id[..6].copy_from_slice(&digits[..6]);
                id[6..8].copy_from_slice(b"19");
                id[8..17].copy_from_slice(&digits[6..]);
                id[17] = check_char(&id[..17]);
            }
            18 => {
                id.copy_from_slice(digits);
                id[17] = id[17].to_ascii_uppercase();
            }
            _ => return false,
        }
        canonical_valid(&id, i64::MAX, self.provinces)
    }

    /// `_PHONE_CUE.search(folded, max(0, start - 32), start)`: a cue word, then up to 6
    /// non-digits, or up to 24 characters of the same clause and a list separator, then `$`.
    fn phone_cue(&self, chars: &[char], start: usize) -> bool {
        let lo = start.saturating_sub(32);
        dollar_ends(chars, start).any(|e| {
            (lo..=e).rev().take(26).any(|q| {
                let tail = &chars[q..e];
                let short = tail.len() <= 6 && !tail.iter().any(char::is_ascii_digit);
                let listed = tail.split_last().is_some_and(|(last, rest)| {
                    "/、或和 ".contains(*last) && !rest.iter().any(|c| "。，,；;！!？?\n".contains(*c))
                });
                (short || listed) && word_ends_at(chars, lo, q, &self.phone_cues)
            })
        })
    }

    /// `_ACCOUNT_CUE.search(folded, max(0, start - 8), start)`: a label, up to 4 non-digits, `$`.
    fn account_cue(&self, chars: &[char], start: usize) -> bool {
        let lo = start.saturating_sub(8);
        dollar_ends(chars, start).any(|e| {
            (lo..=e).rev().take(5).take_while(|&q| q == e || !chars[q].is_ascii_digit())
                .any(|q| word_ends_at(chars, lo, q, &self.account_cues))
        })
    }

    /// `_classify`: the kind whose rule the digits (and trailing x) of a group run pass.
    fn classify(&self, digits: &[u8], touching: bool, chars: &[char], start: usize) -> Option<Kind> {
        let length = digits.len();
        if !(7..=19).contains(&length) {
            return None;
        }
        if (length == 15 || length == 18) && self.id_card(digits, touching) {
            return Some(Kind::IdCard);
        }
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if mobile(digits) {
            return Some(Kind::Mobile);
        }
        if length >= 16 && !self.not_card_prefixes.iter().any(|p| digits.starts_with(p)) && luhn_ok(digits) {
            return Some(Kind::BankCard);
        }
        let cue = || self.phone_cue(chars, start);
        if length <= 12 && (!touching || cue()) && landline(digits, length > 8 || cue()) {
            return Some(Kind::Landline);
        }
        None
    }
}

/// A chunk's digit groups (start, end in the text), their characters run together (the x of
/// the last group too), and where each group starts in that run: `_groups`.
fn groups(chars: &[char], p: usize, e: usize) -> (Vec<(usize, usize)>, Vec<u8>, Vec<usize>) {
    let (mut spans, mut run, mut at) = (Vec::new(), Vec::with_capacity(e - p), vec![0]);
    let mut i = p;
    while i < e {
        let end = run_end(chars, i);
        let end = if end + 1 == e && matches!(chars[end], 'X' | 'x') { e } else { end };
        run.extend(chars[i..end].iter().map(|&c| c as u8));
        spans.push((i, end));
        at.push(run.len());
        i = end;
        while i < e && !chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    (spans, run, at)
}

impl NumberFinder {
    /// `_chunk_findings`: runs of whole groups from the left, longest first.
    fn chunk_findings(&self, chars: &[char], p: usize, e: usize, found: &mut Vec<(usize, usize, Kind)>) {
        let (spans, run, at) = groups(chars, p, e);
        let mut i = 0;
        while i < spans.len() {
            i = match self.first_finding(chars, &spans, &run, &at, i) {
                Some((j, finding)) => {
                    found.push(finding);
                    j + 1
                }
                None => i + 1,
            };
        }
    }

    /// The longest run of groups from group `i` that some kind's rule passes: its last group
    /// and the finding (the inner loop of `_chunk_findings`).
    fn first_finding(&self, chars: &[char], spans: &[(usize, usize)], run: &[u8], at: &[usize], i: usize)
        -> Option<(usize, (usize, usize, Kind))> {
        let start = spans[i].0;
        let before = start.checked_sub(1).map(|b| chars[b]);
        let letter_before = before.is_some_and(|c| c.is_ascii_alphabetic());
        for j in (i..spans.len()).rev() {
            if !(7..=20).contains(&(at[j + 1] - at[i])) {
                continue;
            }
            let mut end = spans[j].1;
            let after = chars.get(end).copied();
            let touching = letter_before || after.is_some_and(|c| c.is_ascii_alphabetic());
            let digits = &run[at[i]..at[j + 1]];
            let mut kind = self.classify(digits, touching, chars, start);
            if kind.is_none() && matches!(digits.last(), Some(b'X' | b'x')) {
                end -= 1; // Tel15150394924x: the x is no check character
                kind = self.classify(&digits[..digits.len() - 1], true, chars, start);
            }
            if kind == Some(Kind::Landline)
                && (letter_before && !suffix_word(chars, start.saturating_sub(3), start, &self.phone_letters)
                    || chars[start..end].contains(&'.')
                    || self.account_cue(chars, start))
            {
                kind = None;
            }
            if kind == Some(Kind::Mobile)
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
                && order_prefix(chars, start.saturating_sub(8), start)
                && !suffix_word(chars, start.saturating_sub(5), start, &self.phone_letters)
            {
                kind = None;
            }
            if let Some(kind) = kind {
                let plus = usize::from(kind == Kind::Mobile && before == Some('+'));
                return Some((j, (start - plus, end, kind)));
            }
        }
        None
    }

    fn spans(&self, chars: &[char]) -> Vec<(usize, usize, Kind)> {
        let mut found = Vec::new();
        if chars.contains(&'(') {
            let mut p = 0;
            while p < chars.len() {
                match bracketed_end(chars, p) {
                    Some(e) => {
                        found.push((p, e, Kind::Landline));
                        p = e;
                    }
                    None => p += 1,
                }
            }
        }
        let mut p = 0;
        while p < chars.len() {
            // _CHUNK's first digit and its look-behinds: no digit, nor a digit and a dot, before it
            let starts = digit_at(chars, p) && !(p >= 1 && digit_at(chars, p - 1))
                && !(p >= 2 && chars[p - 1] == '.' && digit_at(chars, p - 2));
            match starts.then(|| chunk_end(chars, p)).flatten() {
                Some(e) => {
                    if e - p >= 7 {
                        self.chunk_findings(chars, p, e, &mut found);
                    }
                    p = e;
                }
                None => p += 1,
            }
        }
        found
    }
}

#[pymethods]
impl NumberFinder {
    #[new]
    fn new(phone_cues: Vec<String>, account_cues: Vec<String>, phone_letters: Vec<String>,
           not_card_prefixes: Vec<String>, provinces: u128) -> Self {
        let chars = |words: Vec<String>| words.iter().map(|w| w.chars().collect()).collect();
        NumberFinder {
            phone_cues: chars(phone_cues),
            account_cues: chars(account_cues),
            phone_letters: chars(phone_letters),
            not_card_prefixes: not_card_prefixes.into_iter().map(String::into_bytes).collect(),
            provinces,
        }
    }

    /// `number_findings(folded)`: [(start, end, kind)], or None for a text that is not UTF-8
    /// (lone surrogates): Python's.
    fn find(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Option<PyObject> {
        let chars: Vec<char> = text.to_str().ok()?.chars().collect();
        let names = [
            pyo3::intern!(py, "id_card"),
            pyo3::intern!(py, "mobile"),
            pyo3::intern!(py, "bank_card"),
            pyo3::intern!(py, "landline"),
        ];
        let found: Vec<(usize, usize, Py<PyString>)> =
            self.spans(&chars).into_iter().map(|(a, b, k)| (a, b, names[k as usize].clone().unbind())).collect();
        Some(found.into_py(py))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NumberFinder>()
}

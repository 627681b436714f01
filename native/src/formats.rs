//! `FormatFinder`: `stream_processors/route/pii_rules.py:format_findings_python` compiled, the
//! free-text detector's plates, passports and e-mail addresses. Python hands over the plate
//! provinces; the structure of `_PLATE`, `_PLATE_CUED`, `_PASSPORT`, `_PASSPORT_CUED` and
//! `_EMAIL` is written here by hand, with `re`'s backtracking worked out where it can change a
//! match. Offsets are char indices: Python's `str` indices.
use pyo3::prelude::*;
use pyo3::types::PyString;

fn at(chars: &[char], i: usize) -> char {
    chars.get(i).copied().unwrap_or('\0')
}

/// `[A-HJ-NP-Za-hj-np-z]`: a plate letter (GA 36-2018 leaves out I and O).
fn plate_letter(c: char) -> bool {
    c.is_ascii_alphabetic() && !matches!(c, 'I' | 'O' | 'i' | 'o')
}

/// `_SEP`: `[·•・ .\-]`.
fn plate_sep(c: char) -> bool {
    matches!(c, '·' | '•' | '・' | ' ' | '.' | '-')
}

fn letter_or_digit(c: char) -> bool {
    plate_letter(c) || c.is_ascii_digit()
}

fn digits_from(chars: &[char], i: usize, n: usize) -> bool {
    (i..i + n).all(|k| at(chars, k).is_ascii_digit())
}

fn starts_with(chars: &[char], i: usize, word: &str) -> bool {
    word.chars().enumerate().all(|(k, c)| at(chars, i + k) == c)
}

/// The ends of `_PLATE_BODY`'s serial alternatives at `i`, in written order. Each optional
/// space or separator is followed by a class it is not in, so only these three ends exist.
fn serial_ends(chars: &[char], i: usize) -> [Option<usize>; 3] {
    let energy_small = matches!(at(chars, i), 'D' | 'F' | 'd' | 'f').then(|| {
        let j = i + 1 + usize::from(plate_sep(at(chars, i + 1)));
        (letter_or_digit(at(chars, j)) && digits_from(chars, j + 1, 4)).then_some(j + 5)
    }).flatten();
    let energy_large = (digits_from(chars, i, 5) && matches!(at(chars, i + 5), 'D' | 'F' | 'd' | 'f')).then_some(i + 6);
    let ordinary = (0..4).all(|k| letter_or_digit(at(chars, i + k))).then(|| {
        let last = at(chars, i + 4);
        if letter_or_digit(last) || "挂学警港澳领".contains(last) {
            Some(i + 5)
        } else {
            (last == '应' && at(chars, i + 5) == '急').then_some(i + 6)
        }
    }).flatten();
    [energy_small, energy_large, ordinary]
}

/// `_PLATE`'s closing look-aheads at `e`: no digit, and no letter unless a glued label starts.
fn plate_tail(chars: &[char], e: usize) -> bool {
    let labels = ["QQ", "qq", "Email", "E-mail", "email", "e-mail", "mail", "Tel", "tel", "TEL"];
    !at(chars, e).is_ascii_digit()
        && (!at(chars, e).is_ascii_alphabetic()
            || labels.iter().any(|w| starts_with(chars, e, w))
            || matches!(at(chars, e), 'V' | 'v' | 'W' | 'w') && matches!(at(chars, e + 1), 'X' | 'x'))
}

/// `_plate_ok`: 3 or more digits in the serial (province and city letter are no digits).
fn plate_ok(chars: &[char], start: usize, end: usize) -> bool {
    chars[start..end].iter().filter(|c| c.is_ascii_digit()).count() >= 3
}

/// `_EMAIL` matched at `p`: the local part runs to the `@` (which it cannot hold), and each
/// domain label is taken whole, so the greedy labels give back whole `.label`s until one that
/// starts with 2 or more letters is left for `\.[A-Za-z]{2,}`.
fn email_end(chars: &[char], p: usize) -> Option<usize> {
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let label = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if !at(chars, p).is_ascii_alphanumeric() {
        return None;
    }
    let mut q = p + 1;
    while local(at(chars, q)) {
        q += 1;
    }
    if at(chars, q) != '@' || !label(at(chars, q + 1)) {
        return None;
    }
    let mut dots = Vec::new(); // where each '.label' after the first label starts
    q += 1;
    loop {
        while label(at(chars, q)) {
            q += 1;
        }
        if at(chars, q) != '.' || !label(at(chars, q + 1)) {
            break;
        }
        dots.push(q);
        q += 1;
    }
    dots.iter().rev().find_map(|&dot| {
        let letters = chars[dot + 1..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
        (letters >= 2).then_some(dot + 1 + letters)
    })
}

#[pyclass(frozen)]
pub struct FormatFinder {
    provinces: Vec<char>,
}

impl FormatFinder {
    /// `_PLATE_BODY` at `p` followed by `tail`: the first serial alternative whose end passes.
    fn body_end(&self, chars: &[char], p: usize, tail: impl Fn(usize) -> bool) -> Option<usize> {
        // sorted (new): a plate is tried at every character, most of them no province
        if self.provinces.binary_search(&at(chars, p)).is_err() {
            return None;
        }
        let city = p + 1 + usize::from(at(chars, p + 1) == ' ');
        if !plate_letter(at(chars, city)) {
            return None;
        }
        let serial = city + 1 + usize::from(plate_sep(at(chars, city + 1)));
        serial_ends(chars, serial).into_iter().flatten().find(|&e| tail(e))
    }

    /// `_PLATE_CUED` matched at `p` (`车牌(?:号码?)?[ :：是为]{0,2}`, then the body): the span of
    /// its group. None of 号, 码 and the separators is a province, so the greedy prefix stands.
    fn cued_plate(&self, chars: &[char], p: usize) -> Option<(usize, usize)> {
        if !starts_with(chars, p, "车牌") {
            return None;
        }
        let mut q = p + 2;
        if at(chars, q) == '号' {
            q += 1 + usize::from(at(chars, q + 1) == '码');
        }
        for _ in 0..2 {
            if matches!(at(chars, q), ' ' | ':' | '：' | '是' | '为') {
                q += 1;
            }
        }
        let end = self.body_end(chars, q, |e| !at(chars, e).is_ascii_digit())?;
        Some((q, end))
    }
}

/// `_PASSPORT` at `p`: E or G with no letter or digit before it, then 8 digits, or (after E
/// only) a plate letter and 7 digits; the two alternatives differ in their second character.
fn passport_end(chars: &[char], p: usize) -> Option<usize> {
    let first = at(chars, p);
    if !matches!(first, 'E' | 'e' | 'G' | 'g') || p > 0 && chars[p - 1].is_ascii_alphanumeric() {
        return None;
    }
    let body = digits_from(chars, p + 1, 8)
        || matches!(first, 'E' | 'e') && plate_letter(at(chars, p + 1)) && digits_from(chars, p + 2, 7);
    (body && !at(chars, p + 9).is_ascii_alphanumeric()).then_some(p + 9)
}

/// `_PASSPORT_CUED` at `p`: `护照(?:号码?)?[^A-Za-z0-9]{0,4}([A-Za-z]{1,2}[0-9]{6,9})(?![A-Za-z0-9])`.
/// The group starts with a letter, so the non-alphanumeric run is taken whole (up to 4); the
/// prefix's shorter alternatives are tried in order, as they may move where 4 of them end.
fn cued_passport(chars: &[char], p: usize) -> Option<(usize, usize)> {
    if !starts_with(chars, p, "护照") {
        return None;
    }
    let mut prefixes = vec![0];
    if at(chars, p + 2) == '号' {
        prefixes.insert(0, 1);
        if at(chars, p + 3) == '码' {
            prefixes.insert(0, 2);
        }
    }
    prefixes.into_iter().find_map(|prefix| {
        let from = p + 2 + prefix;
        let gap = chars.get(from..).unwrap_or(&[]).iter().take(4).take_while(|c| !c.is_ascii_alphanumeric()).count();
        let s = from + gap;
        let letters = chars.get(s..).unwrap_or(&[]).iter().take(2).take_while(|c| c.is_ascii_alphabetic()).count();
        let digits = chars.get(s + letters..).unwrap_or(&[]).iter().take_while(|c| c.is_ascii_digit()).count();
        let end = s + letters + digits;
        (letters >= 1 && (6..=9).contains(&digits) && !at(chars, end).is_ascii_alphabetic()).then_some((s, end))
    })
}

/// `finditer` of a matcher that answers (group start, group end) at a position; it resumes
/// where the match ended (every pattern here ends with its group, or with look-aheads).
fn find_all(chars: &[char], matcher: impl Fn(usize) -> Option<(usize, usize)>) -> Vec<(usize, usize)> {
    let (mut found, mut p) = (Vec::new(), 0);
    while p < chars.len() {
        match matcher(p) {
            Some((start, end)) => {
                found.push((start, end));
                p = end;
            }
            None => p += 1,
        }
    }
    found
}

impl FormatFinder {
    fn spans(&self, chars: &[char]) -> Vec<(usize, usize, usize)> {
        let holds = |word: &str| (0..chars.len()).any(|p| starts_with(chars, p, word));
        let plate = |p| self.body_end(chars, p, |e| plate_tail(chars, e)).map(|e| (p, e));
        let mut found: Vec<(usize, usize, usize)> = find_all(chars, plate).into_iter()
            .filter(|&(a, b)| plate_ok(chars, a, b)).map(|(a, b)| (a, b, 0)).collect();
        if holds("车牌") {
            found.extend(find_all(chars, |p| self.cued_plate(chars, p)).into_iter()
                .filter(|&(a, b)| plate_ok(chars, a, b)).map(|(a, b)| (a, b, 0)));
        }
        found.extend(find_all(chars, |p| passport_end(chars, p).map(|e| (p, e))).into_iter().map(|(a, b)| (a, b, 1)));
        if holds("护照") {
            found.extend(find_all(chars, |p| cued_passport(chars, p)).into_iter().map(|(a, b)| (a, b, 1)));
        }
        if chars.contains(&'@') {
            found.extend(find_all(chars, |p| email_end(chars, p).map(|e| (p, e))).into_iter().map(|(a, b)| (a, b, 2)));
        }
        found
    }
}

#[pymethods]
impl FormatFinder {
    #[new]
    fn new(provinces: &str) -> Self {
        let mut provinces: Vec<char> = provinces.chars().collect();
        provinces.sort_unstable();
        FormatFinder { provinces }
    }

    /// `format_findings(folded)`: [(start, end, kind)], or None for a text that is not UTF-8
    /// (lone surrogates): Python's.
    fn find(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Option<PyObject> {
        let chars: Vec<char> = text.to_str().ok()?.chars().collect();
        let names = [pyo3::intern!(py, "plate"), pyo3::intern!(py, "passport"), pyo3::intern!(py, "email")];
        let found: Vec<(usize, usize, Py<PyString>)> =
            self.spans(&chars).into_iter().map(|(a, b, k)| (a, b, names[k].clone().unbind())).collect();
        Some(found.into_py(py))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FormatFinder>()
}

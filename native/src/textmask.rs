//! `SpanMasker`: the free-text detector's masks (`stream_processors/route/pii.py:mask_pii` and
//! `_mask_span`, which stay the reference; a unit test holds the two to the same text on the
//! corpora and generated spans). Each span is masked by its kind; separators stay where they
//! were. Offsets are indices into the text's characters, as Python's `str` indices are.
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::collections::HashSet;

#[pyclass(frozen)]
pub struct SpanMasker {
    compound_surnames: HashSet<String>,
    titles: HashSet<String>,
    /// Python's `str.isalnum` for each code point of the basic plane, one bit each.
    bmp_alnum: Vec<u8>,
}

/// The Chinese numerals `_ADDRESS_NUMBER` stars before a unit (十二号), and those units.
fn is_numeral(ch: char) -> bool {
    matches!(ch, '零' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百')
}

fn unit_follows(folded: &[char], i: usize) -> bool {
    match folded.get(i) {
        Some('号' | '栋' | '幢' | '室' | '层' | '楼' | '座' | '期') => true,
        Some('单') => folded.get(i + 1) == Some(&'元'),
        _ => false,
    }
}

/// `_ADDRESS_NUMBER.sub`: the folded span with its letters and digits, and numerals before a
/// unit, starred; names stay.
fn mask_address(folded: &[char]) -> Vec<char> {
    let mut out = folded.to_vec();
    let mut i = 0;
    while i < folded.len() {
        if folded[i].is_ascii_alphanumeric() {
            out[i] = '*';
        } else if is_numeral(folded[i]) {
            let end = i + folded[i..].iter().take_while(|c| is_numeral(**c)).count();
            if unit_follows(folded, end) {
                out[i..end].fill('*');
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

fn starts_with(text: &[char], word: &str) -> bool {
    let mut chars = text.iter();
    word.chars().all(|ch| chars.next() == Some(&ch))
}

/// Where `_MOBILE_PREFIX` (`^(?:\+?86|0086)[ \-]?(?=1)`) ends, or 0.
fn mobile_prefix(folded: &[char]) -> usize {
    let country = if starts_with(folded, "+86") {
        3
    } else if starts_with(folded, "86") {
        2
    } else if starts_with(folded, "0086") {
        4
    } else {
        return 0;
    };
    let separated = matches!(folded.get(country), Some(' ' | '-'));
    match (separated, folded.get(country + usize::from(separated))) {
        (_, Some('1')) => country + usize::from(separated),
        _ => 0,
    }
}

/// Where `_AREA` (`^\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?[ \-]?`) ends, or 0.
fn area_code(folded: &[char]) -> usize {
    let digit = |i: usize| folded.get(i).is_some_and(|c| c.is_ascii_digit());
    let mut i = usize::from(folded.first() == Some(&'('));
    if folded.get(i) != Some(&'0') {
        return 0;
    }
    i += match folded.get(i + 1) {
        Some('1') if folded.get(i + 2) == Some(&'0') => 3,
        Some('2') if digit(i + 2) => 3,
        Some('3'..='9') if digit(i + 2) && digit(i + 3) => 4,
        _ => return 0,
    };
    i += usize::from(folded.get(i) == Some(&')'));
    i + usize::from(matches!(folded.get(i), Some(' ' | '-')))
}

impl SpanMasker {
    fn isalnum(&self, ch: char) -> Option<bool> {
        let cp = ch as usize;
        let byte = self.bmp_alnum.get(cp >> 3)?;
        Some(byte >> (cp & 7) & 1 == 1)
    }

    fn alnum_positions(&self, s: &[char]) -> Option<Vec<usize>> {
        let mut positions = Vec::with_capacity(s.len());
        for (i, &ch) in s.iter().enumerate() {
            if self.isalnum(ch)? {
                positions.push(i);
            }
        }
        Some(positions)
    }

    /// `_star`: the letters and digits of `s` starred but the first and last ones kept.
    fn star(&self, s: &[char], keep_first: usize, keep_last: usize) -> Option<Vec<char>> {
        let positions = self.alnum_positions(s)?;
        let stop = keep_first.max(positions.len().saturating_sub(keep_last));
        let mut out = s.to_vec();
        for &i in positions.get(keep_first..stop).unwrap_or(&[]) {
            out[i] = '*';
        }
        Some(out)
    }

    fn is_title(&self, s: &[char], from: usize) -> bool {
        s.len() > from && self.titles.contains(&s[from..].iter().collect::<String>())
    }

    /// `_mask_name`: the surname kept and the given name starred, or with a title (王先生)
    /// the surname starred.
    fn mask_name(&self, s: &[char], kind: &str) -> Vec<char> {
        let first_two: String = s.iter().take(2).collect();
        let surname = if self.compound_surnames.contains(&first_two) { 2 } else { 1 };
        let titled = kind == "name_title" || self.is_title(s, 1) || self.is_title(s, 2);
        let kept = &s[surname.min(s.len())..];
        if titled {
            return std::iter::repeat('*').take(surname).chain(kept.iter().copied()).collect();
        }
        s[..surname.min(s.len())].iter().copied().chain(kept.iter().map(|_| '*')).collect()
    }

    /// `_mask_span`: one span masked by its kind; None where Python must judge a character.
    fn mask_span(&self, kind: &str, s: &[char], folded: &[char]) -> Option<Vec<char>> {
        let keep = |cut: usize, rest: Vec<char>| s[..cut].iter().copied().chain(rest).collect::<Vec<char>>();
        Some(match kind {
            _ if kind.starts_with("name") => self.mask_name(s, kind),
            "address" => mask_address(folded),
            "mobile" => {
                let cut = mobile_prefix(folded);
                keep(cut, self.star(&s[cut..], 3, 4)?)
            }
            "landline" => {
                let cut = area_code(folded);
                keep(cut, self.star(&s[cut..], 0, 0)?)
            }
            "id_card" => {
                let digits = self.alnum_positions(s)?.len();
                self.star(s, 6, if digits == 18 { 4 } else { 3 })?
            }
            "bank_card" => self.star(s, 6, 4)?,
            "passport" => self.star(s, 1, 0)?,
            "plate" => keep(2.min(s.len()), self.star(&s[2.min(s.len())..], 0, 0)?),
            "email" => {
                let at = s.iter().position(|c| *c == '@');
                let domain = at.map_or(&[][..], |a| &s[a + 1..]);
                s.iter().take(1.min(at.unwrap_or(s.len()))).copied().chain("***@".chars()).chain(domain.iter().copied()).collect()
            }
            _ => vec!['*'; s.len()],
        })
    }
}

#[pymethods]
impl SpanMasker {
    #[new]
    fn new(compound_surnames: Vec<String>, titles: Vec<String>, bmp_alnum: Vec<u8>) -> Self {
        SpanMasker { compound_surnames: compound_surnames.into_iter().collect(), titles: titles.into_iter().collect(), bmp_alnum }
    }

    /// `mask_pii(text, spans)` given `fold(text)` and the spans as (start, end, kind), sorted
    /// and not overlapping; None for a text that is not UTF-8 or a character past the basic
    /// plane in a span: Python's.
    fn mask(&self, py: Python<'_>, text: &Bound<'_, PyString>, folded: &Bound<'_, PyString>,
            spans: Vec<(usize, usize, String)>) -> Option<PyObject> {
        let text: Vec<char> = text.to_str().ok()?.chars().collect();
        let folded: Vec<char> = folded.to_str().ok()?.chars().collect();
        let mut out = String::with_capacity(text.len() * 3);
        let mut cursor = 0;
        for (start, end, kind) in &spans {
            let (start, end) = (*start, *end);
            if start < cursor || end < start || end > text.len() || folded.len() != text.len() {
                return None; // not what the detector gives: Python answers as it would
            }
            out.extend(&text[cursor..start]);
            out.extend(self.mask_span(kind, &text[start..end], &folded[start..end])?);
            cursor = end;
        }
        out.extend(&text[cursor..]);
        Some(out.into_py(py))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SpanMasker>()
}

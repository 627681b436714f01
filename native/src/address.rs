//! `AddressFinder`: `stream_processors/route/pii_address.py:address_findings` compiled (that
//! module stays the reference, and a unit test holds the two to the same spans on the corpora
//! and on generated text). In the processor the Python finder's regular expressions and loops
//! cost a running worker several times what they cost alone (issue 18, docs/capacity.md §6).
//! The word lists come from the Python module, once; only the patterns' shapes are written here.
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::address_parts::{any_numbered, parts};

/// Characters a stop before 区 or 市 turns into part of an estate's name (金山小区, 金色城市).
const ESTATE_BEFORE_DISTRICT: &str = "小园校厂营景";
const ESTATE_BEFORE_CITY: &str = "城都";

#[pyclass(frozen)]
pub struct AddressFinder {
    stop_chars: Vec<char>,
    stop_words: Vec<Vec<char>>,
    roads: Vec<Vec<char>>,
    /// Python's `str.isalnum` for each code point of the basic plane, one bit each: Unicode
    /// properties differ between Python and Rust at the edges (combining marks).
    bmp_alnum: Vec<u8>,
    gap: usize,
}

/// One cluster of parts: where its first part starts, where its last ends, whether one is
/// inside a building, and how many there are.
struct Cluster {
    first: usize,
    end: usize,
    inside: bool,
    count: usize,
}

fn is_han(ch: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&ch)
}

// `[char]::starts_with` and `ends_with` call memcmp, which for words of one or two characters
// cost more than the rest of the finder: the first character is compared first.
fn starts_with(text: &[char], word: &[char]) -> bool {
    text.first() == word.first() && text.starts_with(word)
}

fn ends_with(text: &[char], word: &[char]) -> bool {
    text.last() == word.last() && text.ends_with(word)
}

fn is_name_char(ch: char) -> bool {
    is_han(ch) || ch.is_ascii_alphanumeric()
}

impl AddressFinder {
    /// `ch.isalnum()`, or None past the basic plane (the text goes to Python).
    fn isalnum(&self, ch: char) -> Option<bool> {
        let cp = ch as usize;
        let byte = self.bmp_alnum.get(cp >> 3)?;
        Some(byte >> (cp & 7) & 1 == 1)
    }

    /// `_is_stop(gap, i)`: the look-back for 小区 / 城市 stays inside the gap, as in Python.
    fn is_stop_in_gap(&self, gap: &[char], i: usize) -> bool {
        let before = if i > 0 { Some(gap[i - 1]) } else { None };
        match gap[i] {
            '区' if before.is_some_and(|c| ESTATE_BEFORE_DISTRICT.contains(c)) => false,
            '市' if before.is_some_and(|c| ESTATE_BEFORE_CITY.contains(c)) => false,
            ch => self.stop_chars.contains(&ch),
        }
    }

    /// `_joinable`: a short gap of name characters and no stop between two parts.
    fn joinable(&self, text: &[char], end: usize, start: usize) -> Option<bool> {
        let gap = &text[end..start];
        if gap.len() > self.gap {
            return Some(false);
        }
        for (i, &ch) in gap.iter().enumerate() {
            if self.is_stop_in_gap(gap, i) || !(is_han(ch) || self.isalnum(ch)?) {
                return Some(false);
            }
        }
        Some(true)
    }

    /// `_STOP` at `i` (the text cut at `end`): a stop word, 区 or 市 not after an estate's
    /// character (the look-behind sees before the search's start), or a stop character.
    fn stop_at(&self, text: &[char], i: usize, end: usize) -> usize {
        let window = &text[i..end];
        if let Some(word) = self.stop_words.iter().find(|w| starts_with(window, w)) {
            return word.len();
        }
        let before = if i > 0 { Some(text[i - 1]) } else { None };
        match text[i] {
            '区' => usize::from(!before.is_some_and(|c| ESTATE_BEFORE_DISTRICT.contains(c))),
            '市' => usize::from(!before.is_some_and(|c| ESTATE_BEFORE_CITY.contains(c))),
            ch => usize::from(self.stop_chars.contains(&ch)),
        }
    }

    /// `_name_start`: after the last stop in the name characters (at most 10) before `at`.
    fn name_start(&self, text: &[char], at: usize) -> usize {
        // `$` also matches before a line break that ends the searched slice.
        let end = if at > 0 && text[at - 1] == '\n' { at - 1 } else { at };
        let window = at.saturating_sub(10);
        let mut start = end;
        while start > window && is_name_char(text[start - 1]) {
            start -= 1;
        }
        if start == end {
            return at;
        }
        let mut i = start;
        while i < at {
            let len = self.stop_at(text, i, at);
            if len == 0 {
                i += 1;
                continue;
            }
            // 太和镇, 新和村: 和/与/及 just before a place unit belongs to the name
            let place_after = text[i + len..].iter().take(2).any(|c| "镇乡村路街县".contains(*c));
            if !(len == 1 && "和与及".contains(text[i]) && place_after) {
                start = i + len;
            }
            i += len;
        }
        start
    }

    fn clusters(&self, text: &[char]) -> Option<Vec<Cluster>> {
        let mut clusters: Vec<Cluster> = Vec::new();
        for (start, end, inside) in parts(text) {
            if let Some(last) = clusters.last_mut() {
                if start < last.end {
                    continue;
                }
                if self.joinable(text, last.end, start)? {
                    (last.end, last.inside, last.count) = (end, last.inside || inside, last.count + 1);
                    continue;
                }
            }
            clusters.push(Cluster { first: start, end, inside, count: 1 });
        }
        Some(clusters)
    }

    /// `address_findings` as (start, end) pairs; None where Python must judge a character.
    pub fn spans(&self, text: &[char]) -> Option<Vec<(usize, usize)>> {
        if !any_numbered(text) {
            return Some(Vec::new());
        }
        let mut found = Vec::new();
        for cluster in self.clusters(text)? {
            let start = self.name_start(text, cluster.first);
            let name = &text[start..cluster.first];
            let on_road = name.len() > 1 && self.roads.iter().any(|road| ends_with(name, road));
            if cluster.inside && (!name.is_empty() || cluster.count > 1) || on_road {
                found.push((start, cluster.end));
            }
        }
        Some(found)
    }
}

#[pymethods]
impl AddressFinder {
    #[new]
    fn new(stop_chars: &str, stop_words: Vec<String>, roads: Vec<String>, bmp_alnum: Vec<u8>, gap: usize) -> Self {
        let chars = |words: Vec<String>| words.iter().map(|w| w.chars().collect()).collect();
        AddressFinder { stop_chars: stop_chars.chars().collect(), stop_words: chars(stop_words), roads: chars(roads), bmp_alnum, gap }
    }

    /// `address_findings(text)`: [(start, end, "address")], or None for a text that is not
    /// UTF-8 (lone surrogates) or holds a character past the basic plane in a gap: Python's.
    fn find(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Option<PyObject> {
        let chars: Vec<char> = text.to_str().ok()?.chars().collect();
        let kind = pyo3::intern!(py, "address");
        let found: Vec<(usize, usize, Py<PyString>)> =
            self.spans(&chars)?.into_iter().map(|(a, b)| (a, b, kind.clone().unbind())).collect();
        Some(found.into_py(py))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AddressFinder>()
}

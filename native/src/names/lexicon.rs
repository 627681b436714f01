//! The word lists and character classes of the name rules (`rules.rs`), as
//! `stream_processors.route.pii_name_rules.rule_words()` hands them over: the lists are kept
//! there alone, and arrive here once, when the detector first runs.
use std::collections::HashSet;

use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyDict;

/// `_HAN` of the Python rules: the CJK Unified Ideographs block, nothing beyond it.
#[inline]
pub fn is_han(ch: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&ch)
}

// What a match can start with, as flags (`Lexicon::starts`): each pass over a text passes over
// the characters that start none of its matches after one table look-up, not a set's each.
pub const SURNAME_FIRST: u8 = 1;
pub const CUE_FIRST: u8 = 2;
pub const FAMILIAR_FIRST: u8 = 4;
pub const DOT: u8 = 8;

/// Characters of a class; one bit a character below U+10000, where nearly all of them are.
pub struct CharSet {
    bmp: Box<[u64; 1024]>,
    astral: Vec<char>,
}

impl CharSet {
    pub fn new(chars: impl IntoIterator<Item = char>) -> Self {
        let mut set = CharSet { bmp: Box::new([0; 1024]), astral: Vec::new() };
        for ch in chars {
            let cp = ch as u32;
            if cp < 0x10000 {
                set.bmp[(cp >> 6) as usize] |= 1 << (cp & 63);
            } else {
                set.astral.push(ch);
            }
        }
        set
    }

    #[inline]
    pub fn contains(&self, ch: char) -> bool {
        let cp = ch as u32;
        if cp < 0x10000 {
            self.bmp[(cp >> 6) as usize] >> (cp & 63) & 1 == 1
        } else {
            self.astral.contains(&ch)
        }
    }

    pub fn any_in(&self, chars: &[char]) -> bool {
        chars.iter().any(|&ch| self.contains(ch))
    }
}

/// The alternatives of a regex alternation, in the order written: re takes the first that
/// matches, not the longest. Grouped by first character (only one group can match at a
/// position), each group in the order written.
pub struct WordList {
    words: Vec<Vec<char>>,
    groups: Vec<(char, Vec<usize>)>,
    firsts: CharSet,
}

impl WordList {
    pub fn new(words: Vec<Vec<char>>) -> Self {
        let mut groups: Vec<(char, Vec<usize>)> = Vec::new();
        for (n, first) in words.iter().enumerate().filter_map(|(n, word)| Some((n, *word.first()?))) {
            match groups.binary_search_by_key(&first, |group| group.0) {
                Ok(at) => groups[at].1.push(n),
                Err(at) => groups.insert(at, (first, vec![n])),
            }
        }
        let firsts = CharSet::new(groups.iter().map(|group| group.0));
        WordList { words, groups, firsts }
    }

    /// The length of the first word that `chars` holds at `at`.
    #[inline]
    pub fn first_at(&self, chars: &[char], at: usize) -> Option<usize> {
        let first = *chars.get(at)?;
        if !self.firsts.contains(first) {
            return None;
        }
        let group = &self.groups[self.groups.binary_search_by_key(&first, |group| group.0).ok()?].1;
        let rest = &chars[at..];
        group.iter().map(|&n| &self.words[n]).find(|word| rest.starts_with(word)).map(|word| word.len())
    }

    pub fn can_start(&self, ch: char) -> bool {
        self.firsts.contains(ch)
    }

    /// Whether `chars` ends with one of the words (`str.endswith` with a tuple).
    pub fn ends(&self, chars: &[char]) -> bool {
        self.words.iter().any(|word| chars.ends_with(word))
    }
}

/// Words looked up whole (`word in frozenset`).
pub struct WordSet(HashSet<Vec<char>>);

impl WordSet {
    pub fn contains(&self, chars: &[char]) -> bool {
        self.0.contains(chars)
    }
}

/// Code point ranges [start, end), sorted and apart: Python's idea of a letter.
pub struct RangeSet(Vec<(u32, u32)>);

impl RangeSet {
    pub fn contains(&self, ch: char) -> bool {
        let cp = ch as u32;
        let after = self.0.partition_point(|&(start, _)| start <= cp);
        after > 0 && cp < self.0[after - 1].1
    }
}

/// The surnames: single characters, and compound ones (two characters each).
pub struct Surnames {
    pub single: CharSet,
    compound: HashSet<[char; 2]>,
    compound_first: CharSet,
    /// A single surname or a compound one's first character (`_SURNAME_FIRST`).
    pub first: CharSet,
}

impl Surnames {
    /// Whether a compound surname starts at `at`.
    #[inline]
    pub fn compound_at(&self, chars: &[char], at: usize) -> bool {
        chars.len() >= at + 2
            && self.compound_first.contains(chars[at])
            && self.compound.contains(&[chars[at], chars[at + 1]])
    }

    /// `_surname_len`: 2 for a compound surname at the word's start, 1 for a single one, else 0.
    pub fn len_of(&self, word: &[char]) -> usize {
        if self.compound_at(word, 0) {
            2
        } else {
            usize::from(word.first().is_some_and(|&ch| self.single.contains(ch)))
        }
    }

    /// The surname lengths `_SURNAME_ALT` can match at `at`, in the order re tries them: a
    /// compound surname first, then a single one.
    #[inline]
    pub fn lengths_at(&self, chars: &[char], at: usize) -> impl Iterator<Item = usize> {
        let compound = self.compound_at(chars, at).then_some(2);
        let single = chars.get(at).is_some_and(|&ch| self.single.contains(ch)).then_some(1);
        compound.into_iter().chain(single)
    }
}

/// Everything `rule_words()` names, by the name of its key.
pub struct Lexicon {
    pub surnames: Surnames,
    pub titles: WordList,
    pub boss: CharSet,
    pub boss_next: CharSet,
    pub full_titles: WordList,
    pub full_after: CharSet,
    pub cue_words: WordList,
    pub cue_gap: CharSet,
    pub place_ends: CharSet,
    pub station_ends: CharSet,
    pub provinces: WordList,
    pub given_stops: CharSet,
    pub not_in_names: CharSet,
    pub not_names: WordSet,
    pub landmark_ends: CharSet,
    pub line_next: CharSet,
    pub familiar_heads: WordList,
    pub familiar_next: CharSet,
    pub familiar_not: WordSet,
    pub dots: CharSet,
    pub name_not: CharSet,
    pub name_after_not: CharSet,
    pub dotted_not_ends: WordList,
    pub self_gap: CharSet,
    pub self_next: CharSet,
    pub not_self: WordSet,
    /// `_letter_ranges`, asked for when the first text with a middle dot comes: building it
    /// costs a pass over every code point in Python, and most processes never see such a text.
    letter_source: Py<PyAny>,
    letters: GILOnceCell<RangeSet>,
    /// `starts_of` of every character below U+10000.
    start_table: Vec<u8>,
}

fn item<'py>(words: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    words.get_item(key)?.ok_or_else(|| PyKeyError::new_err(key.to_owned()))
}

fn text(words: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<char>> {
    Ok(item(words, key)?.extract::<String>()?.chars().collect())
}

fn class(words: &Bound<'_, PyDict>, key: &str) -> PyResult<CharSet> {
    Ok(CharSet::new(text(words, key)?))
}

fn list(words: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<Vec<char>>> {
    let strings: Vec<String> = item(words, key)?.extract()?;
    Ok(strings.iter().map(|word| word.chars().collect()).collect())
}

fn alternation(words: &Bound<'_, PyDict>, key: &str) -> PyResult<WordList> {
    Ok(WordList::new(list(words, key)?))
}

fn set(words: &Bound<'_, PyDict>, key: &str) -> PyResult<WordSet> {
    Ok(WordSet(list(words, key)?.into_iter().collect()))
}

fn surnames(words: &Bound<'_, PyDict>) -> PyResult<Surnames> {
    let single = text(words, "surnames")?;
    let mut compound = HashSet::new();
    for word in list(words, "compound_surnames")? {
        // _SURNAME_AT and _surname_len read a compound surname as two characters
        let pair: [char; 2] = word.try_into().map_err(|_| {
            PyValueError::new_err("a compound surname is two characters")
        })?;
        compound.insert(pair);
    }
    let compound_first = CharSet::new(compound.iter().map(|pair| pair[0]));
    let first = CharSet::new(single.iter().copied().chain(compound.iter().map(|pair| pair[0])));
    Ok(Surnames { single: CharSet::new(single), compound, compound_first, first })
}

impl Lexicon {
    pub fn new(words: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(Lexicon {
            surnames: surnames(words)?,
            titles: alternation(words, "titles")?,
            boss: class(words, "boss")?,
            boss_next: class(words, "boss_next")?,
            full_titles: alternation(words, "full_titles")?,
            full_after: class(words, "full_after")?,
            cue_words: alternation(words, "cue_words")?,
            cue_gap: class(words, "cue_gap")?,
            place_ends: class(words, "place_ends")?,
            station_ends: class(words, "station_ends")?,
            provinces: alternation(words, "provinces")?,
            given_stops: class(words, "given_stops")?,
            not_in_names: class(words, "not_in_names")?,
            not_names: set(words, "not_names")?,
            landmark_ends: class(words, "landmark_ends")?,
            line_next: class(words, "line_next")?,
            familiar_heads: alternation(words, "familiar_heads")?,
            familiar_next: class(words, "familiar_next")?,
            familiar_not: set(words, "familiar_not")?,
            dots: class(words, "dots")?,
            name_not: class(words, "name_not")?,
            name_after_not: class(words, "name_after_not")?,
            dotted_not_ends: alternation(words, "dotted_not_ends")?,
            self_gap: class(words, "self_gap")?,
            self_next: class(words, "self_next")?,
            not_self: set(words, "not_self")?,
            letter_source: item(words, "letter_ranges")?.unbind(),
            letters: GILOnceCell::new(),
            start_table: Vec::new(),
        }
        .with_start_table())
    }

    fn with_start_table(mut self) -> Self {
        self.start_table = (0..0x10000).map(|cp| char::from_u32(cp).map_or(0, |ch| self.starts_of(ch))).collect();
        self
    }

    fn starts_of(&self, ch: char) -> u8 {
        let flag = |yes: bool, flag: u8| if yes { flag } else { 0 };
        flag(self.surnames.first.contains(ch), SURNAME_FIRST)
            | flag(self.cue_words.can_start(ch), CUE_FIRST)
            | flag(self.familiar_heads.can_start(ch), FAMILIAR_FIRST)
            | flag(self.dots.contains(ch), DOT)
    }

    /// The flags above for `ch`.
    #[inline]
    pub fn starts(&self, ch: char) -> u8 {
        match self.start_table.get(ch as usize) {
            Some(&flags) => flags,
            None => self.starts_of(ch),
        }
    }

    /// Python's letters (`[^\W\d_]`), fetched on first use.
    pub fn letters(&self, py: Python<'_>) -> PyResult<&RangeSet> {
        self.letters.get_or_try_init(py, || {
            let ranges: Vec<(u32, u32)> = self.letter_source.bind(py).call0()?.extract()?;
            Ok(RangeSet(ranges))
        })
    }
}

//! The rule half of the person-name finder, as `stream_processors.route.pii_name_rules`'s
//! regexes find it (they stay the reference; `tests/unit/stream_processors/route/
//! test_names_native.py` compares the two). Each regex is a hand-written matcher over the
//! text's characters that tries what re tries, in re's order: alternatives as written, greedy
//! and lazy repeats backing off as re does, look-arounds at the text's ends as re reads them.
//! Offsets are character indices, as Python's `str` has them.
use pyo3::prelude::*;

use super::lexicon::{is_han, Lexicon, RangeSet, DOT, FAMILIAR_FIRST, SURNAME_FIRST};

/// The kind of a name the rules find on their own (`name_cued` ones go apart: see `Findings`).
#[derive(Clone, Copy)]
pub enum Kind {
    Title,
    Full,
}

/// What `name_findings` needs of the rules, each list in the order the Python finders give it.
pub struct Findings {
    /// titled_findings, full_titled_findings, familiar_findings.
    pub ruled: Vec<(usize, usize, Kind)>,
    /// cued_findings' cue matches: (start, the rule's end, the surname's end); whether each is
    /// a name depends on the tagger's span from the same start, which only Python has.
    pub cued: Vec<(usize, usize, usize)>,
    /// cued_findings' names alone at a line's start, then self_named's (all `name_cued`).
    pub named: Vec<(usize, usize)>,
}

/// re's `finditer` for a pattern that never matches empty: `at(pos)` tries a match at `pos`
/// and gives what to keep and where the match ends; the search goes on after that end.
pub fn finditer<T>(len: usize, mut at: impl FnMut(usize) -> Option<(T, usize)>) -> Vec<T> {
    let mut found = Vec::new();
    let mut pos = 0;
    while pos < len {
        match at(pos) {
            Some((kept, end)) => {
                found.push(kept);
                pos = end;
            }
            None => pos += 1,
        }
    }
    found
}

/// How many characters from `from` on (at most `most`) `test` takes: a greedy repeat.
#[inline]
pub fn run(chars: &[char], from: usize, most: usize, test: impl Fn(char) -> bool) -> usize {
    chars.get(from..).map_or(0, |rest| rest.iter().take(most).take_while(|&&ch| test(ch)).count())
}

/// `_PLACE_AFTER_CUE.match(chars, at)`: one to three Han characters (lazily) and a place's
/// last character, or one to four and a station's or road's not before 长, or a province.
pub fn place_at(lex: &Lexicon, chars: &[char], at: usize) -> bool {
    let ends_at = |most: usize, ends: &dyn Fn(usize) -> bool| {
        (1..=run(chars, at, most, is_han)).any(|han| ends(at + han))
    };
    let place = |end: usize| chars.get(end).is_some_and(|&ch| lex.place_ends.contains(ch));
    let station = |end: usize| {
        chars.get(end).is_some_and(|&ch| lex.station_ends.contains(ch)) && chars.get(end + 1) != Some(&'长')
    };
    ends_at(3, &place) || ends_at(4, &station) || lex.provinces.first_at(chars, at).is_some()
}

/// `_name_like`: two to four Han characters, none a landmark's last or a pronoun, not a word.
pub fn name_like(lex: &Lexicon, word: &[char]) -> bool {
    (2..=4).contains(&word.len())
        && !lex.landmark_ends.contains(word[word.len() - 1])
        && !lex.not_names.contains(word)
        && !lex.not_names.contains(&word[..2])
        && !lex.not_in_names.any_in(word)
        && word.iter().all(|&ch| is_han(ch))
}

/// The runs of Han characters that hold a surname's first character (`_RUN_WITH_SURNAME`): the
/// tagger's input. `chars` is the text with the decided spans blanked.
pub fn surname_runs(lex: &Lexicon, chars: &[char]) -> Vec<(usize, usize)> {
    let first = |ch: char| lex.starts(ch) & SURNAME_FIRST != 0;
    finditer(chars.len(), |at| {
        if !is_han(chars[at]) || at > 0 && is_han(chars[at - 1]) {
            return None;
        }
        let end = at + run(chars, at, usize::MAX, is_han);
        // a surname's first character in the run, or right after it (the look-ahead's reach)
        let holds = chars[at..end].iter().any(|&ch| first(ch)) || chars.get(end).is_some_and(|&ch| first(ch));
        holds.then_some(((at, end), end))
    })
}

/// One text's matchers.
pub struct Scan<'a> {
    pub lex: &'a Lexicon,
    pub chars: &'a [char],
    /// `Lexicon::starts` of each character.
    pub starts: Vec<u8>,
}

impl<'a> Scan<'a> {
    pub fn new(lex: &'a Lexicon, chars: &'a [char]) -> Self {
        Scan { lex, chars, starts: chars.iter().map(|&ch| lex.starts(ch)).collect() }
    }

    pub fn findings(&self, py: Python<'_>) -> PyResult<Findings> {
        let mut ruled = self.titled();
        ruled.extend(self.full_titled());
        ruled.extend(self.familiar());
        if self.starts.iter().any(|&flags| flags & DOT != 0) {
            ruled.extend(self.dotted(self.lex.letters(py)?));
        }
        let mut named = self.line_names();
        named.extend(self.self_named());
        Ok(Findings { ruled, cued: self.cued(), named })
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether a match of the class `flag` names can start at `at`.
    #[inline]
    pub fn can_start(&self, at: usize, flag: u8) -> bool {
        self.starts.get(at).is_some_and(|&flags| flags & flag != 0)
    }

    #[inline]
    fn at_is(&self, at: usize, test: impl Fn(char) -> bool) -> bool {
        self.chars.get(at).is_some_and(|&ch| test(ch))
    }

    /// No character of a given name is a pronoun, a particle or a stop (`_NOT_IN_NAMES |
    /// _GIVEN_STOPS`).
    pub fn given_ok(&self, given: &[char]) -> bool {
        !given.iter().any(|&ch| self.lex.not_in_names.contains(ch) || self.lex.given_stops.contains(ch))
    }

    /// `_BOSS`: a one-character form of address before a non-Han character, the text's end or
    /// a particle.
    fn boss_at(&self, at: usize) -> bool {
        self.at_is(at, |ch| self.lex.boss.contains(ch))
            && self.chars.get(at + 1).map_or(true, |&ch| !is_han(ch) || self.lex.boss_next.contains(ch))
    }

    /// `_TITLED.match(folded, at)`'s end: a surname (compound first), then a title (the first
    /// in `_TITLE_ALT`'s order) or else `_BOSS`.
    pub fn titled_at(&self, at: usize) -> Option<usize> {
        if !self.can_start(at, SURNAME_FIRST) {
            return None;
        }
        self.lex.surnames.lengths_at(self.chars, at).find_map(|surname| {
            let title = at + surname;
            let length = self.lex.titles.first_at(self.chars, title).or(self.boss_at(title).then_some(1));
            length.map(|length| title + length)
        })
    }

    /// titled_findings; a match after a surname character is passed over ("张王先生").
    fn titled(&self) -> Vec<(usize, usize, Kind)> {
        let found = finditer(self.len(), |at| self.titled_at(at).map(|end| ((at, end), end)));
        found.into_iter()
            .filter(|&(start, _)| start == 0 || !self.lex.surnames.single.contains(self.chars[start - 1]))
            .map(|(start, end)| (start, end, Kind::Title))
            .collect()
    }

    /// `_FULL_TITLED` at `at`: (the name's end, the match's end). After a non-Han character, a
    /// particle or the text's start; a surname (compound first), one or two Han characters
    /// (two first), a title.
    fn full_titled_at(&self, at: usize) -> Option<(usize, usize)> {
        let c = self.chars;
        if !self.can_start(at, SURNAME_FIRST) || at > 0 && is_han(c[at - 1]) && !self.lex.full_after.contains(c[at - 1]) {
            return None;
        }
        self.lex.surnames.lengths_at(c, at).find_map(|surname| {
            [2, 1].into_iter().find_map(|given| {
                let name = at + surname + given;
                if run(c, at + surname, given, is_han) < given {
                    return None;
                }
                self.lex.full_titles.first_at(c, name).map(|title| (name, name + title))
            })
        })
    }

    /// full_titled_findings: not after a cue (房东詹女士), nor a word, nor a pronoun inside.
    fn full_titled(&self) -> Vec<(usize, usize, Kind)> {
        let found = finditer(self.len(), |at| self.full_titled_at(at).map(|(name, end)| ((at, name), end)));
        found.into_iter()
            .filter(|&(start, end)| {
                let name = &self.chars[start..end];
                let given = &name[self.lex.surnames.len_of(name)..];
                !given.is_empty() && self.lex.cue_words.first_at(self.chars, start).is_none()
                    && self.given_ok(given) && !self.lex.not_names.contains(name)
            })
            .map(|(start, end)| (start, end, Kind::Full))
            .collect()
    }

    /// `_FAMILIAR` at `at`: 小 or 老, a surname, then no Han character or a particle or verb.
    /// The heads are one character each, so no later one could match where the first failed.
    fn familiar_at(&self, at: usize) -> Option<usize> {
        if !self.can_start(at, FAMILIAR_FIRST) {
            return None;
        }
        let surname = at + self.lex.familiar_heads.first_at(self.chars, at)?;
        if !self.at_is(surname, |ch| self.lex.surnames.single.contains(ch)) {
            return None;
        }
        let next = self.chars.get(surname + 1);
        next.map_or(true, |&ch| !is_han(ch) || self.lex.familiar_next.contains(ch)).then_some(surname + 1)
    }

    fn familiar(&self) -> Vec<(usize, usize, Kind)> {
        let found = finditer(self.len(), |at| self.familiar_at(at).map(|end| ((at, end), end)));
        found.into_iter()
            .filter(|&(start, end)| !self.lex.familiar_not.contains(&self.chars[start..end]))
            .map(|(start, end)| (start, end, Kind::Title))
            .collect()
    }

    /// `_DOTTED` at `at`: not after a dot, two to seven name characters, a dot, two to five.
    fn dotted_at(&self, letters: &RangeSet, at: usize) -> Option<usize> {
        let (c, lex) = (self.chars, self.lex);
        if at > 0 && lex.dots.contains(c[at - 1]) {
            return None;
        }
        let letter = |ch: char| letters.contains(ch) && !ch.is_ascii_alphabetic();
        let first = run(c, at, 7, |ch| letter(ch) && !lex.name_not.contains(ch));
        (2..=first).rev().find_map(|length| {
            let dot = at + length;
            if !self.at_is(dot, |ch| lex.dots.contains(ch)) {
                return None;
            }
            let second = run(c, dot + 1, 5, |ch| letter(ch) && !lex.name_after_not.contains(ch));
            (second >= 2).then_some(dot + 1 + second)
        })
    }

    /// The dotted names of familiar_findings, less those that end as a road or a place does.
    fn dotted(&self, letters: &RangeSet) -> Vec<(usize, usize, Kind)> {
        let found = finditer(self.len(), |at| self.dotted_at(letters, at).map(|end| ((at, end), end)));
        found.into_iter()
            .filter(|&(start, end)| !self.lex.dotted_not_ends.ends(&self.chars[start..end]))
            .map(|(start, end)| (start, end, Kind::Full))
            .collect()
    }
}

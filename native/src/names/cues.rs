//! The cued names of `stream_processors.route.pii_name_rules` (cued_findings, self_named):
//! the name after a cue word, a name alone at a line's start, a name after 我. Matchers as in
//! `rules.rs`, in re's order.
use super::lexicon::{is_han, CUE_FIRST};
use super::rules::{finditer, name_like, place_at, run, Scan};

impl Scan<'_> {
    /// One `_CUE_WORD`'s end: the first cue word (in the order written) at `at`, then up to two
    /// of the characters that may follow one (` :：是为叫`, taken greedily).
    fn cue_word_end(&self, at: usize) -> Option<usize> {
        if !self.can_start(at, CUE_FIRST) {
            return None;
        }
        let end = at + self.lex.cue_words.first_at(self.chars, at)?;
        Some(end + run(self.chars, end, 2, |ch| self.lex.cue_gap.contains(ch)))
    }

    /// `_CUE.match(folded, at)`'s end: a cue, then as many more as follow. Nothing comes after
    /// in the pattern, so re's first choices stand and it never backs off.
    fn cue_end(&self, at: usize) -> Option<usize> {
        let mut end = self.cue_word_end(at)?;
        while let Some(next) = self.cue_word_end(end) {
            end = next;
        }
        Some(end)
    }

    /// `_given_name_end`: the surname and up to two Han characters that are no stop.
    fn given_name_end(&self, start: usize, surname: usize) -> usize {
        let given = run(self.chars, start + surname, 2, |ch| is_han(ch) && !self.lex.given_stops.contains(ch));
        start + surname + given
    }

    /// cued_findings' first loop, up to the tagger's part: after each cue, a surname that no
    /// title (王先生 is titled_findings') or place (我是晋安区的) follows.
    pub fn cued(&self) -> Vec<(usize, usize, usize)> {
        let ends = finditer(self.chars.len(), |at| self.cue_end(at).map(|end| (end, end)));
        ends.into_iter()
            .filter_map(|start| {
                let surname = self.lex.surnames.len_of(&self.chars[start..(start + 2).min(self.chars.len())]);
                if surname == 0 || self.titled_at(start).is_some() || place_at(self.lex, self.chars, start) {
                    return None;
                }
                Some((start, self.given_name_end(start, surname), start + surname))
            })
            .collect()
    }

    /// `_LINE_NAME` at `at`: (the name's span, the match's end). At a line's start, spaces or
    /// tabs, then two to four Han characters before a bracket, colon or comma; or two to four
    /// Han characters in 【】.
    fn line_name_at(&self, at: usize) -> Option<((usize, usize), usize)> {
        let c = self.chars;
        if at == 0 || c[at - 1] == '\n' {
            let name = at + run(c, at, usize::MAX, |ch| ch == ' ' || ch == '\t');
            let han = run(c, name, 4, is_han);
            let length = (2..=han).rev().find(|&length| self.at_is_next(name + length));
            if let Some(length) = length {
                return Some(((name, name + length), name + length));
            }
        }
        if c[at] != '【' {
            return None;
        }
        let han = run(c, at + 1, 4, is_han);
        let length = (2..=han).rev().find(|&length| c.get(at + 1 + length) == Some(&'】'))?;
        Some(((at + 1, at + 1 + length), at + 2 + length))
    }

    fn at_is_next(&self, at: usize) -> bool {
        self.chars.get(at).is_some_and(|&ch| self.lex.line_next.contains(ch))
    }

    /// cued_findings' second loop: line names that start with a surname, are no place (the
    /// name read alone, as `_PLACE_AFTER_CUE.match(name)` reads it) and look like a name.
    pub fn line_names(&self) -> Vec<(usize, usize)> {
        let found = finditer(self.chars.len(), |at| self.line_name_at(at));
        found.into_iter()
            .filter(|&(start, end)| {
                let name = &self.chars[start..end];
                self.lex.surnames.len_of(name) > 0 && !place_at(self.lex, name, 0) && name_like(self.lex, name)
            })
            .collect()
    }

    /// `_SELF`'s look-ahead: a boundary character, or `$` (the end, or a last line break).
    fn self_ends_at(&self, at: usize) -> bool {
        let len = self.chars.len();
        at == len || at + 1 == len && self.chars[at] == '\n' || self.lex.self_next.contains(self.chars[at])
    }

    /// `_SELF` at `at`: the name's span. 我, a space or comma if there is one (re tries with it
    /// first), a surname (compound first), one Han character or else two (lazily), a boundary.
    fn self_at(&self, at: usize) -> Option<(usize, usize)> {
        let c = self.chars;
        if c[at] != '我' {
            return None;
        }
        let gap = c.get(at + 1).is_some_and(|&ch| self.lex.self_gap.contains(ch));
        let starts = [gap.then_some(at + 2), Some(at + 1)];
        starts.into_iter().flatten().find_map(|name| {
            self.lex.surnames.lengths_at(c, name).find_map(|surname| {
                [1, 2].into_iter().find_map(|given| {
                    let end = name + surname + given;
                    let han = run(c, name + surname, given, is_han) == given;
                    (han && self.self_ends_at(end)).then_some((name, end))
                })
            })
        })
    }

    /// self_named: no listed word, no pronoun or stop in the given name.
    pub fn self_named(&self) -> Vec<(usize, usize)> {
        let found = finditer(self.chars.len(), |at| self.self_at(at).map(|span| (span, span.1)));
        found.into_iter()
            .filter(|&(start, end)| {
                let name = &self.chars[start..end];
                let given = &name[self.lex.surnames.len_of(name)..];
                !self.lex.not_self.contains(name) && !self.lex.not_names.contains(name) && self.given_ok(given)
            })
            .collect()
    }
}

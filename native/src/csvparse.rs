//! `_csv.c`'s parser states for the excel dialect, ported state for state (see textsource's
//! module comment for why the escape and EAT_CRNL states never arise here).
use crate::textsource::{Record, SourceError};

/// `_csv.c`'s parser states that can hold between characters (see the module comment).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum State { StartRecord, StartField, InField, InQuoted, QuoteInQuoted }

/// Physical lines consumed, as Python's `line_num` counts them; `after_cr`: a "\r" ended the
/// last buffer, so a "\n" starting the next belongs to the same line break.
pub(crate) struct Lines { pub(crate) done: u64, pub(crate) after_cr: bool }

/// What one step of the state machine decided.
enum Step { Go, RecordEnded, TextEnded }

impl From<bool> for Step {
    /// `end_record`'s answer: the record ended, or the text did (a "\r" closing the buffer).
    fn from(ended: bool) -> Self { if ended { Step::RecordEnded } else { Step::TextEnded } }
}

/// Runs `_csv.c`'s parse_process_char over `text` from `*i` until a record ends (true) or the
/// text does (false). Runs of ordinary characters are copied in one go.
pub(crate) fn parse(text: &str, i: &mut usize, lines: &mut Lines, state: &mut State,
                    rec: &mut Record) -> Result<bool, SourceError> {
    let b = text.as_bytes();
    while *i < b.len() {
        let step = match *state {
            State::StartRecord => start_record(b, i, lines, state, rec),
            State::StartField => start_field(b, i, lines, state, rec),
            State::InField => in_field(text, i, lines, state, rec)?,
            State::InQuoted => in_quoted(text, i, lines, state, rec)?,
            State::QuoteInQuoted => quote_in_quoted(b, i, lines, state, rec)?,
        };
        match step {
            Step::Go => {}
            Step::RecordEnded => return Ok(true),
            Step::TextEnded => return Ok(false),
        }
    }
    Ok(false)
}

fn start_record(b: &[u8], i: &mut usize, lines: &mut Lines, state: &mut State,
                rec: &mut Record) -> Step {
    if b[*i] == b'\r' || b[*i] == b'\n' {
        return end_record(b, i, lines, rec).into(); // a blank line: Python yields []
    }
    *state = State::StartField;
    Step::Go
}

fn start_field(b: &[u8], i: &mut usize, lines: &mut Lines, state: &mut State,
               rec: &mut Record) -> Step {
    match b[*i] {
        b'"' => { *i += 1; *state = State::InQuoted; }
        b',' => { *i += 1; rec.save_field(); }
        b'\r' | b'\n' => { rec.save_field(); return end_record(b, i, lines, rec).into(); }
        _ => *state = State::InField,
    }
    Step::Go
}

fn in_field(text: &str, i: &mut usize, lines: &mut Lines, state: &mut State,
            rec: &mut Record) -> Result<Step, SourceError> {
    let b = text.as_bytes();
    let end = find(b, *i, b',', b'\r', b'\n');
    rec.buf.push_str(&text[*i..end]);
    *i = end;
    if end == b.len() {
        return Ok(Step::TextEnded);
    }
    rec.check_limit(lines.done + 1)?;
    rec.save_field();
    if b[end] != b',' {
        return Ok(end_record(b, i, lines, rec).into());
    }
    (*i, *state) = (end + 1, State::StartField);
    Ok(Step::Go)
}

fn in_quoted(text: &str, i: &mut usize, lines: &mut Lines, state: &mut State,
             rec: &mut Record) -> Result<Step, SourceError> {
    let b = text.as_bytes();
    let end = find(b, *i, b'"', b'\r', b'\n');
    rec.buf.push_str(&text[*i..end]);
    *i = end;
    if end == b.len() {
        return Ok(Step::TextEnded);
    }
    if b[end] == b'"' {
        (*i, *state) = (end + 1, State::QuoteInQuoted);
    } else {
        // Inside quotes a line break is data, but still ends a physical line.
        let line = lines.done + 1;
        end_line(b, i, lines);
        rec.buf.push_str(&text[end..*i]);
        rec.check_limit(line)?;
    }
    Ok(Step::Go)
}

fn quote_in_quoted(b: &[u8], i: &mut usize, lines: &mut Lines, state: &mut State,
                   rec: &mut Record) -> Result<Step, SourceError> {
    match b[*i] {
        b'"' => {
            rec.buf.push('"'); // "" inside quotes is one quote
            (*i, *state) = (*i + 1, State::InQuoted);
        }
        b',' | b'\r' | b'\n' => {
            rec.check_limit(lines.done + 1)?;
            rec.save_field();
            if b[*i] != b',' {
                return Ok(end_record(b, i, lines, rec).into());
            }
            (*i, *state) = (*i + 1, State::StartField);
        }
        // strict=False: text after a closing quote joins the field (`"ab"c` -> abc).
        _ => *state = State::InField,
    }
    Ok(Step::Go)
}

/// Consumes the line break ending a record and stamps the record's line number.
fn end_record(b: &[u8], i: &mut usize, lines: &mut Lines, rec: &mut Record) -> bool {
    end_line(b, i, lines);
    rec.line = lines.done;
    true
}

/// Consumes the line break at `*i`: "\n", "\r", or "\r\n" (a "\r" ending the buffer leaves
/// `after_cr` for the next one to settle).
pub(crate) fn end_line(b: &[u8], i: &mut usize, lines: &mut Lines) {
    let first = b[*i];
    *i += 1;
    lines.done += 1;
    if first == b'\r' {
        match b.get(*i) {
            Some(b'\n') => *i += 1,
            Some(_) => {}
            None => lines.after_cr = true,
        }
    }
}

/// Index of the first of `x`, `y`, `z` at or after `from`, or `b.len()`. The hot loop of the
/// reader, so it tests 8 bytes at a time (SWAR: a byte of `w ^ splat(x)` is zero where `w`
/// holds `x`; the lowest flagged byte is always a true match).
#[inline]
pub(crate) fn find(b: &[u8], from: usize, x: u8, y: u8, z: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (sx, sy, sz) = (ONES * x as u64, ONES * y as u64, ONES * z as u64);
    let mut i = from;
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let hits = zero_bytes(w ^ sx) | zero_bytes(w ^ sy) | zero_bytes(w ^ sz);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == x || c == y || c == z).map_or(b.len(), |n| i + n)
}

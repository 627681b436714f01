//! A streaming CSV reader yielding exactly what Python 3.11's
//! `csv.reader(open(path, encoding=E, newline=""))` yields with the default "excel" dialect,
//! with `reader.line_num` after each record.
//!
//! Python feeds `_csv.c`'s state machine one physical line at a time (lines end after "\n",
//! "\r" or "\r\n") followed by an end-of-line pseudo-character. With newline="" a line break
//! can only be a line's last character, so the machine's EAT_CRNL state never sees anything
//! but the EOL; we therefore end a record at its line break directly, and the escape states
//! never arise without an escapechar. What remains is ported state for state (see `parse`).
//!
//! The file is read in large chunks and decoded into one reusable String; cells are copied in
//! runs into one buffer per record. Memory stays flat in the file's size.

use std::{fmt, fs::File, io::{self, Read}, path::Path, sync::Arc};

use crate::csvparse::{parse, Lines, State};
use crate::gb18030::{self, Gb18030Table, Stop};

const CHUNK: usize = 256 * 1024;
/// `csv.field_size_limit()`'s default; Python refuses to add a character to a field that
/// already holds this many.
pub const FIELD_LIMIT: usize = 131_072;
const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Clone)]
pub enum Codec {
    /// Python's "utf-8-sig": UTF-8, a BOM at the very start dropped.
    Utf8Sig,
    /// Python's "gb18030".
    Gb18030(Arc<Gb18030Table>),
}

#[derive(Debug)]
pub enum SourceError {
    Io(io::Error),
    /// Python would raise UnicodeDecodeError; `line` is the physical line (1-based) holding
    /// the first byte it cannot decode.
    Decode { line: u64, reason: String },
    /// Python's `_csv.Error: field larger than field limit (131072)` while reading `line`.
    FieldLimit { line: u64 },
    /// Physical line `line` is longer than the reader's line cap: the reader declines it and
    /// everything after it (the Python reader, which rejects such lines, goes on from there).
    LineCap { line: u64 },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Decode { line, reason } => write!(f, "line {line}: {reason}"),
            Self::FieldLimit { line } => {
                write!(f, "field larger than field limit ({FIELD_LIMIT}), line {line}")
            }
            Self::LineCap { line } => write!(f, "line {line} is longer than the line cap"),
        }
    }
}

impl std::error::Error for SourceError {}

impl From<io::Error> for SourceError {
    fn from(e: io::Error) -> Self { Self::Io(e) }
}

/// One record's cells: one text buffer and where each cell ends, reused between records.
pub struct Record {
    pub(crate) buf: String,
    ends: Vec<usize>,
    pub(crate) line: u64,
    // Characters counted in the open field up to byte `counted`, for the field limit (which
    // Python counts in characters); counting starts only once the field's bytes pass it.
    counted: usize,
    chars: usize,
}

impl Default for Record {
    fn default() -> Self { Self::new() }
}

impl Record {
    pub fn new() -> Self {
        Self { buf: String::new(), ends: Vec::new(), line: 0, counted: 0, chars: 0 }
    }
    /// Python's `reader.line_num` after this record.
    pub fn line(&self) -> u64 { self.line }
    /// Number of cells (0 for a blank line, which Python yields as []).
    pub fn len(&self) -> usize { self.ends.len() }
    pub fn is_empty(&self) -> bool { self.ends.is_empty() }
    pub fn cell(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
    pub fn cells(&self) -> impl Iterator<Item = &str> { (0..self.len()).map(|i| self.cell(i)) }
    pub fn to_vec(&self) -> Vec<String> { self.cells().map(str::to_owned).collect() }

    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        (self.counted, self.chars) = (0, 0);
    }
    pub(crate) fn save_field(&mut self) {
        self.ends.push(self.buf.len());
        self.counted = self.buf.len();
        self.chars = 0;
    }
    /// Whether the open field holds more than FIELD_LIMIT characters (Python's error point).
    fn over_limit(&mut self) -> bool {
        let start = self.ends.last().copied().unwrap_or(0);
        if self.buf.len() - start <= FIELD_LIMIT {
            return false; // never more characters than bytes
        }
        let fresh = &self.buf.as_bytes()[self.counted..];
        self.chars += fresh.iter().filter(|&&b| (b as i8) >= -0x40).count(); // not 10xxxxxx
        self.counted = self.buf.len();
        self.chars > FIELD_LIMIT
    }
    pub(crate) fn check_limit(&mut self, line: u64) -> Result<(), SourceError> {
        if self.over_limit() { Err(SourceError::FieldLimit { line }) } else { Ok(()) }
    }
}

pub struct CsvSource {
    file: File,
    codec: Codec,
    raw: Vec<u8>,   // undecoded bytes: a sequence cut by the last chunk, then the next chunk
    text: String,   // decoded text, parsed up to `pos`
    pos: usize,
    started: bool,  // the BOM check is done
    eof: bool,      // the file is read to its end
    pending: Option<&'static str>, // why the bytes right after `text` cannot be decoded
    last: u8,       // last byte of the text decoded so far: did the file end mid-line?
    lines: Lines,
    cap: LineScan,  // physical line lengths of the raw bytes, against the line cap
}

/// Physical lines of the raw bytes as they are read, counted as the parser counts them ("\n",
/// "\r", "\r\n"), so that the first line longer than `max` is found before it is decoded.
struct LineScan {
    max: usize,
    len: usize,       // bytes of the current line so far
    done: u64,        // lines ended
    after_cr: bool,   // the last byte scanned was a "\r"
    over: Option<u64>, // the first line over `max`
}

impl LineScan {
    /// Scans `b`; the index in `b` where the first over-long line passes `max`, if it does.
    fn scan(&mut self, b: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < b.len() {
            if std::mem::take(&mut self.after_cr) && b[i] == b'\n' {
                i += 1; // the "\n" of a "\r\n"
                continue;
            }
            let end = crate::csvparse::find(b, i, b'\n', b'\r', b'\n');
            if self.len.saturating_add(end - i) > self.max {
                self.over = Some(self.done + 1);
                return Some(i + (self.max - self.len) + 1);
            }
            if end == b.len() {
                self.len += end - i;
                return None;
            }
            (self.len, self.done, self.after_cr) = (0, self.done + 1, b[end] == b'\r');
            i = end + 1;
        }
        None
    }
}

impl CsvSource {
    /// A reader of `path` that declines lines longer than `max_line` bytes (`LineCap`).
    pub fn open(path: &Path, codec: Codec, max_line: usize) -> Result<Self, SourceError> {
        let (raw, text) = (Vec::with_capacity(CHUNK + 4), String::with_capacity(CHUNK * 3 / 2));
        let lines = Lines { done: 0, after_cr: false };
        let cap = LineScan { max: max_line, len: 0, done: 0, after_cr: false, over: None };
        Ok(Self { file: File::open(path)?, codec, raw, text, pos: 0, started: false, eof: false,
                  pending: None, last: b'\n', lines, cap })
    }

    /// Next record into `rec` (blank lines included, as Python yields [] for them); Ok(false)
    /// at end. Errors only when this record needs bytes that are bad or over the limit.
    pub fn next_record(&mut self, rec: &mut Record) -> Result<bool, SourceError> {
        rec.clear();
        let mut state = State::StartRecord;
        loop {
            if self.pos == self.text.len() {
                // Checked per chunk too, so one endless field cannot grow without bound.
                rec.check_limit(self.lines.done + 1)?;
                if !self.refill()? {
                    return self.finish(state, rec);
                }
                self.join_lf(state, rec)?;
            }
            let text = self.text.as_str();
            if parse(text, &mut self.pos, &mut self.lines, &mut state, rec)? {
                return Ok(true);
            }
        }
    }

    /// End of file: Python's reader saves the open field of an unfinished record (strict=False
    /// yields even an unterminated quoted field) and counts a last line without a line break.
    fn finish(&mut self, state: State, rec: &mut Record) -> Result<bool, SourceError> {
        if state == State::StartRecord {
            return Ok(false); // Python: StopIteration
        }
        self.lines.done += u64::from(self.last != b'\n' && self.last != b'\r');
        rec.check_limit(self.lines.done)?;
        rec.save_field();
        rec.line = self.lines.done;
        Ok(true)
    }

    /// A "\r" ended the previous buffer: a "\n" opening this one is the same line break.
    fn join_lf(&mut self, state: State, rec: &mut Record) -> Result<(), SourceError> {
        if !std::mem::take(&mut self.lines.after_cr) || !self.text.starts_with('\n') {
            return Ok(());
        }
        self.pos = 1;
        if state == State::InQuoted {
            rec.buf.push('\n'); // inside quotes a line break is data
            rec.check_limit(self.lines.done)?;
        }
        Ok(())
    }

    /// Replaces the consumed text with the next decoded chunk. Ok(false) at the end of the
    /// file; the decode error once the text before the bad bytes is consumed.
    fn refill(&mut self) -> Result<bool, SourceError> {
        self.text.clear();
        self.pos = 0;
        loop {
            if let Some(reason) = self.pending {
                let line = self.lines.done + 1; // all text before the bad bytes is consumed
                return Err(match self.cap.over {
                    // Bytes cut at the cap are no decoding fault: the line is declined.
                    Some(over) if over <= line => SourceError::LineCap { line: over },
                    _ => SourceError::Decode { line, reason: reason.to_owned() },
                });
            }
            if self.eof && self.raw.is_empty() {
                return match self.cap.over {
                    Some(line) => Err(SourceError::LineCap { line }),
                    None => Ok(false),
                };
            }
            self.read_chunk()?;
            self.decode_raw();
            if let Some(&b) = self.text.as_bytes().last() {
                self.last = b;
                return Ok(true);
            }
        }
    }

    /// Appends up to CHUNK bytes of the file to `raw`, reading until full or at the end.
    fn read_chunk(&mut self) -> io::Result<()> {
        if self.cap.over.is_some() {
            self.eof = true; // nothing past an over-long line is read
            return Ok(());
        }
        let start = self.raw.len();
        self.read_more()?;
        if let Some(cut) = self.cap.scan(&self.raw[start..]) {
            self.raw.truncate(start + cut);
            self.eof = true;
        }
        Ok(())
    }

    fn read_more(&mut self) -> io::Result<()> {
        let mut filled = self.raw.len();
        self.raw.resize(filled + CHUNK, 0);
        let result = loop {
            match self.file.read(&mut self.raw[filled..]) {
                Ok(0) => { self.eof = true; break Ok(()); }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
            if filled == self.raw.len() {
                break Ok(());
            }
        };
        self.raw.truncate(filled);
        result
    }

    /// Decodes what it can of `raw` onto `text`, keeping a cut sequence for the next chunk
    /// and noting in `pending` why the first bad bytes (if any) cannot be decoded.
    fn decode_raw(&mut self) {
        let mut from = 0;
        if !self.started && matches!(self.codec, Codec::Utf8Sig) {
            // Python's utf-8-sig decoder waits for 3 bytes before judging a BOM and, at the
            // end, silently drops a file that is only the start of one ("\xEF" or "\xEF\xBB").
            let short = self.raw.len() < BOM.len() && BOM.starts_with(&self.raw);
            if short && !self.eof {
                return;
            }
            if short || self.raw.starts_with(BOM) {
                from = self.raw.len().min(BOM.len());
            }
        }
        self.started = true;
        let src = &self.raw[from..];
        let (used, bad) = match &self.codec {
            Codec::Utf8Sig => decode_utf8(src, &mut self.text),
            Codec::Gb18030(table) => match table.decode(src, &mut self.text) {
                Stop::Done => (src.len(), None),
                Stop::Incomplete(i) => (i, Some(gb18030::INCOMPLETE)),
                Stop::Illegal(i) => (i, Some(gb18030::ILLEGAL)),
            },
        };
        // A cut sequence is only an error when no more bytes can complete it.
        let cut = matches!(bad, Some(gb18030::INCOMPLETE | UTF8_CUT));
        if bad.is_some() && (!cut || self.eof) {
            self.pending = bad;
        }
        self.raw.drain(..from + used);
    }
}

const UTF8_CUT: &str = "unexpected end of data";

/// Validates UTF-8 onto `out`: (bytes used, Python's reason for the bytes after them).
fn decode_utf8(src: &[u8], out: &mut String) -> (usize, Option<&'static str>) {
    let (valid, bad) = match std::str::from_utf8(src) {
        Ok(_) => (src.len(), None),
        Err(e) => (e.valid_up_to(), Some(match e.error_len() {
            None => UTF8_CUT,
            // Python names the lead byte's fault: a byte that may start a sequence was let
            // down by a continuation byte; anything else cannot start one.
            Some(_) if (0xC2..=0xF4).contains(&src[e.valid_up_to()]) => "invalid continuation byte",
            Some(_) => "invalid start byte",
        })),
    };
    // SAFETY: from_utf8 validated src[..valid] (all of it, or up to valid_up_to()).
    out.push_str(unsafe { std::str::from_utf8_unchecked(&src[..valid]) });
    (valid, bad)
}

//! Cells of one CSV record → (key, framed Avro value), exactly as `producers/files/fastpath.py`
//! and `textpath.FastTextPath.encode` write them — or `None`, declining the row.
//!
//! Contract (the same as the Python fast path's): this never judges a row. It accepts only the
//! plainest forms of each type (ASCII digits, ISO time stamps with seconds, exact enum symbols)
//! and declines everything else, so that Python's reference path decides every doubtful row and
//! owns every fault. Python compiles the plan (`producers/files/native.py`) from the schema.
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::collections::HashMap;

use crate::ids::{hex_into, uuid5_text_into};
use crate::timetext::{parse_date_days, parse_timestamp_millis};

/// How one field's non-empty cell becomes bytes.
pub enum Kind {
    /// Avro string: the cell's UTF-8 bytes after a zig-zag length.
    Text,
    /// Exact lookup (enum symbols and their labels, booleans): anything else declines.
    Table(HashMap<String, Vec<u8>>),
    /// int or long: `[+-]?[0-9]+` inside [low, high).
    Integer { low: i128, high: i128 },
    /// float (`single`) or double: text of Python's `_DECIMAL` pattern, correctly rounded
    /// (as `float()`), then narrowed to single precision as `struct.pack("<f")` does.
    Floating { single: bool },
    /// timestamp-millis; naive times are at `naive_offset_seconds` east of UTC.
    TimestampMillis { naive_offset_seconds: i64 },
    /// date: days since 1970-01-01.
    Date,
    /// An array of strings written as a list cell: items separated by `;`, `；` or `、`
    /// (`fastpath.split_list`). JSON arrays and cells with any white space are declined, so
    /// Python's `strip()` (whose white space differs from Rust's) never matters.
    TextList,
    /// Any kind this module does not write: a non-empty cell declines the row.
    Decline,
}

pub struct FieldPlan {
    pub source: usize,
    pub kind: Kind,
    pub prefix: Vec<u8>,
    pub absent: Option<Vec<u8>>,
    pub labels: Option<HashMap<String, String>>,
}

pub struct RowPlan {
    pub fields: Vec<FieldPlan>,
    pub tail: Vec<Option<String>>,
    pub width: usize,
    pub key_at: usize,
    pub region_at: Option<usize>,
    pub default_region: String,
    pub time_at: Option<usize>,
    pub time_nullable: bool,
    pub base_level: Vec<u8>,
    pub raisers: Vec<(usize, Vec<u8>)>,
    pub id_prefix: Vec<u8>,
    pub frame: Vec<u8>,
    pub constant: Vec<u8>,
}

/// Bytes that change once per batch: the ingest hop and "now" for datasets without event time.
pub struct BatchBytes<'a> {
    pub lineage: &'a [u8],
    pub now: &'a [u8],
}

pub fn zigzag(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7F) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_text(out: &mut Vec<u8>, text: &str) {
    zigzag(out, text.len() as i64);
    out.extend_from_slice(text.as_bytes());
}

fn parse_integer(text: &str) -> Option<i128> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i128>().ok()
}

/// `[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?`: no inf, nan or spaces.
fn is_decimal(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let exp_digits = b[i.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

fn write_floating(out: &mut Vec<u8>, text: &str, single: bool) -> Option<()> {
    if !is_decimal(text) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if single {
        let narrow = value as f32;
        if narrow.is_infinite() && value.is_finite() {
            return None; // Python refuses to pack it: let the reference path say so
        }
        out.extend_from_slice(&narrow.to_le_bytes());
    } else {
        out.extend_from_slice(&value.to_le_bytes());
    }
    Some(())
}

fn write_text_list(out: &mut Vec<u8>, text: &str) -> Option<()> {
    if text.starts_with('[') || text.chars().any(|c| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)) {
        return None;
    }
    let items: Vec<&str> = text.split([';', '；', '、']).filter(|item| !item.is_empty()).collect();
    if !items.is_empty() {
        zigzag(out, items.len() as i64);
        items.iter().for_each(|item| write_text(out, item));
    }
    out.push(0);
    Some(())
}

/// A non-empty value (labels already applied) → its bytes, or None to decline.
fn write_value(out: &mut Vec<u8>, kind: &Kind, text: &str) -> Option<()> {
    match kind {
        Kind::Text => write_text(out, text),
        Kind::Table(table) => out.extend_from_slice(table.get(text)?),
        Kind::Integer { low, high } => {
            let n = parse_integer(text)?;
            if n < *low || n >= *high {
                return None;
            }
            zigzag(out, n as i64);
        }
        Kind::TimestampMillis { naive_offset_seconds } => {
            zigzag(out, parse_timestamp_millis(text, *naive_offset_seconds)?)
        }
        Kind::Floating { single } => write_floating(out, text, *single)?,
        Kind::Date => zigzag(out, parse_date_days(text)?),
        Kind::TextList => write_text_list(out, text)?,
        Kind::Decline => return None,
    }
    Some(())
}

impl FieldPlan {
    /// One field's bytes; an empty (or absent) cell means "not given".
    fn write(&self, out: &mut Vec<u8>, cell: Option<&str>) -> Option<()> {
        let text = match cell {
            Some(text) if !text.is_empty() => text,
            _ => {
                out.extend_from_slice(self.absent.as_deref()?);
                return Some(());
            }
        };
        let value = match &self.labels {
            Some(labels) => labels.get(text).map(String::as_str).unwrap_or(text),
            None => text,
        };
        out.extend_from_slice(&self.prefix);
        write_value(out, &self.kind, value)
    }
}

impl RowPlan {
    fn cell<'r>(&'r self, cells: &'r [&'r str], source: usize) -> Option<&'r str> {
        if source < self.width {
            Some(cells[source])
        } else {
            self.tail[source - self.width].as_deref()
        }
    }

    /// The record's key: its key field's cell, as Python's `cells[key_at].encode()`.
    pub fn key<'r>(&'r self, cells: &'r [&'r str]) -> &'r str {
        self.cell(cells, self.fields[self.key_at].source).unwrap_or("")
    }

    /// The UUIDv5-style event id of `producers.sdk.EventIds` over `key#sha256(body)[:16]`.
    fn event_id(&self, out: &mut Vec<u8>, key: &str, body: &[u8]) {
        let digest = Sha256::digest(body);
        let mut hasher = Sha1::new();
        hasher.update(&self.id_prefix);
        hasher.update(key.as_bytes());
        hasher.update(b"#");
        let mut short = Vec::with_capacity(16);
        hex_into(&mut short, &digest[..8]);
        hasher.update(&short);
        uuid5_text_into(out, hasher);
    }

    /// (key, framed value) of one record, or None to decline it. `body` is scratch space.
    pub fn encode(&self, cells: &[&str], batch: &BatchBytes, body: &mut Vec<u8>,
                  value: &mut Vec<u8>) -> Option<()> {
        if cells.len() != self.width {
            return None; // the reference path names the fault
        }
        body.clear();
        let mut time_part = (0, 0);
        for (i, field) in self.fields.iter().enumerate() {
            let start = body.len();
            field.write(body, self.cell(cells, field.source))?;
            if Some(i) == self.time_at {
                time_part = (start, body.len());
            }
        }
        let key = self.key(cells);
        let region = self.region_at
            .and_then(|i| self.cell(cells, self.fields[i].source))
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.default_region);
        let level = self.raisers.iter()
            .find(|(i, _)| self.cell(cells, self.fields[*i].source).is_some_and(|c| !c.is_empty()))
            .map_or(&self.base_level, |(_, bytes)| bytes);
        value.clear();
        value.extend_from_slice(&self.frame);
        value.push(0x48); // zig-zag 36: an event id's length
        self.event_id(value, key, body);
        self.write_time(value, body, time_part, batch);
        value.extend_from_slice(&self.constant);
        write_text(value, region);
        value.extend_from_slice(level);
        value.extend_from_slice(batch.lineage);
        value.extend_from_slice(body);
        Some(())
    }

    /// The envelope's event time: the event-time field's long (without its union branch byte
    /// when nullable), else now.
    fn write_time(&self, value: &mut Vec<u8>, body: &[u8], (start, end): (usize, usize),
                  batch: &BatchBytes) {
        let written = &body[start..end];
        let time = match self.time_at {
            None => batch.now,
            Some(_) if !self.time_nullable => written,
            Some(_) if written.len() > 1 => &written[1..],
            Some(_) => batch.now,
        };
        value.extend_from_slice(time);
    }
}

//! GB18030 decoding, bit for bit as CPython's "gb18030" codec (Modules/cjkcodecs/_codecs_cn.c).
//!
//! The two-byte and four-byte-BMP mappings come from Python itself (producers/files/gbtable.py)
//! so they cannot drift from the codec the Python paths read with; only the codec's control flow
//! (which bytes start which sequence, the linear supplementary range, what counts as
//! "incomplete" versus "illegal") is ported here.

const LEAD_MIN: u8 = 0x81;
const LEAD_MAX: u8 = 0xFE;
const TRAIL_MIN: u8 = 0x40;
const TRAILS: usize = 191; // 0x40..=0xFE
const LEADS: usize = 126; // 0x81..=0xFE
const FOUR_BMP: usize = 39420; // 0x81308130..=0x8431A439

pub const ILLEGAL: &str = "illegal multibyte sequence";
pub const INCOMPLETE: &str = "incomplete multibyte sequence";

pub struct Gb18030Table {
    two: Vec<Utf8>,
    four: Vec<Utf8>,
}

/// A table entry pre-encoded as UTF-8 (decoding is then a copy); `len` 0 marks bytes Python
/// refuses.
#[derive(Clone, Copy)]
struct Utf8 {
    bytes: [u8; 4],
    len: u8,
}

impl Utf8 {
    const INVALID: Utf8 = Utf8 { bytes: [0; 4], len: 0 };

    fn of(c: char) -> Self {
        let mut bytes = [0; 4];
        let len = c.encode_utf8(&mut bytes).len() as u8;
        Self { bytes, len }
    }
}

/// Where decoding a buffer stopped short of its end.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// All bytes decoded.
    Done,
    /// Bytes from this offset start a sequence cut by the buffer's end.
    Incomplete(usize),
    /// The bytes at this offset are not GB18030 (Python: "illegal multibyte sequence").
    Illegal(usize),
}

fn le_table(bytes: &[u8], count: usize, what: &str) -> Result<Vec<Utf8>, String> {
    if bytes.len() != count * 4 {
        return Err(format!("{what} table has {} bytes, expected {}", bytes.len(), count * 4));
    }
    let entry = |b: &[u8]| match u32::from_le_bytes([b[0], b[1], b[2], b[3]]) {
        0 => Ok(Utf8::INVALID),
        code => char::from_u32(code).map(Utf8::of)
            .ok_or_else(|| format!("{what} table holds {code:#x}, not a Unicode scalar value")),
    };
    bytes.chunks_exact(4).map(entry).collect()
}

impl Gb18030Table {
    pub fn from_tables(two: &[u8], four: &[u8]) -> Result<Self, String> {
        let two = le_table(two, LEADS * TRAILS, "two-byte")?;
        Ok(Self { two, four: le_table(four, FOUR_BMP, "four-byte")? })
    }

    /// Decodes `src` onto `out` up to the first byte it cannot decode. At the end of the input
    /// the caller turns `Incomplete` into Python's "incomplete multibyte sequence" error.
    pub fn decode(&self, src: &[u8], out: &mut String) -> Stop {
        // SAFETY: only ASCII bytes and whole UTF-8 encodings of chars (`Utf8::of`) are
        // appended (an encoding's zero padding is cut off again at once), so `out` is valid
        // UTF-8 after every step. This is the decoder's hot loop; going through `str` would
        // validate every byte a second time.
        let out = unsafe { out.as_mut_vec() };
        out.reserve(src.len() / 2 * 3 + 4); // UTF-8 is at most 1.5 times GB18030's length
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            if b < 0x80 {
                // ASCII decodes to itself; eight at a time while the run lasts (fixed-size
                // copies stay inline, where a memcpy call per short run would not).
                match src.get(i..i + 8).map(|w| <[u8; 8]>::try_from(w).expect("8 bytes")) {
                    Some(word) if u64::from_le_bytes(word) & 0x8080_8080_8080_8080 == 0 => {
                        out.extend_from_slice(&word);
                        i += 8;
                    }
                    _ => {
                        out.push(b);
                        i += 1;
                    }
                }
                continue;
            }
            let Some(&b2) = src.get(i + 1) else { return Stop::Incomplete(i) };
            // Python asks for 2 (then 4) bytes before judging the lead byte, so a cut
            // sequence is "incomplete" even when its lead could never be valid.
            let (utf8, len) = if (0x30..=0x39).contains(&b2) {
                match src.get(i..i + 4) {
                    Some(seq) => (self.four_byte(seq), 4),
                    None => return Stop::Incomplete(i),
                }
            } else {
                (self.two_byte(b, b2), 2)
            };
            if utf8.len == 0 {
                return Stop::Illegal(i);
            }
            // All four bytes, then cut: a fixed-size copy, not a memcpy call.
            let end = out.len() + utf8.len as usize;
            out.extend_from_slice(&utf8.bytes);
            out.truncate(end);
            i += len;
        }
        Stop::Done
    }

    fn two_byte(&self, lead: u8, trail: u8) -> Utf8 {
        if !(LEAD_MIN..=LEAD_MAX).contains(&lead) || !(TRAIL_MIN..=0xFE).contains(&trail) {
            return Utf8::INVALID;
        }
        self.two[(lead - LEAD_MIN) as usize * TRAILS + (trail - TRAIL_MIN) as usize]
    }

    /// The four-byte rule of `_codecs_cn.c`: leads 0x81..0x84 index the BMP table, leads from
    /// 0x90 count linearly from U+10000 up to U+10FFFF; everything else is illegal.
    fn four_byte(&self, s: &[u8]) -> Utf8 {
        let ok = |b: u8, lo: u8, hi: u8| (lo..=hi).contains(&b);
        if !ok(s[0], 0x81, 0xFE) || !ok(s[2], 0x81, 0xFE) || !ok(s[3], 0x30, 0x39) {
            return Utf8::INVALID;
        }
        let (c1, c2) = ((s[0] - 0x81) as u32, (s[1] - 0x30) as u32);
        let tail = (s[2] - 0x81) as u32 * 10 + (s[3] - 0x30) as u32;
        if c1 < 4 {
            let lseq = (c1 * 10 + c2) * 1260 + tail;
            self.four.get(lseq as usize).copied().unwrap_or(Utf8::INVALID)
        } else if c1 >= 15 {
            let code = 0x10000 + ((c1 - 15) * 10 + c2) * 1260 + tail;
            char::from_u32(code).filter(|_| code <= 0x10FFFF).map_or(Utf8::INVALID, Utf8::of)
        } else {
            Utf8::INVALID
        }
    }
}

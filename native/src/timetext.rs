//! The ISO 8601 texts the compiled path reads itself: `YYYY-MM-DD` dates and
//! `YYYY-MM-DD[T ]HH:MM:SS[.fff|.ffffff][Z|±HH:MM]` time stamps (or a bare date, midnight).
//! Python's `fromisoformat` accepts more; those forms are declined (None) and judged there.

fn two(b: &[u8]) -> Option<i64> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => Some(((a - b'0') * 10 + (c - b'0')) as i64),
        _ => None,
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` → days since the epoch.
pub fn parse_date_days(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, two(&b[5..7])?, two(&b[8..10])?);
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Seconds east of UTC of `Z` or `±HH:MM`; an empty suffix is None (a naive time).
fn parse_offset(b: &[u8]) -> Option<Option<i64>> {
    match b {
        [] => Some(None),
        [b'Z'] => Some(Some(0)),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (two(&[*h1, *h2])?, two(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let east = h * 3600 + m * 60;
            Some(Some(if *sign == b'-' { -east } else { east }))
        }
        _ => None,
    }
}

/// Microseconds of `.fff` or `.ffffff` (or none), and what follows them.
fn parse_fraction(b: &[u8]) -> Option<(i64, &[u8])> {
    if b.first() != Some(&b'.') {
        return Some((0, b));
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    match n {
        3 => Some((digits(&b[1..4])? * 1000, &b[4..])),
        6 => Some((digits(&b[1..7])?, &b[7..])),
        _ => None,
    }
}

/// A time stamp → milliseconds since the epoch, floored as Python's `timedelta // 1 ms`.
pub fn parse_timestamp_millis(text: &str, naive_offset_seconds: i64) -> Option<i64> {
    let b = text.as_bytes();
    let days = parse_date_days(text.get(..10)?)?;
    let (clock, micros, offset) = if b.len() == 10 {
        (0, 0, None)
    } else {
        if b.len() < 19 || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, mi, s) = (two(&b[11..13])?, two(&b[14..16])?, two(&b[17..19])?);
        if h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let (micros, rest) = parse_fraction(&b[19..])?;
        (h * 3600 + mi * 60 + s, micros, parse_offset(rest)?)
    };
    let seconds = days * 86_400 + clock - offset.unwrap_or(naive_offset_seconds);
    Some((seconds * 1_000_000 + micros).div_euclid(1000))
}

//! The numbered parts of an address (88号, 5号楼, 2单元301, A区, 5-2-301): the regular
//! expressions `_PART`, `_ROOM_TAIL`, `_SHORTHAND` and `_ANY_NUMBERED` of
//! `stream_processors/route/pii_address.py`, matched by hand in the order Python's `re` tries
//! them (greedy counts first, alternatives as written), so every match is the one Python finds.
//! Offsets are indices into the text's characters, as Python's `str` indices are.

/// `_NUM`: the digits of a door, building or room number.
fn is_num(ch: char) -> bool {
    matches!(ch, '0'..='9' | '零' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百')
}

fn at(text: &[char], i: usize) -> Option<char> {
    text.get(i).copied()
}

fn is_letter_at(text: &[char], i: usize) -> bool {
    at(text, i).is_some_and(|c| c.is_ascii_alphabetic())
}

fn is_digit_at(text: &[char], i: usize) -> bool {
    at(text, i).is_some_and(|c| c.is_ascii_digit())
}

/// How many characters from `i` on pass `test`, at most `cap`.
fn run_of(text: &[char], i: usize, cap: usize, test: fn(char) -> bool) -> usize {
    text.get(i..).map_or(0, |rest| rest.iter().take(cap).take_while(|c| test(**c)).count())
}

fn starts_with(text: &[char], i: usize, word: &str) -> bool {
    let mut n = i;
    for ch in word.chars() {
        if at(text, n) != Some(ch) {
            return false;
        }
        n += 1;
    }
    true
}

/// The unit words of `_PART` in its order: the first that matches is the one `re` takes.
const UNITS: [&str; 16] = ["号楼", "号院", "栋", "幢", "座", "#楼", "#", "单元", "梯", "室", "层", "楼", "组", "社", "弄", "期"];
/// Units a room number may follow without a unit of its own (2单元301): `_ROOM_TAIL`.
const TAILED: [&str; 8] = ["单元", "梯", "栋", "幢", "座", "号楼", "#楼", "#"];
/// `_INSIDE`: building, unit and room level (a 号 or a 组 is not).
const INSIDE: [&str; 13] = ["号楼", "号院", "栋", "幢", "座", "#楼", "#", "单元", "梯", "室", "层", "期", "区"];

/// The unit at `i` and where it ends: a word of UNITS, else 号 (not before 线码窗车台机位) with
/// an optional 之 and digits; "" for that 号, which is neither tailed nor inside.
fn unit_at(text: &[char], i: usize) -> Option<(&'static str, usize)> {
    // every unit starts with one of these: most characters after a number are no unit
    if !matches!(at(text, i)?, '号' | '栋' | '幢' | '座' | '#' | '单' | '梯' | '室' | '层' | '楼' | '组' | '社' | '弄' | '期') {
        return None;
    }
    if let Some(word) = UNITS.iter().find(|w| starts_with(text, i, w)) {
        return Some((word, i + word.chars().count()));
    }
    if at(text, i) != Some('号') || at(text, i + 1).is_some_and(|c| "线码窗车台机位".contains(c)) {
        return None;
    }
    let digits = if at(text, i + 1) == Some('之') { run_of(text, i + 2, usize::MAX, |c| c.is_ascii_digit()) } else { 0 };
    Some(("", if digits > 0 { i + 2 + digits } else { i + 1 }))
}

/// From the end of the number on: `[A-Za-z]?(?:-[0-9]+)?` then a unit, each optional part
/// tried present first.
fn unit_after_number(text: &[char], q: usize) -> Option<(&'static str, usize)> {
    let letters: &[usize] = if is_letter_at(text, q) { &[1, 0] } else { &[0] };
    for &letter in letters {
        let q = q + letter;
        if at(text, q) == Some('-') && is_digit_at(text, q + 1) {
            let digits = run_of(text, q + 1, usize::MAX, |c| c.is_ascii_digit());
            if let Some(found) = unit_at(text, q + 1 + digits) {
                return Some(found);
            }
        }
        if let Some(found) = unit_at(text, q) {
            return Some(found);
        }
    }
    None
}

/// `_PART`'s first alternative at `p`: no digit before, an optional letter, 1-5 number
/// characters (the most first), then the rest.
fn numbered_part_at(text: &[char], p: usize) -> Option<(&'static str, usize)> {
    if p > 0 && text[p - 1].is_ascii_digit() {
        return None;
    }
    let letters: &[usize] = if is_letter_at(text, p) { &[1, 0] } else { &[0] };
    for &letter in letters {
        let q = p + letter;
        for n in (1..=run_of(text, q, 5, is_num)).rev() {
            if let Some(found) = unit_after_number(text, q + n) {
                return Some(found);
            }
        }
    }
    None
}

/// `_PART`'s second alternative: a letter, then 区, 座 or 栋, before a number character.
fn lettered_part_at(text: &[char], p: usize) -> Option<(&'static str, usize)> {
    let unit = match at(text, p + 1)? {
        '区' => "区",
        '座' => "座",
        '栋' => "栋",
        _ => return None,
    };
    (is_letter_at(text, p) && at(text, p + 2).is_some_and(is_num)).then_some((unit, p + 2))
}

/// `_ROOM_TAIL` at `i`: 3 or 4 digits, and none of the excluded characters after them.
fn room_tail(text: &[char], i: usize) -> usize {
    let digits = run_of(text, i, usize::MAX, |c| c.is_ascii_digit());
    let after = at(text, i + digits);
    let ok = (digits == 3 || digits == 4) && !after.is_some_and(|c| "号栋幢座层室单元组".contains(c));
    if ok { digits } else { 0 }
}

/// `_PART.finditer` as `_parts` reads it: (start, end, inside) of each numbered part.
fn unit_parts(text: &[char]) -> Vec<(usize, usize, bool)> {
    let mut parts = Vec::new();
    let mut p = 0;
    while p < text.len() {
        match numbered_part_at(text, p).or_else(|| lettered_part_at(text, p)) {
            Some((unit, end)) => {
                // the search goes on after the match, not after the room number it takes in
                let tail = if TAILED.contains(&unit) { room_tail(text, end) } else { 0 };
                parts.push((p, end + tail, INSIDE.contains(&unit)));
                p = end;
            }
            None => p += 1,
        }
    }
    parts
}

/// `_SHORTHAND` at `p`: 1-3 digits, a dash, 1-2 digits, a dash, 3-4 digits (5-2-301), with no
/// digit before or after; where it ends.
fn shorthand_at(text: &[char], p: usize) -> Option<usize> {
    let digits = |i: usize| run_of(text, i, usize::MAX, |c| c.is_ascii_digit());
    if !text[p].is_ascii_digit() || p > 0 && text[p - 1].is_ascii_digit() {
        return None;
    }
    let a = digits(p);
    let b = if a <= 3 && at(text, p + a) == Some('-') { digits(p + a + 1) } else { 0 };
    let c = if (1..=2).contains(&b) && at(text, p + a + 1 + b) == Some('-') { digits(p + a + b + 2) } else { 0 };
    (3..=4).contains(&c).then_some(p + a + b + c + 2)
}

/// `_SHORTHAND.finditer`.
fn shorthand_parts(text: &[char]) -> Vec<(usize, usize, bool)> {
    let mut parts = Vec::new();
    let mut p = 0;
    while p < text.len() {
        match shorthand_at(text, p) {
            Some(end) => {
                parts.push((p, end, true));
                p = end;
            }
            None => p += 1,
        }
    }
    parts
}

/// `_parts`: every numbered part, sorted as Python sorts the tuples.
pub fn parts(text: &[char]) -> Vec<(usize, usize, bool)> {
    let mut parts = unit_parts(text);
    parts.extend(shorthand_parts(text));
    parts.sort_unstable();
    parts
}

/// `_ANY_NUMBERED`: the cheap test that some address form may be in the text. It is not the
/// same as finding a part (5A号 passes `_PART`, not this), and Python returns nothing without it.
pub fn any_numbered(text: &[char]) -> bool {
    (0..text.len()).any(|i| {
        let next = at(text, i + 1);
        if is_num(text[i]) {
            next.is_some_and(|c| matches!(c, '号' | '栋' | '幢' | '座' | '梯' | '室' | '层' | '组' | '社' | '弄' | '#'))
                || starts_with(text, i + 1, "单元")
                || next == Some('-') && is_digit_at(text, i + 2)
        } else {
            text[i].is_ascii_alphabetic() && matches!(next, Some('座' | '栋' | '区')) && is_digit_at(text, i + 2)
        }
    })
}

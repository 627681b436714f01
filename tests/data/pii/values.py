"""Valid-looking personal identifiers and ordinary details for the PII corpus (issue 16, part 4).

Every identifier that has a check rule passes it: resident IDs carry the GB 11643 check
character and a real birth date, card numbers pass Luhn and start with a card network's issuer
prefix, mobiles use allocated 1[3-9]x prefixes, landlines a real area code and a 7-8 digit
local number, plates follow GA 36-2018 (no I/O, new-energy D/F forms).

A ``Pool`` holds the vocabulary of one part of the corpus; tune and held-out get disjoint
pools (people, places, area codes, regions), so a detector tuned on one is tested honestly on
the other. Each generator returns ``(shown, kind_or_what)`` pieces through ``Piece``: the text
as a citizen would type it, and where the label goes inside it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150",
                   "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175",
                   "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188",
                   "189", "191", "198", "199")
_CARD_PREFIXES = (("622202", 19), ("622848", 19), ("621700", 19), ("622588", 16), ("436742", 19),
                  ("625965", 16), ("6217", 19), ("622908", 18), ("4367", 16), ("5187", 16),
                  ("623058", 19), ("6228", 19), ("6214", 16), ("622609", 17))
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Piece:
    """A bit of text with an optional label: ``kind`` (personal data) or ``keep`` (ordinary detail).

    ``label_from``/``label_to`` narrow the label inside ``text`` (a mobile's +86 prefix or a
    glued letter is shown but not labelled); None means the whole text.
    """
    text: str
    kind: str | None = None
    keep: str | None = None
    label_from: int = 0
    label_to: int | None = None


@dataclass(frozen=True)
class Pool:
    """The vocabulary of one part of the corpus."""
    surnames: tuple[str, ...]
    given_male: tuple[str, ...]
    given_female: tuple[str, ...]
    roads: tuple[str, ...]
    estates: tuple[str, ...]
    villages: tuple[str, ...]
    districts: tuple[str, ...]
    places: tuple[str, ...]
    departments: tuple[str, ...]
    id_regions: tuple[str, ...]
    area_codes: tuple[str, ...]
    plate_provinces: str
    plate_city_letters: str
    email_domains: tuple[str, ...]
    pinyin: tuple[str, ...]
    # fresh part only (the older parts' pools leave them empty and never read them)
    plate_heads: tuple[str, ...] = ()          # province + city letter pairs that exist
    local_digits: tuple[tuple[str, int], ...] = ()   # (area code, length of its local numbers)
    minority_names: tuple[str, ...] = ()       # names written with · (Uyghur, Kazakh, Mongolian …)


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def luhn_complete(partial: str) -> str:
    """``partial`` followed by the digit that makes the whole pass Luhn."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def _birth(rng: random.Random, first: int, last: int) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rng.randrange((date(last, 12, 31) - start).days))


def resident_id18(rng: random.Random, pool: Pool) -> str:
    first17 = rng.choice(pool.id_regions) + _birth(rng, 1938, 2008).strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + id_check_char(first17)


def resident_id15(rng: random.Random, pool: Pool) -> str:
    return rng.choice(pool.id_regions) + _birth(rng, 1930, 1983).strftime("%y%m%d") + f"{rng.randrange(1000):03d}"


def id_card(rng: random.Random, pool: Pool) -> Piece:
    """A resident ID as typed: bare, lower-case x, spaced 6-8-4, split across a line, full-width, old 15."""
    if rng.random() < 0.12:
        return Piece(resident_id15(rng, pool), "id_card")
    s = resident_id18(rng, pool)
    form = rng.choices(("bare", "lower", "spaced", "split", "wide", "spaced4"), (10, 1, 3, 1, 1, 1))[0]
    if form == "lower":
        s = s.replace("X", "x")
    elif form == "spaced":
        s = f"{s[:6]} {s[6:14]} {s[14:]}"
    elif form == "spaced4":
        s = f"{s[:6]} {s[6:10]} {s[10:14]} {s[14:]}"
    elif form == "split":
        cut = rng.randrange(8, 15)
        s = s[:cut] + "\n" + s[cut:]
    elif form == "wide":
        s = s.translate(_FULLWIDTH).replace("X", "Ｘ")
    return Piece(s, "id_card")


def mobile_digits(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def mobile(rng: random.Random) -> Piece:
    """A mobile: bare, 3-4-4 with spaces or dashes, +86 (not labelled), glued to letters."""
    m = mobile_digits(rng)
    form = rng.choices(("bare", "space", "dash", "plus", "plus_sp", "glued", "wide", "0086"),
                       (12, 3, 3, 2, 1, 2, 1, 1))[0]
    if form == "space":
        return Piece(f"{m[:3]} {m[3:7]} {m[7:]}", "mobile")
    if form == "dash":
        return Piece(f"{m[:3]}-{m[3:7]}-{m[7:]}", "mobile")
    if form in ("plus", "plus_sp", "0086"):
        prefix = {"plus": "+86", "plus_sp": "+86 ", "0086": "0086-"}[form]
        return Piece(prefix + m, "mobile", label_from=len(prefix))
    if form == "glued":
        left, right = rng.choice((("A", "B"), ("tel", ""), ("TEL:", ""), ("", "a"), ("Tel", "x"), ("a", "")))
        return Piece(left + m + right, "mobile", label_from=len(left), label_to=len(left) + 11)
    if form == "wide":
        return Piece(m.translate(_FULLWIDTH), "mobile")
    return Piece(m, "mobile")


def landline(rng: random.Random, pool: Pool) -> Piece:
    """A landline: 0591-87654321, (0591)8765 4321, （0591）87654321, 0591 87654321, bare 87654321."""
    area = rng.choice(pool.area_codes)
    digits = 8 if area in ("010", "021", "020", "0591", "0595", "0571", "022", "023", "0755") else 7
    local = str(rng.randrange(2, 9)) + f"{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
    grouped = f"{local[:4]} {local[4:]}" if digits == 8 else f"{local[:3]} {local[3:]}"
    forms = (f"{area}-{local}", f"({area}){grouped}", f"（{area}）{local}", f"{area} {local}",
             f"{area}{local}", local, f"{local[:4]}-{local[4:]}" if digits == 8 else local, f"{area}-{grouped}")
    return Piece(rng.choices(forms, (6, 2, 2, 2, 1, 3, 1, 1))[0], "landline")


def bank_card(rng: random.Random) -> Piece:
    prefix, length = rng.choice(_CARD_PREFIXES)
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    card = luhn_complete(body)
    form = rng.choices(("bare", "space4", "dash4"), (4, 3, 1))[0]
    if form == "bare":
        return Piece(card, "bank_card")
    sep = " " if form == "space4" else "-"
    return Piece(sep.join(card[i:i + 4] for i in range(0, len(card), 4)), "bank_card")


def passport(rng: random.Random) -> Piece:
    kind = rng.choice(("E8", "EL", "G8"))
    if kind == "EL":
        return Piece("E" + rng.choice(_PLATE_LETTERS) + f"{rng.randrange(10**7):07d}", "passport")
    return Piece(kind[0] + f"{rng.randrange(10**8):08d}", "passport")


def plate(rng: random.Random, pool: Pool) -> Piece:
    """A plate: 闽A12345, 闽AD12345 (small new-energy), 闽A12345D (large), 闽A·12345, 闽A 1B234."""
    head = rng.choice(pool.plate_provinces) + rng.choice(pool.plate_city_letters)
    form = rng.choices(("digits", "letter", "ev_small", "ev_large"), (5, 3, 3, 1))[0]
    if form == "digits":
        serial = f"{rng.randrange(10**5):05d}"
    elif form == "letter":
        serial = list(f"{rng.randrange(10**4):04d}")
        serial.insert(rng.randrange(5), rng.choice(_PLATE_LETTERS))
        serial = "".join(serial)
    elif form == "ev_small":
        serial = rng.choice("DF") + rng.choice(_PLATE_LETTERS + "0123456789") + f"{rng.randrange(10**4):04d}"
    else:
        serial = f"{rng.randrange(10**5):05d}" + rng.choice("DF")
    sep = rng.choices(("", "·", " ", "•"), (8, 2, 1, 1))[0]
    return Piece(head + sep + serial, "plate")


def email(rng: random.Random, pool: Pool) -> Piece:
    user = rng.choice((
        lambda: rng.choice(pool.pinyin) + str(rng.randrange(1960, 2010)),
        lambda: rng.choice(pool.pinyin) + "_" + rng.choice(pool.pinyin),
        lambda: str(rng.randrange(10**7, 10**10)),
        lambda: rng.choice(pool.pinyin) + "." + rng.choice(pool.pinyin) + str(rng.randrange(100)),
    ))()
    return Piece(f"{user}@{rng.choice(pool.email_domains)}", "email")


def qq(rng: random.Random) -> Piece:
    return Piece(str(rng.randrange(10**5, 10**10)), "qq")


def wechat(rng: random.Random, pool: Pool) -> Piece:
    user = rng.choice((
        lambda: "wxid_" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(12)),
        lambda: rng.choice(pool.pinyin) + rng.choice(("_", "-", "")) + str(rng.randrange(10, 9999)),
        lambda: rng.choice(pool.pinyin).capitalize() + rng.choice(pool.pinyin) + str(rng.randrange(10, 99)),
    ))()
    return Piece(user, "wechat")


# --- people, addresses and ordinary details ----------------------------------------------------

TITLES_MALE = ("先生", "先生", "先生", "师傅", "大爷", "老师", "总")
TITLES_FEMALE = ("女士", "女士", "女士", "阿姨", "大姐", "老师", "小姐")


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    male: bool

    @property
    def full(self) -> str:
        return self.surname + self.given

    def titled(self, rng: random.Random) -> str:
        return self.surname + rng.choice(TITLES_MALE if self.male else TITLES_FEMALE)


def person(rng: random.Random, pool: Pool) -> Person:
    male = rng.random() < 0.5
    return Person(rng.choice(pool.surnames), rng.choice(pool.given_male if male else pool.given_female), male)


def _unit(rng: random.Random) -> str:
    building, unit, floor, room = rng.randrange(1, 40), rng.randrange(1, 5), rng.randrange(1, 33), rng.randrange(1, 9)
    return rng.choice((
        f"{building}号楼{unit}单元{floor}0{room}室", f"{building}栋{floor}0{room}", f"{building}座{floor}0{room}室",
        f"{building}#楼{unit}单元{floor}0{room}", f"{rng.choice('ABCDE')}区{building}栋{unit}单元{floor}0{room}",
        f"{building}幢{floor}0{room}室", f"{building}-{unit}-{floor}0{room}", f"{building}号楼{floor}0{room}",
    ))


def address(rng: random.Random, pool: Pool) -> str:
    """An address below street level: road + number, estate + building/unit/room, or village + number."""
    road, estate = rng.choice(pool.roads), rng.choice(pool.estates)
    n = rng.randrange(1, 400)
    return rng.choices((
        f"{road}{n}号", f"{road}{n}号{estate}{_unit(rng)}", f"{estate}{_unit(rng)}",
        f"{estate}{rng.randrange(1, 40)}号楼",
        f"{road}{n}号{rng.randrange(1, 30)}层", f"{rng.choice(pool.villages)}{rng.randrange(1, 12)}组{n}号",
        f"{road}{n}-{rng.randrange(1, 20)}号", f"{rng.choice(pool.villages)}{n}号",
    ), (5, 3, 6, 1, 1, 1, 1, 1))[0]


def keep_date(rng: random.Random) -> str:
    d = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
    return rng.choice((f"{d.year}年{d.month}月{d.day}日", f"{d.month}月{d.day}日", f"{d.month}月{d.day}号",
                       d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month:02d}.{d.day:02d}",
                       f"{d.month}.{d.day}"))


def keep_time(rng: random.Random) -> str:
    h, m = rng.randrange(24), rng.choice((0, 10, 15, 20, 30, 40, 45))
    return rng.choice((f"{h}:{m:02d}", f"晚上{rng.randrange(8, 12)}点", f"凌晨{rng.randrange(1, 5)}点多",
                       f"早上{rng.randrange(6, 9)}点半", f"{h}点{m}分" if m else f"{h}点"))


def keep_amount(rng: random.Random) -> str:
    n = rng.choice((rng.randrange(20, 999), rng.randrange(1000, 99999), rng.randrange(100, 9999)))
    wan = f"{n / 10000:.1f}万元" if n >= 10000 else f"{n}元"
    return rng.choice((f"{n}元", f"{n:,}元", f"{n}.{rng.randrange(100):02d}元", f"¥{n}.00", wan,
                       f"{n}块", f"人民币{n}元"))


def _not_luhn(digits: str) -> str:
    """``digits`` with the last digit changed until the number fails Luhn (an order number is no card)."""
    while luhn_complete(digits[:-1]) == digits:
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    return digits


def keep_order(rng: random.Random, area_prefix: str) -> tuple[str, str]:
    """(label, number) of an ordinary reference number: work orders, parcels, invoices, orders, cases."""
    d = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
    ymd = d.strftime("%Y%m%d")
    return rng.choice((
        ("工单号", f"{area_prefix}{ymd}{rng.randrange(10**5):05d}"),
        ("工单编号", f"{ymd}{rng.randrange(10**4):04d}"),
        ("订单号", _not_luhn(f"{ymd}{rng.randrange(10**8):08d}")),
        ("快递单号", f"SF{rng.randrange(10**12, 10**13)}"),
        ("快递单号", f"YT{rng.randrange(10**12, 10**13)}"),
        ("发票号码", f"0{rng.randrange(10**6, 10**7)}"),
        ("合同编号", f"HT-{d.year}-{rng.randrange(1, 9999):04d}"),
        ("受理编号", f"{area_prefix}-{d.year}-{rng.randrange(10**6):06d}"),
        ("订单编号", _not_luhn(f"{ymd}{rng.randrange(10**10):010d}")),
    ))


# --- the fresh held-out part: more forms, written after the detector was tuned -----------------
# (separate functions, so the tune and old held-out parts come out exactly as before)

TITLES_MALE_FRESH = ("先生", "先生", "先生", "师傅", "师傅", "大爷", "老师", "总", "经理", "主任", "叔")
TITLES_FEMALE_FRESH = ("女士", "女士", "女士", "阿姨", "阿姨", "大姐", "老师", "姐", "经理", "大妈")


@dataclass(frozen=True)
class FreshPerson:
    full: str
    surname: str
    male: bool
    minority: bool = False

    def titled(self, rng: random.Random) -> str:
        """Surname + title; a name written with · is used whole (its first part is no surname)."""
        if self.minority:
            return self.full
        return self.surname + rng.choice(TITLES_MALE_FRESH if self.male else TITLES_FEMALE_FRESH)


def person_fresh(rng: random.Random, pool: Pool) -> FreshPerson:
    male = rng.random() < 0.5
    if pool.minority_names and rng.random() < 0.06:
        return FreshPerson(rng.choice(pool.minority_names), "", male, minority=True)
    surname = rng.choice(pool.surnames)
    return FreshPerson(surname + rng.choice(pool.given_male if male else pool.given_female), surname, male)


def mobile_fresh(rng: random.Random) -> Piece:
    """A mobile as typed: bare, 3-4-4 (space, dash, two spaces), 3-8, 4-4-3, +86/0086/(+86), glued, full-width."""
    m = mobile_digits(rng)
    form = rng.choices(("bare", "space", "dash", "3-8", "4-4-3", "2sp", "plus", "paren", "0086", "glued", "wide"),
                       (14, 4, 3, 1, 1, 1, 2, 1, 1, 2, 1))[0]
    grouped = {"space": f"{m[:3]} {m[3:7]} {m[7:]}", "dash": f"{m[:3]}-{m[3:7]}-{m[7:]}",
               "3-8": f"{m[:3]} {m[3:]}", "4-4-3": f"{m[:4]} {m[4:8]} {m[8:]}", "2sp": f"{m[:3]}  {m[3:7]}  {m[7:]}"}
    if form in grouped:
        return Piece(grouped[form], "mobile")
    if form in ("plus", "paren", "0086"):
        prefix = rng.choice({"plus": ("+86", "+86 ", "+86-"), "paren": ("(+86)", "（+86）"), "0086": ("0086", "0086 ")}[form])
        return Piece(prefix + m, "mobile", label_from=len(prefix))
    if form == "glued":
        left, right = rng.choice((("Tel", ""), ("tel:", ""), ("", "A"), ("M", ""), ("dh", ""), ("sj", ""), ("", "x")))
        return Piece(left + m + right, "mobile", label_from=len(left), label_to=len(left) + 11)
    if form == "wide":
        return Piece(m.translate(_FULLWIDTH), "mobile")
    return Piece(m, "mobile")


def landline_fresh(rng: random.Random, pool: Pool) -> list[Piece]:
    """A landline in every form people write one, sometimes with an extension (outside the span)."""
    area, digits = rng.choice(pool.local_digits)
    local = str(rng.randrange(2, 9)) + f"{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
    cut = 4 if digits == 8 else 3
    grouped = f"{local[:cut]} {local[cut:]}"
    dashed = f"{local[:cut]}-{local[cut:]}"
    forms = (f"{area}-{local}", f"{area} {local}", f"({area}){local}", f"（{area}）{local}", f"({area}) {grouped}",
             f"{area}{local}", local, dashed, grouped, f"{area}-{dashed}", f"{area}-{grouped}", f"{area}—{local}",
             local.translate(_FULLWIDTH), f"{area}-{local}".translate(_FULLWIDTH))
    shown = rng.choices(forms, (8, 3, 2, 2, 1, 1, 4, 1, 1, 1, 1, 1, 1, 1))[0]
    pieces = [Piece(shown, "landline")]
    if rng.random() < 0.12:
        pieces.append(Piece(rng.choice(("转", "转", "-", " 转", "分机")) + str(rng.randrange(100, 9000))))
    return pieces


def passport_fresh(rng: random.Random) -> Piece:
    """E + 8 digits, E + letter + 7 digits, old G + 8 digits, public-affairs PE/SE + 7 digits."""
    kind = rng.choices(("E8", "EL", "G8", "PE"), (4, 3, 2, 1))[0]
    if kind == "EL":
        return Piece("E" + rng.choice(_PLATE_LETTERS) + f"{rng.randrange(10**7):07d}", "passport")
    if kind == "PE":
        return Piece(rng.choice(("PE", "SE")) + f"{rng.randrange(10**7):07d}", "passport")
    return Piece(kind[0] + f"{rng.randrange(10**8):08d}", "passport")


def plate_fresh(rng: random.Random, pool: Pool) -> Piece:
    """Ordinary, letter serial, new-energy small/large (trailer 挂 and coach 学 plates only in the
    hand-written texts, where the sentence fits them: a truck, a driving school)."""
    head = rng.choice(pool.plate_heads)
    form = rng.choices(("digits", "letter", "ev_small", "ev_large"), (6, 4, 4, 1))[0]
    if form == "digits":
        serial = f"{rng.randrange(10**5):05d}"
    elif form == "letter":
        chars = list(f"{rng.randrange(10**4):04d}")
        chars.insert(rng.randrange(5), rng.choice(_PLATE_LETTERS))
        serial = "".join(chars)
    elif form == "ev_small":
        serial = rng.choice("DDF") + rng.choice(_PLATE_LETTERS + "0123456789") + f"{rng.randrange(10**4):04d}"
    else:
        serial = f"{rng.randrange(10**5):05d}" + rng.choice("DF")
    sep = rng.choices(("", "·", " ", "•", "-"), (10, 3, 2, 1, 1))[0]
    return Piece(head + sep + serial, "plate")


def _unit_fresh(rng: random.Random) -> str:
    b, u, f, r = rng.randrange(1, 30), rng.randrange(1, 7), rng.randrange(1, 34), rng.randrange(1, 7)
    return rng.choice((
        f"{b}栋{u}单元{f}0{r}", f"{b}栋{u}单元{f}楼{r}号", f"{b}号楼{u}单元{f}0{r}室", f"{b}-{u}-{f}0{r}",
        f"{rng.randrange(1, 5)}期{b}栋{f}0{r}", f"{b}幢{u}单元{f}0{r}室", f"{b}号{u}门{f}0{r}",
        f"{b}栋{f}楼{r}号", f"{b}#{u}单元{f}0{r}",
    ))


def address_fresh(rng: random.Random, pool: Pool) -> str:
    """Below street level: road + number, 弄 lanes, estate + building/unit/room, village + 组/社 + number."""
    road, estate, n = rng.choice(pool.roads), rng.choice(pool.estates), rng.randrange(1, 600)
    return rng.choices((
        f"{road}{n}号", f"{road}{n}号院{rng.randrange(1, 12)}号楼", f"{road}{n}弄{rng.randrange(1, 40)}号{rng.randrange(1, 7)}0{rng.randrange(1, 5)}室",
        f"{road}{n}号{estate}{_unit_fresh(rng)}", f"{estate}{_unit_fresh(rng)}", f"{estate}{rng.randrange(1, 30)}栋",
        f"{road}{n}号附{rng.randrange(1, 9)}号", f"{rng.choice(pool.villages)}{rng.randrange(1, 12)}组{rng.randrange(1, 90)}号",
        f"{rng.choice(pool.villages)}{rng.randrange(1, 12)}社{rng.randrange(1, 90)}号", f"{road}{n}号{rng.randrange(1, 20)}楼",
    ), (5, 1, 1, 2, 7, 1, 1, 1, 1, 1))[0]


def keep_date_fresh(rng: random.Random) -> str:
    d = date(2024, 3, 1) + timedelta(days=rng.randrange(600))
    return rng.choice((f"{d.year}年{d.month}月{d.day}日", f"{d.month}月{d.day}日", f"{d.month}月{d.day}号",
                       f"{d.month}月{d.day}", d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}",
                       f"{d.year % 100}年{d.month}月{d.day}号", f"{d.month}/{d.day}", f"{d.year}-{d.month}-{d.day}"))


def keep_time_fresh(rng: random.Random) -> str:
    h, m = rng.randrange(24), rng.choice((0, 5, 10, 20, 30, 35, 50))
    return rng.choice((f"{h}:{m:02d}", f"{h}：{m:02d}", f"晚上{rng.randrange(9, 12)}点多", f"半夜{rng.randrange(1, 4)}点",
                       f"下午{rng.randrange(2, 6)}点", f"早上{rng.randrange(5, 8)}点", f"中午{rng.choice((12, 1))}点左右",
                       f"{h}点{m}分" if m else f"{h}点钟"))


def keep_amount_fresh(rng: random.Random) -> str:
    n = rng.choice((rng.randrange(15, 999), rng.randrange(1000, 50000), rng.randrange(100, 5000)))
    return rng.choice((f"{n}元", f"{n}块钱", f"{n}.{rng.randrange(100):02d}元", f"￥{n}", f"{n:,}元",
                       f"{n / 10000:.1f}万" if n >= 10000 else f"{n}元", f"{n}多块", f"RMB{n}"))


def keep_order_fresh(rng: random.Random) -> tuple[str, str]:
    """(label, number): long reference numbers that must stay readable (none passes an identifier rule)."""
    d = date(2024, 3, 1) + timedelta(days=rng.randrange(600))
    ymd = d.strftime("%Y%m%d")
    return rng.choice((
        ("工单号", f"{ymd}{rng.randrange(10**6):06d}"),
        ("工单编号", f"SC{ymd}{rng.randrange(10**4):04d}"),
        ("订单号", _not_luhn(f"{ymd[2:]}{rng.randrange(10**11):011d}")),
        ("订单编号", _not_luhn(f"{ymd}{rng.randrange(10**11):011d}")),
        ("京东订单", f"{rng.randrange(2, 3)}{rng.randrange(10**11):011d}"),
        ("快递单号", f"JT{rng.randrange(10**12, 10**13)}"),
        ("快递单号", f"75{rng.randrange(10**11, 10**12)}"),
        ("运单号", f"ZTO{rng.randrange(10**11, 10**12)}"),
        ("发票号码", f"0{rng.randrange(10**6, 10**7)}"),
        ("电费户号", f"3{rng.randrange(10**9):09d}"),
        ("案件编号", f"ZZ-{d.year}-{rng.randrange(10**5):05d}"),
        ("受理号", f"BJ{d.year}{rng.randrange(10**6):06d}"),
    ))


def wechat_fresh(rng: random.Random, pool: Pool) -> Piece:
    """A WeChat id (6-20 characters, starting with a letter): drawn again while too long."""
    while len(piece := wechat(rng, pool).text) > 20:
        pass
    return Piece(piece, "wechat")


# --- the second tune batch (ids u…): more forms of the same kinds -------------------------------------

TITLES_MALE_TUNE2 = ("先生", "先生", "先生", "师傅", "师傅", "老师", "经理", "主任", "总", "哥", "叔", "大爷",
                     "老板", "科长", "医生", "队长", "局长", "书记")
TITLES_FEMALE_TUNE2 = ("女士", "女士", "女士", "阿姨", "阿姨", "姐", "大姐", "老师", "经理", "主任", "护士",
                       "大妈", "婆婆", "嫂", "医生", "奶奶")


def person_tune2(rng: random.Random, pool: Pool) -> FreshPerson:
    male = rng.random() < 0.5
    if pool.minority_names and rng.random() < 0.05:
        return FreshPerson(rng.choice(pool.minority_names), "", male, minority=True)
    surname = rng.choice(pool.surnames)
    return FreshPerson(surname + rng.choice(pool.given_male if male else pool.given_female), surname, male)


def titled_tune2(rng: random.Random, p: FreshPerson) -> str:
    """Surname + title, or 小/老 + surname (小王, 老李); a name written with · is used whole."""
    if p.minority:
        return p.full
    if len(p.surname) == 1 and rng.random() < 0.2:
        return rng.choice(("小", "老")) + p.surname
    return p.surname + rng.choice(TITLES_MALE_TUNE2 if p.male else TITLES_FEMALE_TUNE2)


_FULLWIDTH_ALNUM = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@.-",
                                 "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
                                 "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＠．－")


def mobile_tune2(rng: random.Random) -> Piece:
    """Every grouping: 3-4-4 (space, dash, dot, long dash), 4-4-3, 3-3-5, 3-8; +86/0086/86 prefixes
    (outside the span); glued to letters; full-width."""
    m = mobile_digits(rng)
    form = rng.choices(("bare", "space", "dash", "dot", "ldash", "4-4-3", "3-3-5", "3-8", "plus", "86", "0086",
                        "glued", "wide", "wide_sp"), (14, 4, 3, 2, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1))[0]
    grouped = {"space": f"{m[:3]} {m[3:7]} {m[7:]}", "dash": f"{m[:3]}-{m[3:7]}-{m[7:]}",
               "dot": f"{m[:3]}.{m[3:7]}.{m[7:]}", "ldash": f"{m[:3]}—{m[3:7]}—{m[7:]}",
               "4-4-3": rng.choice((f"{m[:4]} {m[4:8]} {m[8:]}", f"{m[:4]}-{m[4:8]}-{m[8:]}")),
               "3-3-5": f"{m[:3]} {m[3:6]} {m[6:]}", "3-8": f"{m[:3]}-{m[3:]}",
               "wide_sp": f"{m[:3]} {m[3:7]} {m[7:]}".translate(_FULLWIDTH)}
    if form in grouped:
        return Piece(grouped[form], "mobile")
    if form in ("plus", "86", "0086"):
        prefix = rng.choice({"plus": ("+86", "+86 ", "+86-", "(+86)", "+８６"), "86": ("86-", "86 "),
                             "0086": ("0086", "0086-", "0086 ")}[form])
        return Piece(prefix + m, "mobile", label_from=len(prefix))
    if form == "glued":
        left, right = rng.choice((("TEL", ""), ("Tel:", ""), ("sj", ""), ("dh:", ""), ("", "B"), ("Mob", ""),
                                  ("phone", ""), ("", "zz")))
        return Piece(left + m + right, "mobile", label_from=len(left), label_to=len(left) + 11)
    if form == "wide":
        return Piece(m.translate(_FULLWIDTH), "mobile")
    return Piece(m, "mobile")


def id_card_tune2(rng: random.Random, pool: Pool) -> Piece:
    """18 digits (bare, lower x, 6-8-4 with spaces or dashes, 6-4-4-4, 6-6-6, over a line, full-width) or 15."""
    if rng.random() < 0.1:
        return Piece(resident_id15(rng, pool), "id_card")
    s = resident_id18(rng, pool)
    form = rng.choices(("bare", "lower", "spaced", "dashed", "spaced4", "six", "split", "wide"),
                       (10, 1, 3, 2, 1, 1, 1, 1))[0]
    if form == "lower":
        s = s.replace("X", "x")
    elif form == "spaced":
        s = f"{s[:6]} {s[6:14]} {s[14:]}"
    elif form == "dashed":
        s = f"{s[:6]}-{s[6:14]}-{s[14:]}"
    elif form == "spaced4":
        s = f"{s[:6]} {s[6:10]} {s[10:14]} {s[14:]}"
    elif form == "six":
        s = f"{s[:6]} {s[6:12]} {s[12:]}"
    elif form == "split":
        cut = rng.randrange(6, 15)
        s = s[:cut] + "\n" + s[cut:]
    elif form == "wide":
        s = s.translate(_FULLWIDTH).replace("X", "Ｘ")
    return Piece(s, "id_card")


def bank_card_tune2(rng: random.Random) -> Piece:
    """Luhn-valid, network prefix; bare, or in groups of 4 (19 digits end 4-4-4-4-3) with spaces or dashes."""
    prefix, length = rng.choice(_CARD_PREFIXES)
    card = luhn_complete(prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1)))
    form = rng.choices(("bare", "space4", "dash4", "wide"), (5, 4, 1, 1))[0]
    if form == "bare":
        return Piece(card, "bank_card")
    if form == "wide":
        return Piece(card.translate(_FULLWIDTH), "bank_card")
    sep = " " if form == "space4" else "-"
    return Piece(sep.join(card[i:i + 4] for i in range(0, len(card), 4)), "bank_card")


def email_tune2(rng: random.Random, pool: Pool) -> Piece:
    """Lower and upper case, dots, plus-tags, .com.cn and university domains."""
    user = rng.choice((
        lambda: rng.choice(pool.pinyin) + str(rng.randrange(1965, 2008)),
        lambda: rng.choice(pool.pinyin) + "." + rng.choice(pool.pinyin),
        lambda: str(rng.randrange(10**6, 10**10)),
        lambda: rng.choice(pool.pinyin) + "+" + rng.choice(("12345", "tousu", "work", "shop")),
        lambda: rng.choice(pool.pinyin).replace(".", "_").upper() + str(rng.randrange(10, 99)),
        lambda: rng.choice(pool.pinyin).capitalize() + "_" + str(rng.randrange(1, 999)),
    ))()
    domain = rng.choice(pool.email_domains)
    return Piece(f"{user}@{domain}", "email")


def plate_tune2(rng: random.Random, pool: Pool) -> Piece:
    """Ordinary, letter serial, new-energy small/large; ``·``, space, dash or nothing after the city letter;
    now and then typed in lower case."""
    head = rng.choice(pool.plate_heads)
    form = rng.choices(("digits", "letter", "ev_small", "ev_large"), (5, 5, 4, 1))[0]
    if form == "digits":
        serial = f"{rng.randrange(10**5):05d}"
    elif form == "letter":
        chars = list(f"{rng.randrange(10**3):03d}")
        for _ in range(2):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(_PLATE_LETTERS))
        serial = "".join(chars)
    elif form == "ev_small":
        serial = rng.choice("DDF") + rng.choice(_PLATE_LETTERS + "0123456789") + f"{rng.randrange(10**4):04d}"
    else:
        serial = f"{rng.randrange(10**5):05d}" + rng.choice("DF")
    sep = rng.choices(("", "·", " ", "-", "•"), (10, 3, 2, 1, 1))[0]
    shown = head + sep + serial
    if rng.random() < 0.06:
        shown = shown.lower()
    return Piece(shown, "plate")


def qq_tune2(rng: random.Random) -> Piece:
    return Piece(str(rng.randrange(10**5, 4 * 10**9)), "qq")


def address_tune2(rng: random.Random, pool: Pool) -> str:
    """Road + number (附, 弄, 号院, 层), estate + 期/栋/幢/座/号楼/单元/室, 1-2-301 shorthand, village + 组 + 号."""
    road, estate, n = rng.choice(pool.roads), rng.choice(pool.estates), rng.randrange(1, 800)
    b, u, f, r = rng.randrange(1, 36), rng.randrange(1, 6), rng.randrange(1, 33), rng.randrange(1, 9)
    unit = rng.choice((
        f"{b}栋{u}单元{f}0{r}", f"{b}栋{u}单元{f}0{r}室", f"{b}号楼{u}单元{f}0{r}", f"{b}-{u}-{f}0{r}",
        f"{rng.randrange(1, 5)}期{b}栋{f}0{r}", f"{b}幢{u}单元{f}0{r}室", f"{b}座{f}0{r}", f"{b}栋{f}楼",
        f"{b}#{u}单元{f}0{r}", f"{rng.choice('ABCDEFG')}座{f}0{r}", f"{b}号楼{f}层{r}号", f"{b}栋{u}梯{f}0{r}",
        f"二期{b}栋{f}0{r}", f"{b}幢{f}0{r}",
    ))
    return rng.choices((
        f"{road}{n}号", f"{road}{n}号{estate}{unit}", f"{estate}{unit}", f"{estate}{b}栋", f"{road}{n}号附{r}号",
        f"{road}{n}号院{b}号楼", f"{road}{n}号{f}楼",
        f"{rng.choice(pool.villages)}{rng.randrange(1, 12)}组{n % 120 + 1}号",
        f"{rng.choice(pool.villages)}{n % 200 + 1}号", f"{road}{n}-{r}号",
    ), (5, 2, 8, 1, 1, 1, 1, 2, 1, 1))[0]


def keep_order_tune2(rng: random.Random) -> tuple[str, str]:
    """(label, number) of reference numbers that must stay readable (none passes an identifier rule)."""
    d = date(2024, 6, 1) + timedelta(days=rng.randrange(700))
    ymd = d.strftime("%Y%m%d")
    return rng.choice((
        ("工单号", f"WH{ymd}{rng.randrange(10**5):05d}"),
        ("工单编号", f"{ymd}{rng.randrange(10**6):06d}"),
        ("订单号", _not_luhn(f"{ymd}{rng.randrange(10**9):09d}")),
        ("拼多多订单号", f"{ymd[2:]}-{rng.randrange(10**14, 10**15)}"),
        ("快递单号", f"YT{rng.randrange(10**12, 10**13)}"),
        ("快递单号", f"SF{rng.randrange(10**12, 10**13)}"),
        ("运单号", f"JD{rng.randrange(10**12, 10**13)}"),
        ("发票号码", f"0{rng.randrange(10**6, 10**7)}"),
        ("案件编号", f"CQ-{d.year}-{rng.randrange(10**5):05d}"),
        ("受理编号", f"HB{d.year}{rng.randrange(10**7):07d}"),
        ("燃气户号", f"9{rng.randrange(10**8):08d}"),
        ("水费户号", f"0{rng.randrange(10**7, 10**8)}"),
    ))


def keep_amount_tune2(rng: random.Random) -> str:
    n = rng.choice((rng.randrange(10, 999), rng.randrange(1000, 80000), rng.randrange(100, 5000)))
    return rng.choice((f"{n}元", f"{n}块", f"{n}.{rng.randrange(100):02d}元", f"￥{n}", f"¥{n}.00", f"{n:,}元",
                       f"{n / 10000:.1f}万" if n >= 10000 else f"{n}元", f"{n}多块钱", f"{n}元整"))

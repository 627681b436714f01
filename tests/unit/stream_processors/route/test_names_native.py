"""The person-name finder's compiled rules (native/src/names/) against the Python reference
(pii_name_rules' regexes, pii_names.name_findings_python): the same findings, offset for offset
and in the same order, on the PII corpora, the bench's work orders, every code point next to a
middle dot, and a seeded fuzz built to reach every branch of every rule."""
from __future__ import annotations

import random
import sys
from functools import lru_cache

import govbus_native  # CI builds it: without it this file fails, it skips nothing
import pytest

from stream_processors.route import pii_name_rules as rules
from stream_processors.route import pii_names as names
from stream_processors.route.pii_address import address_findings
from stream_processors.route.pii_rules import fold, format_findings, labelled_findings, number_findings
from tests.support.pii_texts import corpus_texts, work_order_texts

BENCH_TEXTS = 20_000
FUZZ_TEXTS = 4_000

Span = tuple[int, int, str]


def _decided(folded: str) -> list[Span]:
    """The spans pii._find_internal hands the name finder (identifiers, labels, addresses)."""
    return [*number_findings(folded), *format_findings(folded), *labelled_findings(folded), *address_findings(folded)]


def _python_runs(folded: str, decided: list[Span]) -> list[tuple[int, int]]:
    blanked = names._blank(folded, decided) if decided else folded
    return [(m.start(), m.end()) for m in names._RUN_WITH_SURNAME.finditer(blanked)]


def assert_same_rules(folded: str, decided: list[Span]) -> None:
    """Every part the compiled rules give against the regexes that define it."""
    scanned = names._native_rules().scan(folded, decided)
    assert scanned is not None, folded
    runs, ruled, cued, named = scanned
    assert runs == _python_runs(folded, decided), folded
    assert ruled == (rules.titled_findings(folded) + rules.full_titled_findings(folded)
                     + rules.familiar_findings(folded)), folded
    # the tagger's spans decide the cued names' ends: none, every start, and short ones
    for tagged in ([], [(at, at + 3) for at in range(len(folded))], [(at, at + 1) for at in range(len(folded))]):
        assert names._cued(cued, tagged) + named == rules.cued_findings(folded, tagged), folded


def assert_same_names(folded: str, decided: list[Span]) -> None:
    assert names.name_findings(folded, decided=decided) == names.name_findings_python(folded, decided=decided), folded


@lru_cache(maxsize=1)
def _corpus_texts() -> list[str]:
    """The tune corpus: the held-out part stays unseen (a failure here prints the text)."""
    return [fold(text) for text in corpus_texts()]


@lru_cache(maxsize=1)
def _bench_texts() -> list[str]:
    return [fold(text) for text in work_order_texts(BENCH_TEXTS)]


def test_the_compiled_rules_are_there() -> None:
    assert hasattr(govbus_native, "NameRules")
    assert names._native_rules() is not None


def test_the_corpora() -> None:
    texts = _corpus_texts()
    assert len(texts) > 1000
    for folded in texts:
        decided = _decided(folded)
        assert_same_rules(folded, decided)
        assert_same_names(folded, decided)


def test_the_bench_work_orders() -> None:
    texts = _bench_texts()
    assert len(texts) == BENCH_TEXTS
    for folded in texts:
        decided = _decided(folded)
        assert_same_rules(folded, decided)
        assert_same_names(folded, decided)


def _every_code_point() -> list[str]:
    return [chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF]


def test_every_code_point_as_a_dotted_name_s_character() -> None:
    """_DOTTED's classes are Python's \\w less digits, _, ASCII letters and particles: each
    character in the first part, then in the second (a comma keeps the pieces apart)."""
    chars = _every_code_point()
    for chunk in range(0, len(chars), 1 << 16):
        text = "".join(f"，{ch}甲·乙乙，甲甲·{ch}乙" for ch in chars[chunk:chunk + (1 << 16)])
        ruled = names._native_rules().scan(text, ())[1]
        assert ruled == (rules.titled_findings(text) + rules.full_titled_findings(text)
                         + rules.familiar_findings(text)), chunk


# The pieces the fuzz splices: the words of every rule, the characters its classes and
# look-arounds test, and what ends a name, a line or the text.
_HAN_FILLER = "的了是在和与及说家明华建国丽娟文军伟芳一二大中小老总叔伯姐哥长站路街区县市省镇乡村人湖阁洞"


def _pieces() -> list[str]:
    words = [*rules.SURNAMES, *rules.COMPOUND_SURNAMES, *rules.TITLES, *rules._BOSS_CHARS, *rules._BOSS_NEXT,
             *rules._FULL_TITLES, *rules._FULL_AFTER, *rules._CUE_WORDS, *rules._CUE_GAP, *rules._PROVINCES,
             *rules._NOT_NAMES, *rules._FAMILIAR_NOT, *rules._NOT_SELF, *rules._GIVEN_STOPS, *rules._NOT_IN_NAMES,
             *rules._FAMILIAR_NEXT, *rules._AFTER_NOT, *rules._LANDMARK_ENDS, *rules._PLACE_ENDS]
    marks = ["小", "老", "我", "我，", "我 ", "·", "•", "・", "【", "】", "（", "(", "：", ":", "，", ",", "。", "！",
             "\n", " ", "\t", "\0", "7", "42", "A", "xy", "_", "１", "𠀀", "ा", "²", "〇"]
    return words + marks + list(_HAN_FILLER)


def _han(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(_HAN_FILLER) for _ in range(rng.randint(0, most)))


def _surname(rng: random.Random) -> str:
    return rng.choice([*rules.SURNAMES, *rules.COMPOUND_SURNAMES] if rng.random() < 0.8 else _HAN_FILLER)


def _phrase(rng: random.Random, pieces: list[str]) -> str:
    """A random piece, or the shape one rule looks for with a random part in each place."""
    gap = rng.choice(["", "", " ", "，", ",", ":", "是", "叫是"])
    shapes = [
        lambda: rng.choice(rules._CUE_WORDS) + gap + _surname(rng) + _han(rng, 3),
        lambda: "我" + gap + _surname(rng) + _han(rng, 3) + rng.choice([*rules._SELF_NEXT, "", "\n", "的"]),
        lambda: _surname(rng) + _han(rng, 3) + rng.choice([*rules.TITLES, *rules._BOSS_CHARS]) + rng.choice(pieces),
        lambda: (rng.choice(["", "，", "的", "了", "A", "大"]) + _surname(rng) + _han(rng, 3)
                 + rng.choice(rules._FULL_TITLES)),
        lambda: rng.choice("小老") + _surname(rng) + rng.choice([*rules._FAMILIAR_NEXT, "", "，", "明"]),
        lambda: _han(rng, 9) + rng.choice(rules._DOTS) + _han(rng, 7) + rng.choice(["", "·", "路", "A", "1"]),
        lambda: "\n" + rng.choice(["", " ", "\t ", "  "]) + _surname(rng) + _han(rng, 4) + rng.choice(rules._LINE_NEXT),
        lambda: "【" + _surname(rng) + _han(rng, 4) + "】",
        lambda: rng.choice(pieces),
        lambda: rng.choice(pieces),
    ]
    return rng.choice(shapes)()


def _fuzz_text(rng: random.Random, pieces: list[str]) -> str:
    return "".join(_phrase(rng, pieces) for _ in range(rng.randint(1, 6)))


def _fuzz_decided(rng: random.Random, length: int) -> list[Span]:
    """Spans as the other finders give them, overlapping at times (_blank skips those)."""
    spans = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        start = rng.randint(0, length)
        spans.append((start, min(length, start + rng.randint(0, 6)), rng.choice(["address", "mobile"])))
    return spans


def test_a_seeded_fuzz() -> None:
    rng = random.Random(18)  # noqa: S311 - seeded: the same texts every run
    pieces = _pieces()
    for _ in range(FUZZ_TEXTS):
        text = _fuzz_text(rng, pieces)
        decided = _fuzz_decided(rng, len(text))
        assert_same_rules(text, decided)
        assert_same_names(text, decided)


@pytest.mark.parametrize("text", [
    "我王伟\n", "我王伟\n\n", "我，欧阳娜娜", "我欧阳先生", "张王先生来了", "王先生", "【李明】", "  李明：",
    "\n\t王小明(",
    "我是江西的", "我是车主谢梦瑶", "叫做王", "老板叫王站长", "联系人王路长", "阿依古丽·买买提", "·阿依古丽·买买提说",
    "小陈", "小陈手机", "表扬的庄雪梅同志", "司徒耀东先生", "欧阳先生", "洪总", "高总价", "",
])
def test_edges(text: str) -> None:
    assert_same_rules(text, [])
    assert_same_names(text, [])


def test_what_the_compiled_rules_decline_python_finds() -> None:
    surrogate = "我是王\udcff明"  # not UTF-8
    assert names._native_rules().scan(surrogate, ()) is None
    assert names.name_findings(surrogate) == names.name_findings_python(surrogate)
    shifted = [(5, 2, "address")]  # ends before it starts: _blank would move the offsets after it
    assert names._native_rules().scan("我是王明，住在五四路", shifted) is None
    assert names.name_findings("我是王明，住在五四路", decided=shifted) == names.name_findings_python(
        "我是王明，住在五四路", decided=shifted)

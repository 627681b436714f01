"""The compiled number finder (native/src/numbers.rs) finds exactly what its Python reference
(pii_rules.number_findings_python) finds, offset for offset and in the same order, on the tune
corpus, the benchmark's work orders and spliced text built to reach every branch of the chunk
pattern, the group runs, each kind's rule and the cue windows; it declines only lone surrogates."""
from __future__ import annotations

import pytest

from govbus.core.identifiers import resident_id_check_char
from stream_processors.route import pii_rules
from stream_processors.route.pii_rules import fold, number_findings, number_findings_python
from tests.support.pii_texts import has_surrogate, mismatches, text_sets


def _luhn_completed(body: str) -> str:
    """``body`` and the digit that makes it pass Luhn."""
    for d in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(body + d)):
            v = int(ch) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return body + d
    raise AssertionError(body)


def _id18(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


IDS = (_id18("35010419581123738"), _id18("11010519491231002"), _id18("44030419990229001"),
       _id18("99010419581123738"), "350104195811237380", "35010458112373", "350104581123738", "110105491231002",
       "110105490230002", "990105491231002", "350104195811237", "35010419581123",
       *(_id18(f"350104195811{n:05d}")[:17] + case for n in range(400) for case in "Xx"
         if _id18(f"350104195811{n:05d}").endswith("X")))
MOBILES = ("13800138000", "15163383683", "19832194293", "12345678901", "+8613800138000", "008613800138000",
           "8613800138000", "86138001380001", "0086 138 0013 8000", "138 0013 8000", "138-0013-8000",
           "1516338368", "151633836831")
CARDS = tuple(_luhn_completed(body) for body in (
    "622202100112345", "62220210011234567", "622202100112345678", "411111111111111", "000000000000000",
    "100000000000000", "700000000000000", "800000000000000", "200000000000000", "210000000000000",
    "220000000000000", "53000000000000000"))
LANDLINES = ("(0591) 8765 4321", "(0591)8765-4321", "(010) 876 4321-12", "(021)87654321-12345", "(0591 8765 4321",
             "(0591) 1765 4321", "0591-87654321", "0591 8765 4321", "01087654321", "0108765432", "02187654321",
             "87654321", "8765-4321", "8765432", "1765432", "059187654321", "0591876543210", "(02)87654321")
DIGITS = tuple("1234567890123456789"[:n] for n in range(1, 20))
SEPARATORS = (" ", "  ", "   ", "-", "—", "–", ".", ".", "\n", "/", "X", "x")
LETTERS = ("A", "GD", "AB", "TEL", "tel", "Tel", "dh", "DH", "sj", "Mob", "phone", "x", "X", "a", "mail")
CUES = ("电话", "座机", "固话", "号码", "拨打", "打", "联系", "办公室", "手机", "电话：", "电话 ", "电话号码是",
        "账号", "户号", "单号", "编号", "发票号码", "发票号", "订单号", "订单", "合同号", "工号", "学号", "宽带账号:")
FILLERS = ("", " ", "的", "我家", "请尽快处理一下谢谢", "，", "。", ",", "/", "、", "或", "和", "+", "(", ")", ".",
           "\n", "：", "12", "3", "0", "123", "1234", "12.5", "2024", "，我们", "是",
           "在这段话里没有数字只有很多字符而已")
PIECES = (*IDS, *MOBILES, *CARDS, *LANDLINES, *DIGITS, *DIGITS, *SEPARATORS, *SEPARATORS, *LETTERS, *CUES,
          *FILLERS, *FILLERS)
SPLICED = 60_000


@pytest.fixture(scope="module")
def native():  # noqa: ANN201
    finder = pii_rules._native_numbers()
    assert finder is not None, "govbus_native has no NumberFinder: build native/ (CI does)"
    return finder.find


TEXTS = text_sets(PIECES, SPLICED)


@pytest.mark.parametrize("texts", TEXTS.values(), ids=TEXTS.keys())
def test_native_findings_are_python_findings(native, texts) -> None:  # noqa: ANN001
    folded = [fold(text) for text in texts()]
    assert mismatches(native, number_findings_python, folded, has_surrogate) == []


def test_a_lone_surrogate_goes_the_python_way(native) -> None:  # noqa: ANN001
    text = "电话13800138000\ud800"
    assert native(text) is None
    assert number_findings(text) == number_findings_python(text) == [(2, 13, "mobile")]


def test_every_basic_plane_character_around_each_kind(native) -> None:  # noqa: ANN001
    chars = (chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF)
    texts = [f"电话{ch}13800138000{ch}350104195811237380{ch}8765 4321{ch}(0591) 8765 4321{ch}87654321" for ch in chars]
    assert mismatches(native, number_findings_python, texts) == []


@pytest.mark.parametrize(("text", "found"), [
    ("身份证350104195811237380，电话151-6338-3683", [(3, 21, "id_card"), (24, 37, "mobile")]),
    ("座机(0591) 8765 4321", [(2, 18, "landline"), (9, 18, "landline")]),  # both, as Python has it
    ("GD13800138000", []),
    ("TEL19832194293", [(3, 14, "mobile")]),
    ("+8613800138000", [(0, 14, "mobile")]),
    ("宽带账号059187654321", []),
])
def test_number_cases(text: str, found: list) -> None:
    assert number_findings(text) == number_findings_python(text) == found

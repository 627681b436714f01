"""The compiled format finder (native/src/formats.rs) finds exactly what its Python reference
(pii_rules.format_findings_python) finds, offset for offset and in the same order, on the tune
corpus, the benchmark's work orders and spliced text built to reach every branch of the plate,
passport and e-mail patterns; it declines only lone surrogates."""
from __future__ import annotations

import pytest

from stream_processors.route import pii_rules
from stream_processors.route.pii_rules import fold, format_findings, format_findings_python
from tests.support.pii_texts import has_surrogate, mismatches, text_sets

PLATES = ("闽C03344", "京A12345", "京 A·12345", "粤B-D12345", "粤BD·12345", "沪A12345D", "苏E1234挂", "浙A1234警",
          "粤Z1234港", "川A1234应急", "京AAB123", "京ABCDE", "京I12345", "京O12345", "京a12345", "京A123456",
          "京A.12345", "京A 12345", "京A--12345", "京AD1234", "京ADA1234", "京A1234应", "京AF•Z1234", "京", "A", "D")
PASSPORTS = ("E12345678", "G12345678", "EA1234567", "EI1234567", "GA1234567", "e12345678", "E1234567", "E123456789",
             "P1234567", "PE123456", "AB123456789", "X12345", "D1234567")
EMAILS = ("a@b.cn", "zhang.san@example.com", "x_y%z+w-v@mail.163.com", "a@b.c", "a@b.c1", "a@b.co1.x", "a@b-c.d-e.fg",
          "@", "a@", "@b.com", ".a@b.cn", "a..b@c.dd", "a@.cn", "a@b..cn", "user@host.c0m.cn")
CUES = ("车牌", "车牌号", "车牌号码", "车牌：", "车牌是", "车牌号为", "车牌: ", "车牌号码是 ", "护照", "护照号",
        "护照号码", "护照号码：", "护照 号码 ", "护照号码号码", "护照：    ")
TAILS = ("QQ", "qq", "Email", "E-mail", "email", "e-mail", "mail", "Tel", "tel", "TEL", "VX", "wx", "Wx", "vX",
         "abc", "x", "E", "G", "1", "12", "·", "•", "・", " ", ".", "-", "—", "\n", "，", "。", "和", "的", "号", "码",
         "是", "为", ":", "：", "0", "5", "D", "F", "f", "挂", "应", "急", "@", "_", "%", "+")
PIECES = (*PLATES, *PASSPORTS, *EMAILS, *CUES, *TAILS, *TAILS)
SPLICED = 60_000


@pytest.fixture(scope="module")
def native():  # noqa: ANN201
    finder = pii_rules._native_formats()
    assert finder is not None, "govbus_native has no FormatFinder: build native/ (CI does)"
    return finder.find


TEXTS = text_sets(PIECES, SPLICED)


@pytest.mark.parametrize("texts", TEXTS.values(), ids=TEXTS.keys())
def test_native_findings_are_python_findings(native, texts) -> None:  # noqa: ANN001
    folded = [fold(text) for text in texts()]
    assert mismatches(native, format_findings_python, folded, has_surrogate) == []


def test_a_lone_surrogate_goes_the_python_way(native) -> None:  # noqa: ANN001
    text = "车牌闽C03344\ud800"
    assert native(text) is None
    assert format_findings(text) == format_findings_python(text) == [(2, 9, "plate"), (2, 9, "plate")]


def test_every_basic_plane_character_around_each_pattern(native) -> None:  # noqa: ANN001
    chars = (chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF)
    texts = [f"{ch}京A12345{ch}E12345678{ch}a{ch}b@c.cn{ch}护照{ch}P1234567{ch}车牌{ch}闽C03344" for ch in chars]
    assert mismatches(native, format_findings_python, texts) == []

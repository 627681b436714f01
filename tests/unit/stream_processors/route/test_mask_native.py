"""The compiled masks (native/src/textmask.rs) write exactly what their Python reference
(pii.masked_python) writes: for the detector's own spans on the corpus and the benchmark's work
orders, for random spans of every kind over spliced text, and for every basic-plane character
in a span; and they hand back to Python what they cannot judge."""
from __future__ import annotations

import random

import pytest

from stream_processors.route import pii
from stream_processors.route.pii import _PRIORITY, find_pii, mask_pii, masked_python
from stream_processors.route.pii_rules import fold
from tests.support.pii_texts import corpus_texts, mismatches, spliced_texts, work_order_texts

# Phones with and without country and area codes, cards, plates, mail, names with and without
# a title, numerals before a unit, separators and odd characters.
PIECES = ("+86 ", "86-", "0086", "+8613", "138", "1", "0591-", "(0591) ", "(010)", "021 ", "0", "8765 4321",
          "350104195811237380", "6222", "@", "163.com", "zhang", "E", "闽A·", "12345", "欧阳", "司马", "王",
          "陈大文", "先生", "女士", "老师", "某", "十二", "号", "单元", "元", "五四路", "二十八栋", "三百室",
          " ", "-", ".", "，", "\n", "１３８", "Ａ", "々", "\u0301", "Ⅻ", "²", "😀")
KINDS = (*_PRIORITY, "name", "qq", "wechat")


@pytest.fixture(scope="module")
def native():  # noqa: ANN201
    masker = pii._native_masker()
    assert masker is not None, "govbus_native has no SpanMasker: build native/ (CI does)"
    return masker.mask


def _random_spans(text: str, rng: random.Random) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping spans of random kinds, some empty, some the whole text."""
    cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(1, 6))))
    pairs = list(zip(cuts[::2], cuts[1::2]))
    return [(a, b, rng.choice(KINDS)) for a, b in pairs]


def _detected(text: str) -> tuple[str, str, list[tuple[int, int, str]]]:
    folded = fold(text)
    return text, folded, pii._find_internal(folded)


def _same(native, cases) -> list[str]:  # noqa: ANN001
    answers = {case[0] + "\x00" + repr(case[2]): case for case in cases}
    return mismatches(lambda key: native(*answers[key]), lambda key: masked_python(*answers[key]), list(answers))


@pytest.mark.parametrize("texts", [corpus_texts, lambda: work_order_texts(3000)], ids=["corpus", "work-orders"])
def test_native_masks_the_detectors_spans_as_python_does(native, texts) -> None:  # noqa: ANN001
    assert _same(native, [_detected(text) for text in texts()]) == []


def test_native_masks_random_spans_of_every_kind_as_python_does(native) -> None:  # noqa: ANN001
    rng = random.Random(18)  # noqa: S311 - test text, not a secret
    texts = [text for text in spliced_texts(PIECES, 40_000, seed=18) if not any(ord(ch) > 0xFFFF for ch in text)]
    assert _same(native, [(text, fold(text), _random_spans(text, rng)) for text in texts]) == []


def test_every_basic_plane_character_in_a_starred_span(native) -> None:  # noqa: ANN001
    chars = [chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF]
    cases = [(f"1{ch}23456789{ch}0", f"1{ch}23456789{ch}0", [(0, 12, kind)])
             for ch in chars for kind in ("bank_card", "id_card")]
    assert _same(native, cases) == []


def test_what_native_cannot_judge_goes_to_python(native) -> None:  # noqa: ANN001
    past_the_plane = "卡号6222😀0212 3456 0123"
    assert native(past_the_plane, past_the_plane, [(2, 21, "bank_card")]) is None
    assert native("1234", "1234", [(3, 1, "mobile")]) is None  # no span the detector gives
    assert native("\udcff12", "\udcff12", [(1, 3, "qq")]) is None
    assert mask_pii("\udcff13812345678") == masked_python(*_detected("\udcff13812345678"))


def test_mask_pii_cases() -> None:
    text = "我是陈大文，电话+86 151 6338 3683，住五四路88号"
    assert mask_pii(text) == "我是陈**，电话+86 151 **** 3683，住五四路**号"
    assert [span.kind for span in find_pii(text)] == ["name", "mobile", "address"]

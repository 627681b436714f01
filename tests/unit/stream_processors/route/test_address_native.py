"""The compiled address finder (native/src/address.rs) finds exactly the spans of its Python
reference (pii_address.address_findings_python) on the corpus, the benchmark's work orders,
spliced text and every basic-plane character, and hands back to Python what it cannot judge."""
from __future__ import annotations

import pytest

from stream_processors.route import pii_address
from stream_processors.route.pii_address import address_findings, address_findings_python
from tests.support.pii_texts import corpus_texts, mismatches, spliced_texts, work_order_texts

# Numbers, units, near-miss units, roads, estates, stops, separators and odd characters.
PIECES = (
    "1", "12", "123", "1234", "12345", "123456", "8", "0", "三", "十二", "一二三四五六", "百", "A", "b", "Z",
    "号楼", "号院", "栋", "幢", "座", "#楼", "#", "单元", "单", "元", "梯", "室", "层", "楼", "组", "社", "弄", "期",
    "号", "之", "之3", "号线", "号码", "号窗口", "区", "市", "县", "省", "小区", "城市", "都市", "金山", "校区",
    "五四路", "路", "街", "道", "巷", "胡同", "镇", "村", "乡", "里", "坪", "湾", "融侨锦江", "福州", "鼓楼",
    "街道", "社区", "家住", "住在", "位于", "地址", "发现", "举报", "反映", "房子", "在", "住", "和", "与", "及",
    "太和", "的", "我们", "-", "--", "\n", " ", "，", "。", "：", "(", "々", "\u0301", "Ⅻ", "²", "😀", "𠀀",
    # whole parts, so that clusters, gaps and names meet often
    "88号", "5号楼", "2单元", "301室", "6组", "A区", "B座", "12-3号", "5-2-301", "1201", "3#", "7号之2", "8楼")


@pytest.fixture(scope="module")
def native():  # noqa: ANN201
    finder = pii_address._native_finder()
    assert finder is not None, "govbus_native has no AddressFinder: build native/ (CI does)"
    return finder.find


def _past_the_plane(text: str) -> bool:
    return any(ord(ch) > 0xFFFF for ch in text)


@pytest.mark.parametrize("texts", [corpus_texts, lambda: work_order_texts(3000),
                                   lambda: spliced_texts(PIECES, 60_000, seed=18)],
                         ids=["corpus", "work-orders", "spliced"])
def test_native_spans_are_python_spans(native, texts) -> None:  # noqa: ANN001
    assert mismatches(native, address_findings_python, texts(), _past_the_plane) == []


def test_every_basic_plane_character_in_a_gap_and_before_a_name(native) -> None:  # noqa: ANN001
    chars = (chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF)
    texts = [f"{ch}路1号{ch}2室{ch}3" for ch in chars]
    assert mismatches(native, address_findings_python, texts) == []


@pytest.mark.parametrize(("text", "spans"), [
    ("福州市鼓楼区五四路88号融侨锦江26座408室", [(6, 23, "address")]),
    ("住在金山小区5号楼2单元301", [(2, 15, "address")]),
    ("3号窗口和5月3号", []),
    ("琯头镇91号", [(0, 6, "address")]),
    ("家住太和镇新和村6组12号", [(2, 13, "address")]),  # 和 before 镇 / 村 belongs to the name
    ("融侨锦江5-2-301", [(0, 11, "address")]),
    ("5-2-301", []),  # a lone shorthand: no name, no second part
])
def test_address_cases(text: str, spans: list) -> None:
    assert address_findings(text) == spans
    assert address_findings_python(text) == spans


def test_what_native_cannot_judge_goes_to_python(native) -> None:  # noqa: ANN001
    gap_past_the_plane = "五四路88号😀5号楼"
    assert native(gap_past_the_plane) is None
    assert address_findings(gap_past_the_plane) == address_findings_python(gap_past_the_plane)
    lone_surrogate = "五四路88号\udcff"
    assert native(lone_surrogate) is None
    assert address_findings(lone_surrogate) == address_findings_python(lone_surrogate)

"""may_hold_identifier: never says no where the identifier finders find something (so skipping
them changes nothing), and the compiled test (native/src/texthint.rs) answers as the Python one."""
from __future__ import annotations

import govbus_native
import pytest

from stream_processors.route.pii_rules import (
    _PLATE_PROVINCES,
    fold,
    format_findings,
    may_hold_identifier,
    may_hold_identifier_python,
    number_findings,
)
from tests.support.pii_texts import corpus_texts, mismatches, spliced_texts, work_order_texts

# Digit groups of every length up to the fewest an identifier needs and past it, separators,
# plate starts with and without a space, passport and mail cues, letters and Han filler.
PIECES = ("1", "23", "456", "7890", "12345", "123456", "1234567", "13800138000", " ", "-", ".", "\n", "(0591)",
          "闽", "闽A", "闽 A", "京", "新", "A", "E", "G", "X", "x", "护照", "车牌", "@", "qq.com", "a", "电话",
          "联系", "号", "，", "。", "的", "福州", "１", "Ａ")


def _texts() -> list[str]:
    return [fold(text) for text in [*corpus_texts(), *work_order_texts(3000),
                                    *spliced_texts(PIECES, 60_000, seed=18, longest=10)]]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts()


def test_no_text_it_refuses_holds_an_identifier_the_finders_find(texts: list[str]) -> None:
    refused = [text for text in texts if not may_hold_identifier(text)]
    found = [text for text in refused if number_findings(text) or format_findings(text)]
    assert found == []
    assert len(refused) > len(texts) / 4  # it refuses something: the test has teeth


def test_the_compiled_hint_answers_as_python_does(texts: list[str]) -> None:
    def native(text: str) -> bool | None:
        return govbus_native.may_hold_identifier(text, _PLATE_PROVINCES)
    assert mismatches(native, may_hold_identifier_python, texts) == []


@pytest.mark.parametrize(("text", "may"), [
    ("福州市鼓楼区五四路88号", False),
    ("电话12345", False),
    ("护照E123456", True),  # six digits: a passport after 护照
    ("车牌闽A", True),
    ("新 A", True),
    ("新区", False),
    ("lixiu@qq", True),
    ("1-2-3-4-5-6", True),
])
def test_hint_cases(text: str, may: bool) -> None:
    assert may_hold_identifier(text) is may
    assert may_hold_identifier_python(text) is may

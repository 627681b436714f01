"""The free-text detector's folding: the compiled twin (native/src/textfold.rs) folds every
character as the Python reference does, and hands back what it cannot read."""
from __future__ import annotations

import sys

import govbus_native
import pytest

from stream_processors.route.pii_rules import fold, fold_python


def _every_character() -> str:
    """Every code point that is UTF-8 (surrogates are not), in one string."""
    return "".join(chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF)


def test_the_compiled_fold_folds_every_character_as_python_does() -> None:
    text = _every_character()
    folded = govbus_native.fold(text)
    assert folded == fold_python(text)
    assert len(folded) == len(text)  # one character for one: offsets hold


@pytest.mark.parametrize(("text", "expected"), [
    ("电话１３８００１３８０００，谢谢", "电话13800138000,谢谢"),
    ("ＡＢＣ　ｘｙｚ！", "ABC xyz!"),
    ("\uff00\uff5f", "\uff00\uff5f"),  # just outside the full-width ASCII block: kept
    ("", ""),
])
def test_fold_cases(text: str, expected: str) -> None:
    assert fold(text) == expected
    assert fold_python(text) == expected


def test_a_text_with_nothing_to_fold_is_handed_back_as_it_is() -> None:
    text = "五四路88号 ASCII only"
    assert govbus_native.fold(text) is text


def test_a_lone_surrogate_is_declined_natively_and_folded_in_python() -> None:
    text = "１\udcff２"  # undecodable input is read as lone surrogates
    assert govbus_native.fold(text) is None
    assert fold(text) == "1\udcff2"

"""``is_bare_mobile`` (govbus/core/identifiers.py) answers what the regex ``1[3-9][0-9]{9}`` it
replaced answered, for tables of near misses and for any text; ``mask_phone`` of a bare mobile
is the same as through the full check."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govbus.core.identifiers import is_bare_mobile
from stream_processors.route.masking import mask_phone

REGEX = re.compile(r"1[3-9][0-9]{9}")


@pytest.mark.parametrize("text", [
    "13800138000", "19912345678", "12800138000", "10800138000", "1380013800", "138001380001",
    "23800138000", "1380013800x", "１３８００１３８０００", "1380013800١", "13800138²00", "138 0013 800",
    "", "1", "+8613800138000", "13800\u200b13800",
])
def test_it_answers_as_the_regex_on_near_misses(text: str) -> None:
    assert is_bare_mobile(text) == bool(REGEX.fullmatch(text))


@given(st.text(alphabet=st.sampled_from("0123456789１٣²x +"), min_size=9, max_size=13))
def test_it_answers_as_the_regex_on_any_text(text: str) -> None:
    assert is_bare_mobile(text) == bool(REGEX.fullmatch(text))


@given(st.from_regex(REGEX, fullmatch=True))
def test_a_bare_mobile_is_masked_3_4_4(mobile: str) -> None:
    assert mask_phone(mobile) == mobile[:3] + "****" + mobile[7:]

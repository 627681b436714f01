"""json_copy: equal to its input, sharing no dict or list with it (a Faust memory table keeps
the very object assigned, so a shared list changed later would change the table silently)."""
from __future__ import annotations

from typing import Any

import pytest

from stream_processors.detect.state import json_copy, new_series


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value)] + [i for v in value.values() for i in _containers(v)]
    if isinstance(value, list):
        return [id(value)] + [i for v in value for i in _containers(v)]
    return []


@pytest.mark.parametrize("value", [
    None, 3, 2.5, "火", True, [], {},
    {"n": 2, "s": 1.5, "m": None, "ids": ["a@1", "b@2"]},
    [[1, 2.0, "t"], [3, 4.0, "u"]],
    new_series("r", "350102", "350102") | {"incident": {"triggering_event_ids": ["e1"], "version": 2}},
])
def test_a_copy_is_equal_and_shares_no_container(value: Any) -> None:
    copied = json_copy(value)
    assert copied == value
    assert not set(_containers(copied)) & set(_containers(value))


def test_changing_the_copy_leaves_the_original() -> None:
    original = {"ids": ["a"], "incident": {"ids": ["x"]}}
    copied = json_copy(original)
    copied["ids"].append("b")
    copied["incident"]["ids"].append("y")
    assert original == {"ids": ["a"], "incident": {"ids": ["x"]}}

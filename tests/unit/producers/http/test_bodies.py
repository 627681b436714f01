"""Every malformed input is a 400 naming the record, the field and the reason, never a 500: the
body checks (bodies.py) and the per-field validation behind them, as one table."""
from __future__ import annotations

import json

import pytest

from producers.http.bodies import MAX_DEPTH, parse_body, value_faults
from producers.http.logic import is_errors, validate_items
from producers.sdk import Source
from tests.support.helpers import hotline_schema
from tests.unit.producers.http.test_logic import submitted

SOURCE = Source("hotline", "city", "350100", "producers.http")


def _with(field: str, raw_json: str) -> bytes:
    """A work order whose ``field`` holds ``raw_json`` verbatim (what json.dumps cannot write)."""
    body = json.dumps(submitted(**{field: "@@"}))
    return body.replace('"@@"', raw_json).encode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (case, body, index, field, reason); index None: the request as a whole.
CASES = [
    ("invalid UTF-8", b'{"content": "\xff"}', None, "", "bad_utf8"),
    ("UTF-16 body", json.dumps(submitted()).encode("utf-16"), None, "", "bad_utf8"),
    ("truncated JSON", b'{"content": ', None, "", "bad_json"),
    ("NaN", _with("accepted_at", "NaN"), None, "", "bad_json"),
    ("Infinity", _with("urgency", "-Infinity"), None, "", "bad_json"),
    ("empty array", b"[]", None, "", "empty_batch"),
    ("deep nesting past the parser", _with("content", _nested(100_000)), None, "", "too_deep"),
    ("deep nesting the parser takes", _with("content", _nested(MAX_DEPTH + 5)), 0, "content"
     + "[0]" * (MAX_DEPTH - 1), "too_deep"),
    ("huge integer", _with("urgency", str(10 ** 30)), 0, "urgency", "out_of_range"),
    ("integer with 5,000 digits", _with("accepted_at", "1" + "0" * 5000), 0, "accepted_at",
     "out_of_range"),
    ("float overflowing a double", _with("accepted_at", "1e400"), 0, "accepted_at",
     "out_of_range"),
    ("accepted_at=-1e18 (before year 1)", _with("accepted_at", "-1e18"), 0, "accepted_at",
     "out_of_range"),
    ("accepted_at=1e300", _with("accepted_at", "1e300"), 0, "accepted_at", "out_of_range"),
    ("ISO time in year 0001 with an offset", _with("accepted_at", '"0001-01-01T00:00:00+08:00"'),
     0, "accepted_at", "out_of_range"),
    ("lone high surrogate", _with("content", '"abc\\ud800"'), 0, "content", "invalid_encoding"),
    ("lone low surrogate in an enum", _with("channel", '"\\udfff"'), 0, "channel",
     "invalid_encoding"),
    ("lone surrogate in a field name", b'{"\\ud800": 1}', 0, "?", "invalid_encoding"),
    ("wrong type", _with("anonymous", "[1]"), 0, "anonymous", "wrong_type"),
    ("number for a string", _with("content", "7"), 0, "content", "wrong_type"),
    ("unknown enum symbol", _with("channel", '"fax"'), 0, "channel", "bad_enum"),
    ("unknown field", json.dumps(submitted(extra=1)).encode(), 0, "extra", "unknown_field"),
    ("missing field", json.dumps({k: v for k, v in submitted().items() if k != "channel"}).encode(),
     0, "channel", "missing_field"),
    ("envelope sent by the caller", json.dumps(submitted(envelope={})).encode(), 0, "envelope",
     "reserved_field"),
    ("JSON null body", b"null", 0, "", "not_an_object"),
    ("string body", b'"x"', 0, "", "not_an_object"),
    ("array of numbers", b"[1]", 0, "", "not_an_object"),
]


@pytest.mark.parametrize(("body", "index", "field", "reason"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_malformed_input_is_a_field_error(body, index, field, reason):
    items = parse_body(body, 10)
    errors = items if is_errors(items) else validate_items(hotline_schema(), items, SOURCE)
    assert is_errors(errors), errors
    assert (errors[0].index, errors[0].field, errors[0].reason) == (index, field, reason)
    assert errors[0].message and errors[0].rule


def test_every_bad_value_of_every_record_is_listed():
    body = b'[{"a": 1e999, "b": ["\\ud800", 99999999999999999999]}, {"c": 1}]'
    errors = parse_body(body, 10)
    assert is_errors(errors)
    assert [(e.index, e.field, e.reason) for e in errors] == [
        (0, "a", "out_of_range"), (0, "b[0]", "invalid_encoding"), (0, "b[1]", "out_of_range")]


@pytest.mark.parametrize("value", [0, -(2 ** 63), 2 ** 63 - 1, 1.5, "文本", True, None,
                                   {"x": [1, {"y": "z"}]}, "\U0001F600"])
def test_values_a_record_can_hold_pass(value):
    assert value_faults({"v": value}, 0) == []


def test_batch_limit():
    errors = parse_body(b"[{}, {}, {}]", 2)
    assert is_errors(errors) and errors[0].reason == "batch_too_large"

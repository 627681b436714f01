"""A request body → the submitted items, or every reason it cannot be one: pure, no I/O.

What a JSON parser accepts is more than a record can hold. Each of these used to reach a
conversion deeper down and end as HTTP 500; here each is a 400 naming the record and the field:
- bytes that are not UTF-8 (``json.loads`` on bytes would also guess UTF-16 or UTF-32);
- nesting deeper than ``MAX_DEPTH`` (the C parser's recursion limit raised RecursionError);
- integers outside Avro's long, or longer than ``MAX_NUMBER_DIGITS`` digits (Python refuses to
  convert a 4,300-digit string to an int with a ValueError);
- ``NaN``, ``Infinity`` and numbers that overflow a double (not JSON, RFC 8259 §6);
- lone UTF-16 surrogates such as ``"\\ud800"`` (valid JSON escapes, but no UTF-8 encoding:
  the Avro encoder raised UnicodeEncodeError).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from producers.http.logic import FieldError

# Deep enough for every govbus schema (records in arrays in records: depth 4), far below
# Python's recursion limit.
MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 40  # a long has 19 digits; more is never a value a schema can hold
LONG_MIN, LONG_MAX = -(2 ** 63), 2 ** 63 - 1
RULE = "http.body"
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Huge:
    """A number the parser was asked not to convert (too many digits): kept as text for the walk
    to report with its field."""

    __slots__ = ("digits",)

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-+"))


class _NotJson(ValueError):
    pass


def _parse_int(text: str) -> int | _Huge:
    return _Huge(text) if len(text) > MAX_NUMBER_DIGITS else int(text)


def _parse_float(text: str) -> float | _Huge:
    return _Huge(text) if len(text) > 4 * MAX_NUMBER_DIGITS else float(text)


def _parse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def request_error(reason: str, message: str) -> list[FieldError]:
    return [FieldError(None, "", reason, message, RULE)]


class Parsed:
    """The parsed body (a wrapper: a JSON ``null`` body must stay distinguishable)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def decode_json(body: bytes) -> Parsed | list[FieldError]:
    """The parsed body, or why it is not JSON (one request-level error)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return request_error("bad_utf8", f"the body is not UTF-8: byte {exc.start} "
                                         f"(0x{body[exc.start]:02x}) cannot start a character")
    try:
        return Parsed(json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                             parse_constant=_parse_constant))
    except RecursionError:
        return request_error("too_deep", f"the body nests arrays/objects deeper than {MAX_DEPTH}")
    except (json.JSONDecodeError, _NotJson) as exc:
        return request_error("bad_json", f"the body is not JSON: {exc}")


def parse_body(body: bytes, max_records: int) -> list[Any] | list[FieldError]:
    """The submitted items (one JSON object or an array of them), or every reason the body is
    unusable. A list of FieldError is the failure case (``logic.is_errors``)."""
    parsed = decode_json(body)
    if not isinstance(parsed, Parsed):
        return parsed
    data = parsed.value
    items = data if isinstance(data, list) else [data]
    if not items:
        return request_error("empty_batch", "the array holds no records")
    if len(items) > max_records:
        return request_error("batch_too_large", f"{len(items)} records; at most {max_records} "
                                                "per request")
    errors = [error for index, item in enumerate(items) for error in value_faults(item, index)]
    return errors or items


def value_faults(item: Any, index: int) -> list[FieldError]:
    """Every value of one submitted item that no record can hold, with its field path.
    Iterative: the depth is checked before it could matter to a recursive walk."""
    errors: list[FieldError] = []
    stack: list[tuple[str, Any, int]] = [("", item, 1)]
    while stack:
        path, value, depth = stack.pop()
        fault = _scalar_fault(value)
        if fault is not None:
            errors.append(FieldError(index, path, fault[0], fault[1], RULE))
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                errors.append(FieldError(index, path, "too_deep",
                                         f"nested deeper than {MAX_DEPTH} levels", RULE))
                continue
            children = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in children:
                if isinstance(key, str) and _SURROGATE.search(key):
                    errors.append(FieldError(index, _join(path, "?"), "invalid_encoding",
                                             "a field name holds a lone UTF-16 surrogate", RULE))
                    continue
                stack.append((_join(path, key), child, depth + 1))
    return sorted(errors, key=lambda e: e.field)


def _scalar_fault(value: Any) -> tuple[str, str] | None:
    if isinstance(value, _Huge):
        return "out_of_range", f"a number with {value.digits} digits: no field holds one"
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not LONG_MIN <= value <= LONG_MAX:
        return "out_of_range", "an integer outside the 64-bit range (Avro long)"
    if isinstance(value, float) and not math.isfinite(value):
        return "out_of_range", "a number too large for a double"
    if isinstance(value, str) and _SURROGATE.search(value):
        return "invalid_encoding", ("a lone UTF-16 surrogate (an escape such as \\ud800 without its "
                                  "pair): not a character, cannot be stored")
    return None


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)

"""What a string in a dataset record may hold: the values every pool can store.

A string that PostgreSQL refuses (a NUL character, a key too long for a btree index) or that
makes no sense in a government record (control characters, undecodable bytes, a megabyte in a
name field) is refused by the cleaner, so it becomes a dead letter naming its field instead of a
batch the pool sink cannot write (docs/domain.md#values-the-pools-can-store).

Each string field has a text kind and a maximum length in characters, from its Avro attributes
(``schemas/avro`` is the single source of truth):

- ``text``: ``key`` (the schema's business key), ``line`` (one line: codes, names, addresses)
  or ``free`` (free text: what a caller said, a description). Default: ``key`` for the key
  field, ``free`` for fields tagged ``pii: free_text``, else ``line``.
- ``max_length``: a positive integer; default by kind (``DEFAULT_MAX_LENGTH``).

No string may hold a control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F),
except tab, line feed and carriage return in free text; NUL never. Lone surrogates (what
undecodable UTF-8 becomes when read with ``surrogateescape``) are refused as ``invalid_encoding``.
Strings nested in a field (array items, map keys and values) take that field's rule; strings in
nested records (the envelope) take the ``line`` defaults.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from govbus.core.result import Fault


class TextKind(StrEnum):
    KEY = "key"
    LINE = "line"
    FREE = "free"


TEXT_ATTRIBUTE = "text"
MAX_LENGTH_ATTRIBUTE = "max_length"
# Characters. A key is indexed by the pools: PostgreSQL's btree takes at most 2704 bytes a row,
# and 128 characters are at most 512 bytes of UTF-8. Free text: 32768 characters (~96 KiB of
# Chinese text in UTF-8) is far above any hotline record and well below the broker's 1 MB.
DEFAULT_MAX_LENGTH = {TextKind.KEY: 128, TextKind.LINE: 512, TextKind.FREE: 32_768}
# The most a key may declare: 4 bytes a character stays under the btree's 2704 bytes.
KEY_LENGTH_CEILING = 512

# One search per string: surrogates first (the match tells which fault it is). Raw strings: the
# regex engine reads the escapes (a surrogate in the source itself would not compile, setup.py).
_FORBIDDEN = {
    TextKind.KEY: re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f]"),
    TextKind.LINE: re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f]"),
    TextKind.FREE: re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"),
}


@dataclass(frozen=True)
class TextRule:
    kind: TextKind
    max_length: int

    def check(self, value: str) -> Fault | None:
        """Why ``value`` may not be stored, or None. The fault's field is left to the caller."""
        if value.isprintable() and len(value) <= self.max_length:
            return None  # the common case, in C: no Cc (nor surrogate, nor other unusual) character
        bad = _FORBIDDEN[self.kind].search(value)
        if bad is not None:
            return _character_fault(bad.group(), bad.start(), self.kind)
        if len(value) > self.max_length:
            return Fault("too_long", "text.max_length",
                         f"{len(value)} characters, at most {self.max_length} allowed in a {self.kind} field")
        return None


NESTED_RULE = TextRule(TextKind.LINE, DEFAULT_MAX_LENGTH[TextKind.LINE])


def _character_fault(char: str, position: int, kind: TextKind) -> Fault:
    code = f"U+{ord(char):04X}"
    if 0xD800 <= ord(char) <= 0xDFFF:
        return Fault("invalid_encoding", "text.utf8",
                     f"not valid UTF-8 at character {position} ({code}: a lone surrogate or an "
                     "undecodable byte)")
    allowed = ("only tab, line feed and carriage return are allowed in free text" if kind == TextKind.FREE
               else "no control character is allowed outside free text")
    return Fault("control_character", "text.control",
                 f"control character {code} at character {position}; {allowed}")


def declared_kind(avro_field: dict[str, Any], key_fields: tuple[str, ...]) -> TextKind:
    declared = avro_field.get(TEXT_ATTRIBUTE)
    if isinstance(declared, str) and declared in TextKind.__members__.values():
        return TextKind(declared)
    if avro_field["name"] in key_fields:
        return TextKind.KEY
    return TextKind.FREE if avro_field.get("pii") == "free_text" else TextKind.LINE


def text_rule_of(avro_field: dict[str, Any], key_fields: tuple[str, ...]) -> TextRule:
    """The rule for a top-level field's strings (attributes checked by ``attribute_problems``)."""
    kind = declared_kind(avro_field, key_fields)
    declared = avro_field.get(MAX_LENGTH_ATTRIBUTE)
    if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
        return TextRule(kind, declared)
    return TextRule(kind, DEFAULT_MAX_LENGTH[kind])


def key_fields_of(schema: dict[str, Any]) -> tuple[str, ...]:
    return tuple(name.strip() for name in str(schema.get("key") or "").split(",") if name.strip())


def holds_strings(avro_type: Any) -> bool:
    """Whether values of this Avro type may contain strings (directly or nested)."""
    if isinstance(avro_type, list):
        return any(holds_strings(t) for t in avro_type)
    if isinstance(avro_type, dict):
        kind = avro_type.get("type")
        if kind in ("record", "error", "array", "map"):
            return True
        return kind not in ("enum", "fixed") and holds_strings(kind)
    # A named type referred to by name (an enum, or a record defined earlier) counts: records
    # hold strings; an enum's symbols are safe, and checking a few more values costs nothing.
    return avro_type not in ("null", "boolean", "int", "long", "float", "double", "bytes")


def attribute_problems(avro_field: dict[str, Any], key_fields: tuple[str, ...]) -> list[str]:
    """What is wrong with a field's ``text`` and ``max_length`` attributes (for catalogue validate)."""
    problems = []
    declared = avro_field.get(TEXT_ATTRIBUTE)
    if declared is not None and declared not in TextKind.__members__.values():
        problems.append(f"text {declared!r} is not one of {', '.join(TextKind)}")
    length = avro_field.get(MAX_LENGTH_ATTRIBUTE)
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length <= 0):
        problems.append(f"max_length {length!r} is not a positive integer")
    if (declared is not None or length is not None) and not holds_strings(avro_field["type"]):
        problems.append("text and max_length apply to string fields only")
    rule = text_rule_of(avro_field, key_fields)
    if rule.kind == TextKind.KEY and rule.max_length > KEY_LENGTH_CEILING:
        problems.append(f"a key may be at most {KEY_LENGTH_CEILING} characters (the pools index it), "
                        f"not {rule.max_length}")
    return problems


def holds_maps(avro_type: Any) -> bool:
    """Whether values of this Avro type may contain an Avro map, whose keys are data too (a
    record's keys are its schema's field names: nothing to check)."""
    if isinstance(avro_type, list):
        return any(holds_maps(t) for t in avro_type)
    if isinstance(avro_type, dict):
        if avro_type.get("type") == "map":
            return True
        nested = [f["type"] for f in avro_type.get("fields", ())]
        nested += [avro_type[k] for k in ("items", "values") if k in avro_type]
        if isinstance(avro_type.get("type"), (list, dict)):
            nested.append(avro_type["type"])
        return any(holds_maps(t) for t in nested)
    return False


def check_strings(value: Any, rule: TextRule, keys: bool = True) -> Fault | None:
    """The first string in ``value`` (a string, or strings nested in lists and mappings) that
    ``rule`` refuses, located inside ``value`` (``[2]``, ``lineage[0].stage``). ``keys``: check
    mapping keys too (False where the type holds records only, whose keys are field names)."""
    if isinstance(value, str):
        return rule.check(value)
    if all_plain(value, rule.max_length, keys):
        return None  # the common case: one pass, no fault built, no path kept
    return _first_refused(value, rule, keys)


def all_plain(value: Any, max_length: int, keys: bool) -> bool:
    """Whether ``value`` (a list or dict) holds only strings that are printable and at most
    ``max_length`` long, so ``check_strings`` refuses none of them. False also where that walk
    must look closer (a subclass of str, list or dict): never True for what it would refuse."""
    if type(value) is dict:
        if keys and not all_plain(list(value), max_length, keys):
            return False
        items: Any = value.values()
    elif type(value) is list:
        items = value
    else:
        return False
    for item in items:
        kind = type(item)
        if kind is str:
            if not (item.isprintable() and len(item) <= max_length):
                return False
        elif kind is dict or kind is list:
            if not all_plain(item, max_length, keys):
                return False
        elif item is not None and isinstance(item, (str, list, dict)):
            return False
    return True


def _first_refused(value: Any, rule: TextRule, keys: bool) -> Fault | None:
    """``check_strings`` one string at a time: where ``all_plain`` found something to look at."""
    if isinstance(value, str):
        return rule.check(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            fault = _first_refused(item, rule, keys)
            if fault is not None:
                return fault.at(f"[{index}]")
        return None
    if isinstance(value, dict):
        for name, item in value.items():
            fault = (rule.check(name) if keys and isinstance(name, str) else None) or _first_refused(item, rule, keys)
            if fault is not None:
                return fault.at(str(name)) if _printable(name) else fault
        return None
    return None


def _printable(name: Any) -> bool:
    return isinstance(name, str) and NESTED_RULE.check(name) is None

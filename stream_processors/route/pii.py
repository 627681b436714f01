"""Personal data in Chinese free text (12345 hotline content, replies, notes): find and mask.

API shared with the corpus test and the field scanner (issue 16):
- ``find_pii(text)``: every kind, sorted, non-overlapping ``PiiSpan(start, end, kind)``;
- ``find_identifiers(text)``: only the rule-checked kinds (id_card, mobile, bank_card, landline,
  passport, plate, email): no segmenter, cheap enough for every string field delivered in clear;
- ``mask_pii(text, spans=None)``: the text with each span replaced by its kind's mask.

Offsets are ``str`` indices into the text as given. Finders work on ``fold(text)`` (full-width
ASCII as ASCII, one character for one), so "１３８…" is found and offsets still hold.

Masks, one per kind, deterministic (the same text always masks the same way):
  name       surname kept, given name starred      陈大文 → 陈**, 欧阳娜娜 → 欧阳**
             surname + title: surname starred       王先生 → *先生
  address    names kept, numbers starred            五四路88号 → 五四路**号, 5号楼2单元301室 → *号楼*单元***室
  mobile     first 3 and last 4 (+86 kept)          151 6338 3683 → 151 **** 3683
  landline   area code kept, local number starred   0591-87654321 → 0591-********
  id_card    first 6 and last 4 (15-digit: last 3)  350104********7380
  bank_card  first 6 and last 4                     6222 02** **** 0123
  passport   first letter kept                      E12345678 → E********
  plate      province and authority letter kept     闽A·12345 → 闽A·*****
  email      first character and domain kept        zhangsan@163.com → z***@163.com
  qq, wechat all starred                            12345678 → ********
Separators (spaces, dashes, dots) stay where they were, so grouping remains visible.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple, Protocol

from stream_processors.route.pii_address import address_findings
from stream_processors.route.pii_names import COMPOUND_SURNAMES, TITLES, name_findings
from stream_processors.route.pii_rules import (
    bmp_alnum_bits,
    fold,
    format_findings,
    labelled_findings,
    may_hold_identifier,
    number_findings,
)

try:  # the compiled masks (native/src/textmask.rs); without them, masked_python
    from govbus_native import SpanMasker as _NativeMasker
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeMasker = None

KINDS = ("name", "address", "landline", "mobile", "id_card", "passport", "plate", "email",
         "bank_card", "qq", "wechat")
IDENTIFIER_KINDS = ("id_card", "mobile", "bank_card", "landline", "passport", "plate", "email")
# Where candidates overlap, the kind listed first wins (an e-mail's local part may be a mobile,
# a labelled WeChat id may be a mobile: the containing / more specific reading is kept).
_PRIORITY = ("email", "id_card", "mobile", "bank_card", "landline", "passport", "plate", "qq", "wechat",
             "name_full", "name_title", "name_cued", "address", "name_tagged")

_RANK = {kind: n for n, kind in enumerate(_PRIORITY)}
_TITLE_SET = frozenset(TITLES)  # a set look-up, not a scan of the tuple, per name masked


class PiiSpan(NamedTuple):
    start: int
    end: int
    kind: str


def _resolve(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans: by kind priority, then the longer first; sorted by position."""
    if len(candidates) < 2:
        return candidates
    ranked = sorted(candidates, key=lambda c: (_RANK[c[2]], c[0] - c[1], c[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in ranked:
        if kind == "address":  # its name may have run back into a name or number: start after it
            start = max([start] + [b for a, b, _ in taken if a <= start < b or start < b < end])
        if end > start and all(end <= a or start >= b for a, b, _ in taken):
            taken.append((start, end, kind))
    return sorted(taken)


# The processor sends one text through find_identifiers (a field delivered in clear) and mask_pii
# (scrub_strict), and mask_pii folds it again: a few recent texts' folds and identifier
# candidates are kept, so each is computed once per record. Small: only the record in hand hits.
_fold = lru_cache(maxsize=64)(fold)


@lru_cache(maxsize=64)
def _identifier_candidates(folded: str) -> tuple[tuple[int, int, str], ...]:
    if not may_hold_identifier(folded):
        return ()
    return (*number_findings(folded), *format_findings(folded))


def find_identifiers(text: str) -> list[PiiSpan]:
    """Rule-checked identifiers only (see IDENTIFIER_KINDS)."""
    if not text:
        return []
    return [PiiSpan(*c) for c in _resolve(list(_identifier_candidates(_fold(text))))]


def _find_internal(folded: str) -> list[tuple[int, int, str]]:
    candidates = [*_identifier_candidates(folded), *labelled_findings(folded), *address_findings(folded)]
    candidates += name_findings(folded, decided=candidates)
    return _resolve(candidates)


def find_pii(text: str) -> list[PiiSpan]:
    """Every kind of personal data in ``text``, sorted, non-overlapping."""
    if not text:
        return []
    return [PiiSpan(a, b, "name" if k.startswith("name") else k) for a, b, k in _find_internal(_fold(text))]


def _star(s: str, keep_first: int, keep_last: int) -> str:
    """Star the letters and digits of ``s`` except the first/last ones kept; separators stay."""
    positions = [i for i, ch in enumerate(s) if ch.isalnum()]
    chars = list(s)
    for i in positions[keep_first:max(keep_first, len(positions) - keep_last)]:
        chars[i] = "*"
    return "".join(chars)


_MOBILE_PREFIX = re.compile(r"^(?:\+?86|0086)[ \-]?(?=1)")
_AREA = re.compile(r"^\(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?[ \-]?")
_ADDRESS_NUMBER = re.compile(r"[0-9A-Za-z]|[零一二三四五六七八九十百]+(?=号|栋|幢|单元|室|层|楼|座|期)")


def _mask_name(s: str, titled: bool) -> str:
    surname = 2 if s[:2] in COMPOUND_SURNAMES else 1
    if titled:
        return "*" * surname + s[surname:]
    return s[:surname] + "*" * (len(s) - surname)


def _mask_span(kind: str, s: str, folded: str) -> str:
    if kind.startswith("name"):
        return _mask_name(s, kind == "name_title" or s[1:] in _TITLE_SET or s[2:] in _TITLE_SET)
    if kind == "address":
        return _ADDRESS_NUMBER.sub(lambda m: "*" * len(m.group()), folded)
    if kind == "mobile":
        prefix = _MOBILE_PREFIX.match(folded)
        cut = prefix.end() if prefix else 0
        return s[:cut] + _star(s[cut:], 3, 4)
    if kind == "landline":
        area = _AREA.match(folded)
        cut = area.end() if area else 0
        return s[:cut] + _star(s[cut:], 0, 0)
    if kind == "id_card":
        digits = sum(ch.isalnum() for ch in s)
        return _star(s, 6, 4 if digits == 18 else 3)
    if kind == "bank_card":
        return _star(s, 6, 4)
    if kind == "passport":
        return _star(s, 1, 0)
    if kind == "plate":
        return s[:2] + _star(s[2:], 0, 0)
    if kind == "email":
        local, _, domain = s.partition("@")
        return local[:1] + "***@" + domain
    return "*" * len(s)


class _Masker(Protocol):
    def mask(self, text: str, folded: str, spans: list[tuple[int, int, str]]) -> str | None: ...


@lru_cache(maxsize=1)
def _native_masker() -> _Masker | None:
    """The compiled masks (native/src/textmask.rs), given this module's word lists; built on first use."""
    if _NativeMasker is None:
        return None
    return _NativeMasker(sorted(COMPOUND_SURNAMES), list(TITLES), bmp_alnum_bits())


def mask_pii(text: str, spans: list[PiiSpan] | None = None) -> str:
    """``text`` with every span (by default every finding of ``find_pii``) masked by its kind:
    natively, or in Python (``masked_python``) when the module is absent or declines."""
    if not text:
        return text
    folded = _fold(text)
    found = _find_internal(folded) if spans is None else [(s.start, s.end, s.kind) for s in spans]
    masker = _native_masker()
    if masker is not None:
        masked = masker.mask(text, folded, found)
        if masked is not None:
            return masked
    return masked_python(text, folded, found)


def masked_python(text: str, folded: str, found: list[tuple[int, int, str]]) -> str:
    """``text`` with the ``found`` spans masked, in Python: the reference of the compiled masks."""
    parts: list[str] = []
    cursor = 0
    for start, end, kind in found:
        parts.append(text[cursor:start])
        parts.append(_mask_span(kind, text[start:end], folded[start:end]))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)

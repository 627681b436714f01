"""STUB of the issue-16 detector API (owned by the `pii` lane; replace this file with theirs).

The `pii-policy` lane codes against the shared contract (find_pii, mask_pii, find_identifiers,
PiiSpan) before the real detector exists. This stub is a thin wrapper over the existing
free-text rules in ``textscrub`` (resident IDs, mobiles, bank cards): it finds no names,
addresses, landlines, passports, plates or e-mail yet, so ``find_pii`` and
``find_identifiers`` return the same spans here. Nothing else in this module is policy: the
callers (route/pii_policy.py, commands/dlq_view.py) decide where each is applied.
"""
from __future__ import annotations

from typing import NamedTuple

from stream_processors.route.textscrub import _masked, scrub_findings

# The contract's kinds (exact strings); identifier kinds are the rule-checked ones.
KINDS = ("name", "address", "landline", "mobile", "id_card", "passport", "plate", "email",
         "bank_card", "qq", "wechat")
IDENTIFIER_KINDS = ("id_card", "mobile", "bank_card", "landline", "passport", "plate", "email")
_FROM_TEXTSCRUB = {"resident_id": "id_card", "mobile": "mobile", "bank_card": "bank_card"}
_TO_TEXTSCRUB = {v: k for k, v in _FROM_TEXTSCRUB.items()}


class PiiSpan(NamedTuple):
    start: int
    end: int
    kind: str


def find_identifiers(text: str) -> list[PiiSpan]:
    """Rule-checked identifiers in ``text``: sorted, non-overlapping (STUB: IDs, mobiles, cards)."""
    if not text:
        return []
    return [PiiSpan(start, end, _FROM_TEXTSCRUB[kind]) for kind, start, end in scrub_findings(text)]


def find_pii(text: str) -> list[PiiSpan]:
    """Every kind of personal data in ``text`` (STUB: the identifiers only)."""
    return find_identifiers(text)


def mask_pii(text: str, spans: list[PiiSpan] | None = None) -> str:
    """``text`` with each span replaced by its kind's deterministic mask (default: find_pii)."""
    if not text:
        return text
    found = find_pii(text) if spans is None else spans
    parts, cursor = [], 0
    for start, end, kind in found:
        parts.append(text[cursor:start])
        parts.append(_masked(_TO_TEXTSCRUB.get(kind, kind), text[start:end]))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
